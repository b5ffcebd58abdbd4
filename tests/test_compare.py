"""The compare stage on a real (tiny) run: ingest, scrub, train a LoRA adapter for 2 steps, then every method answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from appliance.cli import main
from appliance.pipeline import open_context, run_stage

CITIES = ["Lisbon", "Oslo", "Vienna", "Dublin", "Prague", "Madrid", "Athens", "Warsaw", "Helsinki", "Zagreb", "Riga", "Tallinn"]
TOPICS = [
    ("When does the {city} branch open on Saturdays?", "The {city} branch opens at {n} o'clock on Saturdays."),
    ("How many cash machines does the {city} branch have?", "The {city} branch has {n} cash machines in its lobby."),
    ("What is the overdraft fee at the {city} branch?", "Customers of the {city} branch pay an overdraft fee of {n} euros."),
]
METRIC_KEYS = {"exact_match", "token_f1", "rouge_l", "unsupported_rate", "refusal_rate", "pii_emitted", "latency_p50_s", "latency_p95_s", "tokens_per_s"}


def write_faq(folder: Path) -> Path:
    folder.mkdir()
    rows = []
    for i, city in enumerate(CITIES):
        for j, (question, answer) in enumerate(TOPICS):
            n = 3 + i + 7 * j
            rows.append({"messages": [{"role": "user", "content": question.format(city=city)}, {"role": "assistant", "content": answer.format(city=city, n=n)}]})
    (folder / "faq.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return folder


@pytest.fixture(scope="module")
def compared_run(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> Path:
    source = write_faq(tmp_path_factory.mktemp("faq") / "corpus")
    run_dir = tmp_path_factory.mktemp("runs") / "compare"
    overrides = {
        "ingest": {"near_duplicate_threshold": None},
        "train": {"base_model": str(tiny_model_dir), "max_steps": 2, "batch_size": 4, "checkpoint_every": 0},
        "audit": {"membership_inference": False, "counterfactual_probe": False},
        "evaluate": {"compare": ("prompt", "retrieval", "adapter", "adapter+retrieval"), "compare_records": 3, "few_shot": 2, "retrieval_top_k": 2, "max_new_tokens": 8},
    }
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("APPLIANCE_HOME", str(tmp_path_factory.mktemp("home")))
        ctx = open_context(run_dir, policy="default", overrides=overrides, sources=(source,), echo=lambda _: None)
        for stage in ("ingest", "scrub", "audit", "train", "evaluate", "compare"):
            run_stage(stage, ctx)
    return run_dir


def test_every_method_answers_the_same_held_out_questions(compared_run: Path) -> None:
    comparison = json.loads((compared_run / "compare" / "comparison.json").read_text())
    assert comparison["configured"] is True
    assert [m["name"] for m in comparison["methods"]] == ["prompt", "retrieval", "adapter", "adapter+retrieval"]
    assert {m["records"] for m in comparison["methods"]} == {3}
    for method in comparison["methods"]:
        assert set(method["metrics"]) == METRIC_KEYS
        assert 0.0 <= method["metrics"]["token_f1"] <= 1.0 and method["metrics"]["latency_p95_s"] > 0
    assert set(comparison["definitions"]) == METRIC_KEYS
    answers = [json.loads(line) for line in (compared_run / "compare" / "answers.jsonl").read_text().splitlines()]
    by_method: dict[str, list[str]] = {}
    for row in answers:
        by_method.setdefault(row["method"], []).append(row["record_id"])
        assert 0 < row["new_tokens"] <= 8
    assert len({tuple(ids) for ids in by_method.values()}) == 1, "each method answers the same questions in the same order"
    retrieved = [row["retrieved"] for row in answers if row["method"] in ("retrieval", "adapter+retrieval")]
    assert all(len(r) == 2 for r in retrieved)
    assert all(row["retrieved"] == [] for row in answers if row["method"] in ("prompt", "adapter"))


def test_manifest_hashes_the_comparison_the_answers_and_the_index(compared_run: Path) -> None:
    manifest = json.loads((compared_run / "manifest.json").read_text())
    stage = manifest["stages"]["compare"]
    assert {o["path"] for o in stage["outputs"]} == {
        "compare/comparison.json", "compare/answers.jsonl", "compare/index.npy", "compare/index_passages.jsonl", "compare/index.json",
    }
    assert stage["summary"]["configured"] is True and stage["summary"]["outbound_connections_attempted"] == 0
    index = json.loads((compared_run / "compare" / "index.json").read_text())
    assert index["model"] == "all-minilm-l6-v2" and index["dimensions"] == 384
    split = json.loads((compared_run / "train" / "split.json").read_text())
    passages = [json.loads(line)["record_id"] for line in (compared_run / "compare" / "index_passages.jsonl").read_text().splitlines()]
    assert set(passages) <= set(split["train"]) and not set(passages) & set(split["validation"]), "only the training split is retrievable"


def test_rerun_with_unchanged_inputs_is_skipped(compared_run: Path) -> None:
    result = CliRunner().invoke(main, ["compare", "--run", str(compared_run)])
    assert result.exit_code == 0, result.output
    assert "compare: inputs, parameters and policy unchanged; skipped (use --force to re-run)" in result.output


def test_not_configured_records_that(tmp_path: Path, tiny_model_dir: Path) -> None:
    from appliance.stages import compare

    ctx = open_context(tmp_path / "run", policy="default", overrides={"train": {"base_model": str(tiny_model_dir)}}, echo=lambda _: None)
    output = compare.execute(ctx)
    assert output.summary == {"configured": False}
    assert json.loads((tmp_path / "run" / "compare" / "comparison.json").read_text()) == {"configured": False}
