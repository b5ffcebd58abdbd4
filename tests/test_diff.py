"""`appliance diff`: what changed between two runs."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from test_report_fixture import complete_run

from appliance.commands.evidence import diff
from appliance.evidence import diff_runs


def test_a_run_against_itself_has_no_change(tmp_path: Path) -> None:
    root = complete_run(tmp_path / "a").run.root
    result = CliRunner().invoke(diff, [str(root), str(root)])
    assert result.exit_code == 0, result.output
    run_id = diff_runs(root, root).run_a
    assert result.output.splitlines() == [f"run {run_id} -> run {run_id}", "policy: no change", "data: no change", "parameters: no change", "metrics: no change", "gates: no change"]


def test_diff_names_policy_data_parameter_metric_and_gate_changes(tmp_path: Path) -> None:
    a = complete_run(tmp_path / "a", dp=True, steps=12).run.root
    b = complete_run(tmp_path / "b", dp=False, steps=20, records=150, policy="default").run.root
    changes = {(c.section, c.key): (c.before, c.after) for c in diff_runs(a, b).changes}
    assert changes[("policy", "name")] == ("banking", "default")
    assert changes[("policy", "rules.privacy.dp_required")] == (True, False)
    assert changes[("data", "scrub.records_out")] == (160, 150)
    assert changes[("parameters", "train.train.max_steps")] == (12, 20)
    assert changes[("parameters", "train.train.dp")] == (True, False)
    assert changes[("metrics", "training.steps")] == (12, 20)
    assert changes[("metrics", "privacy.epsilon")] == (2.0785, "(absent)")
    assert changes[("gates", "privacy.epsilon")] == ("pass (2.0785)", "not_applicable (None)")
    output = CliRunner().invoke(diff, [str(a), str(b)]).output
    assert "  train.train.max_steps: 12 -> 20\n" in output
    assert "  privacy.epsilon: 2.0785 -> (absent)\n" in output
    assert "  name: banking -> default\n" in output


def test_diff_needs_run_directories(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(diff, [str(tmp_path / "empty"), str(tmp_path / "empty")])
    assert result.exit_code == 1
    assert result.output == f"Error: {tmp_path / 'empty'} is not a run directory (no manifest.json)\n"
