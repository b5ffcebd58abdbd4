"""Stage 4: fine-tune on the scrubbed training split (LoRA by default; optionally with DP-SGD)."""

from __future__ import annotations

import dataclasses
import platform
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from appliance.config import TrainConfig
from appliance.errors import ApplianceError
from appliance.files import read_jsonl, write_json, write_jsonl
from appliance.models import ResolvedModel, resolve_base_model
from appliance.records import FileEntry, Record
from appliance.split import split_records
from appliance.stages.audit import plan_problems
from appliance.stages.context import StageContext, StageOutput
from appliance.stages.scrub import SCRUBBED
from appliance.tracking import open_tracker
from appliance.train import distributed

METHOD_NAMES = {"lora": "LoRA", "full": "full fine-tuning", "prefix": "prefix tuning", "ia3": "IA3"}

SPLIT = "train/split.json"
ADAPTER = "train/adapter"
MERGED = "train/merged"
CHECKPOINTS = "train/checkpoints"


def input_entries(ctx: StageContext) -> list[FileEntry]:
    return [ctx.run.entry(ctx.run.root / SCRUBBED)]


def params(ctx: StageContext) -> dict[str, Any]:
    base = resolve_base_model(ctx.config.train.base_model)
    # `resume` says how to get there, not what is trained: a resumed run is the same run.
    audit = ctx.config.audit
    return {
        "train": ctx.config.train.model_dump(mode="json", exclude={"resume"}),
        "base_model_sha256": base.sha256,
        "task": ctx.config.task,
        "canaries": {"count": audit.canaries, "repeats": audit.canary_repeats},
    }


def canary_plan(ctx: StageContext) -> dict[str, int] | None:
    audit = ctx.config.audit
    if audit.canaries == 0:
        return None
    return {"seed": ctx.config.train.seed, "count": audit.canaries, "repeats": audit.canary_repeats}


def delta_for(ctx: StageContext, units: int) -> float:
    """Delta well below 1/N (N: records, or data subjects under user-level DP), never above the policy's maximum."""
    if ctx.config.train.delta is not None:
        return ctx.config.train.delta
    return min(ctx.policy.privacy.max_delta, 1.0 / (10 * max(units, 1)))


def privacy_units(records: list[Record], privacy_unit: str) -> int:
    return len({r.subject_id for r in records if r.subject_id}) if privacy_unit == "subject" else len(records)


@dataclass(frozen=True)
class TrainingPlan:
    """What train_lora is called with; every torchrun rank derives the same plan from the run directory."""

    config: TrainConfig
    train_records: list[Record]
    held_out: list[Record]
    base: ResolvedModel
    delta: float | None
    canaries: dict[str, int] | None
    split: dict[str, Any]  # split.json: corpus record ids on each side (canaries are in neither)


def plan_training(ctx: StageContext) -> TrainingPlan:
    """Read the scrubbed corpus, split it, plant the canaries and pick delta; reads, never writes."""
    problems = plan_problems(ctx)
    if problems:
        raise ApplianceError("; ".join(problems))
    config = ctx.config.train
    records = [Record.from_json(row) for row in read_jsonl(ctx.run.root / SCRUBBED)]
    train_records, held_out = split_records(records, config.validation_fraction, config.seed)
    if not train_records:
        raise ApplianceError("no training records left after scrubbing; check the ingest summary and the policy's drop rules")
    split = {"train": [r.id for r in train_records], "validation": [r.id for r in held_out], "fraction": config.validation_fraction, "unit": "subject_id, else record id"}
    delta = delta_for(ctx, privacy_units(train_records, config.privacy_unit)) if config.dp else None
    canaries = canary_plan(ctx)
    if canaries:
        from audits.privacy.canaries import canary_records

        # Planted secrets for the exposure audit: trained on, never in split.json or the corpus.
        planted = canary_records(seed=canaries["seed"], count=canaries["count"], repeats=canaries["repeats"])
        if config.dp and config.privacy_unit == "subject":
            # Each planted copy is its own synthetic person, so the exposure audit measures user-level DP.
            planted = [dataclasses.replace(r, subject_id=f"canary:{r.id}:{i}") for i, r in enumerate(planted)]
        train_records = train_records + planted
    return TrainingPlan(config, train_records, held_out, resolve_base_model(config.base_model), delta, canaries, split)


