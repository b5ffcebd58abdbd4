"""`appliance purge`: the right to erasure, one data subject at a time."""

from __future__ import annotations

from pathlib import Path

import click

from appliance.commands.errors import user_errors

LABELS = {
    "raw_records": "raw records (sealed vault)",
    "sidecar_rows": "demographics rows (sealed vault)",
    "scrubbed_records": "scrubbed records",
    "findings": "PII findings",
    "split_entries": "training split entries",
    "evaluated_records": "evaluated records",
}


@click.command(name="purge")
@click.argument("run_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--subject", "subject_id", required=True, metavar="ID", help="The data subject's id, as in the ingest subject column (e.g. customer_id).")
@click.option("--dry-run", is_flag=True, help="Show what would be removed and what must be retrained; change nothing.")
@user_errors
def purge(run_dir: Path, subject_id: str, dry_run: bool) -> None:
    """Erase one data subject's records from a run and its vault; list the adapters to retrain.

    The subject is recorded in the manifest only as a salted hash, with counts and the time.
    Later stages are marked stale: the next `appliance run` retrains from the purged corpus.
    A run whose files changed since their stage wrote them is refused (see `appliance verify`);
    a purge that was interrupted finishes when run again.

    \b
    Examples:
      appliance purge runs/r1 --subject C-1042 --dry-run
      appliance purge runs/r1 --subject C-1042
    """
    from appliance.purge import purge_subject

    erasure = purge_subject(run_dir, subject_id, dry_run=dry_run)
    verb = "would remove" if dry_run else "removed"
    click.echo(f"purge: subject {erasure.subject_hash[:12]} (salted hash){' (dry run: nothing changed)' if dry_run else ''}")
    for key, label in LABELS.items():
        click.echo(f"  {verb} {erasure.removed.get(key, 0):>6}  {label}")
    if erasure.reidentification_vault != "absent":
        click.echo(f"  re-identification vault: {'would be ' if dry_run else ''}{erasure.reidentification_vault}")
    for adapter in erasure.retrain:
        click.echo(f"  retrain: {adapter} was trained on this subject's records")
    if erasure.report_withdrawn:
        click.echo(f"  report: {'would be ' if dry_run else ''}withdrawn (it described the data before the erasure)")
    if erasure.review_withdrawn:
        click.echo(
            f"  review: pack, key and grades {'would be ' if dry_run else ''}withdrawn (the pack asked about this subject); "
            "export a new one with `appliance review export`, and delete copies of the old pack sent to reviewers"
        )
    if erasure.stale_stages:
        click.echo(f"  stale: {', '.join(erasure.stale_stages)}; rebuild with `appliance run SOURCES --out {run_dir}`")


def register(main: click.Group) -> None:
    """Add this module's commands to the CLI (called once by appliance.cli)."""
    main.add_command(purge)
