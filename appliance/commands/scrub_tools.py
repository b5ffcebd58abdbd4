"""`appliance scrub detect` and `appliance scrub eval`: thin commands over scrubbers.detect_file.

appliance.cli makes SCRUB_TOOLS subcommands of the `scrub` stage; `vault` is a command group of its own.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from appliance.commands.errors import user_errors

IN_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _policy(name: str) -> Any:
    from policies.loader import load_policy

    return load_policy(name)


@click.command("detect")
@click.argument("source", type=IN_FILE)
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--policy", default="default", show_default=True, metavar="NAME|FILE", help="Policy whose entity types are detected.")
@user_errors
def detect(source: Path, target: Path, policy: str) -> None:
    """Find PII spans in a JSONL file of records with `text`; nothing is redacted.

    Writes the same records, in the same order, each with `spans`:
    [{start, end, entity_type, score}] (offsets into `text`, end exclusive).

    \b
    Example:
      appliance scrub detect notes.jsonl notes.spans.jsonl --policy hipaa
    """
    from scrubbers.detect_file import detect_file

    count = detect_file(_policy(policy), source, target)
    click.echo(f"{count} records -> {target}")


@click.command("eval")
@click.argument("gold", type=IN_FILE)
@click.option("--policy", default="default", show_default=True, metavar="NAME|FILE", help="Policy to evaluate.")
@click.option("--label-map", type=IN_FILE, help="YAML/JSON mapping of gold label to entity type (null: out of scope), over the default map.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON instead of a table.")
@user_errors
def evaluate(gold: Path, policy: str, label_map: Path | None, as_json: bool) -> None:
    """Score the policy's detection against a labelled JSONL file (`text`, `spans` [{start, end, label}]).

    Prints precision, recall and F2 per entity type and overall, token- and span-level,
    and the missed spans by type as offsets only.

    \b
    Example:
      appliance scrub eval gold.jsonl --policy default --json
    """
    from scrubbers.detect_file import evaluate_file, load_label_map
    from scrubbers.evaluation import format_table

    report = evaluate_file(_policy(policy), gold, load_label_map(label_map))
    click.echo(json.dumps(report.as_dict(), indent=2) if as_json else format_table(report))


SCRUB_TOOLS = (detect, evaluate)


@click.group("vault")
def vault() -> None:
    """The re-identification vault of pseudonymised runs (compliance officer only)."""


@vault.command("keygen")
@click.argument("private_key_file", type=click.Path(dir_okay=False, path_type=Path))
@user_errors
def vault_keygen(private_key_file: Path) -> None:
    """Create the compliance officer's key pair; install only the public half on the appliance.

    Writes PRIVATE_KEY_FILE (keep it off the appliance) and installs the public key as
    APPLIANCE_HOME/keys/reidentification.pub, so later scrubs seal their pseudonym mapping to it.

    \b
    Example:
      appliance vault keygen /media/officer/reid.key
    """
    from appliance.keys import keys_dir
    from scrubbers.reidentification import PUBLIC_KEY_FILE, generate_officer_key

    generate_officer_key(private_key_file, keys_dir() / PUBLIC_KEY_FILE)
    click.echo(f"private key: {private_key_file}\npublic key installed: {keys_dir() / PUBLIC_KEY_FILE}")


@vault.command("reveal")
@click.argument("run_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--key-file", required=True, type=IN_FILE, help="The compliance officer's private key (never stored in the run directory).")
@click.option("--surrogate", help="Show only the original behind this surrogate.")
@user_errors
def vault_reveal(run_dir: Path, key_file: Path, surrogate: str | None) -> None:
    """Print surrogate -> original pairs of a pseudonymised run, as JSON lines.

    \b
    Example:
      appliance vault reveal runs/r1 --key-file /media/officer/reid.key --surrogate "Laura Nowak"
    """
    from appliance.errors import ApplianceError
    from appliance.rundir import RunDir
    from scrubbers.reidentification import VAULT_FILE, reveal

    if key_file.resolve().is_relative_to(run_dir.resolve()):
        raise ApplianceError("the key file must not be inside the run directory; keep the officer's key elsewhere")
    run = RunDir.open(run_dir, create=False)
    for row in reveal(run.vault / VAULT_FILE, key_file.read_bytes(), surrogate):
        click.echo(json.dumps(row, ensure_ascii=False))
