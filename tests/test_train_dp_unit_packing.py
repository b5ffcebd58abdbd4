"""DP-SGD with several examples per row: each example's gradient is its own, clipped on its own."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from appliance.config import TrainConfig
from appliance.records import Message, Record, Source
from appliance.train import privacy, unit_packing
from appliance.train.data import IGNORE, collate, encode_document, encode_records
from appliance.train.lm import load_causal_lm, load_tokenizer
from appliance.train.loop import build_lora_model, build_optimizer, lora_targets, private_step
from appliance.train.packing import model_inputs, pack_group

SOURCE = Source(path="chats.jsonl", sha256="6" * 64)
# Answers from a word to a paragraph, so that a batch of them packs unevenly.
RECORDS = [
    Record(f"c{i}", "chat", SOURCE, messages=(Message("user", f"Question {i}?"), Message("assistant", " ".join(["word", "note"][i % 2 :] * (1 + 6 * (i % 4) ** 2)))))
    for i in range(16)
]
CONFIG = TrainConfig(max_steps=5, batch_size=8, learning_rate=1e-2, max_seq_len=128, dp=True, accountant="rdp")

pytestmark = pytest.mark.usefixtures("one_thread")


def batch_of(lengths: list[int]) -> dict[str, torch.Tensor]:
    """A right-padded batch whose rows hold (row + 1) * 1000 + position as their tokens."""
    width = max(lengths)
    ids = torch.zeros((len(lengths), width), dtype=torch.long)
    mask = torch.zeros_like(ids)
    for row, n in enumerate(lengths):
        ids[row, :n], mask[row, :n] = (row + 1) * 1000 + torch.arange(n), 1
    return {"input_ids": ids, "attention_mask": mask, "labels": ids.masked_fill(mask == 0, IGNORE)}


def test_a_poisson_batch_is_packed_into_one_pass_with_every_example_whole_and_apart() -> None:
    batch = batch_of([30, 120, 60, 90])
    passes = unit_packing.dp_layout(batch, split_cost_tokens=32, attention_tokens=2100)

    assert len(passes) == 1
    packed = passes[0]
    # 300 real tokens in 2 rows of 150 (120 + 30, 90 + 60): no padding, one pass.
    assert tuple(packed["input_ids"].shape) == (2, 150) and int(packed["attention_mask"].sum()) == 300
    seen = []
    for unit in range(4):
        where = packed["units"] == unit
        n = int(batch["attention_mask"][unit].sum())
        # All its tokens, in order, in one row, positions restarting at 0; its first token predicts nothing.
        assert int(where.sum()) == n and int(where.any(dim=1).sum()) == 1
        assert packed["input_ids"][where].tolist() == batch["input_ids"][unit, :n].tolist()
        assert packed["position_ids"][where].tolist() == list(range(n))
        labels = packed["labels"][where]
        assert labels[0] == IGNORE and labels[1:].tolist() == batch["labels"][unit, 1:n].tolist()
        seen.append(unit)
    assert seen == [0, 1, 2, 3]


def test_packing_is_used_only_where_it_is_cheaper_and_where_the_device_packs() -> None:
    even = batch_of([100, 100, 100, 100])  # no padding to save: four rows in one pass already
    assert "units" not in unit_packing.dp_layout(even, split_cost_tokens=32, attention_tokens=2100)[0]
    uneven = batch_of([30, 120, 60, 90])
    unpacked = unit_packing.dp_layout(uneven, split_cost_tokens=32, attention_tokens=None)  # a device that does not pack
    assert [p["input_ids"].tolist() for p in unpacked] == [p["input_ids"].tolist() for p in privacy.physical_batches(uneven, split_cost_tokens=32)]
    assert unit_packing.dp_layout({key: value[:0] for key, value in uneven.items()}, split_cost_tokens=32, attention_tokens=2100) == []


def private_setup(model_dir: Path):
    tokenizer = load_tokenizer(model_dir)
    examples = encode_records(RECORDS, tokenizer, CONFIG.max_seq_len)
    torch.manual_seed(0)
    model = build_lora_model(load_causal_lm(model_dir), r=8, alpha=16, dropout=0.0, target_modules=lora_targets("llama", None))
    with torch.no_grad():  # lora_B starts at zero; give every LoRA weight a gradient from the first step
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.normal_(std=0.02)
    assert unit_packing.isolates(model, len(tokenizer), tolerance=1e-5)
    optimizer = build_optimizer(model, learning_rate=1e-2, weight_decay=0.0)
    model, optimizer, _, engine = privacy.make_private(model, optimizer, examples, pad_id=tokenizer.pad_token_id, config=CONFIG, delta=1e-3, steps=5)
    gradients = unit_packing.install_unit_gradients(model)
    assert gradients is not None
    return tokenizer, examples, model, optimizer, engine, gradients


def per_sample_gradients(model, optimizer, gradients, batch) -> list[torch.Tensor]:
    """Each trainable parameter's per-example gradients for one pass (Opacus' grad_sample), mean loss as the trainer's."""
    optimizer.zero_grad(set_to_none=True)
    with gradients.packed(batch):
        logits = model(**model_inputs(batch)).logits
        if "units" in batch:
            losses = unit_packing.per_unit_loss(logits, batch)
        else:
            labels = batch["labels"][:, 1:]
            token = torch.nn.functional.cross_entropy(logits[:, :-1].float().transpose(1, 2), labels, ignore_index=IGNORE, reduction="none")
            losses = token.sum(dim=1) / (labels != IGNORE).sum(dim=1)
        losses.mean().backward()
    samples = [p.grad_sample.detach().clone() for p in optimizer.params]
    optimizer.zero_grad(set_to_none=True)
    return samples


