"""Run one analyzer over many texts: spaCy in batches, then Presidio per text, then merge."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterator, Sequence

from presidio_analyzer import AnalyzerEngine, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from appliance.records import Finding
from scrubbers.address_block import extend_addresses
from scrubbers.merge import merge_findings
from scrubbers.name_mentions import add_repeated_names
from scrubbers.nlp import LANGUAGE
from scrubbers.person_spans import tidy_person_findings
from scrubbers.transcript import normalise_for_detection

# Texts per nlp.pipe batch (64 and 256 measured the same CPU time on the development sets).
DEFAULT_BATCH_SIZE = 64
# spaCy's memory grows with the characters in a batch (tok2vec keeps a vector per token), so a
# batch of long texts is also cut after this many characters.
NLP_BATCH_CHARACTERS = 400_000
# spaCy refuses texts over nlp.max_length (1,000,000) and its memory grows with length, so
# long documents are analysed in pieces cut at line breaks (or spaces), offsets shifted back.
MAX_CHUNK_CHARACTERS = 100_000
# Presidio's URL pattern swallows the full stop that ends a sentence.
URL_TRAILING_PUNCTUATION = ".,;:!?"


class Detector:
    """Findings (type, offsets, score, recognizer) for texts; never the matched text."""

    def __init__(
        self,
        analyzer: AnalyzerEngine,
        entities: Collection[str],
        score_threshold: float,
        allow_list: Collection[str] = (),
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        self.analyzer = analyzer
        self.entities = sorted(entities)
        self.score_threshold = score_threshold
        self.allow_list = list(allow_list)
        self.batch_size = batch_size

    def detect(self, texts: Sequence[str], ner: Sequence[bool] | None = None) -> list[list[Finding]]:
        """One merged, start-ordered list of findings per text, offsets into that text.

        `ner` says per text whether spaCy's NER runs on it (default: on every text); a text
        without it is only tokenized, so context words still count but no NER entity is found.
        """
        found: list[list[Finding]] = [[] for _ in texts]
        if not self.entities:
            return found
        pieces = [(index, offset, chunk) for index, text in enumerate(texts) for offset, chunk in split_text(text, MAX_CHUNK_CHARACTERS)]
        needs_ner = [True] * len(pieces) if ner is None else [ner[index] for index, _, _ in pieces]
        # Spoken digits, spoken emails and zero-width characters are rewritten for detection;
        # findings are mapped back to the original characters (see scrubbers.transcript).
        normalised = [normalise_for_detection(chunk) for _, _, chunk in pieces]
        analysed = [norm.text if norm else chunk for norm, (_, _, chunk) in zip(normalised, pieces, strict=True)]
        # nlp.pipe over many texts at once is several times faster than one spaCy call per text;
        # the artifacts (tokens, entities) are handed to Presidio so it never re-runs spaCy.
        for (index, offset, _), norm, chunk, nlp_artifacts in zip(pieces, normalised, analysed, self._nlp_artifacts(analysed, needs_ner), strict=True):
            results = self.analyzer.analyze(
                text=chunk,
                language=LANGUAGE,
                entities=self.entities,
                nlp_artifacts=nlp_artifacts,
                score_threshold=self.score_threshold,
                allow_list=self.allow_list or None,
            )
            for result in results:
                finding = _to_finding(result, chunk, 0)
                start, end = norm.original_span(finding.start, finding.end) if norm else (finding.start, finding.end)
                found[index].append(dataclasses.replace(finding, start=start + offset, end=end + offset))
        return [_whole_text_findings(findings, text) for findings, text in zip(found, texts, strict=True)]

    def _nlp_artifacts(self, texts: list[str], needs_ner: list[bool]) -> Iterator[NlpArtifacts]:
        engine = self.analyzer.nlp_engine
        with_ner = self._pipeline_artifacts([text for text, needed in zip(texts, needs_ner, strict=True) if needed])
        for text, needed in zip(texts, needs_ner, strict=True):
            yield next(with_ner) if needed else engine.tokenized(text, LANGUAGE)

    def _pipeline_artifacts(self, texts: list[str]) -> Iterator[NlpArtifacts]:
        for group in character_bounded_groups(texts, self.batch_size, NLP_BATCH_CHARACTERS):
            for _, artifacts in self.analyzer.nlp_engine.process_batch(group, LANGUAGE, batch_size=len(group)):
                yield artifacts


def character_bounded_groups(texts: Sequence[str], most_texts: int, most_characters: int) -> Iterator[list[str]]:
    """Consecutive groups of at most `most_texts` texts and `most_characters` characters (a longer text goes alone)."""
    group: list[str] = []
    characters = 0
    for text in texts:
        if group and (len(group) >= most_texts or characters + len(text) > most_characters):
            yield group
            group, characters = [], 0
        group.append(text)
        characters += len(text)
    if group:
        yield group


def split_text(text: str, limit: int) -> Iterator[tuple[int, str]]:
    """(offset, piece) with pieces of at most `limit` characters, cut after a newline or space if any."""
    start = 0
    while len(text) - start > limit:
        window = text[start : start + limit]
        cut = window.rfind("\n") + 1 or window.rfind(" ") + 1 or limit
        yield start, window[:cut]
        start += cut
    yield start, text[start:]


def _whole_text_findings(findings: list[Finding], text: str) -> list[Finding]:
    """Merged findings of one whole text, with address blocks extended and found names' other mentions added."""
    # PERSON spans are tidied before the merge: tidied after, a span that had absorbed a date or a
    # place found by another recognizer could cut it away with the words that are not a name.
    merged = merge_findings(extend_addresses(tidy_person_findings(findings, text), text), text)
    with_mentions = add_repeated_names(merged, text)
    return merged if with_mentions is merged else merge_findings(with_mentions, text)


def _to_finding(result: RecognizerResult, text: str, offset: int) -> Finding:
    recognizer = (result.recognition_metadata or {}).get(RecognizerResult.RECOGNIZER_NAME_KEY, "")
    end = result.end
    if result.entity_type == "URL":
        while end > result.start + 1 and text[end - 1] in URL_TRAILING_PUNCTUATION:
            end -= 1
    return Finding(result.entity_type, result.start + offset, end + offset, round(float(result.score), 4), recognizer)
