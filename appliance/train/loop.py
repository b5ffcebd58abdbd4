"""Fine-tune on records (LoRA by default), optionally with DP-SGD: setup, train, save.

Shaped like torchtune's single-device LoRA recipe: small builders that take flat arguments,
then one loop that reads top to bottom. Nothing here logs or raises record text.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from appliance.config import TrainConfig
from appliance.errors import ApplianceError
from appliance.records import Record
from appliance.train import distributed, privacy, unit_packing
from appliance.train.checkpoint import latest_checkpoint, load_checkpoint, save_adapter, save_checkpoint, save_merged
from appliance.train.data import IGNORE, Example, LengthGroupedLoader, encode_for_task
from appliance.train.lm import load_causal_lm, load_tokenizer, pick_device
from appliance.train.methods import (  # noqa: F401  (lora_targets and build_lora_model are part of this module's API)
    build_lora_model,
    build_trainable_model,
    check_method,
    lora_targets,
    restore_snapshot,
    trainable_snapshot,
)
from appliance.train.packing import model_inputs, pack_examples, pack_whole_examples, verify_isolation
from appliance.train.precision import apply_autocast, resolve_precision
from appliance.train.validation import EarlyStopping, validation_loss


@dataclass(frozen=True)
class TrainResult:
    steps: int
    adapter_dir: Path
    trainable_parameters: int
    total_parameters: int
    first_loss: float
    last_loss: float
    # Every step's metrics, including those before a resume: {step, loss, lr, tokens_per_s[, epsilon]}.
    history: list[dict[str, Any]]
    resumed_from: int  # the checkpoint step this run continued from; 0 for a fresh start
    # Why training ended before max_steps ("privacy budget", "early stopping"), or None.
    stopped_early: str | None
    # {epsilon, delta, noise_multiplier, sample_rate, accountant, max_grad_norm, steps, privacy_unit}
    dp: dict[str, Any] | None
    # How the data was laid out and what was kept: task, method, packing, validation and early stopping.
    details: dict[str, Any] = field(default_factory=dict)


# ---- builders -------------------------------------------------------------------------------


def seed_everything(seed: int) -> None:
    random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device


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


def run_fingerprint(config: TrainConfig, examples, task: str = "instruction") -> str:
    """What a checkpoint must share with the run resuming it: settings (except `resume`), task and data."""
    settings = {**config.model_dump(mode="json", exclude={"resume"}), "task": task}
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    for example in examples:
        digest.update(json.dumps([example.input_ids, example.labels, example.position_ids]).encode())
    return digest.hexdigest()


def per_example_loss(logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(sum of token losses, trained-token count) per row; position t predicts token t + 1.

    Always in float32: bf16 logits would round a near-certain token's loss to zero.
    """
    labels = labels[:, 1:]
    token_loss = F.cross_entropy(logits[:, :-1].float().transpose(1, 2), labels, ignore_index=IGNORE, reduction="none")
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
    logits = model(**model_inputs(batch)).logits
    loss_sums, counts = per_example_loss(logits, batch["labels"])
    # Each example's own mean token loss, averaged over the batch: with Opacus'
    # loss_reduction="mean" every per-sample gradient is then that example's own.
    loss = (loss_sums / counts.clamp(min=1)).mean()
    loss.backward()
    if clip_norm is not None:
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
    optimizer.step()
    return loss.item()


def private_step(model, optimizer, micro_batches: Sequence[dict[str, torch.Tensor]], *, unit_gradients=None) -> float | None:
    """One DP-SGD step over a Poisson batch laid out as micro-batches; the mean example loss, or None if it drew nobody.

    Opacus clips each example's gradient when its micro-batch is done and adds the clipped
    gradients up (signal_skip_step, as its BatchMemoryManager does); noise is added once, after
    the last micro-batch, and the accountant counts one step at the same sampling rate.
    A micro-batch with `units` holds several examples per row (unit_packing.dp_layout): its
    per-example gradients are summed per unit by `unit_gradients`, which it therefore needs.
    """
    if not micro_batches:
        return train_step(model, optimizer, {"input_ids": torch.zeros((0, 1), dtype=torch.long)}, clip_norm=None)
    optimizer.zero_grad(set_to_none=True)
    loss_total, rows = 0.0, 0
    for k, batch in enumerate(micro_batches):
        last = k == len(micro_batches) - 1
        packed = "units" in batch
        if packed and unit_gradients is None:
            # Per-row clipping of a packed row would clip several examples together: not the privacy unit.
            raise RuntimeError("a packed DP micro-batch needs unit_gradients (unit_packing.install_unit_gradients)")
        with unit_gradients.packed(batch) if packed else contextlib.nullcontext():
            logits = model(**model_inputs(batch)).logits
            if packed:
                example_losses = unit_packing.per_unit_loss(logits, batch)
            else:
                loss_sums, counts = per_example_loss(logits, batch["labels"])
                example_losses = loss_sums / counts.clamp(min=1)
            # The micro-batch mean: Opacus scales each per-sample gradient back by the micro-batch's size.
            example_losses.mean().backward()
        loss_total, rows = loss_total + float(example_losses.detach().sum()), rows + len(example_losses)
        if not last:
            optimizer.signal_skip_step(do_skip=True)
        optimizer.step()
        if not last:
            optimizer.zero_grad(set_to_none=True)  # drops the per-sample gradients; their clipped sum stays
    return loss_total / rows


