"""User-level DP: all records of one data subject are sampled, clipped and noised together."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from appliance.config import TrainConfig
from appliance.errors import ApplianceError
from appliance.records import Message, Record, Source
from appliance.train import privacy
from appliance.train.data import collate
from appliance.train.lm import load_causal_lm, load_tokenizer
from appliance.train.loop import build_lora_model, build_optimizer, lora_targets, per_example_loss, train_lora
from appliance.train.packing import model_inputs

SOURCE = Source(path="tickets.jsonl", sha256="5" * 64)


def ticket(i: int, subject: str | None) -> Record:
    return Record(
        f"t{i}", "chat", SOURCE, subject_id=subject,
        messages=(Message("user", f"Ticket {i}: my card is blocked."), Message("assistant", f"Card unblocked, reference {i}.")),
    )


# 10 customers with 1..10 records each: the last two exceed the 8-record cap.
RECORDS = [ticket(100 * c + k, f"customer-{c}") for c in range(10) for k in range(c + 1)]
CONFIG = TrainConfig(max_steps=3, batch_size=4, learning_rate=1e-2, warmup_steps=0, max_seq_len=48, checkpoint_every=0, dp=True, privacy_unit="subject", accountant="rdp")


pytestmark = pytest.mark.usefixtures("one_thread")


def test_each_subject_becomes_one_example_of_their_records(tiny_model_dir: Path) -> None:
    tokenizer = load_tokenizer(tiny_model_dir)
    grouped = privacy.subject_examples(RECORDS, tokenizer, CONFIG, "instruction")

    assert len(grouped.examples) == 10
    assert grouped.records_over_cap == (9 - privacy.MAX_RECORDS_PER_SUBJECT) + (10 - privacy.MAX_RECORDS_PER_SUBJECT)
    # Customer 2's three records side by side, each starting its own positions (no attention across them).
    third = grouped.examples[2]
    assert third.position_ids.count(0) == 3
    assert sum(p == 0 for p in grouped.examples[9].position_ids) == privacy.MAX_RECORDS_PER_SUBJECT


def test_records_without_a_subject_are_refused(tiny_model_dir: Path, tmp_path: Path) -> None:
    records = [*RECORDS[:5], ticket(999, None)]
    with pytest.raises(ApplianceError, match="privacy_unit subject needs a data-subject id on every record, but 1 of 6 have none"):
        train_lora(tiny_model_dir, records, CONFIG, tmp_path / "adapter", delta=1e-3)


def test_per_subject_gradients_are_clipped_and_reach_every_lora_parameter(tiny_model_dir: Path) -> None:
    clip = 1e-3  # far below these gradients' norms, so every subject is clipped
    config = CONFIG.model_copy(update={"max_grad_norm": clip})
    tokenizer = load_tokenizer(tiny_model_dir)
    examples = privacy.subject_examples(RECORDS, tokenizer, config, "instruction").examples
    model = build_lora_model(load_causal_lm(tiny_model_dir, torch.device("cpu")), r=8, alpha=16, dropout=0.0, target_modules=lora_targets("llama", None))
    optimizer = build_optimizer(model, learning_rate=1e-2, weight_decay=0.0)
    model, optimizer, loader, _ = privacy.make_private(model, optimizer, examples, pad_id=tokenizer.pad_token_id, config=config, delta=1e-3, steps=3)
    # Opacus draws each row with probability 1 / batches-per-epoch: 1 / ceil(10 subjects / 4), not 1 / ceil(45 records / 4).
    assert loader.sample_rate == pytest.approx(1 / 3)

    def backward(subjects) -> None:
        optimizer.zero_grad()
        batch = collate(subjects, tokenizer.pad_token_id)
        loss_sums, counts = per_example_loss(model(**model_inputs(batch)).logits, batch["labels"])
        (loss_sums / counts).mean().backward()

    for subject in examples[2:5]:  # subjects with 3, 4 and 5 records: one clipped example each
        backward([subject])
        raw = torch.cat([p.grad_sample.flatten() for p in optimizer.params]).norm()
        optimizer.clip_and_accumulate()
        clipped = torch.cat([p.summed_grad.flatten() for p in optimizer.params]).norm()
        assert raw > clip and clipped <= clip * 1.001

    backward(examples[:4])  # first step: lora_B is zero, so only lora_B has gradients yet
    optimizer.step()
    backward(examples[4:8])
    for p in optimizer.params:
        assert p.grad_sample.shape == (4, *p.shape)
        assert all(row.abs().sum() > 0 for row in p.grad_sample)


def test_subject_level_training_records_its_unit(tiny_model_dir: Path, tmp_path: Path) -> None:
    result = train_lora(tiny_model_dir, RECORDS, CONFIG, tmp_path / "adapter", delta=1e-3)
    assert result.dp["privacy_unit"] == "subject" and result.dp["sample_rate"] == pytest.approx(1 / 3)
    assert result.dp["steps"] == 3 and 0 < result.dp["epsilon"] <= CONFIG.target_epsilon
    assert (result.details["subjects"], result.details["records_over_subject_cap"]) == (10, 3)
