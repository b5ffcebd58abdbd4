"""The leak re-scan: a second, differently configured detector over already-scrubbed records.

Re-running the scrubber's own configuration would only agree with itself, so this pass
differs on purpose:
- a higher bar, `policy.residual.score_threshold`, so the gate counts likely leaks, not noise;
- a wider context window (10 words before, 3 after) so weak patterns ("SSN ... 123456789")
  get their boost from keywords the first pass did not reach;
- NER limited to PERSON: spaCy's LOCATION, NRP and DATE_TIME are context guesses that fire
  on ordinary words around placeholders, so they are left to the first pass (DATE_TIME is
  still re-scanned through Presidio's date patterns). NER reads only the fields the scrubber
  changed: a field where the first pass found nothing is the same text its NER already read,
  and every PERSON it saw there would have been a finding (see `leaks`);
- the scrubber's own output is not a leak: findings are trimmed off placeholders
  (`<PERSON>`, `<PERSON:3fa2c1d9>`) and masks (`****`, with the digits `keep_last` left
  visible), and dropped if nothing of substance is left.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection, Iterable, Sequence
from itertools import islice
from typing import Any

from presidio_analyzer.nlp_engine import NlpEngine

from appliance.records import Finding, Record
from policies.schema import Policy
from scrubbers.analyzer import NER_ENTITIES, IndexedContextEnhancer, build_analyzer, build_recognizers, supported_entity_types
from scrubbers.detector import DEFAULT_BATCH_SIZE, Detector
from scrubbers.fields import record_fields
from scrubbers.nlp import shared_nlp_engine

SAMPLE_SIZE = 20
RESIDUAL_NER_ENTITIES = ("PERSON",)
SCRUBBER_OUTPUT = re.compile(
    r"<[A-Z][A-Z0-9_]*(?::[0-9a-f]{8})?>"  # replace / hash tokens
    # a mask with the trailing characters keep_last left visible: "*******1695", "**** **** **** 1111"
    # (three stars at least: markdown bold "**Jane**" is not ours)
    r"|\*{3,}(?:[ .\-/]{0,2}\*+)*(?:[A-Za-z0-9]{1,8}\b|[ .\-/]\d{1,8}\b)"
    r"|\*+"
)


@dataclasses.dataclass
class ResidualReport:
    """Suspected leaks after scrubbing: counts and locations, never values."""

    records_scanned: int = 0
    findings: int = 0
    by_type: dict[str, int] = dataclasses.field(default_factory=dict)
    rate: float = 0.0  # findings per scanned record
    sample: list[dict[str, Any]] = dataclasses.field(default_factory=list)  # {record_id, field, start, end, entity_type}

    def add(self, record_id: str, leaks: Iterable[tuple[str, Finding]]) -> None:
        """Count one scanned record and its suspected leaks (field name, finding)."""
        self.records_scanned += 1
        for field, finding in leaks:
            self.findings += 1
            self.by_type = dict(sorted({**self.by_type, finding.entity_type: self.by_type.get(finding.entity_type, 0) + 1}.items()))
            if len(self.sample) < SAMPLE_SIZE:
                self.sample.append({"record_id": record_id, "field": field, "start": finding.start, "end": finding.end, "entity_type": finding.entity_type})
        self.rate = self.findings / self.records_scanned

    def passes(self, max_rate: float) -> bool:
        """The residual gate: at most `max_rate` suspected findings per record."""
        return self.rate <= max_rate

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class ResidualScanner:
    """Counts suspected PII left in scrubbed records.

    >>> report = ResidualScanner(policy).scan(outcome.record for outcome in outcomes if outcome.record)
    >>> report.passes(policy.residual.max_rate)
    True
    """

    def __init__(self, policy: Policy, *, batch_size: int = DEFAULT_BATCH_SIZE, nlp_engine: NlpEngine | None = None) -> None:
        self.policy = policy
        self.batch_size = batch_size
        wider_context = IndexedContextEnhancer(context_prefix_count=10, context_suffix_count=3)
        recognizers = build_recognizers(policy, RESIDUAL_NER_ENTITIES)
        self.analyzer = build_analyzer(recognizers, nlp_engine or shared_nlp_engine(), wider_context)
        # Types only the first pass's NER detects (LOCATION, NRP) are not re-scanned, see above.
        self.entity_types = sorted(set(policy.entities) & supported_entity_types(self.analyzer))
        self._detector = Detector(
            self.analyzer,
            entities=self.entity_types,
            score_threshold=policy.residual.score_threshold,
            allow_list=policy.detection.allow_list,
            batch_size=batch_size,
        )
        self._ner_types = set(RESIDUAL_NER_ENTITIES) & set(self.entity_types)
        # The scrubber's NER covers the same types and its findings pass a threshold its NER
        # scores clear, so on a field it left alone (found nothing in) this NER would find
        # nothing either: the same text through the same model, same allow list.
        engine = self.analyzer.nlp_engine
        self._first_pass_ner_covers = set(RESIDUAL_NER_ENTITIES) <= set(NER_ENTITIES) and all(
            engine.entity_score(entity_type) >= policy.detection.score_threshold for entity_type in self._ner_types
        )

    def leaks(self, records: Sequence[Record], found_in: Sequence[Collection[str]] | None = None) -> list[list[tuple[str, Finding]]]:
        """Per record, in order: (field name, suspected leak) pairs.

        `found_in`, per record, names the fields where the scrubber (scrubbers.engine.Scrubber,
        same policy) found something; NER then re-reads only those. None: NER reads every field.
        """
        fields_per_record = [record_fields(record) for record in records]
        texts = [text for fields in fields_per_record for _, text in fields]
        detected = iter(self._detector.detect(texts, self._needs_ner(fields_per_record, found_in)))
        return [[(name, leak) for name, text in fields for leak in suspected_leaks(text, next(detected))] for fields in fields_per_record]

    def _needs_ner(self, fields_per_record: list[list[tuple[str, str]]], found_in: Sequence[Collection[str]] | None) -> list[bool]:
        if not self._ner_types:
            return [False] * sum(map(len, fields_per_record))
        if found_in is None or not self._first_pass_ner_covers:
            return [True] * sum(map(len, fields_per_record))
        return [name in found for fields, found in zip(fields_per_record, found_in, strict=True) for name, _ in fields]

    def scan(self, records: Iterable[Record]) -> ResidualReport:
        report = ResidualReport()
        iterator = iter(records)
        while batch := list(islice(iterator, self.batch_size)):
            for record, leaks in zip(batch, self.leaks(batch), strict=True):
                report.add(record.id, leaks)
        return report


def suspected_leaks(text: str, findings: Iterable[Finding]) -> list[Finding]:
    """Findings with the scrubber's own placeholders and masks cut away; what is left must hold a value."""
    output_spans = [match.span() for match in SCRUBBER_OUTPUT.finditer(text)]
    leaks = []
    for finding in findings:
        piece = _largest_uncovered_piece(finding.start, finding.end, output_spans)
        if piece is None:
            continue
        start, end = piece
        # Trim punctuation and spaces so "<PERSON>, " alone never counts as a leak.
        while start < end and not text[start].isalnum():
            start += 1
        while end > start and not text[end - 1].isalnum():
            end -= 1
        if sum(character.isalnum() for character in text[start:end]) >= 2:
            leaks.append(dataclasses.replace(finding, start=start, end=end))
    return leaks


def _largest_uncovered_piece(start: int, end: int, covered: list[tuple[int, int]]) -> tuple[int, int] | None:
    pieces, cursor = [], start
    for covered_start, covered_end in covered:
        if covered_end <= cursor or covered_start >= end:
            continue
        if covered_start > cursor:
            pieces.append((cursor, covered_start))
        cursor = max(cursor, covered_end)
    if cursor < end:
        pieces.append((cursor, end))
    return max(pieces, key=lambda piece: piece[1] - piece[0], default=None)
