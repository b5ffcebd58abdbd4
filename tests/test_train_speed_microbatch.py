"""DP-SGD over length-sorted micro-batches: the same clipped, noised step as one padded batch, with less padding."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from appliance.config import TrainConfig
from appliance.records import Message, Record, Source
from appliance.train import privacy
from appliance.train.data import collate, encode_records
from appliance.train.lm import load_causal_lm, load_tokenizer
from appliance.train.loop import build_lora_model, build_optimizer, lora_targets, private_step

SOURCE = Source(path="chats.jsonl", sha256="5" * 64)
# Answers from a word to a paragraph: a random batch of them is mostly padding as one tensor.
RECORDS = [
    Record(f"c{i}", "chat", SOURCE, messages=(Message("user", f"Question {i}?"), Message("assistant", " ".join(["word"] * (1 + 9 * (i % 4) ** 2)))))
    for i in range(16)
]
CONFIG = TrainConfig(max_steps=5, batch_size=8, learning_rate=1e-2, max_seq_len=128, dp=True, accountant="rdp")

pytestmark = pytest.mark.usefixtures("one_thread")


def batch_of(lengths: list[int]) -> dict[str, torch.Tensor]:
    """A right-padded batch whose rows hold their index as every real token."""
    width = max(lengths)
    ids = torch.zeros((len(lengths), width), dtype=torch.long)
    mask = torch.zeros_like(ids)
    for row, n in enumerate(lengths):
        ids[row, :n], mask[row, :n] = row + 1, 1
    return {"input_ids": ids, "attention_mask": mask, "labels": ids.masked_fill(mask == 0, -100)}


def test_a_batch_is_cut_where_the_padding_saved_pays_for_another_pass() -> None:
    batch = batch_of([10, 100, 8, 90])
    micro = privacy.physical_batches(batch, split_cost_tokens=32)

    # {100, 90} and {10, 8}: 2 x 100 + 2 x 10 + 2 x 32 = 284 padded-token units, against 432 as one tensor.
    assert [m["input_ids"][:, 0].tolist() for m in micro] == [[2, 4], [1, 3]]
    assert [m["input_ids"].shape[1] for m in micro] == [100, 10]
    # Every row exactly once, with all its real tokens: regrouped, never merged or cut.
    for m in micro:
        for row, mask in zip(m["input_ids"], m["attention_mask"], strict=True):
            assert int(mask.sum()) == int(batch["attention_mask"][row[0] - 1].sum())
    # A pass that costs more than the padding it saves keeps the batch whole; nothing drawn, nothing to run.
    assert len(privacy.physical_batches(batch, split_cost_tokens=10_000)) == 1
    assert privacy.physical_batches({key: value[:0] for key, value in batch.items()}, split_cost_tokens=32) == []


def private_setup(model_dir: Path):
    tokenizer = load_tokenizer(model_dir)
    examples = encode_records(RECORDS, tokenizer, CONFIG.max_seq_len)
    torch.manual_seed(0)
    model = build_lora_model(load_causal_lm(model_dir), r=8, alpha=16, dropout=0.0, target_modules=lora_targets("llama", None))
    with torch.no_grad():  # lora_B starts at zero; give every LoRA weight a gradient from the first step
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.normal_(std=0.02)
    optimizer = build_optimizer(model, learning_rate=1e-2, weight_decay=0.0)
    model, optimizer, _, engine = privacy.make_private(model, optimizer, examples, pad_id=tokenizer.pad_token_id, config=CONFIG, delta=1e-3, steps=5)
    return tokenizer, examples, model, optimizer, engine


@pytest.mark.parametrize("clip", [100.0, 1e-3], ids=["no example clipped", "every example clipped"])
def test_micro_batched_step_equals_the_one_tensor_step_and_counts_once(clip: float, tiny_model_dir: Path) -> None:
    tokenizer, examples, model, optimizer, engine = private_setup(tiny_model_dir)
    # Without noise and without moving the weights, the step's gradient is the clipped per-example sum:
    # unclipped it checks each example's gradient scale, fully clipped that clipping is per example.
    optimizer.max_grad_norm, optimizer.noise_multiplier = clip, 0.0
    for group in optimizer.param_groups:
        group["lr"] = 0.0
    batch = collate(examples[:8], tokenizer.pad_token_id)
    micro = privacy.physical_batches(batch, split_cost_tokens=32)
    assert len(micro) > 1 and sum(m["input_ids"].numel() for m in micro) < batch["input_ids"].numel()

    whole_loss = private_step(model, optimizer, [batch])
    whole = [p.grad.clone() for p in optimizer.params]
    split_loss = private_step(model, optimizer, micro)
    split = [p.grad.clone() for p in optimizer.params]

    assert split_loss == pytest.approx(whole_loss, rel=1e-5)
    for a, b in zip(whole, split, strict=True):
        assert a.abs().sum() > 0  # every LoRA weight, A and B, gets a gradient
        torch.testing.assert_close(b, a, rtol=1e-4, atol=1e-5 * float(a.abs().max()))
    if clip < 1:  # 8 clipped gradients summed, over the expected batch of 8: the update's norm is at most C
        assert torch.cat([p.flatten() for p in split]).norm() <= clip * 1.001
    # Each logical batch is one step for the accountant, at the same sampling rate, however it was cut.
    assert {rate for _, rate, _ in engine.accountant.history} == {0.5}
    assert sum(steps for _, _, steps in engine.accountant.history) == 2
