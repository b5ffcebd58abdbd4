"""Data-parallel training under torchrun: two CPU processes (gloo) on the tiny model stay in lock step."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from appliance.train import distributed

SCRIPT = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    import torch
    torch.set_num_threads(1)
    import torch.distributed as dist
    from appliance.config import TrainConfig
    from appliance.records import Message, Record, Source
    from appliance.train.loop import train_lora

    model_dir, out = Path(sys.argv[1]), Path(sys.argv[2])
    source = Source(path="chats.jsonl", sha256="0" * 64)
    records = [
        Record(f"c{i}", "chat", source, messages=(Message("user", f"What is {i} plus one?"), Message("assistant", f"It is {i + 1}.")))
        for i in range(16)
    ]
    config = TrainConfig(max_steps=3, batch_size=2, learning_rate=1e-2, warmup_steps=0, max_seq_len=48, checkpoint_every=0)
    events = []
    result = train_lora(model_dir, records, config, out / "adapter", on_step=events.append)
    summary = {"events": events, "history": result.history, "steps": result.steps, "processes": result.details["processes"]}
    (out / f"rank{dist.get_rank()}.json").write_text(json.dumps(summary))
    """
)


@pytest.mark.skipif(shutil.which("torchrun", path=str(Path(sys.executable).parent)) is None, reason="torchrun not installed")
def test_two_processes_train_one_adapter_in_lock_step(tiny_model_dir: Path, tmp_path: Path) -> None:
    script = tmp_path / "train_ddp.py"
    script.write_text(SCRIPT)
    torchrun = str(Path(sys.executable).parent / "torchrun")
    # Two CPU ranks over gloo, also on a GPU machine (two NCCL ranks cannot share one GPU).
    env = {**os.environ, "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": "", "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    completed = subprocess.run(
        [torchrun, "--standalone", "--nproc_per_node", "2", str(script), str(tiny_model_dir), str(tmp_path)],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]

    main = json.loads((tmp_path / "rank0.json").read_text())
    other = json.loads((tmp_path / "rank1.json").read_text())
    assert (main["steps"], main["processes"]) == (3, 2)
    assert [e["step"] for e in main["events"]] == [1, 2, 3] and other["events"] == []  # rank 0 alone reports
    assert all(e["loss"] > 0 and e["tokens"] > 0 for e in main["events"])
    # Both ranks trained the same steps; loss and real tokens are reduced over the two shards.
    assert [(e["loss"], e["tokens"]) for e in other["history"]] == [(e["loss"], e["tokens"]) for e in main["events"]]
    assert (tmp_path / "adapter" / "adapter_model.safetensors").is_file()


def test_one_process_passes_steps_and_loaders_through_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    ranks = distributed.init_distributed(dp=True)
    assert (ranks.enabled, ranks.is_main, ranks.dp) == (False, True, True)
    assert distributed.reduce_step(None, 7, ranks) == (None, 7)
    loader = object()
    assert distributed.every_step_poisson(loader, ranks) is loader

