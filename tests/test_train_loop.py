"""Training a LoRA adapter on a tiny random Llama, with and without DP-SGD, and scoring with it."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from appliance.config import TrainConfig
from appliance.records import Message, Record, Source
from appliance.train import privacy
from appliance.train.data import collate, encode_records
from appliance.train.lm import load_causal_lm, load_tokenizer
from appliance.train.loop import (
    TrainResult,
    build_lora_model,
    build_optimizer,
    lora_targets,
    per_example_loss,
    train_lora,
    train_step,
)
from appliance.train.scoring import label_logprobs, load_adapter, token_losses

SOURCE = Source(path="chats.jsonl", sha256="0" * 64)
RECORDS = [
    Record(f"c{i}", "chat", SOURCE, messages=(Message("user", f"What is {i} plus one?"), Message("assistant", f"It is {i + 1}.")))
    for i in range(12)
] + [
    Record(f"l{i}", "document", SOURCE, text=f"Applicant {i} has {'stable' if i % 2 else 'no'} income.", label="approved" if i % 2 else "declined")
    for i in range(4)
]
CONFIG = TrainConfig(max_steps=15, batch_size=4, learning_rate=1e-2, warmup_steps=2, max_seq_len=64)


def lora_b(adapter_dir: Path) -> dict[str, torch.Tensor]:
    weights = load_file(adapter_dir / "adapter_model.safetensors")
    return {name: w for name, w in weights.items() if "lora_B" in name}


@pytest.fixture(scope="module")
def trained(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[TrainResult, list[dict]]:
    events: list[dict] = []
    result = train_lora(tiny_model_dir, RECORDS, CONFIG, tmp_path_factory.mktemp("run") / "adapter", on_step=events.append)
    return result, events


@pytest.fixture(scope="module")
def trained_dp(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[TrainResult, list[dict]]:
    events: list[dict] = []
    config = CONFIG.model_copy(update={"dp": True, "target_epsilon": 8.0, "accountant": "rdp"})
    result = train_lora(tiny_model_dir, RECORDS, config, tmp_path_factory.mktemp("run-dp") / "adapter", delta=1e-3, on_step=events.append)
    return result, events


def test_training_lowers_the_loss_and_changes_the_adapter(trained) -> None:
    result, events = trained
    losses = [event["loss"] for event in events]

    assert [event["step"] for event in events] == list(range(1, 16))
    assert sum(losses[-3:]) / 3 < sum(losses[:3]) / 3
    assert (result.first_loss, result.last_loss) == (losses[0], losses[-1])
    assert all(event["tokens_per_s"] > 0 and "epsilon" not in event for event in events)
    assert result.steps == 15 and result.dp is None
    # Every attention and MLP projection of both layers: 2 x 8 x (2x128 + 2x96 + 3x192).
    assert result.trainable_parameters == 16384
    assert result.total_parameters > 3_000_000
    assert all(w.abs().sum() > 0 for w in lora_b(result.adapter_dir).values())


def test_adapter_is_saved_as_safetensors_with_the_tokenizer(trained) -> None:
    names = {p.name for p in trained[0].adapter_dir.iterdir()}

    assert {"adapter_model.safetensors", "adapter_config.json", "tokenizer.json", "chat_template.jinja"} <= names
    assert not [name for name in names if name.endswith((".bin", ".pt", ".pth"))]
    assert not [p for p in trained[0].adapter_dir.parent.iterdir() if p.name.startswith(".adapter")]  # no staging left


def test_default_lora_targets_by_architecture() -> None:
    assert lora_targets("llama", None) == ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    assert lora_targets("gpt2", None) == ["c_attn", "c_proj", "c_fc"]
    assert lora_targets("unknown", None) == "all-linear"
    assert lora_targets("llama", ("q_proj",)) == ["q_proj"]


def test_dp_training_reports_its_privacy_spend(trained_dp) -> None:
    result, events = trained_dp

    assert result.dp is not None
    assert 0 < result.dp["epsilon"] <= 8.0
    assert result.dp["noise_multiplier"] > 0
    assert result.dp["sample_rate"] == 0.25  # batch 4 of 16 records
    assert result.dp["delta"] == 1e-3
    assert (result.dp["steps"], result.dp["privacy_unit"], result.dp["accountant"]) == (15, "record", "rdp")
    assert all(event["loss"] is None or event["loss"] > 0 for event in events)
    epsilons = [event["epsilon"] for event in events]
    assert epsilons == sorted(epsilons) and epsilons[-1] == pytest.approx(result.dp["epsilon"])
    assert all(w.abs().sum() > 0 for w in lora_b(result.adapter_dir).values())


def private_setup(model_dir: Path, config: TrainConfig):
    tokenizer = load_tokenizer(model_dir)
    examples = encode_records(RECORDS, tokenizer, config.max_seq_len)
    model = build_lora_model(load_causal_lm(model_dir), r=8, alpha=16, dropout=0.0, target_modules=lora_targets("llama", None))
    optimizer = build_optimizer(model, learning_rate=1e-2, weight_decay=0.0)
    private = privacy.make_private(model, optimizer, examples, pad_id=tokenizer.pad_token_id, config=config, delta=1e-3, steps=5)
    return tokenizer, examples, *private


def test_dp_clips_each_example_and_reaches_every_lora_parameter(tiny_model_dir: Path) -> None:
    clip = 1e-3  # far below these gradients' norms, so every example is clipped
    config = CONFIG.model_copy(update={"dp": True, "max_grad_norm": clip})
    tokenizer, examples, model, optimizer, _, _ = private_setup(tiny_model_dir, config)

    def backward(batch_examples) -> None:
        optimizer.zero_grad()
        batch = collate(batch_examples, tokenizer.pad_token_id)
        loss_sums, counts = per_example_loss(model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits, batch["labels"])
        (loss_sums / counts).mean().backward()

    for example in examples[:3]:  # one example at a time: the summed clipped gradient is its own
        backward([example])
        raw_norm = torch.cat([p.grad_sample.flatten() for p in optimizer.params]).norm()
        optimizer.clip_and_accumulate()
        clipped_norm = torch.cat([p.summed_grad.flatten() for p in optimizer.params]).norm()
        assert raw_norm > clip
        assert clipped_norm <= clip * 1.001
        assert clipped_norm == pytest.approx(clip, rel=1e-3)

    backward(examples[:4])  # first step: lora_B is zero, so only lora_B has gradients yet
    optimizer.step()
    backward(examples[4:8])
    names = {id(p): name for name, p in model.named_parameters()}
    assert len(optimizer.params) == 2 * 7 * 2  # lora_A and lora_B of 7 projections in 2 layers
    for p in optimizer.params:
        assert p.grad_sample.shape == (4, *p.shape)
        assert all(row.abs().sum() > 0 for row in p.grad_sample), names[id(p)]


def test_empty_poisson_batches_still_take_a_noisy_step_that_the_accountant_counts(tiny_model_dir: Path, monkeypatch) -> None:
    monkeypatch.setattr(privacy, "secret_generator", lambda device="cpu": torch.Generator(device).manual_seed(0))
    config = CONFIG.model_copy(update={"dp": True, "batch_size": 1})  # each record drawn with p = 1/16
    _, _, model, optimizer, loader, engine = private_setup(tiny_model_dir, config)

    # Before any batch Opacus has no structure to copy and hands back a bare list; we still get a dict.
    first = next(privacy.poisson_batches([loader.collate_fn([])]))
    batches = privacy.poisson_batches(loader)
    drawn = [next(batches) for _ in range(30)]
    assert any(len(batch["input_ids"]) == 0 for batch in drawn)

    for batch in (first, next(b for b in drawn if len(b["input_ids"]) == 0)):
        assert set(batch) == {"input_ids", "attention_mask", "labels"} and batch["input_ids"].shape[0] == 0
        before = [p.detach().clone() for p in optimizer.params]
        assert train_step(model, optimizer, batch, clip_norm=None) is None
        assert all(not torch.equal(old, p) for old, p in zip(before, optimizer.params, strict=True))
    assert sum(steps for _, _, steps in engine.accountant.history) == 2


def test_scoring_masks_like_training_and_sees_the_adapter(trained, tiny_model_dir: Path) -> None:
    tokenizer = load_tokenizer(tiny_model_dir)
    model = load_adapter(tiny_model_dir, trained[0].adapter_dir)
    records = [*RECORDS[:3], Record("empty", "document", SOURCE, text="")]

    tuned = token_losses(model, tokenizer, records, max_len=64, batch_size=2)
    with model.disable_adapter():
        base = token_losses(model, tokenizer, records, max_len=64)

    assert tuned[-1] == base[-1] == (0.0, 0)
    answers = [len(tokenizer(f"It is {i + 1}.<|im_end|>").input_ids) for i in range(3)]
    assert [count for _, count in tuned[:3]] == [count for _, count in base[:3]] == answers
    assert all(math.isfinite(loss) and loss > 0 for loss, _ in tuned[:3])
    assert [loss for loss, _ in tuned[:3]] != pytest.approx([loss for loss, _ in base[:3]])

    scores = label_logprobs(model, tokenizer, "Applicant 1 has stable income.", ["approved", "declined"], max_len=64)
    assert set(scores) == {"approved", "declined"}
    assert all(math.isfinite(s) and s < 0 for s in scores.values())
