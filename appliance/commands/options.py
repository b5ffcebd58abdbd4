"""Options shared by several commands, so each reads and behaves the same everywhere."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

RUN_DIR = click.Path(file_okay=False, path_type=Path)


def policy_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--policy", "policy", metavar="NAME|FILE", help="Policy pack name (see `appliance policy list`) or a YAML file. Default: the run's policy, else 'default'.")(func)


def config_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--config", "config_file", type=click.Path(dir_okay=False, exists=True, path_type=Path), help="Run config YAML (task, ingest, train, evaluate sections).")(func)


def training_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--max-steps", type=int, help="Optimizer steps to train.")(func)
    func = click.option("--epsilon", type=float, help="Target epsilon for DP training (with --dp).")(func)
    func = click.option("--dp/--no-dp", default=None, help="Train with differential privacy (Opacus DP-SGD).")(func)
    func = click.option("--base-model", metavar="NAME|PATH", help="Registry model name or a local Hugging Face folder (safetensors).")(func)
    return func


def train_overrides(base_model: str | None, dp: bool | None, epsilon: float | None, max_steps: int | None) -> dict[str, dict[str, Any]]:
    return {"train": {"base_model": base_model, "dp": dp, "target_epsilon": epsilon, "max_steps": max_steps}}


def engine_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--engine", type=click.Choice(["local", "ray"]), help="Scrub engine: local process pool, or a Ray cluster (pip install '.[ray]'); identical output. Default: the config's scrub.engine.")(func)
