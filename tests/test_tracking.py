"""The offline experiment tracker: off by default, TensorBoard event files on request, never the network."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from appliance.config import TrackingConfig
from appliance.errors import ApplianceError
from appliance.tracking import NoTracker, open_tracker

EVENTS = [
    {"step": 1, "loss": 2.5, "lr": 1e-4, "tokens": 512, "tokens_per_s": 900.0, "epsilon": 0.4},
    {"step": 2, "loss": None, "lr": 2e-4, "tokens": 0, "tokens_per_s": 0.0, "epsilon": 0.6},  # an empty DP batch
    {"step": 3, "loss": 2.1, "lr": 3e-4, "tokens": 480, "tokens_per_s": 950.0, "epsilon": 0.8, "val_loss": 2.3},
]


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every socket connection the code under test tries, local or not (there must be none)."""
    attempts: list[object] = []

    def refuse(self, address):
        attempts.append(address)
        raise ConnectionRefusedError("test: no connections allowed")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


def test_tracking_is_off_by_default_and_writes_nothing(tmp_path: Path) -> None:
    tracker = open_tracker(TrackingConfig(), tmp_path)
    tracker.log(1, EVENTS[0])
    tracker.close()
    assert isinstance(tracker, NoTracker) and list(tmp_path.iterdir()) == []


@pytest.mark.skipif(importlib.util.find_spec("tensorboard") is None, reason="tensorboard not installed")
def test_tensorboard_events_are_written_under_the_run_and_read_back(tmp_path: Path, no_network: list[object]) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    tracker = open_tracker(TrackingConfig(backend="tensorboard"), tmp_path)
    for event in EVENTS:
        tracker.log(event["step"], event)
    tracker.close()

    folder = tmp_path / "tracking"
    assert [p.name.startswith("events.out.tfevents") for p in folder.iterdir()] == [True]
    events = EventAccumulator(str(folder))
    events.Reload()
    assert set(events.Tags()["scalars"]) == {f"train/{k}" for k in ("loss", "lr", "tokens", "tokens_per_s", "epsilon", "val_loss")}
    assert [(s.step, s.value) for s in events.Scalars("train/loss")] == [(1, 2.5), (3, pytest.approx(2.1))]
    assert [s.step for s in events.Scalars("train/epsilon")] == [1, 2, 3]
    assert [(s.step, s.value) for s in events.Scalars("train/val_loss")] == [(3, pytest.approx(2.3))]
    assert no_network == []


def test_an_absolute_directory_is_used_and_a_uri_is_refused(tmp_path: Path) -> None:
    elsewhere = tmp_path / "shared-tracking"
    if importlib.util.find_spec("tensorboard") is not None:
        open_tracker(TrackingConfig(backend="tensorboard", directory=str(elsewhere)), tmp_path / "run").close()
        assert any(elsewhere.iterdir())
    with pytest.raises(ApplianceError, match="is a URI; give a folder path"):
        open_tracker(TrackingConfig(backend="mlflow", directory="http://tracking.example:5000"), tmp_path)


@pytest.mark.skipif(importlib.util.find_spec("mlflow") is not None, reason="mlflow is installed")
def test_a_missing_backend_names_the_install_command(tmp_path: Path) -> None:
    with pytest.raises(ApplianceError, match=r"tracking.backend mlflow needs the mlflow package: pip install 'mlflow-skinny==\d"):
        open_tracker(TrackingConfig(backend="mlflow"), tmp_path)


MLFLOW = pytest.mark.skipif(importlib.util.find_spec("mlflow") is None, reason="mlflow-skinny not installed")


@MLFLOW
def test_mlflow_metrics_are_written_under_the_run_and_read_back(tmp_path: Path, no_network: list[object], monkeypatch: pytest.MonkeyPatch) -> None:
    # The tracker itself must allow mlflow's file store (3.x refuses it by default) and switch off telemetry.
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "false")
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "false")
    tracker = open_tracker(TrackingConfig(backend="mlflow"), tmp_path / "run-7")
    for event in EVENTS:
        tracker.log(event["step"], event)
    tracker.close()

    from mlflow.tracking import MlflowClient

    folder = tmp_path / "run-7" / "tracking"
    client = MlflowClient(tracking_uri=folder.as_uri())
    (run,) = client.search_runs([client.get_experiment_by_name("appliance").experiment_id])
    assert (run.info.run_name, run.info.status) == ("run-7", "FINISHED")
    assert set(run.data.metrics) == {"loss", "lr", "tokens", "tokens_per_s", "epsilon", "val_loss"}
    assert [(m.step, m.value) for m in client.get_metric_history(run.info.run_id, "loss")] == [(1, 2.5), (3, 2.1)]
    assert [m.step for m in client.get_metric_history(run.info.run_id, "epsilon")] == [1, 2, 3]
    assert [(m.step, m.value) for m in client.get_metric_history(run.info.run_id, "val_loss")] == [(3, 2.3)]
    assert no_network == []
    assert sorted(p.name for p in (tmp_path / "run-7").iterdir()) == ["tracking"]  # nothing written beside it


@MLFLOW
def test_mlflow_telemetry_stays_off_outside_tests(tmp_path: Path) -> None:
    # mlflow decides at import time and treats pytest or CI as "no telemetry" by itself: ask a clean process.
    script = (
        "import sys; from pathlib import Path\n"
        "from appliance.config import TrackingConfig\n"
        "from appliance.tracking import open_tracker\n"
        "open_tracker(TrackingConfig(backend='mlflow'), Path(sys.argv[1])).close()\n"
        "from mlflow.telemetry import get_telemetry_client\n"
        "print('telemetry client:', get_telemetry_client())\n"
    )
    quiet = {"PYTEST_CURRENT_TEST", "CI", "GITHUB_ACTIONS", "DO_NOT_TRACK", "MLFLOW_DISABLE_TELEMETRY"}
    env = {k: v for k, v in os.environ.items() if k not in quiet}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    completed = subprocess.run([sys.executable, "-c", script, str(tmp_path)], env=env, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert completed.stdout.splitlines()[-1] == "telemetry client: None"
