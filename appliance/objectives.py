"""The run's objectives: the use case in words and the metrics (with targets) that decide success.

A metric name resolves through a closed registry (METRICS): each entry says which direction is better
and where in the manifest the value is measured. A YAML file can name a metric, never a code path.
`judge_objectives` turns the objectives and the manifest's stage summaries into verdicts
(met / missed / not_measured), which the report shows next to the compliance gates.

Example:
    >>> objectives = Objectives(metrics=(Objective(metric="accuracy", target=0.9),))
    >>> judge_objectives(objectives, {"evaluate": {"metrics": {"adapter": {"accuracy": 0.93}}}})[0].status
    'met'
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Summaries = dict[str, dict[str, Any]]
# The compare stage's row judged by objectives: the fine-tuned adapter is what the run ships.
SHIPPED_METHOD = "adapter"


@dataclass(frozen=True)
class Metric:
    name: str
    higher_is_better: bool
    # Where the value comes from, in words for the report ("evaluate: adapter on held-out records").
    source: str
    meaning: str
    # Reads the value from the manifest's stage summaries; None when the run did not measure it.
    read: Callable[[Summaries], float | None]

    @property
    def op(self) -> Literal[">=", "<="]:
        return ">=" if self.higher_is_better else "<="


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _evaluated(key: str) -> Callable[[Summaries], float | None]:
    def read(summaries: Summaries) -> float | None:
        return _number((((summaries.get("evaluate") or {}).get("metrics") or {}).get("adapter") or {}).get(key))

    return read


def _compared(key: str, generated: str | None = None) -> Callable[[Summaries], float | None]:
    """The compare stage's adapter row; else (when `generated` names one) the evaluate stage's generation sample."""

    def read(summaries: Summaries) -> float | None:
        for method in (summaries.get("compare") or {}).get("methods") or []:
            if method.get("name") == SHIPPED_METHOD and (value := _number((method.get("metrics") or {}).get(key))) is not None:
                return value
        if generated is None:
            return None
        return _number(((summaries.get("evaluate") or {}).get("generation") or {}).get(generated))

    return read


LABELLED = "evaluate: adapter on held-out labelled records"
COMPARED = "compare: the adapter on held-out prompts"
COMPARED_OR_SAMPLED = "compare: the adapter on held-out prompts; else evaluate's generation sample"
METRICS: dict[str, Metric] = {
    metric.name: metric
    for metric in (
        Metric("accuracy", True, LABELLED, "share of held-out labelled records whose predicted label is the gold label", _evaluated("accuracy")),
        Metric("macro_f1", True, LABELLED, "unweighted mean over labels of each label's F1", _evaluated("macro_f1")),
        Metric("heldout_loss", False, "evaluate: adapter on held-out records", "mean cross-entropy per scored token (nats)", _evaluated("loss")),
        Metric("perplexity", False, "evaluate: adapter on held-out records", "exp(held-out loss)", _evaluated("perplexity")),
        Metric("exact_match", True, COMPARED, "share of answers equal to the reference after normalisation", _compared("exact_match")),
        Metric("token_f1", True, COMPARED, "mean token-overlap F1 between answer and reference", _compared("token_f1")),
        Metric("rouge_l", True, COMPARED, "mean ROUGE-L F-measure between answer and reference", _compared("rouge_l")),
        Metric(
            "hallucination_rate", False, COMPARED,
            "unsupported-content rate: entities, numbers and dates in answers found in neither prompt, context nor reference",
            _compared("unsupported_rate"),
        ),
        Metric("refusal_rate", False, COMPARED, "share of answers that refuse or say they do not know", _compared("refusal_rate")),
        Metric("pii_emitted", False, COMPARED_OR_SAMPLED, "PII findings the detector flags in generated answers (count)", _compared("pii_emitted", "pii_emitted")),
        Metric("p50_latency_s", False, COMPARED_OR_SAMPLED, "median seconds to generate one answer", _compared("latency_p50_s", "latency_p50_s")),
        Metric("p95_latency_s", False, COMPARED_OR_SAMPLED, "95th-percentile seconds to generate one answer", _compared("latency_p95_s", "latency_p95_s")),
        Metric("tokens_per_s", True, COMPARED_OR_SAMPLED, "generated tokens per second", _compared("tokens_per_s", "tokens_per_s")),
    )
}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Objective(Strict):
    # A name from the closed metric registry (METRICS: accuracy, macro_f1, hallucination_rate, p95_latency_s, pii_emitted, ...).
    metric: str
    # Defaults to the metric's direction (">=" where higher is better, "<=" where lower is better).
    op: Literal[">=", "<="] | None = None
    target: float

    @model_validator(mode="after")
    def _known_metric_and_direction(self) -> Objective:
        metric = METRICS.get(self.metric)
        if metric is None:
            raise ValueError(f"unknown metric '{self.metric}'; choose one of: {', '.join(sorted(METRICS))}")
        # A target on the wrong side ("hallucination_rate >= 0.05") is almost always a typo that would pass a bad model.
        if self.op is not None and self.op != metric.op:
            better = "higher" if metric.higher_is_better else "lower"
            raise ValueError(f"{self.metric}: {better} is better, so its objective needs op '{metric.op}', not '{self.op}'")
        return self

    @property
    def resolved_op(self) -> Literal[">=", "<="]:
        return self.op or METRICS[self.metric].op


class Objectives(Strict):
    use_case: str = ""
    department: str = ""
    metrics: tuple[Objective, ...] = Field(default=())
    # When true, a missed or unmeasured objective is also a failed compliance gate (`objectives.<metric>`),
    # so the run exits 3 and `serve` refuses it like any other failed gate. Off by default: objectives
    # are business acceptance criteria; the gates are the policy's.
    enforce: bool = False


@dataclass(frozen=True)
class Verdict:
    metric: str
    op: str
    target: float
    status: Literal["met", "missed", "not_measured"]
    value: float | None
    source: str
    meaning: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def judge(objective: Objective, summaries: Summaries) -> Verdict:
    metric = METRICS[objective.metric]
    value = metric.read(summaries)
    op = objective.resolved_op
    if value is None:
        status: Literal["met", "missed", "not_measured"] = "not_measured"
    else:
        status = "met" if (value >= objective.target if op == ">=" else value <= objective.target) else "missed"
    return Verdict(objective.metric, op, objective.target, status, value, metric.source, metric.meaning)


def judge_objectives(objectives: Objectives, summaries: Summaries) -> list[Verdict]:
    """One verdict per objective, in the config's order; `summaries` maps stage name to its manifest summary."""
    return [judge(objective, summaries) for objective in objectives.metrics]


def objective_gates(verdicts: list[Verdict]) -> list[dict[str, Any]]:
    """Enforced objectives as compliance gates: met passes; missed or not measured fails (nothing proves it was met)."""
    from audits.gates import gate

    return [
        gate(f"objectives.{v.metric}", "pass" if v.status == "met" else "fail", v.value, v.target, f"objective {v.metric} {v.op} {v.target}: {v.status.replace('_', ' ')} ({v.source})")
        for v in verdicts
    ]
