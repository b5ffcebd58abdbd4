"""The run's objectives: the use case in words and the metrics (with targets) that decide success."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Objective(Strict):
    # A name from the closed metric registry (e.g. accuracy, macro_f1, hallucination_rate, p95_latency_s, pii_emitted).
    metric: str
    # ">=" for metrics where higher is better, "<=" where lower is better.
    op: Literal[">=", "<="] = ">="
    target: float


class Objectives(Strict):
    use_case: str = ""
    department: str = ""
    metrics: tuple[Objective, ...] = Field(default=())
