"""`appliance init`: a commented starter config per use case that loads as a run config."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from appliance.cli import main
from appliance.config import load_config
from appliance.init_config import USE_CASES

EXPECTED = {
    # use case -> (task, objectives as (metric, op, target), compared methods)
    "support-assistant": ("instruction", {("token_f1", ">=", 0.5), ("hallucination_rate", "<=", 0.05), ("refusal_rate", "<=", 0.2), ("pii_emitted", "<=", 0.0), ("p95_latency_s", "<=", 2.0)}, ("prompt", "retrieval", "adapter")),
    "document-qa": ("instruction", {("token_f1", ">=", 0.6), ("rouge_l", ">=", 0.5), ("hallucination_rate", "<=", 0.05), ("pii_emitted", "<=", 0.0), ("p95_latency_s", "<=", 3.0)}, ("prompt", "retrieval", "adapter", "adapter+retrieval")),
    "classification": ("classification", {("accuracy", ">=", 0.9), ("macro_f1", ">=", 0.85)}, ()),
    "domain-adaptation": ("completion", {("perplexity", "<=", 20.0)}, ()),
}


def test_every_use_case_is_covered() -> None:
    assert set(EXPECTED) == set(USE_CASES)


@pytest.mark.parametrize("use_case", sorted(EXPECTED))
def test_starter_config_for_each_use_case_loads(tmp_path: Path, use_case: str) -> None:
    path = tmp_path / "configs" / f"{use_case}.yaml"
    result = CliRunner().invoke(main, ["init", str(path), "--use-case", use_case, "--department", "Operations", "--no-dp", "--no-input"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"init: wrote {path} ({use_case}, task {EXPECTED[use_case][0]}); objectives: ")
    config = load_config(path)
    task, objectives, compare = EXPECTED[use_case]
    assert config.task == task
    assert {(o.metric, o.resolved_op, o.target) for o in config.objectives.metrics} == objectives
    assert config.objectives.department == "Operations" and config.objectives.use_case == USE_CASES[use_case].title
    assert config.evaluate.compare == compare
    assert config.train.dp is False
    text = path.read_text()
    assert sum(line.lstrip().startswith("#") for line in text.splitlines()) >= 10, "a commented starter"
    if task == "classification":
        assert (config.ingest.text_column, config.ingest.label_column) == ("text", "label")


def test_questions_are_asked_and_answers_kept_verbatim(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    answers = "document-qa\nPolicy Q&A: \"what does clause 4 # say?\"\nLegal\nn\n"
    result = CliRunner().invoke(main, ["init", str(path)], input=answers)
    assert result.exit_code == 0, result.output
    assert "Use case" in result.output and "Describe the use case in a sentence" in result.output and "Train with differential privacy?" in result.output
    config = load_config(path)
    assert config.objectives.use_case == 'Policy Q&A: "what does clause 4 # say?"'
    assert (config.objectives.department, config.train.dp, config.task) == ("Legal", False, "instruction")


def test_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("task: completion\n")
    runner = CliRunner()
    refused = runner.invoke(main, ["init", str(path), "--use-case", "classification", "--no-input"])
    assert refused.exit_code == 1
    assert refused.output == f"Error: {path} already exists; choose another path or pass --force to overwrite it\n"
    assert path.read_text() == "task: completion\n"
    forced = runner.invoke(main, ["init", str(path), "--use-case", "classification", "--no-input", "--force"])
    assert forced.exit_code == 0, forced.output
    assert load_config(path).task == "classification"


def test_no_input_needs_a_use_case(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["init", str(tmp_path / "run.yaml"), "--no-input"])
    assert result.exit_code == 2
    assert "--no-input needs --use-case (support-assistant, document-qa, classification, domain-adaptation)" in result.output
    assert not (tmp_path / "run.yaml").exists()
