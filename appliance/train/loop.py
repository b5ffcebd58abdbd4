"""Fine-tune a LoRA adapter on records, optionally with DP-SGD: setup, train, save.

Shaped like torchtune's single-device LoRA recipe: small builders that take flat arguments,
then one loop that reads top to bottom. Nothing here logs or raises record text.
"""

from __future__ import annotations

import math
import os
import random
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from appliance.config import TrainConfig
from appliance.errors import ApplianceError
from appliance.records import Record
from appliance.train import privacy
from appliance.train.data import IGNORE, collate, encode_records, length_grouped_batches
from appliance.train.lm import load_causal_lm, load_tokenizer, pick_device

LLAMA_STYLE_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
DEFAULT_TARGETS: dict[str, tuple[str, ...]] = {
    "llama": LLAMA_STYLE_TARGETS,
    "mistral": LLAMA_STYLE_TARGETS,
    "qwen2": LLAMA_STYLE_TARGETS,
    "qwen3": LLAMA_STYLE_TARGETS,
    "gpt2": ("c_attn", "c_proj", "c_fc"),
}


@dataclass(frozen=True)
class TrainResult:
    steps: int
    adapter_dir: Path
    trainable_parameters: int
    total_parameters: int
    first_loss: float
    last_loss: float
    # {epsilon, delta, noise_multiplier, sample_rate, accountant, max_grad_norm, steps, privacy_unit}
    dp: dict[str, Any] | None


# ---- builders -------------------------------------------------------------------------------


def seed_everything(seed: int) -> None:
    random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device


def lora_targets(model_type: str, configured: Sequence[str] | str | None) -> list[str] | str:
    if configured is not None:
        return configured if isinstance(configured, str) else list(configured)
    return list(DEFAULT_TARGETS.get(model_type, ())) or "all-linear"


def build_lora_model(model, *, r: int, alpha: int, dropout: float, target_modules: list[str] | str):
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(r=r, lora_alpha=alpha, lora_dropout=dropout, target_modules=target_modules, task_type="CAUSAL_LM")
    return get_peft_model(model, config)


def build_optimizer(model, *, learning_rate: float, weight_decay: float) -> torch.optim.Optimizer:
    params = [p for p in model.parameters() if p.requires_grad]
    return torch.optim.AdamW(params, lr=learning_rate, weight_decay=weight_decay)


def lr_factor(step: int, *, warmup_steps: int, max_steps: int) -> float:
    """Linear warmup (never exactly zero), then cosine decay towards zero."""
    if step < warmup_steps:
        return (step + 1) / (warmup_steps + 1)
    progress = (step - warmup_steps) / max(1, max_steps - warmup_steps)
    return 0.5 * (1.0 + math.cos(math.pi * progress))


def build_scheduler(optimizer, *, warmup_steps: int, max_steps: int) -> torch.optim.lr_scheduler.LambdaLR:
    return torch.optim.lr_scheduler.LambdaLR(optimizer, partial(lr_factor, warmup_steps=warmup_steps, max_steps=max_steps))


def length_grouped_loader(examples, *, batch_size: int, pad_id: int, seed: int) -> Iterator[dict[str, torch.Tensor]]:
    """Endless batches of similar-length examples, reshuffled every epoch."""
    rng = random.Random(seed)
    lengths = [len(e.input_ids) for e in examples]
    while True:
        for batch in length_grouped_batches(lengths, batch_size, rng):
            yield collate([examples[i] for i in batch], pad_id)


