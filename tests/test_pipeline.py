"""The whole pipeline on the demo corpus with a tiny random model: real Presidio, Fairlearn, peft, Opacus."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from appliance.cli import main
from appliance.demo import generate_demo_corpus
from appliance.paths import appliance_home

REPORT_KEYS = {"run_id", "appliance_version", "policy", "inputs", "redaction", "fairness", "training", "evaluation", "privacy", "gates", "artifacts"}


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> dict:
    """One demo run shared by the tests below (module-scoped: it is the slow part)."""
    home = tmp_path_factory.mktemp("demo-home")
    run_dir = tmp_path_factory.mktemp("runs") / "demo"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("APPLIANCE_HOME", str(home))
        runner = CliRunner()
        first = runner.invoke(main, ["demo", "--out", str(run_dir), "--base-model", str(tiny_model_dir), "--max-steps", "4"])
        second = runner.invoke(main, ["demo", "--out", str(run_dir), "--base-model", str(tiny_model_dir), "--max-steps", "4"])
        corpus = generate_demo_corpus(appliance_home() / "demo-corpus", seed=0)
    return {"run_dir": run_dir, "home": home, "first": first, "second": second, "corpus": corpus}


def test_demo_runs_every_stage_and_prints_the_report_path(demo_run: dict) -> None:
    result = demo_run["first"]
    assert result.exit_code == 0, result.output
    for stage in ("ingest", "scrub", "audit", "train", "evaluate", "compare", "report"):
        assert f"{stage}: done" in result.output
    run_dir = demo_run["run_dir"]
    assert f"report: {(run_dir / 'report' / 'report.html').resolve()}" in result.output


def test_rerun_skips_unchanged_stages(demo_run: dict) -> None:
    output = demo_run["second"].output
    assert demo_run["second"].exit_code == 0, output
    for stage in ("ingest", "scrub", "audit", "train", "evaluate", "compare", "report"):
        assert f"{stage}: inputs, parameters and policy unchanged; skipped (use --force to re-run)" in output


def test_no_planted_pii_in_anything_the_run_writes(demo_run: dict) -> None:
    """Scan every byte written outside the vault (run directory, keys, model cache untouched) for planted PII."""
    planted = demo_run["corpus"].planted_pii
    assert len(planted) > 100
    leaks = []
    written = [p for p in demo_run["run_dir"].rglob("*") if p.is_file()]
    written += [p for p in (demo_run["home"] / "vaults").rglob("*") if p.is_file()]  # ciphertext only
    assert len(written) > 15
    for path in written:
        data = path.read_bytes().decode("utf-8", errors="replace")
        leaks += [f"{path.name}: {value!r}" for value in planted if value in data]
    assert leaks == []
    assert demo_run["first"].output.count("@") == 0 or not any(v in demo_run["first"].output for v in planted)


def test_terminal_output_has_no_pii(demo_run: dict) -> None:
    output = demo_run["first"].output + demo_run["second"].output
    assert [v for v in demo_run["corpus"].planted_pii if v in output] == []


def test_manifest_accounts_for_every_input_and_output(demo_run: dict) -> None:
    run_dir = demo_run["run_dir"]
    manifest = json.loads((run_dir / "manifest.json").read_text())
    ingest = manifest["stages"]["ingest"]
    assert ingest["counts"]["files_in"] == len(demo_run["corpus"].files)
    assert len(ingest["inputs"]) == ingest["counts"]["files_in"], "the demo corpus has no archives: one input entry per file"
    assert sum(ingest["counts"][k] for k in ("files_with_records", "files_duplicate", "files_filtered", "files_quarantined")) == ingest["counts"]["files_in"]
    for name, stage in manifest["stages"].items():
        assert stage["outputs"], name
        for output in stage["outputs"]:
            assert re.fullmatch(r"[0-9a-f]{64}", output["sha256"]) and output["bytes"] >= 0
    assert manifest["policy"]["name"] == "banking" and len(manifest["policy"]["sha256"]) == 64
    assert (run_dir / "policy.yaml").is_file() and (run_dir / "config.yaml").is_file()
    adapter = run_dir / "train" / "adapter"
    assert (adapter / "adapter_model.safetensors").is_file()
    assert not list(adapter.glob("*.bin"))


def test_report_has_real_numbers_from_every_stage(demo_run: dict) -> None:
    run_dir = demo_run["run_dir"]
    report = json.loads((run_dir / "report" / "report.json").read_text())
    assert REPORT_KEYS <= set(report)
    assert report["redaction"]["counts"]["findings"] > 100
    assert report["privacy"]["dp"]["epsilon"] > 0
    assert report["privacy"]["dp"]["epsilon"] <= 8.0
    assert report["privacy"]["outbound_connections_attempted"] == 0
    assert report["training"]["steps"] == 4
    assert report["evaluation"]["base"]["loss"] > 0 and report["evaluation"]["adapter"]["loss"] > 0
    assert "ethnicity" in report["fairness"]["data"]["attributes"]
    assert {g["name"] for g in report["gates"]} >= {"redaction.residual_rate", "privacy.dp_required", "privacy.epsilon"}
    html = (run_dir / "report" / "report.html").read_text()
    assert "<script" not in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html), "no external assets"
    assert report["run_id"] in html


def test_stage_commands_need_their_predecessors(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    result = CliRunner().invoke(main, ["train", "--run", str(run_dir)])
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: {run_dir} is not a run directory (no manifest.json); create one with `appliance ingest SOURCES --run {run_dir}`"
