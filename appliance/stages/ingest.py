"""Stage 1: read the sources into raw records, sealed in the vault; account for every file."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from typing import Any

from appliance.errors import ApplianceError
from appliance.files import sha256_file, write_jsonl
from appliance.ingest import quarantine_is_fatal, discover, ingest_files
from appliance.records import FileEntry
from appliance.stages.context import StageContext, StageOutput
from appliance.vault import write_sealed_jsonl

RAW_RECORDS = "raw-records.jsonl.enc"
SIDECAR = "sidecar.jsonl.enc"


def input_entries(ctx: StageContext) -> list[FileEntry]:
    if not ctx.sources:
        raise ApplianceError("ingest needs SOURCES: files or folders to read, e.g. `appliance ingest data/ --run runs/r1`")
    # Links and special files are quarantined by ingest, never opened: a pipe would block here.
    files = [f for f in discover(ctx.sources) if f.path.is_file() and not f.path.is_symlink()]
    return [FileEntry(path=f.display, sha256=sha256_file(f.path), bytes=f.path.stat().st_size) for f in files]


# How the work is spread over processes never changes the output, so it is not part of the fingerprint.
EXECUTION_ONLY = {"workers", "stream_above_bytes"}


def params(ctx: StageContext) -> dict[str, Any]:
    return {"ingest": ctx.config.ingest.model_dump(exclude=EXECUTION_ONLY), "sensitive_attributes": list(ctx.policy.fairness.sensitive_attributes)}


def execute(ctx: StageContext) -> StageOutput:
    files = discover(ctx.sources)
    result = ingest_files(files, ctx.config.ingest, ctx.policy.fairness.sensitive_attributes)
    folder = ctx.run.stage_dir("ingest")
    vault = ctx.run.vault
    write_sealed_jsonl(vault / RAW_RECORDS, (r.to_json() for r in result.records))
    write_sealed_jsonl(vault / SIDECAR, result.sidecar)
    inventory = folder / "inventory.jsonl"
    write_jsonl(inventory, (asdict(o) for o in result.outcomes))
    quarantine = folder / "quarantine.jsonl"
    write_jsonl(quarantine, (asdict(o) for o in result.outcomes if o.status == "quarantined"))
    counts = result.counts()
    if counts["files_in"] != sum(counts[k] for k in ("files_with_records", "files_duplicate", "files_filtered", "files_quarantined")):
        raise AssertionError("ingest lost track of a file")  # an invariant, never expected to fire
    summary = {
        "files_by_format": dict(Counter(o.format for o in result.outcomes)),
        "records_by_kind": dict(Counter(r.kind for r in result.records)),
        "filtered_by_reason": dict(result.filtered),
        "quarantined": [{"path": o.path, "reason": o.reason} for o in result.outcomes if o.status == "quarantined"],
        # What `--strict` reports; kept in the record so a skipped re-run is judged the same way.
        "strict_verdict": quarantine_is_fatal(result),
        # Archives read in place: each member has its own outcome, the archive itself none.
        "archives": [asdict(a) for a in result.archives],
        "sidecar_rows": len(result.sidecar),
        "sensitive_attributes_found": sorted({a for row in result.sidecar for a in row["attributes"]}),
    }
    _print_summary(ctx, counts, summary)
    return StageOutput(outputs=[inventory, quarantine, vault / RAW_RECORDS, vault / SIDECAR], counts=counts, summary=summary)


def _print_summary(ctx: StageContext, counts: dict[str, int], summary: dict[str, Any]) -> None:
    echo = ctx.echo
    echo(f"  {'files in':<22}{counts['files_in']:>7}")
    for key, label in (("files_with_records", "with records"), ("files_duplicate", "duplicate files"), ("files_filtered", "filtered"), ("files_quarantined", "quarantined")):
        echo(f"  {label:<22}{counts[key]:>7}")
    if counts["archives_expanded"]:
        echo(f"  {'archives read':<22}{counts['archives_expanded']:>7}  ({counts['archive_members']} members, each counted above)")
    removed = f"duplicates removed {counts['records_duplicate']}, near-duplicates {counts['records_near_duplicate']}, filtered {counts['records_filtered']}"
    echo(f"  {'records out':<22}{counts['records_out']:>7}  ({removed})")
    for item in summary["quarantined"]:
        echo(f"  quarantined {item['path']}: {item['reason']}")
