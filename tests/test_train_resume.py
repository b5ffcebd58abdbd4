"""Checkpoints and resume: an interrupted run continues to the same steps, metrics and epsilon."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from appliance.cli import main
from appliance.config import TrainConfig
from appliance.errors import ApplianceError
from appliance.records import Message, Record, Source
from appliance.train.checkpoint import checkpoints, latest_checkpoint
from appliance.train.data import LengthGroupedLoader, encode_record, render_masking
from appliance.train.lm import load_tokenizer
from appliance.train.loop import train_lora

SOURCE = Source(path="chats.jsonl", sha256="0" * 64)
RECORDS = [
    Record(f"c{i}", "chat", SOURCE, messages=(Message("user", f"What is {i} plus one?"), Message("assistant", f"It is {i + 1}.")))
    for i in range(12)
]
CONFIG = TrainConfig(max_steps=8, batch_size=4, learning_rate=1e-2, warmup_steps=2, max_seq_len=48, checkpoint_every=3)


pytestmark = pytest.mark.usefixtures("one_thread")


class Interrupted(Exception):
    pass


def interrupt_after(step: int, events: list[dict]):
    def on_step(event: dict) -> None:
        events.append(event)
        if event["step"] == step:
            raise Interrupted

    return on_step


def test_resume_continues_exactly_where_the_interrupted_run_stopped(tiny_model_dir: Path, tmp_path: Path) -> None:
    whole = train_lora(tiny_model_dir, RECORDS, CONFIG, tmp_path / "whole", checkpoint_dir=tmp_path / "ck-whole")

    folder = tmp_path / "ck"
    with pytest.raises(Interrupted):
        train_lora(tiny_model_dir, RECORDS, CONFIG, tmp_path / "adapter", on_step=interrupt_after(5, []), checkpoint_dir=folder)
    assert [p.name for p in checkpoints(folder)] == ["step-3"]
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no half-written checkpoint

    resumed_events: list[dict] = []
    resumed = train_lora(
        tiny_model_dir, RECORDS, CONFIG.model_copy(update={"resume": True}), tmp_path / "adapter",
        on_step=resumed_events.append, checkpoint_dir=folder,
    )
    assert (resumed.steps, resumed.resumed_from) == (8, 3)
    assert [e["step"] for e in resumed_events] == [4, 5, 6, 7, 8]
    assert [e["step"] for e in resumed.history] == list(range(1, 9))
    # Same weights, optimizer moments, schedule and data order: the same losses as without the interruption.
    assert [e["loss"] for e in resumed.history] == pytest.approx([e["loss"] for e in whole.history], rel=1e-4)
    assert [e["lr"] for e in resumed.history] == pytest.approx([e["lr"] for e in whole.history])
    assert all(e["tokens_per_s"] > 0 for e in resumed.history)


def test_dp_resume_keeps_accumulating_epsilon(tiny_model_dir: Path, tmp_path: Path) -> None:
    config = CONFIG.model_copy(update={"max_steps": 6, "checkpoint_every": 2, "dp": True, "accountant": "rdp"})
    folder = tmp_path / "ck"
    first: list[dict] = []
    with pytest.raises(Interrupted):
        train_lora(tiny_model_dir, RECORDS, config, tmp_path / "adapter", delta=1e-3, on_step=interrupt_after(5, first), checkpoint_dir=folder)
    assert latest_checkpoint(folder).name == "step-4"

    resumed = train_lora(
        tiny_model_dir, RECORDS, config.model_copy(update={"resume": True}), tmp_path / "adapter",
        delta=1e-3, checkpoint_dir=folder, max_epsilon=8.0,
    )
    epsilons = [e["epsilon"] for e in resumed.history]
    assert [e["step"] for e in resumed.history] == list(range(1, 7))
    assert epsilons == sorted(epsilons) and epsilons[4] > epsilons[3]
    assert epsilons[:4] == [e["epsilon"] for e in first[:4]]  # the checkpoint kept them, did not restart
    assert resumed.dp["steps"] == 6  # the accountant counted the steps before the interruption too
    assert resumed.dp["epsilon"] == pytest.approx(epsilons[-1]) and resumed.dp["epsilon"] <= 8.0


def test_resume_refuses_a_checkpoint_from_other_settings(tiny_model_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "ck"
    with pytest.raises(Interrupted):
        train_lora(tiny_model_dir, RECORDS, CONFIG, tmp_path / "adapter", on_step=interrupt_after(4, []), checkpoint_dir=folder)
    changed = CONFIG.model_copy(update={"resume": True, "learning_rate": 1e-3})
    with pytest.raises(ApplianceError, match="other training settings or data; train without --resume"):
        train_lora(tiny_model_dir, RECORDS, changed, tmp_path / "adapter", checkpoint_dir=folder)


def test_dp_refuses_to_start_when_the_plan_exceeds_the_policy_epsilon(tiny_model_dir: Path, tmp_path: Path) -> None:
    config = CONFIG.model_copy(update={"dp": True, "target_epsilon": 8.0})
    with pytest.raises(ApplianceError, match=r"8 steps would spend epsilon 8\.\d+, above the policy maximum 2\.0"):
        train_lora(tiny_model_dir, RECORDS, config, tmp_path / "adapter", delta=1e-3, max_epsilon=2.0)


def test_dora_is_refused_under_dp(tiny_model_dir: Path, tmp_path: Path) -> None:
    config = CONFIG.model_copy(update={"dp": True, "use_dora": True})
    with pytest.raises(ApplianceError, match="DoRA cannot train under DP"):
        train_lora(tiny_model_dir, RECORDS, config, tmp_path / "adapter", delta=1e-3)


def test_loader_state_rebuilds_the_same_batches(tiny_model_dir: Path) -> None:
    tokenizer = load_tokenizer(tiny_model_dir)
    examples = [encode_record(r, tokenizer, 48) for r in RECORDS]
    loader = LengthGroupedLoader(examples, batch_size=5, pad_id=0, seed=1)
    for _ in range(4):  # into the second epoch (3 batches per epoch)
        next(loader)
    state = loader.state_dict()
    expected = [next(loader)["input_ids"].tolist() for _ in range(4)]
    restored = LengthGroupedLoader(examples, batch_size=5, pad_id=0, seed=random.randrange(100))
    restored.load_state_dict(state)
    assert [next(restored)["input_ids"].tolist() for _ in range(4)] == expected


def test_render_masking_brackets_exactly_the_trained_tokens(tiny_model_dir: Path) -> None:
    tokenizer = load_tokenizer(tiny_model_dir)
    shown = render_masking(encode_record(RECORDS[2], tokenizer, 48), tokenizer)
    assert shown.count("[[") == shown.count("]]") == 1
    assert "[[It is 3.<|im_end|>]]" in shown
    assert "What is 2 plus one?" in shown and "[[" not in shown.split("It is 3.")[0][:-2]


def test_train_command_offers_resume_and_show_masking() -> None:
    result = CliRunner().invoke(main, ["train", "--help"])
    assert result.exit_code == 0
    assert "--resume" in result.output and "--show-masking N" in result.output


def test_assistant_turns_last_trains_only_the_final_answer(tiny_model_dir: Path) -> None:
    tokenizer = load_tokenizer(tiny_model_dir)
    record = Record("two", "chat", SOURCE, messages=(
        Message("user", "Hi?"), Message("assistant", "Hello."), Message("user", "Rate?"), Message("assistant", "Five."),
    ))
    every = render_masking(encode_record(record, tokenizer, 96), tokenizer)
    last = render_masking(encode_record(record, tokenizer, 96, assistant_turns="last"), tokenizer)
    assert "[[Hello.<|im_end|>]]" in every and "[[Five.<|im_end|>]]" in every
    assert "[[Hello." not in last and last.count("[[") == 1 and "[[Five.<|im_end|>]]" in last


def test_gradient_accumulation_trains_and_is_refused_under_dp(tiny_model_dir: Path, tmp_path: Path) -> None:
    config = CONFIG.model_copy(update={"max_steps": 3, "batch_size": 2, "gradient_accumulation_steps": 2, "checkpoint_every": 0})
    result = train_lora(tiny_model_dir, RECORDS, config, tmp_path / "adapter")
    assert result.steps == 3 and all(e["loss"] > 0 and e["tokens"] > 0 for e in result.history)
    with pytest.raises(ApplianceError, match="gradient accumulation is not supported with DP"):
        train_lora(tiny_model_dir, RECORDS, config.model_copy(update={"dp": True}), tmp_path / "dp", delta=1e-3)
