"""`appliance train` under torchrun: two ranks train (user-level DP-DDP), rank 0 alone locks, prints and records."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from appliance.files import write_jsonl
from appliance.pipeline import open_context
from appliance.records import Message, Record, Source, StageRecord
from appliance.rundir import now
from appliance.stages.scrub import SCRUBBED

BIN = Path(sys.executable).parent
SOURCE = Source(path="tickets.jsonl", sha256="6" * 64)
RECORDS = [
    Record(
        f"t{i}", "chat", SOURCE, subject_id=f"customer-{i % 8}",
        messages=(Message("user", f"Is order {i} shipped?"), Message("assistant", f"Order {i} left the depot.")),
    )
    for i in range(24)
]


def scrubbed_run(run: Path, model_dir: Path) -> None:
    """A run directory whose ingest, scrub and audit are recorded, with a scrubbed corpus to train on."""
    settings = {"base_model": str(model_dir), "max_steps": 3, "batch_size": 2, "max_seq_len": 48, "warmup_steps": 0,
                "learning_rate": 1e-2, "dp": True, "privacy_unit": "subject", "target_epsilon": 8.0}
    ctx = open_context(run, overrides={"train": settings, "audit": {"canaries": 0}}, echo=lambda line: None)
    write_jsonl(run / SCRUBBED, [r.to_json() for r in RECORDS])
    for stage in ("ingest", "scrub", "audit"):
        ctx.run.record_stage(StageRecord(stage, "fp", now(), now(), {}, [], [ctx.run.entry(run / SCRUBBED)], {}, {}))


def torchrun_train(run: Path) -> subprocess.CompletedProcess:
    # Two CPU ranks over gloo, also on a GPU machine (two NCCL ranks cannot share one GPU).
    env = {**os.environ, "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
    return subprocess.run(
        [str(BIN / "torchrun"), "--standalone", "--nproc_per_node", "2", "--no-python", "--", str(BIN / "appliance"), "train", "--run", str(run)],
        env=env, capture_output=True, text=True, timeout=600,
    )


@pytest.mark.skipif(not (BIN / "torchrun").is_file(), reason="torchrun not installed")
def test_train_command_under_torchrun(tiny_model_dir: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    scrubbed_run(run, tiny_model_dir)

    first = torchrun_train(run)
    assert first.returncode == 0, first.stderr[-4000:]
    lines = first.stdout.splitlines()
    # Rank 0 alone prints: one stage header, one progress line per step.
    assert lines.count("train: running") == 1 and lines.count("train: done") == 1
    assert [line.split()[1] for line in lines if line.startswith("  step ")] == ["1/3", "2/3", "3/3"]
    manifest = json.loads((run / "manifest.json").read_text())
    summary = manifest["stages"]["train"]["summary"]
    assert summary["processes"] == 2 and summary["steps"] == 3
    # User-level DP over both ranks: sampled over every training subject, two per logical batch.
    subject = {r.id: r.subject_id for r in RECORDS}
    subjects = len({subject[i] for i in json.loads((run / "train" / "split.json").read_text())["train"]})
    assert summary["training"]["subjects"] == subjects
    assert summary["dp"]["privacy_unit"] == "subject" and summary["dp"]["sample_rate"] == pytest.approx(1 / math.ceil(subjects / 2))
    assert (run / "train" / "adapter" / "adapter_model.safetensors").is_file()
    assert not (run / ".lock").exists()

    # Unchanged: rank 0 skips the stage and releases the other rank, which trains nothing.
    again = torchrun_train(run)
    assert again.returncode == 0, again.stderr[-4000:]
    assert "train: inputs, parameters and policy unchanged; skipped (use --force to re-run)" in again.stdout.splitlines()
    assert "  step " not in again.stdout
    assert json.loads((run / "manifest.json").read_text())["stages"]["train"] == manifest["stages"]["train"]


def test_a_follower_rank_sees_the_run_read_only(tiny_model_dir: Path, tmp_path: Path) -> None:
    """The context a non-zero rank trains from is rank 0's snapshots, and it cannot write the manifest."""
    from appliance.errors import ApplianceError
    from appliance.stages.train import plan_training, read_only_context

    run = tmp_path / "run"
    scrubbed_run(run, tiny_model_dir)
    manifest = (run / "manifest.json").read_bytes()
    ctx = read_only_context(run)
    assert ctx.config.train.privacy_unit == "subject" and ctx.config.train.max_steps == 3  # from config.yaml
    plan = plan_training(ctx)
    assert len(plan.train_records) + len(plan.held_out) == len(RECORDS)
    with pytest.raises(ApplianceError, match="open read-only here"):
        ctx.run.update_manifest(note="a follower's write")
    assert (run / "manifest.json").read_bytes() == manifest


@pytest.mark.skipif(not (BIN / "accelerate").is_file(), reason="accelerate not installed")
def test_train_command_under_accelerate_launch(tiny_model_dir: Path, tmp_path: Path) -> None:
    """`accelerate launch --multi_gpu` starts the ranks through torch's launcher: the same run as under torchrun."""
    run = tmp_path / "run"
    scrubbed_run(run, tiny_model_dir)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}  # two gloo ranks on the CPU
    launch = [str(BIN / "accelerate"), "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
              "--mixed_precision", "no", "--dynamo_backend", "no", "--no_python"]
    done = subprocess.run([*launch, str(BIN / "appliance"), "train", "--run", str(run)], env=env, capture_output=True, text=True, timeout=600)

    assert done.returncode == 0, done.stderr[-4000:]
    lines = done.stdout.splitlines()
    assert lines.count("train: running") == 1 and [line.split()[1] for line in lines if line.startswith("  step ")] == ["1/3", "2/3", "3/3"]
    summary = json.loads((run / "manifest.json").read_text())["stages"]["train"]["summary"]
    assert summary["processes"] == 2 and summary["steps"] == 3 and summary["dp"]["privacy_unit"] == "subject"
    assert not (run / ".lock").exists()
