"""The one Presidio wrapper shared by recognizers whose logic is a plain function of the text.

Most list-based recognizers (given names, surnames, places...) are a `find_*(text)`
function returning (start, end, score) spans, and a class only to plug that function into
Presidio: the entity it reports, the finder, and the lists to read when the recognizer is
built rather than on the first text. That class is this one; a subclass names the three.

    class SurnameRecognizer(FinderRecognizer):
        find = staticmethod(find_full_names)
        load_lists = staticmethod(folded_surnames)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

Finding = tuple[int, int, float]


class FinderRecognizer(EntityRecognizer):
    """One entity type, found by a subclass's `find(text)`; its lists read once, when built."""

    ENTITY: ClassVar[str] = "PERSON"

    def __init__(self) -> None:
        super().__init__(supported_entities=[self.ENTITY], name=type(self).__name__)

    @staticmethod
    def find(text: str) -> Iterable[Finding]:
        raise NotImplementedError

    @staticmethod
    def load_lists() -> object:
        """Read the shipped lists `find` looks up (cached per process), so the first text does not pay for it."""
        return None

    def load(self) -> None:
        self.load_lists()

    def analyze(self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None) -> list[RecognizerResult]:
        if self.ENTITY not in entities:
            return []
        return [RecognizerResult(self.ENTITY, start, end, score) for start, end, score in self.find(text)]
