"""The train stage over a run directory: validation, merged model with hashes, tracker, and what the summary records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from appliance.files import write_jsonl
from appliance.pipeline import open_context
from appliance.records import Message, Record, Source
from appliance.stages import train as train_stage
from appliance.stages.scrub import SCRUBBED

SOURCE = Source(path="tickets.jsonl", sha256="6" * 64)
RECORDS = [
    Record(
        f"t{i}", "chat", SOURCE, subject_id=f"customer-{i % 6}",
        messages=(Message("user", f"Is order {i} shipped?"), Message("assistant", f"Order {i} left the depot.")),
    )
    for i in range(30)
]


pytestmark = pytest.mark.usefixtures("one_thread")


def context(run: Path, model_dir: Path, **train):
    settings = {"base_model": str(model_dir), "max_steps": 4, "batch_size": 4, "max_seq_len": 48, "warmup_steps": 0, "learning_rate": 1e-2, **train}
    ctx = open_context(run, overrides={"train": settings, "tracking": {"backend": "tensorboard"}}, echo=lambda line: None)
    write_jsonl(run / SCRUBBED, [r.to_json() for r in RECORDS])
    return ctx


def test_stage_records_method_validation_merge_and_tracking(tiny_model_dir: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    output = train_stage.execute(context(run, tiny_model_dir, eval_every=2, merge=True))

    summary = output.summary
    # Without DP, whole conversations are packed several to a row.
    assert (summary["task"], summary["method"], summary["privacy_unit"], summary["packing"]) == ("instruction", "LoRA", "record", True)
    assert (summary["processes"], summary["training"]["processes"]) == (1, 1)
    assert summary["merged"] == "train/merged" and summary["tracking"]["backend"] == "tensorboard"
    assert [v["step"] for v in summary["training"]["validation_losses"]] == [2, 4]
    merged = {p.relative_to(run).as_posix() for p in output.outputs if "merged" in p.parts}
    assert {"train/merged/model.safetensors", "train/merged/config.json"} <= merged  # hashed with the other outputs
    metrics = [json.loads(line) for line in (run / "train" / "metrics.jsonl").read_text().splitlines()]
    assert [("val_loss" in m) for m in metrics] == [False, True, False, True]
    assert any(p.name.startswith("events.out.tfevents") for p in (run / "tracking").iterdir())
    # Validation is split by subject: nobody is on both sides.
    split = json.loads((run / "train" / "split.json").read_text())
    subject = {r.id: r.subject_id for r in RECORDS}
    assert not {subject[i] for i in split["train"]} & {subject[i] for i in split["validation"]}


def test_stage_records_user_level_dp(tiny_model_dir: Path, tmp_path: Path) -> None:
    output = train_stage.execute(context(tmp_path / "run", tiny_model_dir, dp=True, privacy_unit="subject", target_epsilon=8.0))
    assert output.summary["privacy_unit"] == "subject" and output.summary["dp"]["privacy_unit"] == "subject"
    assert output.summary["training"]["subjects"] == len({r.subject_id for r in RECORDS}) - len(
        {r.subject_id for r in RECORDS if r.id in json.loads((tmp_path / "run" / "train" / "split.json").read_text())["validation"]}
    )


def test_train_command_offers_the_training_options() -> None:
    from click.testing import CliRunner

    from appliance.cli import main

    result = CliRunner().invoke(main, ["train", "--help"])
    assert result.exit_code == 0
    for flag in ("--method [lora|full|prefix|ia3]", "--merge / --no-merge", "--privacy-unit [record|subject]", "--eval-every N",
                 "--early-stopping-patience N", "--packing / --no-packing", "--load-in-4bit", "--precision [auto|fp32|bf16]", "--tracking [none|tensorboard|mlflow]"):
        assert flag in result.output, flag
