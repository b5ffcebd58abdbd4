"""`appliance audit fairness PREDICTIONS.csv`: the fairness audit of any classifier's decisions.

appliance.cli makes AUDIT_TOOLS subcommands of the `audit` stage, which still runs the stage
when given no subcommand (`appliance audit --run RUN`).
"""

from __future__ import annotations

from pathlib import Path

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


AUDIT_TOOLS = (fairness_command,)
