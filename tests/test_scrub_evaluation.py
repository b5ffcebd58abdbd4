"""Evaluation: token- and span-level scoring on hand-made fixtures, and the detect/eval commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from appliance.commands.scrub_tools import detect
from appliance.commands.scrub_tools import evaluate as evaluate_command
from scrubbers.evaluation import Counts, Span, evaluate, format_table, wilson_interval

TEXT = "Call Maria Lopez at 555-123-4567 about Acme Corp."
GOLD = {
    "id": "g1",
    "text": TEXT,
    "spans": [
        {"start": 5, "end": 16, "label": "PERSON"},
        {"start": 20, "end": 32, "label": "PHONE_NUMBER"},
        {"start": 39, "end": 48, "label": "ORGANIZATION"},
    ],
}


def test_perfect_prediction_scores_one_and_ignores_out_of_scope_labels() -> None:
    report = evaluate([GOLD], [[Span(5, 16, "PERSON"), Span(20, 32, "PHONE_NUMBER"), Span(39, 48, "PERSON")]])
    assert (report.token.true_positives, report.token.false_positives, report.token.false_negatives) == (5, 0, 0)
    assert (report.span.precision, report.span.recall, report.span.f2) == (1.0, 1.0, 1.0)


def test_partial_prediction_counts_tokens_spans_and_misses_by_offset() -> None:
    report = evaluate([GOLD], [[Span(5, 10, "PERSON"), Span(0, 4, "PERSON")]])
    # Tokens: Maria found, Lopez and the 3 phone digit groups missed; "Call" is a false positive.
    assert (report.token.true_positives, report.token.false_positives, report.token.false_negatives) == (1, 1, 4)
    assert (report.span.true_positives, report.span.false_positives, report.span.false_negatives) == (1, 1, 1)
    assert report.misses == {"PHONE_NUMBER": [("g1", 20, 32)]}
    assert report.as_dict()["misses"] == {"PHONE_NUMBER": [{"id": "g1", "start": 20, "end": 32}]}
    assert "Maria" not in json.dumps(report.as_dict()) and "Maria" not in format_table(report)


@pytest.mark.parametrize(
    ("counts", "precision", "recall", "f2"),
    [
        (Counts(8, 2, 0), 0.8, 1.0, 0.9524),
        (Counts(5, 0, 5), 1.0, 0.5, 0.5556),
        (Counts(0, 0, 0), 1.0, 1.0, 1.0),
        (Counts(0, 3, 3), 0.0, 0.0, 0.0),
    ],
)
def test_counts_metrics(counts: Counts, precision: float, recall: float, f2: float) -> None:
    assert (round(counts.precision, 4), round(counts.recall, 4), round(counts.f2, 4)) == (precision, recall, f2)


def test_label_map_none_and_unknown_labels() -> None:
    gold = {"id": "x", "text": "Dr. Ann Lee", "spans": [{"start": 0, "end": 3, "label": "TITLE"}, {"start": 4, "end": 11, "label": "CUSTOM"}]}
    report = evaluate([gold], [[Span(0, 3, "PERSON")]], label_map={"TITLE": None})
    assert report.token.false_positives == 0
    assert report.misses == {"CUSTOM": [("x", 4, 11)]}


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_detect_command_adds_spans_in_order(tmp_path: Path) -> None:
    source = _write(tmp_path / "in.jsonl", [{"id": "1", "text": "Write to jane.doe@example.com now."}, {"id": "2", "text": "Nothing here."}])
    result = CliRunner().invoke(detect, [str(source), str(tmp_path / "out.jsonl")])
    assert result.exit_code == 0, result.output
    assert result.output == f"2 records -> {tmp_path / 'out.jsonl'}\n"
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [row["id"] for row in rows] == ["1", "2"]
    assert [(s["start"], s["end"], s["entity_type"]) for s in rows[0]["spans"]] == [(9, 29, "EMAIL_ADDRESS")]
    assert rows[1]["spans"] == []


def test_eval_command_json_and_label_map(tmp_path: Path) -> None:
    gold = _write(tmp_path / "gold.jsonl", [GOLD])
    label_map = tmp_path / "map.yaml"
    label_map.write_text("ORGANIZATION: null\n", encoding="utf-8")
    result = CliRunner().invoke(evaluate_command, [str(gold), "--label-map", str(label_map), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["records"] == 1
    assert report["span"]["recall"] == 1.0
    assert set(report["span_by_type"]) == {"PERSON", "PHONE_NUMBER"}


def test_eval_command_rejects_a_record_without_text(tmp_path: Path) -> None:
    gold = _write(tmp_path / "gold.jsonl", [{"id": "1", "spans": []}])
    result = CliRunner().invoke(evaluate_command, [str(gold)])
    assert result.exit_code == 1
    assert result.output == f"Error: {gold}: line 1 needs a string field 'text'\n"


@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [(95, 100, 0.8882, 0.9785), (0, 0, 0.0, 1.0), (10, 10, 0.7225, 1.0)],
)
def test_wilson_interval(successes: int, trials: int, low: float, high: float) -> None:
    assert tuple(round(v, 4) for v in wilson_interval(successes, trials)) == (low, high)


def test_recall_interval_resamples_records_and_narrows_with_more_of_them() -> None:
    from scrubbers.evaluation import estimate_token_recall

    per_record = [(9, 1), (10, 0), (6, 4), (10, 0)]
    small, large = estimate_token_recall(per_record), estimate_token_recall(per_record * 25)
    assert small.recall == large.recall == 0.875 and small.gold_tokens == 40
    assert small.low < 0.875 < small.high and large.low < 0.875 < large.high
    assert large.high - large.low < (small.high - small.low) / 2
    # Every record perfect: the interval is a point; no gold tokens at all: nothing is claimed.
    assert (estimate_token_recall([(5, 0)] * 4).low, estimate_token_recall([(0, 0)]).low) == (1.0, 0.0)


def _gold_sample(path: Path, *, label_plain_words: bool) -> Path:
    """Gold records the default policy clearly detects; optionally also labelling plain words it cannot."""
    rows = []
    for i in range(12):
        text = f"Ticket {i}: write to jane.doe{i}@example.com or call 555-123-{4500 + i} about the refund."
        spans = [{"start": text.index("jane"), "end": text.index(".com") + 4, "label": "EMAIL_ADDRESS"},
                 {"start": text.index("555"), "end": text.index("555") + 12, "label": "PHONE_NUMBER"}]
        if label_plain_words:
            spans.append({"start": text.index("about"), "end": len(text) - 1, "label": "PERSON"})
        rows.append({"id": f"g{i}", "text": text, "spans": spans})
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize(("label_plain_words", "status"), [(False, "pass"), (True, "fail")])
def test_scrub_stage_estimates_recall_and_gates_on_the_interval(tmp_path: Path, label_plain_words: bool, status: str) -> None:
    from appliance.stages.scrub import recall_estimate
    from policies import load_policy
    from policies.schema import Recall

    sample = _gold_sample(tmp_path / "gold.jsonl", label_plain_words=label_plain_words)
    policy = load_policy("default").model_copy(update={"recall": Recall(gold_sample=str(sample), min_token_recall=0.9)})
    estimate = recall_estimate(policy)
    assert estimate["records"] == 12 and estimate["sample"] == "gold.jsonl"
    low, high = estimate["interval"]
    assert low <= estimate["token_recall"] <= high
    gate = estimate["gate"]
    assert (gate["name"], gate["status"], gate["threshold"], gate["value"]) == ("redaction.estimated_recall", status, 0.9, low)
    # Per record: 7 gold tokens in the email and phone number, all found; 3 plain words labelled PERSON, none found.
    assert estimate["token_recall"] == (0.7 if label_plain_words else 1.0)


def test_recall_gate_without_a_sample_or_minimum(tmp_path: Path) -> None:
    from appliance.errors import ApplianceError
    from appliance.stages.scrub import recall_estimate
    from policies import load_policy
    from policies.schema import Recall
    from scrubbers.evaluation import recall_gate

    assert recall_gate(None, None)["status"] == "not_applicable"
    assert recall_gate(None, 0.9)["status"] == "fail"
    assert recall_estimate(load_policy("default")) is None
    missing = load_policy("default").model_copy(update={"recall": Recall(gold_sample=str(tmp_path / "nope.jsonl"))})
    with pytest.raises(ApplianceError, match=r"^policy 'default' recall.gold_sample .*nope.jsonl does not exist; point it at a labelled JSONL file"):
        recall_estimate(missing)
