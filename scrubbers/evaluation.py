"""Score detections against labelled gold spans: precision, recall and F2, token- and span-level.

Scoring is type-agnostic for the headline numbers because redaction is: a gold PERSON
token covered by a LOCATION finding is still hidden. Per-entity recall is reported by
gold label, per-entity precision by detected type.

Gold labels map to entity types through a label map; a label mapped to None is out of
scope (e.g. ORGANIZATION, TITLE): its tokens count neither as a miss nor, when detected,
as a false positive. Labels missing from the map are scored under their own name.

>>> report = evaluate(gold_records, predicted_spans)
>>> report.token.recall
0.96
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

# Labels of the presidio-research generator family -> our entity types (None: out of scope).
# Out of scope for the default policy: organisations and job titles are not personal data
# on their own; generic dates, ages and NRP are not in the default policy (hipaa adds
# dates and ages); ZIP codes and domains are scored, as location and URL.
DEFAULT_LABEL_MAP: Mapping[str, str | None] = {
    "PERSON": "PERSON",
    "STREET_ADDRESS": "STREET_ADDRESS",
    "ADDRESS": "STREET_ADDRESS",
    "GPE": "LOCATION",
    "LOCATION": "LOCATION",
    "ZIP_CODE": "LOCATION",
    "CREDIT_CARD": "CREDIT_CARD",
    "PHONE_NUMBER": "PHONE_NUMBER",
    "EMAIL_ADDRESS": "EMAIL_ADDRESS",
    "DOMAIN_NAME": "URL",
    "IBAN_CODE": "IBAN_CODE",
    "US_SSN": "US_SSN",
    "IP_ADDRESS": "IP_ADDRESS",
    "US_DRIVER_LICENSE": "US_DRIVER_LICENSE",
    "ORGANIZATION": None,
    "TITLE": None,
    "PREFIX": None,
    "DATE_TIME": None,
    "AGE": None,
    "NRP": None,
}

_TOKEN = re.compile(r"\w+|[^\w\s]")
# Punctuation tokens are not scored: a missed comma inside an address leaks nothing.
_WORD = re.compile(r"\w")


@dataclasses.dataclass(frozen=True)
class Span:
    start: int
    end: int
    label: str


@dataclasses.dataclass
class Counts:
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        relevant = self.true_positives + self.false_negatives
        return self.true_positives / relevant if relevant else 1.0

    @property
    def f2(self) -> float:
        p, r = self.precision, self.recall
        return 5 * p * r / (4 * p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "tp": self.true_positives, "fp": self.false_positives, "fn": self.false_negatives,
            "precision": round(self.precision, 4), "recall": round(self.recall, 4), "f2": round(self.f2, 4),
        }


@dataclasses.dataclass
class EvaluationReport:
    token: Counts = dataclasses.field(default_factory=Counts)
    span: Counts = dataclasses.field(default_factory=Counts)
    token_by_type: dict[str, Counts] = dataclasses.field(default_factory=lambda: defaultdict(Counts))
    span_by_type: dict[str, Counts] = dataclasses.field(default_factory=lambda: defaultdict(Counts))
    # Missed gold spans: gold type -> [(record id, start, end)]; offsets only, never text.
    misses: dict[str, list[tuple[str, int, int]]] = dataclasses.field(default_factory=lambda: defaultdict(list))
    records: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "token": self.token.as_dict(),
            "span": self.span.as_dict(),
            "span_recall_95ci": [round(v, 4) for v in wilson_interval(self.span.true_positives, self.span.true_positives + self.span.false_negatives)],
            "token_by_type": {k: v.as_dict() for k, v in sorted(self.token_by_type.items())},
            "span_by_type": {k: v.as_dict() for k, v in sorted(self.span_by_type.items())},
            "misses": {k: [{"id": i, "start": s, "end": e} for i, s, e in v] for k, v in sorted(self.misses.items())},
        }


def wilson_interval(successes: int, trials: int, *, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of a proportion (95% by default); (0, 1) when there are no trials.

    Used for span recall on a labelled sample: each gold span found or missed is one trial, so
    a residual gate can rest on the interval's lower end rather than on the point estimate.
    """
    if trials == 0:
        return 0.0, 1.0
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    margin = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    return max(0.0, centre - margin), min(1.0, centre + margin)


