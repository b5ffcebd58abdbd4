"""Hand-written labelled snippets -> gold records, and the default policy's score on them (shared by the generalisation tests)."""

from __future__ import annotations

from policies.loader import load_policy
from scrubbers.detect_file import detect_spans
from scrubbers.evaluation import EvaluationReport, Span, evaluate

Snippets = list[tuple[str, list[tuple[str, str]]]]


def gold_records(snippets: Snippets, prefix: str) -> list[dict[str, object]]:
    """Each (label, value) located in its text; a value repeated in the text is labelled at each place in order."""
    records = []
    for index, (text, labelled) in enumerate(snippets):
        spans, searched_from = [], {}
        for label, value in labelled:
            start = text.index(value, searched_from.get(value, 0))
            searched_from[value] = start + len(value)
            spans.append({"start": start, "end": start + len(value), "label": label})
        records.append({"id": f"{prefix}-{index}", "text": text, "spans": spans})
    return records


def score(snippets: Snippets, prefix: str, label_map: dict[str, str | None] | None = None) -> EvaluationReport:
    gold = gold_records(snippets, prefix)
    predicted = [
        [Span(s["start"], s["end"], s["entity_type"]) for s in spans]
        for spans in detect_spans(load_policy("default"), [str(record["text"]) for record in gold])
    ]
    return evaluate(gold, predicted, label_map=label_map) if label_map is not None else evaluate(gold, predicted)