def train(ctx: StageContext, plan: TrainingPlan, on_step: Callable[[dict[str, Any]], None] | None):
    """train_lora over the plan; under torchrun every rank calls this, and only rank 0 writes."""
    from appliance.train.loop import train_lora

    config = plan.config
    return train_lora(
        plan.base.path, plan.train_records, config, ctx.run.root / ADAPTER, task=ctx.config.task, validation=plan.held_out,
        delta=plan.delta, on_step=on_step, checkpoint_dir=ctx.run.root / CHECKPOINTS,
        max_epsilon=ctx.policy.privacy.max_epsilon if config.dp else None, merged_dir=ctx.run.root / MERGED,
    )


def execute(ctx: StageContext) -> StageOutput:
    plan = plan_training(ctx)
    config, train_records, held_out, base, canaries = plan.config, plan.train_records, plan.held_out, plan.base, plan.canaries
    folder = ctx.run.stage_dir("train")
    split_path = ctx.run.root / SPLIT
    write_json(split_path, plan.split)
    checkpoints = ctx.run.root / CHECKPOINTS
    if not config.resume:
        shutil.rmtree(checkpoints, ignore_errors=True)  # a fresh run must never pick up a stale one
    progress = Progress(config.max_steps, ctx.echo)
    tracker = open_tracker(ctx.config.tracking, ctx.run.root)

    def on_step(metrics: dict[str, Any]) -> None:
        progress(metrics)
        tracker.log(metrics["step"], metrics)

    merged_dir = ctx.run.root / MERGED
    shutil.rmtree(merged_dir, ignore_errors=True)  # never leave an earlier run's merged model beside a new adapter
    started = time.perf_counter()
    try:
        # Under torchrun the other ranks wait for this word (see follow) and now train beside rank 0.
        distributed.tell_followers(distributed.TRAIN)
        result = train(ctx, plan, on_step)
    finally:
        tracker.close()
    duration = time.perf_counter() - started
    metrics_path = folder / "metrics.jsonl"
    write_jsonl(metrics_path, result.history)
    shutil.rmtree(checkpoints, ignore_errors=True)  # finished: nothing left to resume
    if result.resumed_from:
        ctx.echo(f"  resumed from the checkpoint at step {result.resumed_from}")
    if result.stopped_early == "privacy budget":
        ctx.echo(f"  stopped after step {result.steps} of {config.max_steps}: the next step would exceed the policy's epsilon")
    elif result.stopped_early == "early stopping":
        ctx.echo(f"  stopped after step {result.steps} of {config.max_steps}: validation loss did not improve for {config.early_stopping_patience} evaluations; kept step {result.details['kept_weights_of_step']}")
    if result.dp and result.dp["epsilon"] > ctx.policy.privacy.max_epsilon:
        raise ApplianceError(f"training spent epsilon {result.dp['epsilon']:.2f}, above the policy maximum {ctx.policy.privacy.max_epsilon}")
    adapter_files = sorted(p for p in (ctx.run.root / ADAPTER).rglob("*") if p.is_file())
    merged_files = sorted(p for p in merged_dir.rglob("*") if p.is_file()) if merged_dir.is_dir() else []
    summary = {
        "canaries": canaries,
        "base_model": {"name": base.name, "sha256": base.sha256, "origin": base.origin},
        "task": ctx.config.task,
        "method": METHOD_NAMES[config.method],
        "packing": result.details["packing"],
        "privacy_unit": config.privacy_unit,
        "training": result.details,
        "processes": result.details["processes"],  # torchrun ranks that trained (1: a single process)
        "merged": MERGED if merged_files else None,
        "tracking": {"backend": ctx.config.tracking.backend, "directory": ctx.config.tracking.directory} if ctx.config.tracking.backend != "none" else None,
        "hyperparameters": config.model_dump(mode="json"),
        "trainable_parameters": result.trainable_parameters,
        "total_parameters": result.total_parameters,
        "first_loss": result.first_loss,
        "last_loss": result.last_loss,
        "steps": result.steps,
        "resumed_from_step": result.resumed_from,
        "stopped_early": result.stopped_early,
        "dp": result.dp,
        "duration_s": round(duration, 2),
        "hardware": {"device": "cuda" if torch.cuda.is_available() else "cpu", "precision": result.details["precision"], "threads": torch.get_num_threads(), "machine": platform.machine()},
        "torch": torch.__version__,
    }
    ctx.echo(f"  trained {result.steps} steps in {duration:.0f}s on {result.details['device']} ({result.details['precision']}): loss {result.first_loss:.3f} -> {result.last_loss:.3f}" + (f", epsilon {result.dp['epsilon']:.2f} (delta {result.dp['delta']:.1e})" if result.dp else ""))
    return StageOutput(
        outputs=[split_path, metrics_path, *adapter_files, *merged_files],
        counts={"train_records": len(train_records), "validation_records": len(held_out), "steps": result.steps},
        summary=summary,
    )


