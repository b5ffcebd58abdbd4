"""A full disk, a read-only disk and a forbidden folder: one clear line, exit 1, and the same command resumes.

Real file systems, not simulated errors: a small tmpfs for ENOSPC and EROFS (needs root to mount;
skipped otherwise), and a folder without write permission for EACCES (as root, in a child process
without the capability that lets root ignore permissions).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from appliance.cli import main
from appliance.evidence import verify_run
from appliance.rundir import RunDir

RESUME_HINT = "then re-run the same command (finished stages are kept)"
WORDS = "account balance transfer overdraft limit branch savings mortgage rate loan card statement fee interest deposit cheque".split()


def corpus(folder: Path, records: int) -> Path:
    """`records` distinct documents of about 1 kB (distinct, so near-duplicate removal keeps them all)."""
    rng = random.Random(0)
    folder.mkdir(parents=True)
    lines = [json.dumps({"text": f"Note {i}: " + " ".join(rng.choice(WORDS) for _ in range(150))}) for i in range(records)]
    (folder / "notes.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs mounted for the test."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", str(mount_point)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def ingest(source: Path, run_dir: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["ingest", str(source), "--run", str(run_dir), *extra])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob("*.tmp")]


def test_a_full_disk_is_one_line_and_the_same_command_then_completes(small_disk: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPLIANCE_HOME", str(small_disk / "home"))
    source = corpus(tmp_path / "src", records=400)  # ~450 kB, sealed to ~600 kB in the vault
    filler = small_disk / "filler"
    filler.write_bytes(b"\0" * 700_000)
    run_dir = small_disk / "run"
    code, output = ingest(source, run_dir)
    assert code == 1
    [line] = output.splitlines()[-1:]
    assert line.startswith("Error: no space left on the disk holding ") and line.endswith(RESUME_HINT), output
    assert str(small_disk) in line and "Traceback" not in output
    assert leftovers(small_disk) == []
    filler.unlink()  # the operator frees space and runs the same command again
    code, output = ingest(source, run_dir)
    assert code == 0, output
    manifest = RunDir(run_dir).manifest
    assert manifest["stages"]["ingest"]["counts"]["records_out"] == 400
    assert verify_run(run_dir).ok


def test_a_read_only_disk_is_one_line_and_the_run_resumes_when_writable(small_disk: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPLIANCE_HOME", str(tmp_path / "home"))
    source = corpus(tmp_path / "src", records=20)
    run_dir = small_disk / "run"
    assert ingest(source, run_dir)[0] == 0
    manifest_before = (run_dir / "manifest.json").read_bytes()
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    code, output = ingest(source, run_dir, "--force")
    assert code == 1
    assert output.splitlines() == [f"Error: {run_dir}/policy.yaml is on a read-only file system; remount it read-write or choose another location, {RESUME_HINT}"]
    # Not through files.py: the run lock is created with os.open, so the CLI boundary words this one.
    purged = CliRunner().invoke(main, ["purge", str(run_dir), "--subject", "C-1"])
    assert purged.exit_code == 1 and isinstance(purged.exception, SystemExit)  # no traceback
    assert purged.output.splitlines() == [f"Error: {run_dir}/.lock is on a read-only file system; remount it read-write or choose another location, {RESUME_HINT}"]
    subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    assert (run_dir / "manifest.json").read_bytes() == manifest_before
    code, output = ingest(source, run_dir, "--force")
    assert code == 0, output
    assert verify_run(run_dir).ok


def test_a_folder_without_write_permission_is_one_line_and_the_run_resumes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_home: Path) -> None:
    source = corpus(tmp_path / "src", records=20)
    run_dir = tmp_path / "run"
    assert ingest(source, run_dir)[0] == 0
    os.chmod(run_dir, 0o500)
    command = [str(Path(sys.executable).parent / "appliance"), "ingest", str(source), "--run", str(run_dir), "--force"]
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("root ignores file permissions and setpriv is not available to drop that capability")
        command = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *command]
    try:
        done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "APPLIANCE_HOME": str(isolated_home)}, timeout=300)
    finally:
        os.chmod(run_dir, 0o700)
    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines() == [f"Error: permission denied writing {run_dir}/policy.yaml; make it writable by this user (chmod/chown) or choose another location, {RESUME_HINT}"]
    code, output = ingest(source, run_dir, "--force")
    assert code == 0, output
    assert verify_run(run_dir).ok
