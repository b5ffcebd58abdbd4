"""`appliance audit fairness PREDICTIONS.csv`: the fairness audit of any classifier's decisions.

Register from appliance/cli.py, after `_stage_command("audit", ...)`:

    from appliance.commands.audit_tools import register_audit_group
    register_audit_group(main)

That turns `audit` into a group that still runs the stage when given no subcommand, so
`appliance audit --run RUN` keeps working, and adds `appliance audit fairness`.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import click

from appliance.commands.errors import user_errors

IN_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command("fairness")
@click.argument("predictions", type=IN_FILE)
@click.option("--label", required=True, metavar="COL", help="Column with the true outcome.")
@click.option("--prediction", required=True, metavar="COL", help="Column with the model's decision.")
@click.option("--sensitive", "sensitive", required=True, multiple=True, metavar="COL", help="Sensitive attribute column; repeat for several.")
@click.option("--policy", default="default", show_default=True, metavar="NAME|FILE", help="Policy whose fairness thresholds are applied.")
@click.option("--positive", "positive_label", metavar="VALUE", help="The favourable outcome. Default: 'approved' if present, else the first label in sort order.")
@user_errors
def fairness_command(predictions: Path, label: str, prediction: str, sensitive: tuple[str, ...], policy: str, positive_label: str | None) -> None:
    """Fairness of a classifier's decisions per group; exits 3 when a policy threshold is crossed.

    \b
    Example:
      appliance audit fairness decisions.csv --label outcome --prediction decision --sensitive gender --sensitive age_band
    """
    from appliance.errors import GateFailed
    from audits.fairness_predictions import fairness_table, prediction_fairness, read_predictions
    from policies.loader import load_policy

    fairness = load_policy(policy).fairness
    frame = read_predictions(predictions, [label, prediction, *sensitive])
    result = prediction_fairness(frame, label=label, prediction=prediction, sensitive=sensitive, fairness=fairness, positive_label=positive_label)
    click.echo(fairness_table(result))
    failed = [g["name"] for g in result["gates"] if g["status"] == "fail"]
    if failed:
        raise GateFailed(f"{len(failed)} fairness gate(s) failed: {', '.join(failed)}")


def register_audit_group(main: click.Group) -> click.Group:
    """Replace main's `audit` stage command by a group that runs the stage when no subcommand is given."""
    stage = main.commands["audit"]
    params = []
    for param in stage.params:
        param = copy.copy(param)
        if param.name == "run_dir":
            param.required = False  # a subcommand needs no run; the stage checks for it below
        params.append(param)

    def callback(**kwargs: Any) -> Any:
        if click.get_current_context().invoked_subcommand is not None:
            return None
        if kwargs.get("run_dir") is None:
            raise click.UsageError("give --run RUN to audit a run, or a subcommand (appliance audit fairness --help)")
        return stage.callback(**kwargs)

    group = click.Group(name="audit", params=params, callback=callback, invoke_without_command=True, help=stage.help, short_help=stage.short_help)
    group.add_command(fairness_command)
    main.add_command(group)
    return group