def per_example_loss(logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(sum of token losses, trained-token count) per row; position t predicts token t + 1."""
    labels = labels[:, 1:]
    token_loss = F.cross_entropy(logits[:, :-1].transpose(1, 2), labels, ignore_index=IGNORE, reduction="none")
    return token_loss.sum(dim=1), (labels != IGNORE).sum(dim=1)


def train_step(model, optimizer, batch: dict[str, torch.Tensor], *, clip_norm: float | None) -> float | None:
    """One optimizer step on one batch; the batch loss, or None for an empty DP batch.

    clip_norm clips the batch gradient; None under DP, where Opacus clips each example instead.
    """
    optimizer.zero_grad(set_to_none=True)
    if batch["input_ids"].shape[0] == 0:
        # Poisson sampling drew no record. DP-SGD still releases a noise-only update and the
        # accountant counts the step; skipping it would leak that the batch was empty.
        for p in optimizer.params:
            p.grad_sample = p.new_zeros((0, *p.shape))
        optimizer.step()
        return None
    logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    loss_sums, counts = per_example_loss(logits, batch["labels"])
    # Each example's own mean token loss, averaged over the batch: with Opacus'
    # loss_reduction="mean" every per-sample gradient is then that example's own.
    loss = (loss_sums / counts.clamp(min=1)).mean()
    loss.backward()
    if clip_norm is not None:
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
    optimizer.step()
    return loss.item()


def lora_b_weights(model) -> dict[str, torch.Tensor]:
    return {name: p.detach().clone() for name, p in model.named_parameters() if "lora_B" in name}


def save_adapter(model, tokenizer, out_dir: Path) -> None:
    """Write adapter (safetensors) and tokenizer to a temporary sibling, then swap it into place."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        model.save_pretrained(staging, safe_serialization=True, save_embedding_layers=False)
        tokenizer.save_pretrained(staging)
        if out_dir.exists():
            old = staging.with_name(staging.name + ".old")
            os.replace(out_dir, old)
            os.replace(staging, out_dir)
            shutil.rmtree(old)
        else:
            os.replace(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


# ---- the recipe -----------------------------------------------------------------------------


def train_lora(
    model_dir: Path,
    records: Sequence[Record],
    config: TrainConfig,
    out_dir: Path,
    *,
    delta: float | None = None,
    on_step: Callable[[dict], None] | None = None,
) -> TrainResult:
    """Fine-tune a LoRA adapter on `records` for config.max_steps steps and save it to out_dir.

    Example: train_lora(model_dir, records, TrainConfig(max_steps=20), run / "adapter")
    """
    # Setup.
    seed_everything(config.seed)
    device = pick_device()
    tokenizer = load_tokenizer(model_dir)
    examples = encode_records(records, tokenizer, config.max_seq_len)
    if not examples:
        raise ApplianceError(f"none of the {len(records)} records has a token to train on; check the ingest output")
    base = load_causal_lm(model_dir, device)
    targets = lora_targets(base.config.model_type, config.target_modules)
    model = build_lora_model(
        base, r=config.lora_r, alpha=config.lora_alpha, dropout=config.lora_dropout, target_modules=targets
    )
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    optimizer = build_optimizer(model, learning_rate=config.learning_rate, weight_decay=config.weight_decay)
    initial_b = lora_b_weights(model)

    engine = loader = None
    if config.dp:
        delta = delta or config.delta or 1 / (10 * len(examples))
        model, optimizer, loader, engine = privacy.make_private(
            model, optimizer, examples,
            pad_id=tokenizer.pad_token_id, config=config, delta=delta, steps=config.max_steps, device=device,
        )
        batches = privacy.poisson_batches(loader)
    else:
        batches = length_grouped_loader(
            examples, batch_size=config.batch_size, pad_id=tokenizer.pad_token_id, seed=config.seed
        )
    # After make_private: Opacus wraps the optimizer, and the schedule must drive the wrapper.
    scheduler = build_scheduler(optimizer, warmup_steps=config.warmup_steps, max_steps=config.max_steps)

    # Train.
    model.train()
    losses: list[float] = []
    for step in range(1, config.max_steps + 1):
        started = time.perf_counter()
        batch = {key: value.to(device) for key, value in next(batches).items()}
        lr = optimizer.param_groups[0]["lr"]
        loss = train_step(model, optimizer, batch, clip_norm=None if config.dp else config.max_grad_norm)
        scheduler.step()
        if loss is not None:
            losses.append(loss)

        if on_step is not None:
            seconds = time.perf_counter() - started
            event = {
                "step": step,
                "loss": loss,  # None on an empty DP batch
                "lr": lr,
                "tokens_per_s": float(batch["attention_mask"].sum()) / seconds,
            }
            if config.dp:
                event["epsilon"] = float(engine.get_epsilon(delta))
            on_step(event)

    # Cleanup: check that LoRA actually learned, then save.
    if config.dp:
        model = model._module  # the PeftModel inside Opacus' GradSampleModule
    final_b = lora_b_weights(model)
    if not any(not torch.equal(initial_b[name], final_b[name]) for name in initial_b):
        raise ApplianceError("training left every LoRA weight unchanged; the adapter would be a no-op")
    save_adapter(model, tokenizer, out_dir)

    return TrainResult(
        steps=config.max_steps,
        adapter_dir=Path(out_dir),
        trainable_parameters=trainable,
        total_parameters=total,
        first_loss=losses[0] if losses else math.nan,
        last_loss=losses[-1] if losses else math.nan,
        dp=privacy.report(engine, optimizer, loader, config=config, delta=delta) if config.dp else None,
    )
