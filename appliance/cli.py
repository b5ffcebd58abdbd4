"""The `appliance` command line: thin Click commands over the library."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click

from appliance import __version__, offline
from appliance.commands.audit_tools import AUDIT_TOOLS
from appliance.commands.errors import user_errors
from appliance.commands.options import RUN_DIR, config_option, engine_option, policy_option, train_overrides, training_options
from appliance.commands.scrub_tools import SCRUB_TOOLS, vault
from appliance.errors import ApplianceError
from appliance.rundir import STAGES


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="appliance")
def main() -> None:
    """Turn your own documents and transcripts into a fine-tuned model, on premises, with an auditable report.

    Stages run over a run directory: ingest -> scrub -> audit -> train -> evaluate -> compare -> report.
    Run them all with `appliance run`, or one at a time; an unchanged stage is skipped.

    \b
    Examples:
      appliance demo --out runs/demo
      appliance run data/ --out runs/r1 --policy hipaa --dp --epsilon 8
      appliance scrub --run runs/r1 --force
    """
    offline.install_network_guard()
    offline.quiet_library_warnings()
    # Everything this process writes (library files too: adapters, tokenizers) is private to its owner.
    os.umask(0o077)


@main.command()
@click.argument("sources", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--out", "run_dir", required=True, type=RUN_DIR, help="Run directory to create or continue.")
@policy_option
@config_option
@training_options
@engine_option
@click.option("--force", is_flag=True, help="Re-run every stage even if unchanged.")
@click.option("--strict", is_flag=True, help="Stop with exit 1 after ingest if any input was quarantined.")
@user_errors
def run(sources: tuple[Path, ...], run_dir: Path, policy: str | None, config_file: Path | None, base_model: str | None, dp: bool | None, epsilon: float | None, max_steps: int | None, engine: str | None, force: bool, strict: bool) -> None:
    """Run every stage in order: ingest, scrub, audit, train, evaluate, compare, report.

    Exits 0 when all gates pass, 3 when a compliance gate fails (the report is still written), 1 on a usage or input error.

    \b
    Example:
      appliance run exports/ --out runs/2026-11 --policy banking --dp --epsilon 8
    """
    from appliance.commands.train import follow_if_not_main, release_followers
    from appliance.pipeline import open_context, run_all

    if follow_if_not_main(run_dir):
        return  # a non-zero torchrun rank: it trained beside rank 0, which runs every stage
    try:
        overrides = {**train_overrides(base_model, dp, epsilon, max_steps), "scrub": {"engine": engine}}
        ctx = open_context(run_dir, policy=policy, config_file=config_file, overrides=overrides, sources=sources, echo=click.echo, strict=strict)
        try:
            run_all(ctx, force=force)
        finally:
            _print_report_location(run_dir)
    finally:
        release_followers()


def _print_report_location(run_dir: Path) -> None:
    html = run_dir / "report" / "report.html"
    click.echo(f"run directory: {run_dir.resolve()}")
    if html.exists():
        click.echo(f"report: {html.resolve()}")


def _stage_command(name: str, doc: str, example: str, with_sources: bool = False, with_training: bool = False, with_engine: bool = False, subcommands: tuple[click.Command, ...] = ()) -> None:
    def command(run_dir: Path | None, policy: str | None, config_file: Path | None, force: bool, sources: tuple[Path, ...] = (), strict: bool = False, engine: str | None = None, **training: Any) -> None:
        from appliance.pipeline import open_context, run_stage

        if click.get_current_context().invoked_subcommand is not None:
            return  # `appliance scrub detect ...`: the subcommand does the work
        if run_dir is None:
            raise click.UsageError(f"Missing option '--run' (or give a subcommand: {', '.join(sorted(c.name or '' for c in subcommands))}).")

        overrides = train_overrides(**training) if with_training else {}
        if engine is not None:
            overrides["scrub"] = {"engine": engine}
        ctx = open_context(run_dir, policy=policy, config_file=config_file, overrides=overrides, sources=sources, echo=click.echo, create=with_sources, strict=strict)
        with ctx.run.lock():
            run_stage(name, ctx, force=force)  # every manifest write is signed as it is made
        if name == "report":
            _print_report_location(run_dir)

    command.__doc__ = f"{doc}\n\n    \b\n    Example:\n      {example}\n    "
    command = user_errors(command)
    if with_training:
        command = training_options(command)
    if with_engine:
        command = engine_option(command)
    command = click.option("--force", is_flag=True, help="Re-run even if inputs, parameters and policy are unchanged.")(command)
    command = config_option(command)
    command = policy_option(command)
    command = click.option("--run", "run_dir", required=not subcommands, type=RUN_DIR, help="The run directory.")(command)
    if with_sources:
        command = click.option("--strict", is_flag=True, help="Exit 1 if any input was quarantined (after recording it).")(command)
        command = click.argument("sources", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))(command)
    if not subcommands:
        main.command(name=name)(command)
        return
    group = main.group(name=name, invoke_without_command=True)(command)
    for subcommand in subcommands:
        group.add_command(subcommand)


_stage_command("ingest", "Read files, folders and archives into records; every input is accounted for.\n\n    Formats: txt, md, html, pdf, docx, csv, tsv, json, jsonl (chat `messages`, prompt/completion, text),\n    eml, mbox, vtt, srt, zip and tar. Unusable files are quarantined with a one-line reason.\n\n    Raw records are sealed (encrypted) in the vault outside the run directory.", "appliance ingest exports/ notes.csv --run runs/r1", with_sources=True)
_stage_command("scrub", "Redact PII with Presidio and the policy's operators, then re-scan the result for leaks.\n\n    Subcommands measure detection without a run: `scrub detect IN OUT`, `scrub eval GOLD`.", "appliance scrub --run runs/r1 --policy hipaa", with_engine=True, subcommands=SCRUB_TOOLS)
_stage_command("audit", "Audit the scrubbed data before training: group representation and outcome rates, and the privacy plan.\n\n    Subcommand, without a run: `audit fairness PREDICTIONS.csv` judges any classifier's decisions per group.", "appliance audit --run runs/r1", subcommands=AUDIT_TOOLS)

_stage_command("evaluate", "Held-out loss and perplexity, base model vs adapter, and per-group model fairness.", "appliance evaluate --run runs/r1")
_stage_command("compare", "Answer the same held-out prompts with each configured method (few-shot prompt, retrieval, adapter) and compare quality, hallucination and latency.", "appliance compare --run runs/r1")
_stage_command("report", "Check every gate against the policy and write report/report.html and report/report.json.", "appliance report --run runs/r1")


@main.command()
@click.option("--out", "run_dir", default=Path("runs/demo"), show_default=True, type=RUN_DIR, help="Run directory for the demo.")
@click.option("--base-model", metavar="NAME|PATH", help="Base model (default: the registry's SmolLM2-135M-Instruct).")
@click.option("--max-steps", type=int, help="Optimizer steps (default from the demo config).")
@click.option("--no-dp", "no_dp", is_flag=True, help="Train without differential privacy (the demo's banking policy then fails its DP gate).")
@click.option("--force", is_flag=True, help="Re-run every stage.")
@user_errors
def demo(run_dir: Path, base_model: str | None, max_steps: int | None, no_dp: bool, force: bool) -> None:
    """Generate the synthetic bank corpus and run the whole pipeline on it.

    The corpus (chat transcripts, emails, policy documents, loan notes with demographics) is
    fictional and seeded; it is written under APPLIANCE_HOME, never into the run directory.

    \b
    Example:
      appliance demo --out runs/demo
    """
    from appliance.demo_run import run_demo

    try:
        run_demo(run_dir, base_model=base_model, max_steps=max_steps, dp=not no_dp, force=force, echo=click.echo)
    finally:
        _print_report_location(run_dir)


@main.group()
def policy() -> None:
    """List, show and validate policy packs."""


@policy.command("list")
def policy_list() -> None:
    """List the shipped policy packs.

    \b
    Example:
      appliance policy list
    """
    from policies import available_policies, load_policy

    for name in available_policies():
        click.echo(f"{name:<10} {load_policy(name).description.split('.')[0]}")


@policy.command("show")
@click.argument("name")
@user_errors
def policy_show(name: str) -> None:
    """Print a policy (pack name or file) fully resolved, with defaults filled in.

    \b
    Example:
      appliance policy show hipaa
    """
    from policies import load_policy, policy_sha256
    from policies.loader import policy_yaml

    resolved = load_policy(name)
    click.echo(f"# sha256 {policy_sha256(resolved)}")
    click.echo(policy_yaml(resolved), nl=False)


@policy.command("validate")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@user_errors
def policy_validate(file: Path) -> None:
    """Check a policy file; every problem is listed at once with its key path.

    \b
    Example:
      appliance policy validate my-policy.yaml
    """
    from policies import load_policy

    resolved = load_policy(file)
    click.echo(f"{file}: valid policy '{resolved.name}' ({len(resolved.entities)} entity types)")


@main.group()
def models() -> None:
    """The offline model registry: list, locate, provision and verify pinned models."""


@models.command("list")
def models_list() -> None:
    """List registry models and whether each is ready.

    \b
    Example:
      appliance models list
    """
    from appliance.models import REGISTRY, model_status

    for name in REGISTRY:
        status = model_status(name)
        state = "ready" if status.ready else status.problem
        click.echo(f"{name:<26} {status.kind:<9} {state}")


@models.command("path")
@click.argument("name")
@user_errors
def models_path(name: str) -> None:
    """Print the local folder of a registry model (converting it first if needed).

    \b
    Example:
      appliance models path smollm2-135m-instruct
    """
    from appliance.models import provision

    click.echo(str(provision(name).path))


@models.command("provision")
@user_errors
def models_provision() -> None:
    """Convert and verify every registry model so runs start offline and fast.

    \b
    Example:
      appliance models provision
    """
    from appliance.models import REGISTRY, provision

    for name in REGISTRY:
        resolved = provision(name)
        click.echo(f"{name:<26} ready  sha256 {resolved.sha256[:16]}…  {resolved.path}")


@models.command("verify")
@user_errors
def models_verify() -> None:
    """Re-hash every registry model against its pinned sha256; exits 1 on any mismatch.

    \b
    Example:
      appliance models verify
    """
    from appliance.models import REGISTRY, model_status

    problems = 0
    for name in REGISTRY:
        status = model_status(name, check_hashes=True)
        click.echo(f"{name:<26} {'ok' if status.ready else 'FAILED: ' + status.problem}")
        problems += not status.ready
    if problems:
        raise ApplianceError(f"{problems} model(s) failed verification")


@main.command()
@click.option("--run", "run_dir", required=True, type=RUN_DIR, help="The run directory.")
@user_errors
def status(run_dir: Path) -> None:
    """Show which stages of a run are complete, with their counts.

    \b
    Example:
      appliance status --run runs/demo
    """
    from appliance.rundir import RunDir

    manifest = RunDir.open(run_dir, create=False).manifest
    click.echo(f"run {manifest['run_id']}  policy {manifest.get('policy', {}).get('name', '-')}")
    for name in STAGES:
        stage = manifest.get("stages", {}).get(name)
        click.echo(f"  {name:<9} {'done ' + stage['finished'] if stage else 'not run'}  {json.dumps(stage['counts']) if stage else ''}")


def _register_commands() -> None:
    from appliance.commands import init as init_commands
    from appliance.commands import purge as purge_commands
    from appliance.commands import review as review_commands
    from appliance.commands.evidence import diff, verify
    from appliance.commands.serve import chat, serve
    from appliance.commands.train import train

    main.add_command(verify)
    main.add_command(train)
    main.add_command(diff)
    main.add_command(vault)
    main.add_command(serve)
    main.add_command(chat)
    for module in (init_commands, purge_commands, review_commands):
        module.register(main)


_register_commands()

if __name__ == "__main__":
    main()