def map_gold(spans: Iterable[Mapping[str, Any]], label_map: Mapping[str, str | None]) -> tuple[list[Span], list[Span]]:
    """(scored, out-of-scope) gold spans with labels mapped to entity types."""
    scored: list[Span] = []
    ignored: list[Span] = []
    for raw in spans:
        label = str(raw["label"])
        mapped = label_map.get(label, label)
        target = ignored if mapped is None else scored
        target.append(Span(int(raw["start"]), int(raw["end"]), mapped or label))
    return scored, ignored


def evaluate(
    gold: Iterable[Mapping[str, Any]],
    predicted: Iterable[Sequence[Span]],
    *,
    label_map: Mapping[str, str | None] = DEFAULT_LABEL_MAP,
) -> EvaluationReport:
    """Compare gold records (`id`, `text`, `spans` with `label`) with predicted spans per record, in order."""
    report = EvaluationReport()
    for index, (record, predictions) in enumerate(zip(gold, predicted, strict=True)):
        scored, ignored = map_gold(record.get("spans", ()), label_map)
        _score_record(report, str(record.get("id", index)), str(record["text"]), scored, ignored, list(predictions))
        report.records += 1
    return report


def _overlapping(span: Span, others: Sequence[Span]) -> list[Span]:
    return [o for o in others if o.start < span.end and span.start < o.end]


def _score_record(report: EvaluationReport, record_id: str, text: str, scored: list[Span], ignored: list[Span], predicted: list[Span]) -> None:
    for token in _TOKEN.finditer(text):
        if not _WORD.match(token.group()):
            continue
        piece = Span(token.start(), token.end(), "")
        gold_hits = _overlapping(piece, scored)
        predicted_hits = _overlapping(piece, predicted)
        if gold_hits:
            gold_type = gold_hits[0].label
            counts = report.token_by_type[gold_type]
            if predicted_hits:
                report.token.true_positives += 1
                counts.true_positives += 1
            else:
                report.token.false_negatives += 1
                counts.false_negatives += 1
        elif predicted_hits and not _overlapping(piece, ignored):
            report.token.false_positives += 1
            report.token_by_type[predicted_hits[0].label].false_positives += 1
    for span in scored:
        counts = report.span_by_type[span.label]
        if _overlapping(span, predicted):
            report.span.true_positives += 1
            counts.true_positives += 1
        else:
            report.span.false_negatives += 1
            counts.false_negatives += 1
            report.misses[span.label].append((record_id, span.start, span.end))
    for span in predicted:
        if not _overlapping(span, scored) and not _overlapping(span, ignored):
            report.span.false_positives += 1
            report.span_by_type[span.label].false_positives += 1


def format_table(report: EvaluationReport) -> str:
    """A fixed-width table: one row per entity type, then the overall rows."""
    header = f"{'entity':<20}{'level':<7}{'tp':>7}{'fp':>7}{'fn':>7}{'prec':>8}{'recall':>8}{'f2':>8}"
    lines = [header, "-" * len(header)]

    def row(name: str, level: str, counts: Counts) -> str:
        return (f"{name:<20}{level:<7}{counts.true_positives:>7}{counts.false_positives:>7}{counts.false_negatives:>7}"
                f"{counts.precision:>8.3f}{counts.recall:>8.3f}{counts.f2:>8.3f}")

    for name in sorted(set(report.token_by_type) | set(report.span_by_type)):
        lines.append(row(name, "token", report.token_by_type[name]))
        lines.append(row(name, "span", report.span_by_type[name]))
    lines.append("-" * len(header))
    lines.append(row("OVERALL", "token", report.token))
    lines.append(row("OVERALL", "span", report.span))
    low, high = wilson_interval(report.span.true_positives, report.span.true_positives + report.span.false_negatives)
    lines.append(f"span recall 95% CI (Wilson): [{low:.3f}, {high:.3f}]")
    missed = ", ".join(f"{name} {len(spans)}" for name, spans in sorted(report.misses.items()))
    lines.append(f"{report.records} records; missed spans by type: {missed or 'none'}")
    return "\n".join(lines)
