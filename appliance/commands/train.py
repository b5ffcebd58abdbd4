"""`appliance train`: the training stage, with its resume and masking-preview options."""

from __future__ import annotations

from pathlib import Path

import click

from appliance.commands.errors import user_errors
from appliance.commands.options import RUN_DIR, config_option, policy_option, train_overrides, training_options


@click.command(name="train")
@click.option("--run", "run_dir", required=True, type=RUN_DIR, help="The run directory.")
@policy_option
@config_option
@click.option("--force", is_flag=True, help="Re-run even if inputs, parameters and policy are unchanged.")
@training_options
@click.option("--resume", is_flag=True, help="Continue from the latest checkpoint in RUN/train/checkpoints (same steps, metrics and epsilon).")
@click.option("--show-masking", type=click.IntRange(min=1), metavar="N", help="Print N encoded training records with trained tokens in [[ ]], then exit without training.")
@user_errors
def train(run_dir: Path, policy: str | None, config_file: Path | None, force: bool, base_model: str | None, dp: bool | None, epsilon: float | None, max_steps: int | None, resume: bool, show_masking: int | None) -> None:
    """Fine-tune a LoRA adapter on the training split; --dp trains with Opacus DP-SGD.

    \b
    Examples:
      appliance train --run runs/r1 --dp --epsilon 8 --max-steps 60
      appliance train --run runs/r1 --resume
      appliance train --run runs/r1 --show-masking 3
    """
    from appliance.evidence import sign_run
    from appliance.pipeline import open_context, run_stage

    overrides = train_overrides(base_model, dp, epsilon, max_steps)
    overrides["train"]["resume"] = resume  # never inherited from an earlier invocation
    if show_masking is not None:
        from appliance.stages.train import show_masking as render

        ctx = open_context(run_dir, policy=policy, config_file=config_file, overrides=overrides, echo=click.echo, create=False)
        for block in render(ctx, show_masking):
            click.echo(block)
        return
    ctx = open_context(run_dir, policy=policy, config_file=config_file, overrides=overrides, echo=click.echo, create=False)
    with ctx.run.lock():
        try:
            # A resumed run must run even though its fingerprint matches the interrupted one.
            run_stage("train", ctx, force=force or resume)
        finally:
            sign_run(ctx.run)
