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
@click.option("--method", type=click.Choice(["lora", "full", "prefix", "ia3"]), help="What to train: a LoRA adapter (default), the whole model (small models), prefix tuning or IA3.")
@click.option("--merge/--no-merge", default=None, help="Also write the base model with the adapter merged in to RUN/train/merged/.")
@click.option("--privacy-unit", type=click.Choice(["record", "subject"]), help="With --dp: protect each record, or each data subject's records together (user-level DP).")
@click.option("--eval-every", type=click.IntRange(min=0), metavar="N", help="Validation loss every N steps (0: at the end only).")
@click.option("--early-stopping-patience", type=click.IntRange(min=1), metavar="N", help="Stop after N evaluations without a lower validation loss; keep the best weights.")
@click.option("--packing/--no-packing", default=None, help="Without DP, pack several examples per row (positions restart, no cross-example attention): documents fill rows, conversations and labelled rows stay whole.")
@click.option("--gradient-checkpointing/--no-gradient-checkpointing", default=None, help="Recompute activations in backward: less memory, more time.")
@click.option("--load-in-4bit/--no-load-in-4bit", default=None, help="4-bit base weights (needs a CUDA GPU and bitsandbytes).")
@click.option("--precision", type=click.Choice(["auto", "fp32", "bf16"]), help="auto (default): bf16 base weights on a CUDA GPU that supports it, float32 on CPU; trained weights stay float32.")
@click.option("--tracking", type=click.Choice(["none", "tensorboard", "mlflow"]), help="Also write metrics to an offline tracker under RUN/tracking.")
@user_errors
def train(
    run_dir: Path, policy: str | None, config_file: Path | None, force: bool, base_model: str | None, dp: bool | None,
    epsilon: float | None, max_steps: int | None, resume: bool, show_masking: int | None, method: str | None,
    merge: bool | None, privacy_unit: str | None, eval_every: int | None, early_stopping_patience: int | None,
    packing: bool | None, gradient_checkpointing: bool | None, load_in_4bit: bool | None, precision: str | None,
    tracking: str | None,
) -> None:
    """Fine-tune on the training split (a LoRA adapter by default); --dp trains with Opacus DP-SGD.

    \b
    Examples:
      appliance train --run runs/r1 --dp --epsilon 8 --max-steps 60
      appliance train --run runs/r1 --dp --privacy-unit subject
      appliance train --run runs/r1 --eval-every 10 --early-stopping-patience 3 --merge
      appliance train --run runs/r1 --resume
      appliance train --run runs/r1 --show-masking 3
      torchrun --nproc_per_node 2 --no-python -- appliance train --run runs/r1
      accelerate launch --multi_gpu --num_processes 2 --no_python appliance train --run runs/r1
    """
    if follow_if_not_main(run_dir):
        return
    try:
        from appliance.pipeline import open_context, run_stage

        overrides = train_overrides(base_model, dp, epsilon, max_steps)
        overrides["train"].update({
            "method": method, "merge": merge, "privacy_unit": privacy_unit, "eval_every": eval_every,
            "early_stopping_patience": early_stopping_patience, "packing": packing,
            "gradient_checkpointing": gradient_checkpointing, "load_in_4bit": load_in_4bit,
            "precision": precision,
        })
        overrides["tracking"] = {"backend": tracking}
        overrides["train"]["resume"] = resume  # never inherited from an earlier invocation
        ctx = open_context(run_dir, policy=policy, config_file=config_file, overrides=overrides, echo=click.echo, create=False)
        if show_masking is not None:
            from appliance.stages.train import show_masking as render

            for block in render(ctx, show_masking):
                click.echo(block)
            return
        with ctx.run.lock():
            # A resumed run must run even though its fingerprint matches the interrupted one.
            run_stage("train", ctx, force=force or resume)
    finally:
        release_followers()


def follow_if_not_main(run_dir: Path) -> bool:
    """Under torchrun, a non-zero rank trains beside rank 0 (writing nothing) and answers True; otherwise False.

    Every rank must call this first; rank 0 must then call release_followers when it is done,
    whether or not it trained. Launch, for example:
        torchrun --nproc_per_node 2 --no-python -- appliance train --run runs/r1
      accelerate launch --multi_gpu --num_processes 2 --no_python appliance train --run runs/r1
    """
    from appliance.train import distributed

    if distributed.join_launch().is_main:
        return False
    from appliance.stages.train import follow

    follow(run_dir)
    distributed.leave()
    return True


def release_followers() -> None:
    """Rank 0: tell ranks still waiting that there is nothing (more) to train; a no-op when they were told."""
    from appliance.train import distributed

    distributed.tell_followers(distributed.STOP)
    distributed.leave()
