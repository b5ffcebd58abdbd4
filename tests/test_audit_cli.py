"""`appliance audit fairness PREDICTIONS.csv` and the audit group that keeps `appliance audit --run` working."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from appliance.commands.audit_tools import fairness_command

HEADER = "id,outcome,decision,gender,age_band\n"


def write_predictions(path: Path) -> Path:
    """f: 10 rows, 8 approved by the model; m: 10 rows, 3 approved; x: 2 rows (too small to compare)."""
    lines = [HEADER]
    for i in range(10):
        truth = "approved" if i < 5 else "denied"
        lines.append(f"f{i},{truth},{'approved' if i < 8 else 'denied'},f,{'young' if i % 2 else 'old'}\n")
        lines.append(f"m{i},{truth},{'approved' if i < 3 else 'denied'},m,{'young' if i % 2 else 'old'}\n")
    lines += ["x0,approved,approved,x,old\n", "x1,denied,denied,x,young\n"]
    path.write_text("".join(lines), encoding="utf-8")
    return path


def test_table_and_exit_code_three_when_parity_crosses_the_policy(tmp_path: Path) -> None:
    csv = write_predictions(tmp_path / "decisions.csv")
    result = CliRunner().invoke(fairness_command, [str(csv), "--label", "outcome", "--prediction", "decision", "--sensitive", "gender", "--sensitive", "age_band"])
    assert result.exit_code == 3, result.output
    lines = result.output.splitlines()
    assert lines[0] == "22 of 22 rows scored; favourable outcome 'approved'"
    assert "  f                        10     0.700     0.800   0.600   0.000" in lines
    assert "  x                         2         -         -       -       -  (too small, not compared)" in lines
    assert "  demographic parity difference 0.500, ratio 0.375, equalized odds difference 0.600" in lines
    assert "FAIL            fairness.demographic_parity.gender  value 0.5  threshold 0.2" in lines
    assert "PASS            fairness.demographic_parity.age_band  value 0.181818  threshold 0.2"  # 7/11 - 5/11 in lines
    assert result.output.rstrip().endswith("Error: 1 fairness gate(s) failed: fairness.demographic_parity.gender")


def test_passes_with_exit_zero_under_a_lenient_policy(tmp_path: Path) -> None:
    csv = write_predictions(tmp_path / "decisions.csv")
    policy = tmp_path / "lenient.yaml"
    policy.write_text("name: lenient\ndescription: test\nentities: {PERSON: {operator: replace}}\nfairness: {max_demographic_parity_difference: 0.6}\n", encoding="utf-8")
    result = CliRunner().invoke(fairness_command, [str(csv), "--label", "outcome", "--prediction", "decision", "--sensitive", "gender", "--policy", str(policy)])
    assert result.exit_code == 0, result.output
    assert "PASS            fairness.demographic_parity.gender  value 0.5  threshold 0.6" in result.output


def test_a_missing_column_is_a_user_error(tmp_path: Path) -> None:
    csv = write_predictions(tmp_path / "decisions.csv")
    result = CliRunner().invoke(fairness_command, [str(csv), "--label", "outcome", "--prediction", "score", "--sensitive", "gender"])
    assert result.exit_code == 1
    assert result.output == f"Error: {csv}: no column 'score'; the header has 5 columns: id, outcome, decision, gender, age_band\n"


def test_audit_still_runs_the_stage_with_run_and_adds_fairness(tmp_path: Path) -> None:
    from appliance.cli import main

    runner = CliRunner()
    missing = tmp_path / "r1"
    ran = runner.invoke(main, ["audit", "--run", str(missing), "--force"])  # the stage itself answers: no run there yet
    assert ran.exit_code == 1
    assert ran.output == f"Error: {missing} is not a run directory (no manifest.json); create one with `appliance ingest SOURCES --run {missing}`\n"
    bare = runner.invoke(main, ["audit"])
    assert bare.exit_code == 2 and "Error: Missing option '--run' (or give a subcommand: fairness)." in bare.output
    csv = write_predictions(tmp_path / "decisions.csv")
    sub = runner.invoke(main, ["audit", "fairness", str(csv), "--label", "outcome", "--prediction", "decision", "--sensitive", "age_band"])
    assert sub.exit_code == 0, sub.output
    assert sub.output.startswith("22 of 22 rows scored; favourable outcome 'approved'\n")
    assert not missing.exists()  # neither the subcommand nor the refused stage created a run
