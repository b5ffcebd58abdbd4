"""Compute used: stage wall times, training FLOPs (full and frozen-base), energy counters and the stated estimate."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance import compute
from appliance.compute import EnergyMeter, compute_used, stage_seconds, training_flops


def stage(started: str, finished: str, **summary: object) -> dict:
    return {"started": started, "finished": finished, "summary": summary}


def test_stage_seconds_in_pipeline_order() -> None:
    stages = {
        "train": stage("2026-01-01T10:00:10+00:00", "2026-01-01T10:02:40+00:00"),
        "ingest": stage("2026-01-01T10:00:00+00:00", "2026-01-01T10:00:04+00:00"),
        "broken": {"started": "yesterday", "finished": "today"},
    }
    assert stage_seconds(stages) == {"ingest": 4.0, "train": 150.0}
    assert list(stage_seconds(stages)) == ["ingest", "train"]


def test_training_flops_full_and_frozen_base() -> None:
    full = training_flops(total_parameters=1000, trainable_parameters=1000, tokens=10, method="full")
    assert full["flops"] == 6 * 1000 * 10 == full["full_fine_tuning_flops"]
    lora = training_flops(total_parameters=1000, trainable_parameters=10, tokens=10, method="lora")
    assert lora["flops"] == (4 * 1000 + 2 * 10) * 10
    assert lora["full_fine_tuning_flops"] == 60_000 and lora["flops"] < lora["full_fine_tuning_flops"]
    assert "frozen base" in lora["formula"]


def fake_powercap(root: Path, energy_uj: int, max_range: int = 10_000_000) -> None:
    """The sysfs layout of one RAPL package with a core sub-domain (which must not be double counted)."""
    for domain, name, value in (("intel-rapl:0", "package-0", energy_uj), ("intel-rapl:0:0", "core", energy_uj)):
        folder = root / domain
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "name").write_text(f"{name}\n")
        (folder / "energy_uj").write_text(f"{value}\n")
        (folder / "max_energy_range_uj").write_text(f"{max_range}\n")


def test_energy_meter_reads_rapl_packages_and_survives_wraparound(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compute, "POWERCAP", tmp_path)
    monkeypatch.setattr(compute, "_gpu_energy_mj", dict)
    fake_powercap(tmp_path, 9_000_000)
    with EnergyMeter() as meter:
        fake_powercap(tmp_path, 500_000)  # wrapped past 10 J: 1 J to the top, then 0.5 J
    result = meter.result()
    assert (result["joules"], result["method"], result["sources"]) == (1.5, "measured", ["rapl:package-0"])


def test_energy_meter_says_unavailable_without_counters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compute, "POWERCAP", tmp_path / "absent")
    monkeypatch.setattr(compute, "_gpu_energy_mj", dict)
    with EnergyMeter() as meter:
        pass
    assert meter.result()["method"] == "unavailable" and meter.result()["joules"] is None


def test_compute_used_mixes_measured_and_estimated_energy() -> None:
    stages = {
        "train": stage("2026-01-01T10:00:00+00:00", "2026-01-01T10:01:40+00:00", total_parameters=1000, trainable_parameters=10, hardware={"device": "cpu", "threads": 4}, method="LoRA"),
        "evaluate": stage("2026-01-01T10:01:40+00:00", "2026-01-01T10:02:00+00:00", energy={"joules": 321.5, "method": "measured", "sources": ["rapl:package-0"]}),
    }
    power = {"watts": 40.0, "basis": "assumed 10 W per CPU thread x 4 threads"}
    result = compute_used(stages, [{"step": 1, "tokens": 300}, {"step": 2, "tokens": 200}], power=power)
    assert [(row["stage"], row["seconds"], row["joules"], row["energy_method"]) for row in result["stages"]] == [("train", 100.0, 4000.0, "estimated"), ("evaluate", 20.0, 321.5, "measured")]
    assert result["energy_measured"] is False and result["energy_joules"] == 4321.5
    assert result["training_tokens"] == 500 and result["training_flops"]["flops"] == (4 * 1000 + 2 * 10) * 500
    assert result["wall_seconds"] == 120.0


def test_assumed_cpu_power_is_stated() -> None:
    power = compute.assumed_power("cpu", 8)
    assert power["watts"] == compute.ASSUMED_WATTS_PER_CPU_THREAD * 8
    assert power["basis"].startswith("assumed")
