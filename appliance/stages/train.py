"""Stage 4: fine-tune a LoRA adapter on the scrubbed training split (optionally with DP-SGD)."""

from __future__ import annotations

import platform
import time
from typing import Any

import torch

from appliance.errors import ApplianceError
from appliance.files import read_jsonl, write_json, write_jsonl
from appliance.models import resolve_base_model
from appliance.records import FileEntry, Record
from appliance.split import split_records
from appliance.stages.audit import plan_problems
from appliance.stages.context import StageContext, StageOutput
from appliance.stages.scrub import SCRUBBED

SPLIT = "train/split.json"
ADAPTER = "train/adapter"


def input_entries(ctx: StageContext) -> list[FileEntry]:
    return [ctx.run.entry(ctx.run.root / SCRUBBED)]


def params(ctx: StageContext) -> dict[str, Any]:
    base = resolve_base_model(ctx.config.train.base_model)
    return {"train": ctx.config.train.model_dump(mode="json"), "base_model_sha256": base.sha256, "task": ctx.config.task}


def delta_for(ctx: StageContext, records: int) -> float:
    """Delta well below 1/N (the usual rule), and never above the policy's maximum."""
    if ctx.config.train.delta is not None:
        return ctx.config.train.delta
    return min(ctx.policy.privacy.max_delta, 1.0 / (10 * max(records, 1)))


def execute(ctx: StageContext) -> StageOutput:
    from appliance.train.loop import train_lora

    problems = plan_problems(ctx)
    if problems:
        raise ApplianceError("; ".join(problems))
    config = ctx.config.train
    records = [Record.from_json(row) for row in read_jsonl(ctx.run.root / SCRUBBED)]
    train_records, held_out = split_records(records, config.validation_fraction, config.seed)
    if not train_records:
        raise ApplianceError("no training records left after scrubbing; check the ingest summary and the policy's drop rules")
    folder = ctx.run.stage_dir("train")
    split_path = ctx.run.root / SPLIT
    write_json(split_path, {"train": [r.id for r in train_records], "validation": [r.id for r in held_out], "fraction": config.validation_fraction, "unit": "subject_id, else record id"})
    base = resolve_base_model(config.base_model)
    delta = delta_for(ctx, len(train_records)) if config.dp else None
    steps: list[dict[str, Any]] = []

    def on_step(metrics: dict[str, Any]) -> None:
        steps.append(metrics)
        eps = f"  epsilon {metrics['epsilon']:.2f}" if metrics.get("epsilon") is not None else ""
        # A Poisson-sampled DP batch can be empty: the step still counts, but has no loss.
        loss = "   (empty)" if metrics["loss"] is None else f"{metrics['loss']:.4f}"
        ctx.echo(f"  step {metrics['step']:>4}/{config.max_steps}  loss {loss}  {metrics['tokens_per_s']:.0f} tok/s{eps}")

    started = time.perf_counter()
    result = train_lora(base.path, train_records, config, ctx.run.root / ADAPTER, delta=delta, on_step=on_step)
    duration = time.perf_counter() - started
    metrics_path = folder / "metrics.jsonl"
    write_jsonl(metrics_path, steps)
    if result.dp and result.dp["epsilon"] > ctx.policy.privacy.max_epsilon:
        raise ApplianceError(f"training spent epsilon {result.dp['epsilon']:.2f}, above the policy maximum {ctx.policy.privacy.max_epsilon}")
    adapter_files = sorted(p for p in (ctx.run.root / ADAPTER).rglob("*") if p.is_file())
    summary = {
        "base_model": {"name": base.name, "sha256": base.sha256, "origin": base.origin},
        "method": "LoRA",
        "hyperparameters": config.model_dump(mode="json"),
        "trainable_parameters": result.trainable_parameters,
        "total_parameters": result.total_parameters,
        "first_loss": result.first_loss,
        "last_loss": result.last_loss,
        "steps": result.steps,
        "dp": result.dp,
        "duration_s": round(duration, 2),
        "hardware": {"device": "cuda" if torch.cuda.is_available() else "cpu", "threads": torch.get_num_threads(), "machine": platform.machine()},
        "torch": torch.__version__,
    }
    ctx.echo(f"  trained {result.steps} steps in {duration:.0f}s: loss {result.first_loss:.3f} -> {result.last_loss:.3f}" + (f", epsilon {result.dp['epsilon']:.2f} (delta {result.dp['delta']:.1e})" if result.dp else ""))
    return StageOutput(
        outputs=[split_path, metrics_path, *adapter_files],
        counts={"train_records": len(train_records), "validation_records": len(held_out), "steps": result.steps},
        summary=summary,
    )
