"""SIGKILL at a random point in each stage, then the same command again: the run completes, verifies,
and its counts equal those of a run that was never interrupted.

Real processes and real signals: `appliance run` in its own session, killed (with its workers) while
a stage is running, after a delay drawn from a seeded RNG within that stage's measured duration.
The tiny model and a 40-conversation corpus keep each stage to seconds.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from appliance.rundir import STAGES

APPLIANCE = str(Path(sys.executable).parent / "appliance")
CONFIG = """\
task: instruction
train: {max_steps: 3, batch_size: 4, max_seq_len: 64, checkpoint_every: 1}
audit: {membership_inference: false, counterfactual_probe: false}
evaluate: {max_records: 8, max_new_tokens: 2}
"""


def corpus(folder: Path) -> Path:
    rng = random.Random(0)
    topics = ["overdraft limit", "card replacement", "mortgage rate", "savings interest", "wire transfer", "branch hours"]
    folder.mkdir(parents=True)
    with (folder / "chats.jsonl").open("w", encoding="utf-8") as handle:
        for i in range(40):
            topic = rng.choice(topics)
            messages = [
                {"role": "user", "content": f"Hello, this is about my {topic}, question number {i}. Could you help me with it today?"},
                {"role": "assistant", "content": f"Of course. For your {topic}, here is what we can do in case {i}: check the settings and confirm."},
            ]
            handle.write(json.dumps({"customer_id": f"C-{i % 15:03d}", "gender": rng.choice(["female", "male"]), "messages": messages}) + "\n")
    return folder


class Launch:
    """`appliance run` in its own process group, its output read line by line as it comes."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
        self.lines: list[tuple[float, str]] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append((time.monotonic(), line.rstrip("\n")))

    def wait_for(self, text: str, timeout: float = 600) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(line == text for _, line in self.lines):
                return True
            if self.process.poll() is not None:
                self.reader.join()
                return any(line == text for _, line in self.lines)
            time.sleep(0.02)
        raise AssertionError(f"no '{text}' within {timeout}s: {self.output()[-2000:]}")

    def kill(self) -> None:
        """SIGKILL the whole group (the ingest and scrub worker processes too), and reap it."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.finish()

    def finish(self) -> int:
        code = self.process.wait(timeout=900)
        self.reader.join()
        return code

    def output(self) -> str:
        return "\n".join(line for _, line in self.lines)

    def durations(self) -> dict[str, float]:
        started = {line.split(":")[0]: t for t, line in self.lines if line.endswith(": running")}
        return {s: t - started[s] for t, line in self.lines for s in [line.split(":")[0]] if line == f"{s}: done" and s in started}


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> dict:
    base = tmp_path_factory.mktemp("crash")
    (base / "run.yaml").write_text(CONFIG, encoding="utf-8")
    env = {**os.environ, "APPLIANCE_HOME": str(base / "home"), "APPLIANCE_SCRUB_WORKERS": "2"}
    setup = {"base": base, "source": corpus(base / "src"), "config": base / "run.yaml", "model": tiny_model_dir, "env": env}
    baseline = Launch(command(setup, base / "baseline"), env)
    setup["baseline_code"] = baseline.finish()
    assert setup["baseline_code"] in (0, 3), baseline.output()
    setup["baseline_counts"] = stage_counts(base / "baseline")
    setup["durations"] = baseline.durations()
    assert set(setup["durations"]) == set(STAGES), baseline.output()
    return setup


def command(setup: dict, run_dir: Path) -> list[str]:
    return [APPLIANCE, "run", str(setup["source"]), "--out", str(run_dir), "--config", str(setup["config"]), "--base-model", str(setup["model"])]


def stage_counts(run_dir: Path) -> dict[str, dict[str, int]]:
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    return {name: record["counts"] for name, record in manifest["stages"].items()}


def test_a_write_killed_half_way_leaves_the_old_file_and_its_orphan_is_removed_by_the_next_write(tmp_path: Path) -> None:
    from appliance.files import write_text

    target = tmp_path / "records.jsonl"
    write_text(target, "old\n")
    writer = subprocess.Popen(
        [sys.executable, "-c", f"import sys, time\nfrom pathlib import Path\nfrom appliance.files import atomic_writer\n"
         f"with atomic_writer(Path({str(target)!r})) as h:\n    h.write('new' * 1000); h.flush(); print('half', flush=True); time.sleep(120)"],
        stdout=subprocess.PIPE, text=True,
    )
    assert writer.stdout.readline() == "half\n"
    writer.kill()
    writer.wait()
    assert target.read_text() == "old\n"  # readers never see the half-written file
    [orphan] = [p.name for p in tmp_path.glob(".records.jsonl.*.tmp")]
    assert orphan.startswith(f".records.jsonl.{writer.pid}.")
    write_text(target, "next\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["records.jsonl"]


# One seed always; the others with APPLIANCE_SLOW_TESTS=1 (each kill chain is 8 process launches).
SLOW = pytest.mark.skipif(os.environ.get("APPLIANCE_SLOW_TESTS") != "1", reason="more SIGKILL seeds: set APPLIANCE_SLOW_TESTS=1 (3-7 min each)")


@pytest.mark.parametrize("seed", [11, pytest.param(22, marks=SLOW), pytest.param(33, marks=SLOW)])
def test_sigkill_in_every_stage_then_rerun_completes_verifies_and_counts_match(setup: dict, seed: int) -> None:
    rng = random.Random(seed)
    run_dir = setup["base"] / f"killed-{seed}"
    kills = []
    for stage in STAGES:
        if (run_dir / "manifest.json").exists() and stage in stage_counts(run_dir):
            # The machine ran faster than during the baseline: an earlier launch finished this stage before its kill.
            continue
        launch = Launch(command(setup, run_dir), setup["env"])
        if not launch.wait_for(f"{stage}: running"):
            pytest.fail(f"seed {seed}: the run ended before {stage} started: {launch.output()[-2000:]}")
        delay = rng.uniform(0, setup["durations"][stage])
        time.sleep(delay)
        alive = launch.process.poll() is None
        launch.kill()
        if not alive:  # faster than the baseline: it finished every remaining stage before the kill, as the baseline ended
            assert launch.process.returncode == setup["baseline_code"], f"seed {seed}: {launch.output()[-3000:]}"
        kills.append(f"{stage}+{delay:.2f}s" if alive else f"{stage}: finished before +{delay:.2f}s")
    final = Launch(command(setup, run_dir), setup["env"])
    assert final.finish() == setup["baseline_code"], f"kills {kills}: {final.output()[-3000:]}"
    verify = subprocess.run([APPLIANCE, "verify", str(run_dir)], env=setup["env"], capture_output=True, text=True)
    assert verify.returncode == 0, f"kills {kills}: {verify.stdout}{verify.stderr}"
    assert stage_counts(run_dir) == setup["baseline_counts"], f"kills {kills}"
    run_id = json.loads((run_dir / "manifest.json").read_text())["run_id"]
    vault = Path(setup["env"]["APPLIANCE_HOME"]) / "vaults" / run_id
    assert [str(p) for folder in (run_dir, vault) for p in folder.rglob("*.tmp")] == [], f"kills {kills}"


def test_a_key_made_on_first_use_is_never_replaced_by_a_second_process(tmp_path: Path) -> None:
    """Eight processes ask for the vault key at once: all must get the same key, the one left on disk."""
    home = tmp_path / "home"
    script = "import sys\nfrom appliance.vault import vault_key\nsys.stdout.write(vault_key().hex())"
    env = {**os.environ, "APPLIANCE_HOME": str(home)}
    processes = [subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, text=True) for _ in range(8)]
    keys = {process.communicate(timeout=300)[0] for process in processes}
    assert keys == {(home / "keys" / "vault.key").read_bytes().hex()}
    assert sorted(p.name for p in (home / "keys").iterdir()) == ["vault.key"]