@pytest.mark.parametrize("unit", ["chat", "document", "subject"])
def test_each_packed_examples_gradient_equals_its_gradient_alone(unit: str, tiny_model_dir: Path) -> None:
    tokenizer, examples, model, optimizer, _, gradients = private_setup(tiny_model_dir)
    if unit == "document":  # every token trained, the first one too: packed, it must not be predicted from the example before
        examples = [encode_document(" ".join(["alpha", "beta", "gamma"][: 1 + i % 3] * (6 + 5 * i)), tokenizer) for i in range(5)]
    if unit == "subject":  # user-level DP: an example is already several records side by side
        examples = [pack_group(examples[i : i + 3]) for i in range(0, 12, 3)]
    batch = collate(examples[:5], tokenizer.pad_token_id)
    members = unit_packing.balanced_rows([int(n) for n in batch["attention_mask"].sum(dim=1)], 2)
    packed = unit_packing.pack_units(batch, members)
    assert packed["input_ids"].shape[0] == 2 and any(len(row) > 1 for row in members)

    together = per_sample_gradients(model, optimizer, gradients, packed)
    count = batch["input_ids"].shape[0]
    for i in range(count):
        alone = per_sample_gradients(model, optimizer, gradients, {key: value[i : i + 1] for key, value in batch.items()})
        for shared, own in zip(together, alone, strict=True):
            assert shared.shape[0] == count
            assert float(own.abs().max()) > 0  # every LoRA A and B has a per-example gradient
            torch.testing.assert_close(shared[i], own[0], rtol=1e-5, atol=1e-5 * float(own.abs().max()))


@pytest.mark.parametrize("clip", [100.0, 1e-3], ids=["no example clipped", "every example clipped"])
def test_packed_step_equals_the_unpacked_step_and_clips_each_example(clip: float, tiny_model_dir: Path) -> None:
    tokenizer, examples, model, optimizer, engine, gradients = private_setup(tiny_model_dir)
    optimizer.max_grad_norm, optimizer.noise_multiplier = clip, 0.0
    for group in optimizer.param_groups:
        group["lr"] = 0.0
    batch = collate(examples[:8], tokenizer.pad_token_id)
    packed = unit_packing.dp_layout(batch, split_cost_tokens=32, attention_tokens=2100)
    assert len(packed) == 1 and "units" in packed[0] and packed[0]["input_ids"].shape[0] < 8

    rows_loss = private_step(model, optimizer, privacy.physical_batches(batch, split_cost_tokens=32))
    rows = [p.grad.clone() for p in optimizer.params]
    packed_loss = private_step(model, optimizer, packed, unit_gradients=gradients)
    shared = [p.grad.clone() for p in optimizer.params]

    assert packed_loss == pytest.approx(rows_loss, rel=1e-5)
    for a, b in zip(rows, shared, strict=True):
        torch.testing.assert_close(b, a, rtol=1e-4, atol=1e-5 * float(a.abs().max()))
    if clip < 1:  # 8 clipped examples over the expected batch of 8: the update's norm is at most C
        assert torch.cat([p.flatten() for p in shared]).norm() <= clip * 1.001
    assert sum(steps for _, _, steps in engine.accountant.history) == 2


def test_a_packed_batch_without_per_unit_gradients_is_refused(tiny_model_dir: Path) -> None:
    tokenizer, examples, model, optimizer, _, _ = private_setup(tiny_model_dir)
    packed = unit_packing.dp_layout(collate(examples[:8], tokenizer.pad_token_id), split_cost_tokens=32, attention_tokens=2100)
    with pytest.raises(RuntimeError, match="unit_gradients"):
        private_step(model, optimizer, packed)


def test_the_per_row_gradient_of_a_linear_layer_is_opacus_own() -> None:
    from opacus import GradSampleModule
    from opacus.grad_sample.linear import compute_linear_grad_sample

    layer = torch.nn.Linear(8, 24)
    gradients = unit_packing.UnitGradients(GradSampleModule(torch.nn.Sequential(layer)))
    for x, g in [(torch.randn(3, 5, 8), torch.randn(3, 5, 24)), (torch.randn(3, 8), torch.randn(3, 24))]:  # with and without positions
        ours, theirs = gradients.linear_grad_sample(layer, [x], g), compute_linear_grad_sample(layer, [x], g)
        assert ours.keys() == theirs.keys() == {layer.weight, layer.bias}
        for p in ours:
            torch.testing.assert_close(ours[p], theirs[p])
    wide = torch.nn.Linear(24, 8)  # the other orientation: the thin side first
    x, g = torch.randn(3, 5, 24), torch.randn(3, 5, 8)
    torch.testing.assert_close(gradients.linear_grad_sample(wide, [x], g)[wide.weight], compute_linear_grad_sample(wide, [x], g)[wide.weight])
