"""Compute used by a run: wall time per stage, device, estimated training FLOPs, and energy.

Energy is measured where the machine exposes a counter (Intel/AMD RAPL under /sys/class/powercap,
NVIDIA's board energy counter through nvidia-smi) and otherwise estimated as an assumed power draw
times wall time, labelled as an estimate in the record and in the report.

Example:
    >>> with EnergyMeter() as meter:
    ...     do_work()
    >>> meter.result()   # {"joules": 812.4, "method": "measured", "sources": ["rapl:package-0"], "seconds": 9.7}
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from appliance.rundir import STAGES

POWERCAP = Path("/sys/class/powercap")
# Stated assumptions for the estimate when nothing can be read: a server CPU thread under full load,
# and a data-centre GPU board when nvidia-smi cannot say its power limit.
ASSUMED_WATTS_PER_CPU_THREAD = 10.0
ASSUMED_GPU_WATTS = 300.0
NVIDIA_SMI_TIMEOUT_S = 5


def stage_seconds(stages: dict[str, Any]) -> dict[str, float]:
    """Wall time of each recorded stage from its manifest start and finish (one-second resolution), in pipeline order."""
    seconds = {}
    order = {name: index for index, name in enumerate(STAGES)}
    for name, stage in sorted(stages.items(), key=lambda item: (order.get(item[0], len(order)), item[0])):
        try:
            started, finished = dt.datetime.fromisoformat(stage["started"]), dt.datetime.fromisoformat(stage["finished"])
        except (KeyError, TypeError, ValueError):
            continue
        seconds[name] = max((finished - started).total_seconds(), 0.0)
    return seconds


def training_flops(*, total_parameters: int, trainable_parameters: int, tokens: int, method: str) -> dict[str, Any]:
    """Estimated training FLOPs (Kaplan et al. 2020: about 2N per token forward, 4N backward; attention ignored).

    Full fine-tuning: 6 * N * tokens. With a frozen base (LoRA, prefix, IA3) the backward pass still
    propagates activation gradients through every layer (2N) but computes weight gradients only for
    the trainable parameters (2 * N_trainable): (4N + 2 N_trainable) * tokens.
    """
    full = 6 * total_parameters * tokens
    if method.lower() == "full":
        return {"flops": full, "formula": "6 x parameters x tokens (full fine-tuning)", "full_fine_tuning_flops": full}
    frozen = (4 * total_parameters + 2 * trainable_parameters) * tokens
    return {
        "flops": frozen,
        "formula": "(4 x parameters + 2 x trainable parameters) x tokens (frozen base: no weight gradients for base weights)",
        "full_fine_tuning_flops": full,
    }


def _rapl_counters() -> dict[str, tuple[int, int]]:
    """Package-level RAPL domains: name -> (energy in microjoules, counter range); empty where unreadable."""
    counters = {}
    for domain in sorted(POWERCAP.glob("intel-rapl:*")) if POWERCAP.is_dir() else []:
        if domain.name.count(":") != 1:  # sub-domains (core, uncore, dram) are inside their package
            continue
        try:
            name = (domain / "name").read_text().strip()
            counters[f"rapl:{name}"] = (int((domain / "energy_uj").read_text()), int((domain / "max_energy_range_uj").read_text()))
        except (OSError, ValueError):
            continue
    return counters


def _nvidia_smi(fields: str) -> list[list[str]]:
    if shutil.which("nvidia-smi") is None:
        return []
    try:
        command = ["nvidia-smi", f"--query-gpu={fields}", "--format=csv,noheader,nounits"]
        out = subprocess.run(command, capture_output=True, text=True, timeout=NVIDIA_SMI_TIMEOUT_S, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [[cell.strip() for cell in line.split(",")] for line in out.strip().splitlines() if line.strip()]


def _gpu_energy_mj() -> dict[str, float]:
    """Each GPU's board energy counter (millijoules since the driver loaded); empty where not supported."""
    counters = {}
    for row in _nvidia_smi("index,total_energy_consumption"):
        try:
            counters[f"gpu:{row[0]}"] = float(row[1])
        except (IndexError, ValueError):
            continue
    return counters


def gpu_power_limits() -> list[dict[str, Any]]:
    """Name and board power limit (W) of each NVIDIA GPU nvidia-smi can see."""
    limits = []
    for row in _nvidia_smi("name,power.limit"):
        try:
            limits.append({"name": row[0], "power_limit_w": float(row[1])})
        except (IndexError, ValueError):
            continue
    return limits


