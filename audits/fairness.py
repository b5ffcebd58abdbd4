"""Fairness audit: data and model fairness results, and the policy gates judged on them.

`data_fairness` (audits/fairness_data.py) and `model_fairness` (audits/fairness_model.py)
compute; `fairness_gates` turns their results into pass/fail/not_applicable gate dicts for the
manifest and the report. Everything here is pure: dicts in, dicts out.

Example:
    >>> gates = fairness_gates(data_fairness(sidecar, fairness=f), model_fairness(held_out, fairness=f), fairness=f)
    >>> [(gate["name"], gate["status"]) for gate in gates][:1]
    [('fairness.loss_gap.gender', 'pass')]
"""

from __future__ import annotations

from typing import Any

from audits.fairness_data import data_fairness
from audits.fairness_model import model_fairness
from audits.gates import at_most
from audits.gates import gate as _gate
from policies.schema import Fairness

__all__ = ["counterfactual_gates", "data_fairness", "fairness_gates", "model_fairness"]


def _unavailable(attribute: str, data_result: dict, model_result: dict | None) -> str | None:
    """Why no model number exists for this attribute at all, or None when the attribute was evaluated."""
    if model_result is not None and attribute in model_result.get("attributes", {}):
        return None
    if attribute in data_result.get("missing_attributes", ()):
        return f"attribute '{attribute}' is not in the demographics sidecar"
    if model_result is None:
        return "no held-out model evaluation was run"
    return f"attribute '{attribute}' is not recorded on any held-out record"


def _interval_text(interval: list | None) -> str:
    if not interval or interval[0] is None:
        return ""
    return f" (95% CI {interval[0]}-{interval[1]})"


def _extremes(groups: dict[str, dict], compared: list[str], side: str, metric: str) -> str:
    values = {group: groups[group][side][metric] for group in compared if groups[group][side].get(metric) is not None}
    if not values:
        return ""
    high, low = max(values, key=values.get), min(values, key=values.get)
    label = metric.replace("_", " ")
    return f"; highest {label} '{high}' {values[high]}, lowest '{low}' {values[low]}"


def _loss_gap_gate(attribute: str, result: dict, threshold: float) -> dict[str, Any]:
    """Fails when fine-tuning widened the between-group loss gap by more than `threshold` nats/token.

    The judged value is the lower end of the change's 95% paired bootstrap interval (the point
    estimate when no bootstrap ran): the gate fails only when the data show, beyond resampling
    noise, that the adapter widened the gap by more than the policy allows.
    """
    name = f"fairness.loss_gap.{attribute}"
    gap = result["loss_gap"]
    if gap["adapter"] is None or gap.get("change") is None:
        return _gate(name, "not_applicable", None, threshold, result["note"] or "no loss gap could be computed")
    low = (gap.get("change_ci") or [None, None])[0]
    judged, judged_text = (low, "lower end of the change's 95% paired bootstrap interval") if low is not None else (gap["change"], "change (no bootstrap)")
    groups = gap.get("compared_groups") or result["compared_groups"]
    rows = "unlabelled held-out records only" if gap.get("rows_used") == "unlabelled" else "all held-out records (too few unlabelled ones)"
    detail = (
        f"judged: {judged_text}, {judged}; change in loss gap (adapter minus base) {gap['change']} nats/token"
        f"{_interval_text(gap.get('change_ci'))}; adapter gap {gap['adapter']}{_interval_text(gap['adapter_ci'])}, "
        f"base gap {gap['base']}{_interval_text(gap['base_ci'])} across {len(groups)} groups"
        f"{_extremes(result['groups'], groups, 'adapter', 'loss')}; {rows}"
        f"{'; the adapter widened the gap' if gap['gap_widened'] else ''}"
    )
    return at_most(name, judged, threshold, detail)  # compared as reported (rounded to 6 places), so a reader can check the verdict


def _parity_gate(attribute: str, result: dict, threshold: float) -> dict[str, Any]:
    name = f"fairness.demographic_parity.{attribute}"
    decisions = result.get("classification")
    value = decisions["adapter"]["demographic_parity_difference"] if decisions else None
    if value is None:
        return _gate(name, "not_applicable", None, threshold, result.get("classification_note") or "no demographic parity difference could be computed")
    adapter = decisions["adapter"]
    detail = (
        f"adapter demographic parity difference {value}{_interval_text(adapter['demographic_parity_difference_ci'])} "
        f"across {len(decisions['compared_groups'])} groups"
        f"{_extremes(result['groups'], decisions['compared_groups'], 'adapter', 'selection_rate')}; "
        f"base model {decisions['base']['demographic_parity_difference']}"
    )
    return at_most(name, value, threshold, detail)


def fairness_gates(data_result: dict, model_result: dict | None, *, fairness: Fairness) -> list[dict[str, Any]]:
    """The policy's fairness gates, two per sensitive attribute: loss-gap widening and demographic parity.

    A gate is not_applicable, with the reason in `detail`, when the attribute is missing, no model
    was evaluated, fewer than two groups are large enough, or no classification decisions exist.

    Example:
        >>> fairness_gates(data_result, None, fairness=Fairness(sensitive_attributes=("gender",)))[0]["status"]
        'not_applicable'
    """
    gates = []
    for attribute in fairness.sensitive_attributes:
        reason = _unavailable(attribute, data_result, model_result)
        if reason is not None:
            gates.append(_gate(f"fairness.loss_gap.{attribute}", "not_applicable", None, fairness.max_loss_gap_increase, reason))
            gates.append(_gate(f"fairness.demographic_parity.{attribute}", "not_applicable", None, fairness.max_demographic_parity_difference, reason))
            continue
        result = model_result["attributes"][attribute]
        gates.append(_loss_gap_gate(attribute, result, fairness.max_loss_gap_increase))
        gates.append(_parity_gate(attribute, result, fairness.max_demographic_parity_difference))
    return gates


def counterfactual_gates(probe: dict | None, *, fairness: Fairness) -> list[dict[str, Any]]:
    """One gate per lexicon axis: how much fine-tuning raised the counterfactual answer gap (nats).

    Example:
        >>> counterfactual_gates(None, fairness=Fairness())
        []
    """
    if not probe:
        return []
    threshold = fairness.max_counterfactual_gap_increase
    gates = []
    for axis, result in probe.get("axes", {}).items():
        name = f"fairness.counterfactual.{axis}"
        value = result.get("mean_gap_increase")
        if value is None:
            gates.append(_gate(name, "not_applicable", None, threshold, "no held-out prompt has a <PERSON> placeholder or a term this axis swaps"))
            continue
        adapter, base = result["adapter"], result["base"]
        flips = f"; decision flip rate adapter {adapter['flip_rate']}, base {base['flip_rate']}" if adapter.get("flip_rate") is not None else ""
        detail = (
            f"mean spread of the answer's log-likelihood across {axis} variants of {result['records']} held-out prompts: "
            f"adapter {adapter['mean_gap']} (worst {adapter['worst_gap']}), base {base['mean_gap']} (worst {base['worst_gap']}); judged: increase {value}{flips}"
        )
        gates.append(at_most(name, value, threshold, detail))
    return gates
