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
    # (gold tokens found, gold tokens missed) per record, in order: the unit a recall interval resamples.
    token_per_record: list[tuple[int, int]] = dataclasses.field(default_factory=list)

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
        found_before, missed_before = report.token.true_positives, report.token.false_negatives
        _score_record(report, str(record.get("id", index)), str(record["text"]), scored, ignored, list(predictions))
        report.token_per_record.append((report.token.true_positives - found_before, report.token.false_negatives - missed_before))
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


@dataclasses.dataclass(frozen=True)
class RecallEstimate:
    """Token recall on a labelled sample, with a bootstrap confidence interval over its records.

    Tokens of one record are not independent draws (a missed name is missed in every mention),
    so the interval resamples whole records, not tokens.
    """

    records: int
    gold_tokens: int
    recall: float
    low: float
    high: float
    confidence: float
    resamples: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "records": self.records, "gold_tokens": self.gold_tokens, "token_recall": round(self.recall, 4),
            "interval": [round(self.low, 4), round(self.high, 4)], "confidence": self.confidence,
            "method": f"percentile bootstrap over records ({self.resamples} resamples)",
        }


def estimate_token_recall(per_record: Sequence[tuple[int, int]], *, confidence: float = 0.95, resamples: int = 2000, seed: int = 0) -> RecallEstimate:
    """Token recall and its `confidence` interval from (found, missed) gold tokens per record.

    >>> estimate_token_recall([(9, 1), (10, 0), (8, 2)]).recall
    0.9
    """
    import numpy as np

    found = np.array([tp for tp, _ in per_record], dtype=np.int64)
    relevant = found + np.array([fn for _, fn in per_record], dtype=np.int64)
    total = int(relevant.sum())
    if total == 0:
        # No gold PII in the sample: nothing to estimate, and nothing to claim.
        return RecallEstimate(len(per_record), 0, 1.0, 0.0, 1.0, confidence, 0)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(per_record), size=(resamples, len(per_record)))
    sums = relevant[picks].sum(axis=1)
    recalls = np.where(sums > 0, found[picks].sum(axis=1) / np.maximum(sums, 1), 1.0)
    tail = (1 - confidence) / 2
    low, high = np.quantile(recalls, [tail, 1 - tail])
    return RecallEstimate(len(per_record), total, float(found.sum()) / total, float(low), float(high), confidence, resamples)


def recall_gate(estimate: RecallEstimate | None, minimum: float | None) -> dict[str, Any]:
    """The estimated-recall gate, shaped like audits.gates.gate: judged on the interval's LOWER end.

    Passing means the sample gives `confidence` that recall is at least `minimum`, not merely
    that the point estimate is. Not applicable when the policy sets no minimum or no sample.

    >>> recall_gate(estimate_token_recall([(99, 1)] * 50), 0.95)["status"]
    'pass'
    """
    name = "redaction.estimated_recall"
    if minimum is None:
        return {"name": name, "status": "not_applicable", "value": estimate.low if estimate else None, "threshold": None, "detail": "policy sets no minimum estimated recall (recall.min_token_recall)"}
    if estimate is None:
        return {"name": name, "status": "fail", "value": None, "threshold": minimum, "detail": "policy sets a minimum estimated recall but no labelled sample was scored; set recall.gold_sample"}
    percent = round(estimate.confidence * 100)
    detail = (
        f"judged: lower end of the {percent}% interval of token recall, {estimate.low:.4f}; point estimate {estimate.recall:.4f} "
        f"[{estimate.low:.4f}, {estimate.high:.4f}] on {estimate.gold_tokens} gold tokens in {estimate.records} labelled records"
    )
    return {"name": name, "status": "pass" if estimate.low >= minimum else "fail", "value": round(estimate.low, 4), "threshold": minimum, "detail": detail}
