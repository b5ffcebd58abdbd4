"""An offline experiment tracker: training metrics as TensorBoard event files or an MLflow file store.

Off by default (`tracking.backend: none`). Whatever the backend, everything stays in a folder
(RUN/tracking unless configured): no server URI is accepted and nothing is sent anywhere.
Only numbers are logged (loss, learning rate, tokens/s, epsilon, validation loss), never text.

Example:
    tracker = open_tracker(config.tracking, run.root)
    tracker.log(step, {"loss": 1.9, "lr": 3e-4})
    tracker.close()
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from appliance.config import TrackingConfig
from appliance.errors import ApplianceError
from appliance.files import path_inside

# The releases the trackers were written against; named in the install hint when one is missing.
TENSORBOARD_PIN = "tensorboard==2.21.0"
# mlflow-skinny: the tracking client without the server, UI and ML flavours (18 packages, ~75 MB).
MLFLOW_PIN = "mlflow-skinny==3.17.2"
# Read by mlflow when a store opens: its 3.x file store refuses to open unless allowed (maintenance
# mode, but a folder is what an offline run directory needs: no database, no server). Its telemetry
# switch is one of the offline switches every process sets at import (appliance.offline).
MLFLOW_ENVIRONMENT = {"MLFLOW_ALLOW_FILE_STORE": "true"}


class Tracker(Protocol):
    def log(self, step: int, metrics: Mapping[str, Any]) -> None: ...

    def close(self) -> None: ...


def numeric(metrics: Mapping[str, Any]) -> dict[str, float]:
    """The finite numbers among `metrics` (a None loss from an empty DP batch is skipped)."""
    return {
        key: float(value)
        for key, value in metrics.items()
        if key != "step" and isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    }


class NoTracker:
    def log(self, step: int, metrics: Mapping[str, Any]) -> None:
        pass

    def close(self) -> None:
        pass


class TensorBoardTracker:
    """Scalars under train/<name>, one event file per run, written by torch's SummaryWriter."""

    def __init__(self, directory: Path):
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            raise ApplianceError(f"tracking.backend tensorboard needs the tensorboard package: pip install '{TENSORBOARD_PIN}'") from None
        self.writer = SummaryWriter(log_dir=str(directory))

    def log(self, step: int, metrics: Mapping[str, Any]) -> None:
        for key, value in numeric(metrics).items():
            self.writer.add_scalar(f"train/{key}", value, global_step=step)

    def close(self) -> None:
        self.writer.flush()
        self.writer.close()


class MlflowTracker:
    """One MLflow run in a local file store (a `file://` URI built here, never a server)."""

    def __init__(self, directory: Path, run_name: str):
        os.environ.update(MLFLOW_ENVIRONMENT)
        try:
            from mlflow.tracking import MlflowClient
        except ImportError:
            raise ApplianceError(f"tracking.backend mlflow needs the mlflow package: pip install '{MLFLOW_PIN}'") from None
        self.client = MlflowClient(tracking_uri=directory.resolve().as_uri())
        experiment = self.client.get_experiment_by_name("appliance")
        experiment_id = experiment.experiment_id if experiment else self.client.create_experiment("appliance")
        self.run_id = self.client.create_run(experiment_id, run_name=run_name).info.run_id

    def log(self, step: int, metrics: Mapping[str, Any]) -> None:
        for key, value in numeric(metrics).items():
            self.client.log_metric(self.run_id, key, value, step=step)

    def close(self) -> None:
        self.client.set_terminated(self.run_id)


def tracking_directory(config: TrackingConfig, run_root: Path) -> Path:
    if "://" in config.directory:
        raise ApplianceError(f"tracking.directory {config.directory!r} is a URI; give a folder path (the tracker works offline only)")
    directory = Path(config.directory)
    if directory.is_absolute():  # only the command line can give one (config files are checked on load)
        return directory
    # A relative folder stays inside the run, also through a symbolic link or an edited config.yaml.
    return path_inside(Path(run_root), config.directory, key="tracking.directory")


def open_tracker(config: TrackingConfig, run_root: Path) -> Tracker:
    """The configured tracker, writing under tracking_directory(); NoTracker when the backend is none."""
    if config.backend == "none":
        return NoTracker()
    directory = tracking_directory(config, run_root)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    if config.backend == "tensorboard":
        return TensorBoardTracker(directory)
    return MlflowTracker(directory, run_name=Path(run_root).name)
