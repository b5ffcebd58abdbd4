"""The run directory: atomic writes, manifest, lock, vault sealing."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from appliance.errors import ApplianceError
from appliance.files import atomic_writer, write_text
from appliance.rundir import RunDir
from appliance.vault import read_sealed_jsonl, write_sealed_jsonl


def test_new_run_directory_is_private(tmp_path: Path) -> None:
    run = RunDir.open(tmp_path / "run")
    assert stat.S_IMODE(run.root.stat().st_mode) == 0o700
    assert stat.S_IMODE(run.manifest_path.stat().st_mode) == 0o600
    assert len(run.run_id) == 16


def test_opening_a_missing_run_without_create_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ApplianceError, match="is not a run directory"):
        RunDir.open(tmp_path / "nope", create=False)


def test_atomic_write_leaves_old_file_when_interrupted(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    write_text(target, "old")
    with pytest.raises(RuntimeError), atomic_writer(target) as handle:
        handle.write("half")
        raise RuntimeError("killed")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"], "no temp file left behind"


def test_lock_refuses_a_second_process_and_takes_over_a_stale_lock(tmp_path: Path) -> None:
    run = RunDir.open(tmp_path / "run")
    with run.lock():
        with pytest.raises(ApplianceError, match="in use by process"):
            with run.lock():
                pass
    # A lock file left by a process that no longer exists is stale.
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    (run.root / ".lock").write_text(dead.stdout.strip())
    with run.lock():
        assert (run.root / ".lock").read_text() == str(os.getpid())
    assert not (run.root / ".lock").exists()


def test_vault_is_encrypted_and_authenticated(tmp_path: Path) -> None:
    run = RunDir.open(tmp_path / "run")
    path = run.vault / "secret.jsonl.enc"
    write_sealed_jsonl(path, [{"name": "Zebulon Quartermaine", "ssn": "123-45-6789"}])
    raw = path.read_bytes()
    assert b"Zebulon" not in raw and b"123-45-6789" not in raw
    assert not path.is_relative_to(run.root), "the vault lives outside the run directory"
    assert list(read_sealed_jsonl(path)) == [{"name": "Zebulon Quartermaine", "ssn": "123-45-6789"}]
    for position in range(0, len(raw) // 2, 7):  # any flipped byte: a forged ciphertext or broken base64
        tampered = bytearray(raw)
        tampered[position] ^= 1
        path.write_bytes(bytes(tampered))
        with pytest.raises(ApplianceError, match="fails authentication"):
            list(read_sealed_jsonl(path))


def test_changed_outputs_detects_a_flipped_byte(tmp_path: Path) -> None:
    from appliance.records import StageRecord

    run = RunDir.open(tmp_path / "run")
    out = run.stage_dir("ingest") / "inventory.jsonl"
    write_text(out, "{}\n")
    record = StageRecord("ingest", "f", "s", "e", {}, [], [run.entry(out)], {}, {})
    assert run.changed_outputs(record) == []
    out.write_text("[]\n")
    assert run.changed_outputs(record) == ["ingest/inventory.jsonl"]
