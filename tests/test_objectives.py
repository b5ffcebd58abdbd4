"""Objectives: the closed metric registry, config validation, and verdicts against what the stages measured."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.config import load_config
from appliance.errors import ApplianceError
from appliance.objectives import METRICS, Objective, Objectives, judge_objectives, objective_gates

# name -> higher is better: the direction decides the default op and which op the config may use.
DIRECTIONS = {
    "accuracy": True,
    "macro_f1": True,
    "heldout_loss": False,
    "perplexity": False,
    "exact_match": True,
    "token_f1": True,
    "rouge_l": True,
    "hallucination_rate": False,
    "refusal_rate": False,
    "pii_emitted": False,
    "p50_latency_s": False,
    "p95_latency_s": False,
    "tokens_per_s": True,
}


@pytest.mark.parametrize(("name", "higher_is_better"), sorted(DIRECTIONS.items()))
def test_each_registry_metric_has_its_direction(name: str, higher_is_better: bool) -> None:
    assert METRICS[name].higher_is_better is higher_is_better
    assert Objective(metric=name, target=1.0).resolved_op == (">=" if higher_is_better else "<=")


def test_the_registry_is_closed_and_every_metric_is_documented() -> None:
    assert set(METRICS) == set(DIRECTIONS)
    assert all(metric.source and metric.meaning for metric in METRICS.values())


def write_config(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "run.yaml"
    path.write_text(body)
    return path


def test_unknown_metric_is_a_config_error_listing_the_valid_names(tmp_path: Path) -> None:
    path = write_config(tmp_path, "objectives:\n  metrics:\n    - {metric: accuracy, target: 0.9}\n    - {metric: bleu, target: 0.3}\n")
    with pytest.raises(ApplianceError) as raised:
        load_config(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: 1 problem(s) in the run config: objectives.metrics.1: ")
    assert "unknown metric 'bleu'; choose one of: accuracy, exact_match, hallucination_rate, heldout_loss, macro_f1," in message
    assert "\n" not in message


def test_an_op_against_the_metric_direction_is_refused(tmp_path: Path) -> None:
    path = write_config(tmp_path, "objectives:\n  metrics:\n    - {metric: hallucination_rate, op: '>=', target: 0.05}\n")
    with pytest.raises(ApplianceError, match=r"hallucination_rate: lower is better, so its objective needs op '<=', not '>='"):
        load_config(path)


def test_a_valid_objectives_block_loads(tmp_path: Path) -> None:
    path = write_config(tmp_path, "objectives:\n  use_case: triage\n  metrics:\n    - {metric: pii_emitted, target: 0}\n    - {metric: macro_f1, op: '>=', target: 0.85}\n")
    objectives = load_config(path).objectives
    assert [(o.metric, o.resolved_op, o.target) for o in objectives.metrics] == [("pii_emitted", "<=", 0.0), ("macro_f1", ">=", 0.85)]
    assert objectives.enforce is False


def objectives(*pairs: tuple[str, float]) -> Objectives:
    return Objectives(metrics=tuple(Objective(metric=name, target=target) for name, target in pairs))


EVALUATE = {"metrics": {"adapter": {"accuracy": 0.93, "macro_f1": 0.8, "loss": 2.2, "perplexity": 9.03}, "base": {"accuracy": 0.99}}, "generation": {"pii_emitted": 2, "latency_p95_s": 3.0}}
COMPARE = {"methods": [{"name": "prompt", "metrics": {"unsupported_rate": 0.01, "latency_p95_s": 0.5}}, {"name": "adapter", "metrics": {"unsupported_rate": 0.08, "latency_p95_s": 1.5, "pii_emitted": 0}}]}


def test_verdicts_met_missed_and_not_measured() -> None:
    verdicts = judge_objectives(objectives(("accuracy", 0.9), ("macro_f1", 0.85), ("heldout_loss", 2.2), ("exact_match", 0.5)), {"evaluate": EVALUATE})
    assert [(v.metric, v.status, v.value, v.op) for v in verdicts] == [
        ("accuracy", "met", 0.93, ">="),  # the adapter's value, not the base model's
        ("macro_f1", "missed", 0.8, ">="),
        ("heldout_loss", "met", 2.2, "<="),  # equal to the target meets it
        ("exact_match", "not_measured", None, ">="),  # no compare stage ran
    ]


def test_compare_adapter_row_is_judged_before_the_generation_sample() -> None:
    wanted = objectives(("hallucination_rate", 0.05), ("p95_latency_s", 2.0), ("pii_emitted", 0))
    compared = judge_objectives(wanted, {"evaluate": EVALUATE, "compare": COMPARE})
    assert [(v.status, v.value) for v in compared] == [("missed", 0.08), ("met", 1.5), ("met", 0.0)]
    sampled = judge_objectives(wanted, {"evaluate": EVALUATE, "compare": {"configured": False}})
    assert [(v.status, v.value) for v in sampled] == [("not_measured", None), ("missed", 3.0), ("missed", 2.0)]


def test_enforced_objectives_become_gates_and_unmeasured_fails() -> None:
    verdicts = judge_objectives(objectives(("accuracy", 0.9), ("exact_match", 0.5)), {"evaluate": EVALUATE})
    gates = objective_gates(verdicts)
    assert [(g["name"], g["status"], g["value"], g["threshold"]) for g in gates] == [("objectives.accuracy", "pass", 0.93, 0.9), ("objectives.exact_match", "fail", None, 0.5)]
    assert "not measured" in gates[1]["detail"]


def test_generation_sample_counts_pii_types_and_latency_percentiles() -> None:
    from appliance.stages.evaluate import generation_summary, percentile

    assert percentile([0.4, 0.1, 0.3, 0.2], 0.5) == 0.2 and percentile([0.4, 0.1, 0.3, 0.2], 0.95) == 0.4
    summary = generation_summary([1.0, 2.0, 1.0], [10, 20, 30], [["PERSON", "EMAIL_ADDRESS"], [], ["PERSON"]], max_new_tokens=64)
    assert summary == {
        "records": 3, "max_new_tokens": 64, "pii_emitted": 3, "answers_with_pii": 2, "pii_by_type": {"EMAIL_ADDRESS": 1, "PERSON": 2},
        "latency_p50_s": 1.0, "latency_p95_s": 2.0, "tokens_per_s": 15.0,
    }
    verdicts = judge_objectives(objectives(("pii_emitted", 0), ("p95_latency_s", 2.0)), {"evaluate": {"generation": summary}})
    assert [(v.status, v.value) for v in verdicts] == [("missed", 3.0), ("met", 2.0)]


def test_generation_sample_answers_held_out_prompts_with_a_real_model(tmp_path: Path, tiny_model_dir: Path) -> None:
    """The evaluate stage's sample end to end: chat template, greedy generation, the policy's detector; counts only."""
    from appliance.pipeline import open_context
    from appliance.records import Message, Record, Source
    from appliance.stages.evaluate import _generation_sample
    from appliance.train.lm import load_causal_lm, load_tokenizer

    ctx = open_context(tmp_path / "run", policy="default", overrides={"evaluate": {"max_new_tokens": 6, "generation_records": 5}}, echo=lambda _: None)
    chat = (Message("user", "How do I raise my card limit?"), Message("assistant", "Open Cards, then Limits."))
    source = Source(path="chats.jsonl", sha256="0" * 64, location="line 1")
    held_out = [Record(id=f"r{i}", kind="chat", source=source, messages=chat) for i in range(5 + 2)]
    held_out.append(Record(id="doc", kind="document", source=source, text="A document without a question."))
    model, tokenizer = load_causal_lm(tiny_model_dir).eval(), load_tokenizer(tiny_model_dir)
    summary = _generation_sample(ctx, model, tokenizer, held_out)
    assert summary is not None
    assert set(summary) == {"records", "max_new_tokens", "pii_emitted", "answers_with_pii", "pii_by_type", "latency_p50_s", "latency_p95_s", "tokens_per_s"}
    assert (summary["records"], summary["max_new_tokens"]) == (5, 6)
    assert summary["pii_emitted"] == sum(summary["pii_by_type"].values()) and summary["answers_with_pii"] <= summary["records"]
    assert 0 < summary["latency_p50_s"] <= summary["latency_p95_s"] and summary["tokens_per_s"] > 0
    assert _generation_sample(ctx, model, tokenizer, held_out[-1:]) is None, "no conversation: no sample"
