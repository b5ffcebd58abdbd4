"""Stage 3: audit the scrubbed corpus before training: fairness of the data and the privacy plan."""

from __future__ import annotations

from typing import Any

from appliance.files import read_jsonl, write_json
from appliance.records import FileEntry
from appliance.stages.context import StageContext, StageOutput
from appliance.stages.ingest import SIDECAR
from appliance.stages.scrub import SCRUBBED
from appliance.vault import read_sealed_jsonl


def input_entries(ctx: StageContext) -> list[FileEntry]:
    return [ctx.run.entry(ctx.run.root / SCRUBBED), ctx.run.entry(ctx.run.vault / SIDECAR)]


def params(ctx: StageContext) -> dict[str, Any]:
    return {"fairness": ctx.policy.fairness.model_dump(), "privacy": ctx.policy.privacy.model_dump(), "dp": ctx.config.train.dp, "target_epsilon": ctx.config.train.target_epsilon}


def sidecar_rows(ctx: StageContext, record_ids: set[str]) -> list[dict[str, Any]]:
    """Sensitive attributes of the records that survived scrubbing (the sidecar is keyed by record id)."""
    return [row for row in read_sealed_jsonl(ctx.run.vault / SIDECAR) if row["record_id"] in record_ids]


def execute(ctx: StageContext) -> StageOutput:
    from audits import data_fairness

    record_ids = {row["id"] for row in read_jsonl(ctx.run.root / SCRUBBED)}
    rows = sidecar_rows(ctx, record_ids)
    fairness = data_fairness(rows, fairness=ctx.policy.fairness)
    folder = ctx.run.stage_dir("audit")
    fairness_path = folder / "fairness_data.json"
    write_json(fairness_path, fairness)
    plan = privacy_plan(ctx, len(record_ids))
    plan_path = folder / "privacy_plan.json"
    write_json(plan_path, plan)
    ctx.echo(f"  data fairness over {len(rows)} records with sensitive attributes; attributes: {', '.join(fairness.get('attributes', {})) or 'none'}")
    for attribute, result in fairness.get("attributes", {}).items():
        small = [g for g, v in result.get("groups", {}).items() if v.get("too_small")]
        if small:
            ctx.echo(f"    {attribute}: groups too small to judge (< {ctx.policy.fairness.min_group_size}): {', '.join(small)}")
    ctx.echo(f"  privacy plan: DP {'on' if plan['dp_enabled'] else 'off'} (policy {'requires' if plan['dp_required'] else 'does not require'} it)")
    return StageOutput(outputs=[fairness_path, plan_path], counts={"records_audited": len(rows)}, summary={"fairness_data": fairness, "privacy_plan": plan})


def privacy_plan(ctx: StageContext, records: int) -> dict[str, Any]:
    policy, train = ctx.policy.privacy, ctx.config.train
    return {
        "dp_required": policy.dp_required,
        "dp_enabled": train.dp,
        "target_epsilon": train.target_epsilon if train.dp else None,
        "max_epsilon": policy.max_epsilon,
        "max_delta": policy.max_delta,
        "records": records,
        "problems": plan_problems(ctx),
    }


def plan_problems(ctx: StageContext) -> list[str]:
    """Why training must not start under this policy; empty when it may."""
    policy, train = ctx.policy.privacy, ctx.config.train
    problems = []
    if policy.dp_required and not train.dp:
        problems.append(f"policy '{ctx.policy.name}' requires differential privacy: train with --dp")
    if train.dp and train.target_epsilon > policy.max_epsilon:
        problems.append(f"target epsilon {train.target_epsilon} exceeds policy '{ctx.policy.name}' maximum {policy.max_epsilon}: lower --epsilon")
    if train.delta is not None and train.delta > policy.max_delta:
        problems.append(f"delta {train.delta} exceeds policy '{ctx.policy.name}' maximum {policy.max_delta}")
    return problems
