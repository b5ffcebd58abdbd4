"""What every stage is given, and what it gives back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from appliance.config import RunConfig
from appliance.rundir import RunDir
from policies import Policy


@dataclass(frozen=True)
class StageContext:
    run: RunDir
    policy: Policy
    policy_sha256: str
    config: RunConfig
    echo: Callable[[str], None] = print
    sources: tuple[Path, ...] = ()
    # --strict: any quarantined input stops the run after ingest has recorded what it found.
    strict: bool = False


@dataclass
class StageOutput:
    outputs: list[Path]
    counts: dict[str, int] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
