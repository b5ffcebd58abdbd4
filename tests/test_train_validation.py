"""Validation during training: a subject-safe split, val_loss every N steps, early stopping that keeps the best weights."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from appliance.config import TrainConfig
from appliance.errors import ApplianceError
from appliance.records import Message, Record, Source
from appliance.split import split_records
from appliance.train.data import encode_for_task
from appliance.train.lm import load_tokenizer
from appliance.train.loop import train_lora
from appliance.train.scoring import load_adapter
from appliance.train.validation import EarlyStopping, validation_loss

SOURCE = Source(path="support.jsonl", sha256="3" * 64)


def chat(i: int, subject: str | None = None) -> Record:
    return Record(
        f"c{i}", "chat", SOURCE, subject_id=subject,
        messages=(Message("user", f"Where is parcel {i}?"), Message("assistant", f"Parcel {i} is at depot {i % 3}.")),
    )


pytestmark = pytest.mark.usefixtures("one_thread")


def test_split_keeps_every_subject_on_one_side() -> None:
    records = [chat(i, subject=f"customer-{i % 7}") for i in range(70)]
    train, held_out = split_records(records, 0.3, seed=5)

    train_subjects = {r.subject_id for r in train}
    held_subjects = {r.subject_id for r in held_out}
    assert held_subjects and train_subjects and not train_subjects & held_subjects
    assert len(train) + len(held_out) == 70
    # Records without a subject are split one by one, deterministically.
    loose = [chat(i) for i in range(50)]
    first, second = split_records(loose, 0.3, seed=5), split_records(loose, 0.3, seed=5)
    assert first == second and 0 < len(first[1]) < 50


def test_early_stopping_counts_evaluations_without_improvement() -> None:
    stopper = EarlyStopping(patience=2)
    assert [stopper.update(step, loss) for step, loss in [(1, 3.0), (2, 2.5), (3, 2.6), (4, 2.4), (5, 2.7)]] == [True, True, False, True, False]
    assert not stopper.should_stop and stopper.best_step == 4
    stopper.update(6, 2.4)  # equal is not better
    assert stopper.should_stop
    assert not EarlyStopping(patience=None).should_stop


def test_validation_loss_is_logged_and_early_stopping_keeps_the_best_adapter(tiny_model_dir: Path, tmp_path: Path) -> None:
    records = [chat(i) for i in range(24)]
    train, held_out = records[:16], records[16:]
    # A learning rate this high overshoots within a few steps, so validation loss turns up.
    config = TrainConfig(
        max_steps=12, batch_size=4, learning_rate=0.3, warmup_steps=0, max_seq_len=48, checkpoint_every=0,
        eval_every=1, early_stopping_patience=2,
    )
    events: list[dict] = []
    result = train_lora(tiny_model_dir, train, config, tmp_path / "adapter", validation=held_out, on_step=events.append)

    val = [(e["step"], e["val_loss"]) for e in result.history if "val_loss" in e]
    assert [s for s, _ in val] == list(range(1, result.steps + 1))
    assert all(math.isfinite(v) for _, v in val) and events == result.history
    assert result.stopped_early == "early stopping" and result.steps < 12
    best_step, best_loss = min(val, key=lambda sv: sv[1])
    assert result.details["best_step"] == result.details["kept_weights_of_step"] == best_step
    # The saved adapter is the best one: its validation loss is the best logged, not the last.
    tokenizer = load_tokenizer(tiny_model_dir)
    model = load_adapter(tiny_model_dir, result.adapter_dir, torch.device("cpu"))
    examples = encode_for_task(held_out, tokenizer, 48, task="instruction")
    assert validation_loss(model, examples, tokenizer.pad_token_id) == pytest.approx(best_loss, rel=1e-4)
    assert best_loss < val[-1][1]


def test_classification_refuses_records_without_a_label(tiny_model_dir: Path, tmp_path: Path) -> None:
    labelled = [Record(f"l{i}", "document", SOURCE, text=f"Applicant {i} earns well.", label="approved") for i in range(4)]
    config = TrainConfig(max_steps=1, batch_size=2, max_seq_len=48, checkpoint_every=0)
    with pytest.raises(ApplianceError, match=r"task classification needs a text and a label on every training record, but 1 of 5 have none \(first: record c0\)"):
        train_lora(tiny_model_dir, [*labelled, chat(0)], config, tmp_path / "adapter", task="classification")
    result = train_lora(tiny_model_dir, labelled, config, tmp_path / "adapter", task="classification")
    assert result.details["task"] == "classification" and result.steps == 1


def test_resume_keeps_the_early_stopping_state_and_best_weights(tiny_model_dir: Path, tmp_path: Path) -> None:
    records = [chat(i) for i in range(24)]
    config = TrainConfig(
        max_steps=10, batch_size=4, learning_rate=3.0, warmup_steps=0, max_seq_len=48, checkpoint_every=4,
        eval_every=1, early_stopping_patience=50,
        packing=False,  # one conversation a row: this learning rate then overshoots before step 8, as the test needs
    )
    whole = train_lora(tiny_model_dir, records[:16], config, tmp_path / "whole", validation=records[16:], checkpoint_dir=tmp_path / "ck-whole")

    class Interrupted(Exception):
        pass

    def stop_at_9(event: dict) -> None:
        if event["step"] == 9:
            raise Interrupted

    with pytest.raises(Interrupted):
        train_lora(tiny_model_dir, records[:16], config, tmp_path / "adapter", validation=records[16:], on_step=stop_at_9, checkpoint_dir=tmp_path / "ck")
    resumed = train_lora(
        tiny_model_dir, records[:16], config.model_copy(update={"resume": True}), tmp_path / "adapter",
        validation=records[16:], checkpoint_dir=tmp_path / "ck",
    )
    assert resumed.resumed_from == 8
    assert whole.details["kept_weights_of_step"] <= 8  # so the best weights had to come back from the checkpoint
    assert [e["val_loss"] for e in resumed.history] == pytest.approx([e["val_loss"] for e in whole.history], rel=1e-4)
    assert resumed.details["kept_weights_of_step"] == whole.details["kept_weights_of_step"]
    # The kept (best) weights are the same as the uninterrupted run's, even when the best step came before the checkpoint.
    from safetensors.torch import load_file

    kept, expected = load_file(resumed.adapter_dir / "adapter_model.safetensors"), load_file(whole.adapter_dir / "adapter_model.safetensors")
    assert kept.keys() == expected.keys() and all(torch.allclose(kept[k], expected[k], atol=1e-5) for k in kept)