def accumulated_step(model, optimizer, batches: Sequence[dict[str, torch.Tensor]], *, clip_norm: float) -> float:
    """One optimizer step over several micro-batches (gradient accumulation, without DP); the mean loss."""
    optimizer.zero_grad(set_to_none=True)
    losses = []
    for batch in batches:
        logits = model(**model_inputs(batch)).logits
        loss_sums, counts = per_example_loss(logits, batch["labels"])
        loss = (loss_sums / counts.clamp(min=1)).mean()
        (loss / len(batches)).backward()
        losses.append(loss.item())
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
    optimizer.step()
    return sum(losses) / len(losses)


# ---- the recipe -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainingData:
    """The examples one optimizer step draws from, and how they were laid out."""

    examples: list[Example]
    packed: bool
    # Under user-level DP: data subjects trained, and records left out past the per-subject cap.
    subjects: int | None = None
    records_over_cap: int = 0


def prepare_data(records: Sequence[Record], tokenizer, config: TrainConfig, task: str) -> TrainingData:
    """Encode records for the task; pack them into rows without DP; group records by subject under user-level DP."""
    if config.dp and config.privacy_unit == "subject":
        grouped = privacy.subject_examples(records, tokenizer, config, task)
        return TrainingData(grouped.examples, packed=True, subjects=len(grouped.examples), records_over_cap=grouped.records_over_cap)
    # Record-level DP needs one record per example (the unit the accountant counts): no packing, no splitting.
    examples = encode_for_task(records, tokenizer, config.max_seq_len, task=task, assistant_turns=config.assistant_turns, one_per_record=config.dp)
    # Prefix tuning's virtual tokens are a KV cache, which turns the packed attention mask off;
    # completion refuses that combination (check_method), other tasks simply train unpacked.
    if not config.packing or config.dp or config.method == "prefix":
        return TrainingData(examples, packed=False)
    rng = random.Random(config.seed)  # which examples share a row: shuffled, reproducibly
    examples = list(examples)
    rng.shuffle(examples)
    if task == "completion":
        return TrainingData(pack_examples(examples, config.max_seq_len), packed=True)
    # Conversations and labelled rows stay whole: an answer cut from its question teaches nothing.
    return TrainingData(pack_whole_examples(examples, config.max_seq_len), packed=True)


