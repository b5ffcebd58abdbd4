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


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    return int(done.stdout)


def test_taking_the_lock_sweeps_temp_files_of_dead_writers_anywhere_in_the_run(tmp_path: Path) -> None:
    run = RunDir.open(tmp_path / "run")
    dead, alive = _dead_pid(), os.getppid()
    nested = run.stage_dir("train") / "checkpoints" / "step-10"
    nested.mkdir(parents=True)
    orphan = nested / f".adapter.safetensors.{dead}.k2x_9qzp.tmp"  # a write killed half-way
    orphan_index = run.stage_dir("ingest") / f".ingest-index.{dead}.a1b2c3d4.tmp"  # a killed ingest's scratch folder
    vault_orphan = run.vault / f".raw-records.jsonl.enc.{dead}.zz99yy88.tmp"
    in_progress = nested / f".optimizer.pt.{alive}.abcdefgh.tmp"  # another live process is writing it
    others = [nested / "adapter.safetensors", nested / ".notes.tmp", nested / f".x.{dead}.tmp", run.root / "report.tmp"]
    orphan_index.mkdir()
    for path in [orphan, orphan_index / "index.sqlite", vault_orphan, in_progress, *others]:
        path.write_bytes(b"data")
    with run.lock():
        # Refused while held: nothing is swept by a process that did not get the lock.
        planted = nested / f".late.json.{dead}.aaaaaaaa.tmp"
        planted.write_bytes(b"{}")
        with pytest.raises(ApplianceError, match="in use by process"), run.lock():
            pass
        assert planted.exists()
    assert not orphan.exists() and not orphan_index.exists() and not vault_orphan.exists()
    assert in_progress.exists() and all(path.exists() for path in others)
    with run.lock():
        assert not planted.exists()


def test_manifest_is_parsed_once_until_the_file_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from appliance import rundir

    run = RunDir.open(tmp_path / "run")
    parses = []
    monkeypatch.setattr(rundir.json, "loads", lambda text: parses.append(1) or json.JSONDecoder().decode(text.decode() if isinstance(text, bytes) else text))
    first = run.manifest
    first["stages"]["ingest"] = {"changed": "by the caller, never saved"}
    assert run.manifest["stages"] == {} and run.run_id == first["run_id"] and run.stage_record("ingest") is None
    assert len(parses) == 1, "read again only when the file changes"
    run.update_manifest(note="saved")
    assert run.manifest["note"] == "saved"
    other = RunDir(run.root)  # another process writing the same run
    other.update_manifest(note="from elsewhere")
    assert run.manifest["note"] == "from elsewhere"
    run.manifest_path.write_text("{not json")
    with pytest.raises(ApplianceError, match="cannot be read"):
        run.manifest  # noqa: B018


def test_a_read_only_view_works_beside_the_lock_holder_without_writing(tmp_path: Path) -> None:
    run = RunDir.open(tmp_path / "run")
    with run.lock():
        view = RunDir.open(run.root, create=False, read_only=True)  # e.g. a non-main torchrun rank
        assert view.run_id == run.run_id and view.vault == run.vault
        with view.lock():  # holds nothing: the lock stays the main process's
            assert (run.root / ".lock").read_text() == str(os.getpid())
        with pytest.raises(ApplianceError, match="read-only"):
            view.update_manifest(note="x")
    with pytest.raises(ApplianceError, match="is not a run directory"):
        RunDir.open(tmp_path / "missing", read_only=True)
    assert not (tmp_path / "missing").exists()
