"""`appliance init`: write a commented starter run config, with objectives, for a chosen use case."""

from __future__ import annotations

from pathlib import Path

import click

from appliance.commands.errors import user_errors
from appliance.init_config import USE_CASES, StarterAnswers, starter_config, write_starter
from appliance.objectives import METRICS


@click.command(name="init")
@click.argument("path", required=False, default="run.yaml", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--use-case", type=click.Choice(list(USE_CASES)), help="What the model is for; sets the task, objectives and comparison.")
@click.option("--description", help="The use case in a sentence, shown at the top of the report's objectives.")
@click.option("--department", help="The department or workflow that owns the use case.")
@click.option("--dp/--no-dp", default=None, help="Train with differential privacy (default: yes).")
@click.option("--no-input", is_flag=True, help="Ask nothing: use the flags and the use case's defaults.")
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
@user_errors
def init(path: Path, use_case: str | None, description: str | None, department: str | None, dp: bool | None, no_input: bool, force: bool) -> None:
    """Write a commented starter run config (default run.yaml) for a use case, with objectives to meet.

    Asks a few questions unless --no-input; every answer can also be given as a flag.

    \b
    Examples:
      appliance init
      appliance init configs/triage.yaml --use-case classification --department "Retail credit" --no-input
    """
    if use_case is None:
        if no_input:
            raise click.UsageError(f"--no-input needs --use-case ({', '.join(USE_CASES)})")
        use_case = click.prompt("Use case", type=click.Choice(list(USE_CASES)), default="support-assistant")
    if not no_input:
        description = description if description is not None else click.prompt("Describe the use case in a sentence", default=USE_CASES[use_case].title)
        department = department if department is not None else click.prompt("Department or workflow that owns it", default="", show_default=False)
        dp = dp if dp is not None else click.confirm("Train with differential privacy?", default=True)
    answers = StarterAnswers(use_case=use_case, description=description or "", department=department or "", dp=True if dp is None else dp)
    written = write_starter(path, starter_config(answers), force=force)
    objectives = ", ".join(f"{metric} {METRICS[metric].op} {target}" for metric, target in USE_CASES[use_case].objectives)
    click.echo(f"init: wrote {written} ({use_case}, task {USE_CASES[use_case].task}); objectives: {objectives}")
    click.echo(f"  next: review the targets, then: appliance run SOURCES --config {written} --out runs/r1")


def register(main: click.Group) -> None:
    """Add this module's commands to the CLI (called once by appliance.cli)."""
    main.add_command(init)
