"""LOCATION: country and US state names from a shipped gazetteer (scrubbers/data/places.txt).

spaCy's small model misses many place names, and a country or state named next to a
city or street narrows a person down. Matching is case-sensitive on the written form or
its all-caps form, so "georgia" in lowercase prose (or "Chad" as a first name, which the
merge resolves in favour of PERSON) is handled by the risk order, not here.
"""

from __future__ import annotations

import functools
from pathlib import Path

import regex
from presidio_analyzer import Pattern, PatternRecognizer

PLACES_FILE = Path(__file__).resolve().parent.parent / "data" / "places.txt"


@functools.cache
def place_names() -> tuple[str, ...]:
    lines = PLACES_FILE.read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def _pattern() -> str:
    names = sorted({form for name in place_names() for form in (name, name.upper())}, key=len, reverse=True)
    return r"(?<![\w-])(?:" + "|".join(regex.escape(name) for name in names) + r")(?![\w-])"


class PlaceNameRecognizer(PatternRecognizer):
    """Countries and US states, as written or in capitals."""

    CONTEXT = ["in", "from", "live", "lives", "born", "address", "country", "state"]

    def __init__(self) -> None:
        super().__init__(
            supported_entity="LOCATION",
            patterns=[Pattern("gazetteer place", _pattern(), 0.6)],
            context=self.CONTEXT,
            global_regex_flags=regex.MULTILINE,  # case matters: capitals mark names
        )
