"""`appliance verify` and `appliance diff`: thin commands over appliance.evidence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from appliance.commands.errors import user_errors

RUN_DIR = click.Path(file_okay=False, exists=True, path_type=Path)


@click.command()
@click.argument("run_dir", type=RUN_DIR)
@click.option("--key", "expected_fingerprint", metavar="SHA256:HEX", help="Fingerprint the signing key must have (as published by the appliance's operator).")
@user_errors
def verify(run_dir: Path, expected_fingerprint: str | None) -> None:
    """Check a run: re-hash every artefact, check the signature, check report.json against the manifest.

    Exits 0 when everything matches, 4 when anything differs (each difference is listed as
    file, expected, found), 1 when RUN_DIR is not a run directory. Vault entries are checked
    only when the run's vault is on this machine.

    \b
    Example:
      appliance verify runs/2026-11
      appliance verify runs/2026-11 --key SHA256:3f1c...
    """
    from appliance.evidence import VerificationFailed, verify_run

    result = verify_run(run_dir, expected_fingerprint=expected_fingerprint)
    click.echo(f"run {result.run_id}: {result.files_checked} artefacts re-hashed")
    signature = result.signature
    if signature is not None and signature.valid:
        whose = {True: "this installation's key", False: "NOT this installation's key: compare the fingerprint with the one the operator published", None: "no key on this installation to compare with"}[result.this_installation]
        click.echo(f"signature: valid (Ed25519, key {signature.fingerprint}; {whose})")
    for note in result.notes:
        click.echo(f"note: {note}")
    if result.ok:
        click.echo("PASS: every artefact matches the manifest, the signature is valid and report.json matches the manifest")
        return
    click.echo(f"FAIL: {len(result.differences)} difference(s)")
    for difference in result.differences:
        click.echo(f"  {difference.file}\n    expected: {difference.expected}\n    found:    {difference.found}")
    raise VerificationFailed(f"{run_dir} does not match its manifest: {len(result.differences)} difference(s) listed above")


@click.command()
@click.argument("run_a", type=RUN_DIR)
@click.argument("run_b", type=RUN_DIR)
@user_errors
def diff(run_a: Path, run_b: Path) -> None:
    """Show what changed between two runs: policy, data counts, parameters, metrics, gates.

    \b
    Example:
      appliance diff runs/2026-10 runs/2026-11
    """
    from appliance.evidence import diff_runs
    from appliance.evidence.diff import SECTIONS

    result = diff_runs(run_a, run_b)
    click.echo(f"run {result.run_a} -> run {result.run_b}")
    for section in SECTIONS:
        changes = result.section(section)
        click.echo(f"{section}: {'no change' if not changes else f'{len(changes)} change(s)'}")
        for change in changes:
            click.echo(f"  {change.key}: {_show(change.before)} -> {_show(change.after)}")


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)