class EnergyMeter:
    """Energy used between enter and exit, from hardware counters where the machine has them."""

    def __enter__(self) -> EnergyMeter:
        self._rapl, self._gpu, self._start = _rapl_counters(), _gpu_energy_mj(), time.perf_counter()
        self.seconds: float | None = None
        self._joules: dict[str, float] = {}
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._start
        for name, (value, span) in _rapl_counters().items():
            if name in self._rapl:
                before = self._rapl[name][0]
                self._joules[name] = ((value - before) % span if span else value - before) / 1e6  # the counter wraps
        for name, value in _gpu_energy_mj().items():
            if name in self._gpu and value >= self._gpu[name]:
                self._joules[name] = (value - self._gpu[name]) / 1e3

    def result(self) -> dict[str, Any]:
        """{"joules", "method": "measured", "sources", "seconds"}, or method "unavailable" with joules None."""
        seconds = round(self.seconds or 0.0, 3)
        if not self._joules:
            return {"joules": None, "method": "unavailable", "sources": [], "seconds": seconds}
        return {"joules": round(sum(self._joules.values()), 3), "method": "measured", "sources": sorted(self._joules), "seconds": seconds}


def assumed_power(device: str, threads: int | None) -> dict[str, Any]:
    """The power draw an estimate assumes: the GPU's board power limit when readable, else stated constants."""
    if device.startswith("cuda"):
        limits = gpu_power_limits()
        if limits:
            return {"watts": limits[0]["power_limit_w"], "basis": f"board power limit of {limits[0]['name']} (nvidia-smi), at full load"}
        return {"watts": ASSUMED_GPU_WATTS, "basis": f"assumed {ASSUMED_GPU_WATTS:.0f} W GPU board (power limit not readable)"}
    count = threads or 1
    basis = f"assumed {ASSUMED_WATTS_PER_CPU_THREAD:.0f} W per CPU thread x {count} threads (no RAPL counter readable)"
    return {"watts": ASSUMED_WATTS_PER_CPU_THREAD * count, "basis": basis}


def compute_used(stages: dict[str, Any], training_curve: list[dict[str, Any]], *, power: dict[str, Any] | None = None) -> dict[str, Any]:
    """The report's compute record from the manifest stages and train/metrics.jsonl.

    A stage whose summary holds a measured `energy` record uses it; every other stage's energy is the
    assumed power (`power`, default `assumed_power` for the training device) times its wall time.
    """
    summaries = {name: stage.get("summary") or {} for name, stage in stages.items()}
    train = summaries.get("train") or {}
    hardware = train.get("hardware") or {}
    device = str(hardware.get("device") or "cpu")
    power = power or assumed_power(device, hardware.get("threads"))
    rows = []
    for name, seconds in stage_seconds(stages).items():
        energy = summaries[name].get("energy") or {}
        if energy.get("method") == "measured" and energy.get("joules") is not None:
            rows.append({"stage": name, "seconds": seconds, "joules": energy["joules"], "energy_method": "measured", "energy_sources": list(energy.get("sources", []))})
        else:
            rows.append({"stage": name, "seconds": seconds, "joules": round(power["watts"] * seconds, 3), "energy_method": "estimated", "energy_sources": []})
    tokens = sum(int(point.get("tokens") or 0) for point in training_curve)
    flops = None
    if train.get("total_parameters") and tokens:
        method = str((train.get("hyperparameters") or {}).get("method") or train.get("method") or "lora")
        flops = training_flops(total_parameters=train["total_parameters"], trainable_parameters=train.get("trainable_parameters") or 0, tokens=tokens, method=method)
    total_joules = sum(row["joules"] for row in rows)
    return {
        "device": device,
        "threads": hardware.get("threads"),
        "machine": hardware.get("machine"),
        "wall_seconds": round(sum(row["seconds"] for row in rows), 3),
        "stages": rows,
        "training_tokens": tokens,
        "training_flops": flops,
        "energy_joules": round(total_joules, 3),
        "energy_kwh": round(total_joules / 3.6e6, 6),
        "energy_measured": bool(rows) and all(row["energy_method"] == "measured" for row in rows),
        "assumed_power": power,
    }
