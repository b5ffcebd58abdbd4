"""Stage 6: gates against the policy, then report.json and a self-contained report.html."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from appliance.files import read_jsonl, sha256_file, write_json, write_text
from appliance.records import FileEntry
from appliance.stages.context import StageContext, StageOutput


def input_entries(ctx: StageContext) -> list[FileEntry]:
    """Every output the earlier stages recorded: the report changes exactly when one of them does."""
    stages = ctx.run.manifest.get("stages", {})
    return [FileEntry(**f) for name, s in stages.items() if name != "report" for f in s["outputs"]]


def params(ctx: StageContext) -> dict[str, Any]:
    return {"policy": ctx.policy.name}


def compute_gates(ctx: StageContext, manifest: dict[str, Any]) -> list[dict[str, Any]]:
    from audits import fairness_gates
    from audits.gates import privacy_gates, redaction_gates

    stages = manifest.get("stages", {})

    def summary(stage: str) -> dict[str, Any] | None:
        return stages.get(stage, {}).get("summary")

    data = (summary("audit") or {}).get("fairness_data") or {}
    model = (summary("evaluate") or {}).get("fairness_model")
    return [
        *redaction_gates(summary("scrub"), ctx.policy),
        *privacy_gates(summary("train"), ctx.policy),
        *fairness_gates(data, model, fairness=ctx.policy.fairness),
    ]


def execute(ctx: StageContext) -> StageOutput:
    from audits.report import build_report, render_html

    manifest = ctx.run.manifest
    gates = compute_gates(ctx, manifest)
    metrics_path = ctx.run.root / "train" / "metrics.jsonl"
    curve = list(read_jsonl(metrics_path)) if metrics_path.exists() else []
    report = build_report(manifest, manifest_sha256=sha256_file(ctx.run.manifest_path), gates=gates, training_curve=curve, policy_description=ctx.policy.description)
    folder = ctx.run.stage_dir("report")
    json_path, html_path = folder / "report.json", folder / "report.html"
    write_json(json_path, report)
    write_text(html_path, render_html(report))
    failed = [g["name"] for g in gates if g["status"] == "fail"]
    ctx.echo(f"  gates: {sum(g['status'] == 'pass' for g in gates)} pass, {len(failed)} fail, {sum(g['status'] == 'not_applicable' for g in gates)} not applicable")
    for name in failed:
        ctx.echo(f"    FAILED {name}")
    return StageOutput(outputs=[json_path, html_path], counts={"gates": len(gates), "gates_failed": len(failed)}, summary={"verdict": report["verdict"], "failed_gates": failed})


def report_paths(root: Path) -> tuple[Path, Path]:
    return root / "report" / "report.html", root / "report" / "report.json"
