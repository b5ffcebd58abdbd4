"""`appliance review`: a blind review pack for domain experts, and their grades back into the run."""

from __future__ import annotations

from pathlib import Path

import click

from appliance.commands.errors import user_errors
from appliance.commands.options import RUN_DIR


@click.group(name="review")
def review() -> None:
    """Domain-expert review of the compare stage's answers (blind, scrubbed)."""


@review.command(name="export")
@click.argument("run_dir", type=RUN_DIR)
@click.option("--n", "count", default=50, show_default=True, type=click.IntRange(1, 10_000), help="Held-out questions to sample.")
@click.option(
    "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), help="Folder for review.csv and review.html [default: RUN_DIR/review/pack].",
)
@click.option("--seed", default=0, show_default=True, help="Seed for sampling and for the order of answers.")
@user_errors
def export_pack(run_dir: Path, count: int, out_dir: Path | None, seed: int) -> None:
    """Write a review pack: sampled questions with the adapter's, the reference and a baseline's answers, blind.

    The key that maps answer slots to methods stays in RUN_DIR/review/key.json, never in the pack.

    \b
    Example:
      appliance review export runs/r1 --n 50 --out review-pack/
    """
    from appliance.review import export_review_pack

    pack = export_review_pack(run_dir, n=count, out=out_dir, seed=seed)
    click.echo(f"review pack: {pack.items} questions, 3 answers each in random order")
    click.echo(f"  form: {pack.html_path}")
    click.echo(f"  csv:  {pack.csv_path}")
    click.echo(f"  key:  {pack.key_path} (stays with the run)")


@review.command(name="import")
@click.argument("run_dir", type=RUN_DIR)
@click.argument("filled", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@user_errors
def import_grades(run_dir: Path, filled: Path) -> None:
    """Record experts' grades from a filled review CSV: accuracy with a 95% interval, reviewer agreement.

    Notes are scrubbed and reviewer ids hashed before anything is stored; the manifest is re-signed.

    \b
    Example:
      appliance review import runs/r1 review-alice.csv
    """
    from appliance.review import import_reviews

    result = import_reviews(run_dir, filled)
    summary = result.summary
    click.echo(f"review: {result.rows} graded rows imported; {summary['items']} items, {summary['reviewers']} reviewer(s) in total")
    for method, stats in summary["methods"].items():
        if stats["graded"]:
            low, high = stats["accuracy_ci95"]
            click.echo(f"  {method:<18} accuracy {stats['accuracy']:.2f} (95% CI {low:.2f}-{high:.2f}, {stats['graded']} graded)")
    agreement = summary["agreement"]
    if agreement["statistic"]:
        over = f"{agreement['answers']} answers graded by {agreement['reviewers']} reviewers"
        click.echo(f"  agreement: {agreement['statistic']} kappa {agreement['kappa']} over {over}")
    # The report vouches for the manifest as it was; the review changed it, so the report must be rebuilt.
    click.echo(f"  report: rebuild it to show the review: appliance report --run {run_dir} --force")


def register(main: click.Group) -> None:
    """Add this module's commands to the CLI (called once by appliance.cli)."""
    main.add_command(review)