def train_lora(
    model_dir: Path,
    records: Sequence[Record],
    config: TrainConfig,
    out_dir: Path,
    *,
    task: str = "instruction",
    validation: Sequence[Record] = (),
    delta: float | None = None,
    on_step: Callable[[dict], None] | None = None,
    checkpoint_dir: Path | None = None,
    max_epsilon: float | None = None,
    merged_dir: Path | None = None,
) -> TrainResult:
    """Fine-tune `records` for config.max_steps steps (LoRA by default; config.method) and save to out_dir.

    With checkpoint_dir, a checkpoint is saved there every config.checkpoint_every steps, and
    config.resume continues from the latest one. Under DP, max_epsilon (the policy's limit) is
    checked before training and before every step: training stops rather than exceed it.
    With `validation` records and config.eval_every, the validation loss is measured every N
    steps (and at the end); early stopping keeps the weights of the best evaluation.
    With merged_dir and config.merge, the base model with the adapter merged in is saved there.

    Example: train_lora(model_dir, records, TrainConfig(max_steps=20), run / "adapter")
    """
    # Setup.
    seed_everything(config.seed)
    ranks = distributed.init_distributed(dp=config.dp)  # one process unless launched by torchrun
    device = distributed.device_for(ranks) if ranks.enabled else pick_device()
    check_method(config, task=task, cuda=device.type == "cuda")
    precision = resolve_precision(config.precision, device=device, method=config.method, load_in_4bit=config.load_in_4bit)
    tokenizer = load_tokenizer(model_dir)
    data = prepare_data(records, tokenizer, config, task)
    if not data.examples:
        raise ApplianceError(f"none of the {len(records)} records has a token to train on; check the ingest output")
    validation_examples = encode_for_task(validation, tokenizer, config.max_seq_len, task=task, assistant_turns=config.assistant_turns) if validation else []
    base = load_causal_lm(model_dir, device, load_in_4bit=config.load_in_4bit, dtype=precision.base_dtype)
    model = peft_model = apply_autocast(build_trainable_model(base, config), precision, device)
    if data.packed:
        verify_isolation(peft_model, len(tokenizer), tolerance=precision.logit_tolerance)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    optimizer = build_optimizer(model, learning_rate=config.learning_rate, weight_decay=config.weight_decay)
    initial = trainable_snapshot(model)
    model = distributed.wrap_model(peft_model, ranks, device)

    engine = loader = unit_gradients = None
    if config.dp:
        delta = delta or config.delta or 1 / (10 * len(data.examples))
        model, optimizer, loader, engine = privacy.make_private(
            model, optimizer, data.examples,
            pad_id=tokenizer.pad_token_id, config=config, delta=delta, steps=config.max_steps, device=device,
        )
        planned = privacy.epsilon_after(engine.accountant, optimizer, loader, delta=delta, steps=config.max_steps)
        if max_epsilon is not None and planned > max_epsilon:
            raise ApplianceError(f"{config.max_steps} steps would spend epsilon {planned:.2f}, above the policy maximum {max_epsilon}; lower --max-steps or --epsilon")
        # Under torchrun: this rank's slice of one Poisson draw over all examples, empty draws kept.
        batches = privacy.poisson_batches(distributed.every_step_poisson(loader, ranks))
        split_cost = privacy.SPLIT_COST_TOKENS.get(device.type, privacy.SPLIT_COST_TOKENS["cuda"])
        # Per-example gradients of the LoRA Linear layers in one bmm each; several examples per row where
        # that is cheaper (CPU), each still its own clipped unit, if this model keeps packed examples apart.
        unit_gradients = unit_packing.install_unit_gradients(model)
        attention_tokens = unit_packing.ATTENTION_TOKENS.get(device.type)
        if attention_tokens is not None and not (unit_gradients and unit_packing.isolates(peft_model, len(tokenizer), tolerance=precision.logit_tolerance)):
            attention_tokens = None
    else:
        own = distributed.shard(data.examples, ranks)
        if not own:
            raise ApplianceError(f"{len(data.examples)} training examples cannot feed {ranks.world_size} processes; use fewer processes")
        batches = LengthGroupedLoader(own, batch_size=config.batch_size, pad_id=tokenizer.pad_token_id, seed=config.seed)
    # After make_private: Opacus wraps the optimizer, and the schedule must drive the wrapper.
    scheduler = build_scheduler(optimizer, warmup_steps=config.warmup_steps, max_steps=config.max_steps)

    fingerprint = run_fingerprint(config, data.examples, task)
    history: list[dict[str, Any]] = []
    stopper = EarlyStopping(config.early_stopping_patience)
    best: dict[str, torch.Tensor] | None = None
    start_step = 0
    latest = latest_checkpoint(checkpoint_dir) if (checkpoint_dir and config.resume) else None
    if latest is not None:
        state = load_checkpoint(latest, model=peft_model, optimizer=optimizer, scheduler=scheduler, fingerprint=fingerprint)
        start_step, history = state["step"], state["metrics"]
        stopper.load_state_dict(state["early_stopping"])
        best = state.get("best_weights")
        if config.dp:
            engine.accountant.history = [tuple(entry) for entry in state["accountant_history"]]
        else:
            batches.load_state_dict(state["loaders"][ranks.rank])

    def checkpoint(step: int) -> None:
        state = {"fingerprint": fingerprint, "metrics": history, "early_stopping": stopper.state_dict()}
        if config.dp:
            state["accountant_history"] = engine.accountant.history
        else:
            state["loaders"] = distributed.gather_objects(batches.state_dict(), ranks)  # each rank's place in its shard
        if not ranks.is_main:
            return
        save_checkpoint(
            checkpoint_dir, step, model=peft_model, optimizer=optimizer, scheduler=scheduler, state=state,
            keep=config.keep_checkpoints, best_weights=best,
        )

    def evaluate(step: int, event: dict[str, Any]) -> None:
        nonlocal best
        loss = validation_loss(peft_model, validation_examples, tokenizer.pad_token_id, batch_size=config.batch_size)
        event["val_loss"] = loss
        if stopper.update(step, loss) and config.early_stopping_patience is not None:
            best = trainable_snapshot(peft_model)

    # Train.
    model.train()
    stopped_early = None
    step = start_step
    for step in range(start_step + 1, config.max_steps + 1):
        if config.dp:
            # The accountant's epsilon once this step is taken; stop before, never after, the limit
            # (near the limit it is recomputed exactly, so the stop is the accountant's own decision).
            epsilon = privacy.epsilon_after(engine.accountant, optimizer, loader, delta=delta, steps=1, exact_above=max_epsilon)
            if max_epsilon is not None and epsilon > max_epsilon:
                stopped_early, step = "privacy budget", step - 1
                break
        started = time.perf_counter()
        micro = [next(batches) for _ in range(config.gradient_accumulation_steps)]
        tokens = sum(int(b["attention_mask"].sum()) for b in micro)  # real tokens, not padding
        micro = [{key: value.to(device) for key, value in b.items()} for b in micro]
        lr = optimizer.param_groups[0]["lr"]
        if config.dp:
            passes = unit_packing.dp_layout(micro[0], split_cost_tokens=split_cost, attention_tokens=attention_tokens)
            loss = private_step(model, optimizer, passes, unit_gradients=unit_gradients)
        elif len(micro) == 1:
            loss = train_step(model, optimizer, micro[0], clip_norm=config.max_grad_norm)
        else:
            loss = accumulated_step(model, optimizer, micro, clip_norm=config.max_grad_norm)
        scheduler.step()
        # The step's mean loss and real tokens over every rank, in one all_reduce (a no-op in one process).
        loss, tokens = distributed.reduce_step(loss, tokens, ranks)
        seconds = time.perf_counter() - started
        event = {
            "step": step,
            "loss": loss,  # None on an empty DP batch
            "lr": lr,
            "tokens": tokens,
            "tokens_per_s": tokens / seconds,
        }
        if config.dp:
            event["epsilon"] = float(epsilon)
        due = config.eval_every and step % config.eval_every == 0
        if validation_examples and (due or step == config.max_steps):
            evaluate(step, event)
        history.append(event)
        if on_step is not None and ranks.is_main:
            on_step(event)
        if stopper.should_stop:
            stopped_early = "early stopping"
            break
        if checkpoint_dir and config.checkpoint_every and step % config.checkpoint_every == 0 and step < config.max_steps:
            checkpoint(step)

    # Cleanup: check that training changed something, keep the best weights, then save.
    # Compared with the live weights: a third copy (of the whole model under method full) is not needed.
    current = dict(peft_model.named_parameters())
    if step > 0 and all(torch.equal(initial[name], current[name]) for name in initial):
        raise ApplianceError("training left every trainable weight unchanged; the adapter would be a no-op")
    if best is not None and stopper.best_step != step:
        restore_snapshot(peft_model, best)
    if ranks.is_main:
        save_adapter(peft_model, tokenizer, out_dir)
        if config.merge and merged_dir is not None:
            save_merged(peft_model, tokenizer, merged_dir)
    distributed.barrier(ranks)  # nobody returns before the adapter is on disk

    losses = [event["loss"] for event in history if event["loss"] is not None]
    details = {
        "task": task,
        "method": config.method,
        "packing": data.packed,
        "examples": len(data.examples),
        "validation_examples": len(validation_examples),
        "validation_losses": [{"step": s, "val_loss": v} for s, v in stopper.history],
        "best_step": stopper.best_step if stopper.history else None,
        "kept_weights_of_step": stopper.best_step if best is not None else step,
        "gradient_checkpointing": config.gradient_checkpointing,
        "load_in_4bit": config.load_in_4bit,
        "precision": precision.name,
        "precision_detail": precision.describe(),
        "device": str(device),
        "processes": ranks.world_size,
    }
    if config.dp:
        details["dp_examples_share_rows"] = attention_tokens is not None
    if data.subjects is not None:
        details.update({"subjects": data.subjects, "records_over_subject_cap": data.records_over_cap, "max_records_per_subject": privacy.MAX_RECORDS_PER_SUBJECT})
    return TrainResult(
        steps=step,
        adapter_dir=Path(out_dir),
        trainable_parameters=trainable,
        total_parameters=total,
        first_loss=losses[0] if losses else math.nan,
        last_loss=losses[-1] if losses else math.nan,
        history=history,
        resumed_from=start_step,
        stopped_early=stopped_early,
        dp=privacy.report(engine, optimizer, loader, config=config, delta=delta) if config.dp else None,
        details=details,
    )
