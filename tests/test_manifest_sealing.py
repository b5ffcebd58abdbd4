"""Every manifest write is signed as it is made, and a manifest edited outside the appliance is never signed again."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from appliance.cli import main
from appliance.errors import ApplianceError
from appliance.evidence import sign_run, verify_run
from appliance.evidence.signing import PENDING_SIGNATURE_FILE, SIGNATURE_FILE, check_signature
from appliance.files import write_json
from appliance.records import StageRecord
from appliance.rundir import RunDir, now


def ingested_run(tmp_path: Path) -> Path:
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "note.txt").write_text("The branch opens at nine on weekdays.\n", encoding="utf-8")
    run_dir = tmp_path / "run"
    result = CliRunner().invoke(main, ["ingest", str(sources), "--run", str(run_dir)])
    assert result.exit_code == 0, result.output
    return run_dir


def test_every_write_leaves_a_signed_manifest(tmp_path: Path) -> None:
    run = RunDir.open(tmp_path / "run")
    assert check_signature(run.root).valid, "a new run is signed from its first manifest"
    run.record_stage(StageRecord("ingest", "fp", now(), now(), {}, [], [], {"records": 1}, {}))
    assert check_signature(run.root).valid
    assert not (run.root / PENDING_SIGNATURE_FILE).exists()


def test_a_stage_rerun_over_a_hand_edited_manifest_is_refused_and_nothing_is_signed(tmp_path: Path) -> None:
    run_dir = ingested_run(tmp_path)
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    manifest["stages"]["ingest"]["counts"]["records"] = 999  # an edit the appliance did not make
    write_json(run_dir / "manifest.json", manifest)
    before = {name: (run_dir / name).read_bytes() for name in ("manifest.json", SIGNATURE_FILE)}

    result = CliRunner().invoke(main, ["ingest", str(tmp_path / "sources"), "--run", str(run_dir), "--force"])

    assert result.exit_code != 0
    assert result.output == (
        f"Error: manifest.json in {run_dir.resolve()} is not as this installation's appliance wrote it "
        "(signature does not match manifest.json (the manifest changed after signing)), so nothing more is written to this run; "
        f"run `appliance verify {run_dir.resolve()}` to see what changed, and restore the run directory or start a new run\n"
    )
    assert {name: (run_dir / name).read_bytes() for name in before} == before, "the edit must not come out signed"
    assert not check_signature(run_dir).valid


def test_a_manifest_signed_by_another_installation_is_not_written_to(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = RunDir.open(tmp_path / "run")
    home = os.environ["APPLIANCE_HOME"]
    monkeypatch.setenv("APPLIANCE_HOME", str(tmp_path / "other-home"))
    sign_run(run)
    monkeypatch.setenv("APPLIANCE_HOME", home)
    with pytest.raises(ApplianceError, match=r"signed by another installation's key \(SHA256:[0-9a-f]{64}\)"):
        run.update_manifest(note="continued here")


def test_a_write_killed_between_manifest_and_signature_resumes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Killed after the new manifest is in place but before its signature is: the pending signature covers it."""
    run = RunDir.open(tmp_path / "run")
    real_replace = os.replace

    def killed_before_signature(src: str, dst: str) -> None:
        if Path(dst).name == SIGNATURE_FILE:
            raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", killed_before_signature)
    with pytest.raises(KeyboardInterrupt):
        run.update_manifest(note="first")
    monkeypatch.setattr(os, "replace", real_replace)
    assert run.manifest["note"] == "first" and not check_signature(run.root).valid

    run.update_manifest(note="second")  # the next write finishes the interrupted one first

    assert check_signature(run.root).valid
    assert not verify_run(run.root).differences
