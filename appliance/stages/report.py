"""Stage 6: gates against the policy, then the report (JSON, HTML, PDF), the datasheet and the model card.

Writes report/report.json, report/report.html, report/report.pdf, report/DATASHEET.md and
train/adapter/MODEL_CARD.md. The manifest is signed as the pipeline records the report stage
(its last write; every manifest write is signed, see appliance.evidence.signing).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from appliance.compute import compute_used
from appliance.files import read_jsonl, write_bytes, write_json, write_text
from appliance.objectives import Verdict, judge_objectives, objective_gates
from appliance.records import FileEntry
from appliance.stages.context import StageContext, StageOutput

REPORT_JSON = "report/report.json"
REPORT_HTML = "report/report.html"
REPORT_PDF = "report/report.pdf"
DATASHEET = "report/DATASHEET.md"
MODEL_CARD = "train/adapter/MODEL_CARD.md"


def input_entries(ctx: StageContext) -> list[FileEntry]:
    """Every output the earlier stages recorded: the report changes exactly when one of them does."""
    stages = ctx.run.manifest.get("stages", {})
    return [FileEntry(**f) for name, s in stages.items() if name != "report" for f in s["outputs"]]


def params(ctx: StageContext) -> dict[str, Any]:
    from appliance.evidence import signing_identity

    # The report embeds the signing key, so a new key means a new report.
    return {"policy": ctx.policy.name, "signing_key": signing_identity()["fingerprint"], "objectives": ctx.config.objectives.model_dump(mode="json")}


def compute_gates(ctx: StageContext, manifest: dict[str, Any]) -> list[dict[str, Any]]:
    from audits import counterfactual_gates, fairness_gates
    from audits.gates import privacy_audit_gates, privacy_gates, redaction_gates

    stages = manifest.get("stages", {})

    def summary(stage: str) -> dict[str, Any] | None:
        return stages.get(stage, {}).get("summary")

    data = (summary("audit") or {}).get("fairness_data") or {}
    model = (summary("evaluate") or {}).get("fairness_model")
    return [
        *redaction_gates(summary("scrub"), ctx.policy),
        *privacy_gates(summary("train"), ctx.policy),
        *privacy_audit_gates((summary("evaluate") or {}).get("privacy_audit"), ctx.policy),
        *fairness_gates(data, model, fairness=ctx.policy.fairness),
        *counterfactual_gates((summary("evaluate") or {}).get("counterfactual"), fairness=ctx.policy.fairness),
        *(objective_gates(judge_run(ctx, manifest)) if ctx.config.objectives.enforce else []),
    ]


def judge_run(ctx: StageContext, manifest: dict[str, Any]) -> list[Verdict]:
    """The run config's objectives judged against what the stages measured."""
    summaries = {name: s.get("summary") or {} for name, s in manifest.get("stages", {}).items()}
    return judge_objectives(ctx.config.objectives, summaries)


def objectives_record(ctx: StageContext, verdicts: list[Verdict]) -> dict[str, Any]:
    objectives = ctx.config.objectives
    return {
        "use_case": objectives.use_case,
        "department": objectives.department,
        "task": ctx.config.task,
        "enforced": objectives.enforce,
        "verdicts": [v.as_dict() for v in verdicts],
        "counts": {status: sum(v.status == status for v in verdicts) for status in ("met", "missed", "not_measured")},
    }


def build(ctx: StageContext) -> dict[str, Any]:
    """The report dict for the run as it stands (no files written); validated against the schema."""
    from appliance.evidence import manifest_digest, signing_identity
    from audits.report import build_report, validate_report

    manifest = ctx.run.manifest
    metrics_path = ctx.run.root / "train" / "metrics.jsonl"
    curve = list(read_jsonl(metrics_path)) if metrics_path.exists() else []
    report = build_report(
        manifest,
        manifest_sha256=manifest_digest(manifest),
        gates=compute_gates(ctx, manifest),
        training_curve=curve,
        policy=ctx.policy,
        signing_key=signing_identity(),
        objectives=objectives_record(ctx, judge_run(ctx, manifest)),
        compute=compute_used({n: s for n, s in manifest.get("stages", {}).items() if n != "report"}, curve),
    )
    validate_report(report)  # a report that breaks its published schema is a bug: fail before writing
    return report


def write_report(root: Path, report: dict[str, Any]) -> list[Path]:
    """Every rendering of one report dict; returns the paths written."""
    from audits.datasheet import datasheet
    from audits.model_card import model_card
    from audits.pdf import render_pdf
    from audits.report import render_html

    paths = [root / REPORT_JSON, root / REPORT_HTML, root / REPORT_PDF, root / DATASHEET]
    write_json(paths[0], report)
    write_text(paths[1], render_html(report))
    write_bytes(paths[2], render_pdf(report))
    write_text(paths[3], datasheet(report))
    if (root / MODEL_CARD).parent.is_dir():
        write_text(root / MODEL_CARD, model_card(report))
        paths.append(root / MODEL_CARD)
    return paths


def execute(ctx: StageContext) -> StageOutput:
    report = build(ctx)
    ctx.run.stage_dir("report")
    outputs = write_report(ctx.run.root, report)
    gates = report["gates"]
    failed = [g["name"] for g in gates if g["status"] == "fail"]
    ctx.echo(f"  gates: {sum(g['status'] == 'pass' for g in gates)} pass, {len(failed)} fail, {sum(g['status'] == 'not_applicable' for g in gates)} not applicable")
    for name in failed:
        ctx.echo(f"    FAILED {name}")
    verdicts = report["objectives"]["verdicts"]
    if verdicts:
        counts = report["objectives"]["counts"]
        ctx.echo(f"  objectives: {counts['met']} met, {counts['missed']} missed, {counts['not_measured']} not measured")
        for v in verdicts:
            if v["status"] != "met":
                ctx.echo(f"    {v['status'].replace('_', ' ').upper()} {v['metric']} {v['op']} {v['target']} (measured {'–' if v['value'] is None else round(v['value'], 4)})")
    missed = [v["metric"] for v in verdicts if v["status"] != "met"]
    return StageOutput(
        outputs=outputs,
        counts={"gates": len(gates), "gates_failed": len(failed), "objectives": len(verdicts), "objectives_not_met": len(missed)},
        summary={"verdict": report["verdict"], "failed_gates": failed, "objectives_not_met": missed},
    )


def report_paths(root: Path) -> tuple[Path, Path]:
    return root / REPORT_HTML, root / REPORT_JSON
