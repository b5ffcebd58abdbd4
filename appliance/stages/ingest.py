"""Stage 1: read the sources into raw records, sealed in the vault; account for every file."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Any

from appliance.errors import ApplianceError
from appliance.files import sha256_file, write_jsonl
from appliance.ingest import discover, ingest_into, quarantine_is_fatal
from appliance.ingest.core import IngestResult
from appliance.ingest.sink import sealed_sink
from appliance.purge import is_erased
from appliance.records import FileEntry
from appliance.stages.context import StageContext, StageOutput

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
PRINTED_MISFITS = 5  # files not fitting the task named in the printed summary; all are in the inventory


def params(ctx: StageContext) -> dict[str, Any]:
    return {
        "task": ctx.config.task,
        "ingest": ctx.config.ingest.model_dump(exclude=EXECUTION_ONLY),
        "sensitive_attributes": list(ctx.policy.fairness.sensitive_attributes),
    }


def execute(ctx: StageContext) -> StageOutput:
    config = ctx.config
    if config.task == "classification" and not config.ingest.label_column:
        raise ApplianceError("classification needs a label column: set ingest.label_column in the run config to the column holding the labels")
    files = discover(ctx.sources)
    folder = ctx.run.stage_dir("ingest")
    vault = ctx.run.vault
    # Records stream into the sealed files as they are read; both appear only if ingest succeeds.
    with sealed_sink(vault / RAW_RECORDS, vault / SIDECAR) as sink:
        # Subjects purged from this run (appliance purge) stay out when the sources are read again.
        result = ingest_into(sink, files, config.ingest, ctx.policy.fairness.sensitive_attributes, config.task, erased=is_erased(ctx.run))
        inventory, quarantine = _write_inventory(folder, result)  # also on failure: the message points to it
        failure = result.tally.failure(result.outcomes, config.ingest.label_column)
        if failure:
            _print_summary(ctx, result.counts(), _summary(result))
            raise ApplianceError(failure)  # leaves the sealed files unwritten and the stage unrecorded
    counts = result.counts()
    if counts["files_in"] != sum(counts[k] for k in ("files_with_records", "files_duplicate", "files_filtered", "files_quarantined")):
        raise AssertionError("ingest lost track of a file")  # an invariant, never expected to fire
    summary = _summary(result)
    _print_summary(ctx, counts, summary)
    return StageOutput(outputs=[inventory, quarantine, vault / RAW_RECORDS, vault / SIDECAR], counts=counts, summary=summary)


def _write_inventory(folder: Path, result: IngestResult) -> tuple[Path, Path]:
    """Every input's outcome, and the quarantined ones again on their own (paths, hashes, reasons; no content)."""
    inventory = folder / "inventory.jsonl"
    write_jsonl(inventory, (asdict(o) for o in result.outcomes))
    quarantine = folder / "quarantine.jsonl"
    write_jsonl(quarantine, (asdict(o) for o in result.outcomes if o.status == "quarantined"))
    return inventory, quarantine


def _summary(result: IngestResult) -> dict[str, Any]:
    return {
        "files_by_format": dict(Counter(o.format for o in result.outcomes)),
        "records_by_kind": dict(result.records_by_kind),
        "filtered_by_reason": dict(result.filtered),
        "quarantined": [{"path": o.path, "reason": o.reason} for o in result.outcomes if o.status == "quarantined"],
        # What `--strict` reports; kept in the record so a skipped re-run is judged the same way.
        "strict_verdict": quarantine_is_fatal(result),
        # Archives read in place: each member has its own outcome, the archive itself none.
        "archives": [asdict(a) for a in result.archives],
        "sidecar_rows": result.sidecar_rows,
        "sensitive_attributes_found": sorted(result.attributes_found),
        # What the run's task will train on, and what did not fit it (appliance.ingest.task).
        "task": result.tally.summary(result.outcomes, result.filtered),
        "task_notes": result.tally.notes(),
    }


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
    misfits = summary["task"]["not_fitting"]
    for item in misfits[:PRINTED_MISFITS]:
        echo(f"  not used for {summary['task']['task']} {item['path']}: {item['reason']}")
    if len(misfits) > PRINTED_MISFITS:
        echo(f"  ... and {len(misfits) - PRINTED_MISFITS} more file(s) not used (see ingest/inventory.jsonl)")
    for line in summary["task_notes"]:
        echo(f"  {line}")