def follow(run_root: Path) -> None:
    """A non-zero torchrun rank: wait for rank 0's word, then train beside it, writing and printing nothing.

    Rank 0 holds the run's lock, writes the snapshots, the outputs and the manifest; this rank
    opens the run read-only (after rank 0 has written config.yaml and policy.yaml for this
    invocation) and makes the same train_lora call, whose collectives keep the ranks in step.
    """
    if distributed.await_leader() != distributed.TRAIN:
        return  # rank 0 skipped the stage (unchanged) or stopped before training
    ctx = read_only_context(run_root)
    train(ctx, plan_training(ctx), on_step=None)


def read_only_context(run_root: Path) -> StageContext:
    """The run's policy and config from the snapshots rank 0 wrote; nothing is written."""
    import yaml

    from appliance.config import parse_config
    from appliance.rundir import RunDir
    from policies import policy_sha256
    from policies.loader import parse_policy

    run = RunDir.open(run_root, create=False, read_only=True)  # refuses the manifest, takes no lock, sweeps nothing
    policy = parse_policy((run.root / "policy.yaml").read_text(encoding="utf-8"), origin=str(run.root / "policy.yaml"))
    config = parse_config(yaml.safe_load((run.root / "config.yaml").read_text(encoding="utf-8")) or {}, str(run.root / "config.yaml"))
    return StageContext(run=run, policy=policy, policy_sha256=policy_sha256(policy), config=config, echo=lambda line: None)


class Progress:
    """The terminal line per step: loss, real tokens per second, epsilon under DP, and the ETA."""

    def __init__(self, max_steps: int, echo):
        self.max_steps, self.echo = max_steps, echo
        self.started = time.perf_counter()
        self.first_step: int | None = None

    def __call__(self, metrics: dict[str, Any]) -> None:
        step = metrics["step"]
        if self.first_step is None:  # a resumed run's ETA counts only this session's steps
            self.first_step, self.started = step - 1, time.perf_counter() - 1e-9
        per_step = (time.perf_counter() - self.started) / (step - self.first_step)
        eta = per_step * (self.max_steps - step)
        eps = f"  epsilon {metrics['epsilon']:.2f}" if metrics.get("epsilon") is not None else ""
        eps += f"  val_loss {metrics['val_loss']:.4f}" if metrics.get("val_loss") is not None else ""
        # A Poisson-sampled DP batch can be empty: the step still counts, but has no loss.
        loss = "   (empty)" if metrics["loss"] is None else f"{metrics['loss']:.4f}"
        self.echo(f"  step {step:>4}/{self.max_steps}  loss {loss}  {metrics['tokens_per_s']:.0f} tok/s{eps}  ETA {format_duration(eta)}")


def format_duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m" if seconds >= 3600 else f"{seconds // 60}m{seconds % 60:02d}s"


def show_masking(ctx: StageContext, count: int) -> list[str]:
    """The first `count` training records as the model sees them, trained spans in [[ ]].

    For a person checking the loss mask before training; prints scrubbed text only, logs nothing.
    """
    from appliance.train.data import IGNORE, encode_for_task, render_masking
    from appliance.train.lm import load_tokenizer

    config = ctx.config.train
    records = [Record.from_json(row) for row in read_jsonl(ctx.run.root / SCRUBBED)]
    train_records, _ = split_records(records, config.validation_fraction, config.seed)
    tokenizer = load_tokenizer(resolve_base_model(config.base_model).path)
    shown = []
    for record in train_records:
        if len(shown) >= count:
            break
        for example in encode_for_task([record], tokenizer, config.max_seq_len, task=ctx.config.task, assistant_turns=config.assistant_turns)[:1]:
            shown.append(f"--- record {record.id} ({len(example.input_ids)} tokens, {sum(label != IGNORE for label in example.labels)} trained)\n{render_masking(example, tokenizer)}")
    return shown
