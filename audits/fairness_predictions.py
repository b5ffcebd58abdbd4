"""Fairness of any classifier's decisions, from a CSV of predictions: the `appliance audit fairness` library.

One row per decision: a true-label column, a prediction column and one or more sensitive columns.
Per sensitive column: each group's count, accuracy, selection rate and error rates (Fairlearn's
MetricFrame), the demographic parity difference and ratio and the equalized odds difference over
groups of at least `min_group_size` rows, and the policy gate on demographic parity.

Example:
    >>> result = prediction_fairness(frame, label="y", prediction="yhat", sensitive=["gender"], fairness=policy.fairness)
    >>> result["attributes"]["gender"]["demographic_parity_difference"]
    0.25
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from fairlearn.metrics import (
    MetricFrame,
    count,
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    false_negative_rate,
    false_positive_rate,
    selection_rate,
)

from appliance.errors import ApplianceError
from audits.fairness_data import choose_positive_label, clean_count, clean_number
from audits.gates import at_most, gate
from policies.schema import Fairness

RATES = ("accuracy", "selection_rate", "false_positive_rate", "false_negative_rate")


def read_predictions(path: Path, columns: Sequence[str]) -> pd.DataFrame:
    """The named columns of a predictions CSV as strings; a missing column is a user error naming it."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ApplianceError(f"cannot read {path} as CSV ({type(exc).__name__}); give a comma-separated file with a header row") from None
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ApplianceError(f"{path}: no column {', '.join(repr(c) for c in missing)}; the header has {len(frame.columns)} columns: {', '.join(frame.columns)}")
    return frame[list(dict.fromkeys(columns))]


def _rate(metric, truth_needed: int | None = None):
    def compute(y_true, y_pred) -> float:
        if truth_needed is not None and not np.any(np.asarray(y_true) == truth_needed):
            return float("nan")
        return float(metric(y_true, y_pred))

    return compute


def _attribute(truth: np.ndarray, decision: np.ndarray, groups: np.ndarray, min_group_size: int) -> dict[str, Any]:
    metrics = {
        "count": count,
        "accuracy": _rate(lambda t, p: np.mean(t == p)),
        "selection_rate": _rate(selection_rate),
        "false_positive_rate": _rate(false_positive_rate, 0),
        "false_negative_rate": _rate(false_negative_rate, 1),
    }
    with np.errstate(invalid="ignore", divide="ignore"):
        frame = MetricFrame(metrics=metrics, y_true=truth, y_pred=decision, sensitive_features=pd.Series(groups, name="group"))
    entries = {}
    for group, stats in frame.by_group.sort_index().iterrows():
        size = clean_count(stats["count"])
        entries[str(group)] = {"count": size, "too_small": size < min_group_size, **{rate: clean_number(stats[rate]) if size >= min_group_size else None for rate in RATES}}
    compared = [group for group, entry in entries.items() if not entry["too_small"]]
    result: dict[str, Any] = {"groups": entries, "compared_groups": compared, "demographic_parity_difference": None, "demographic_parity_ratio": None, "equalized_odds_difference": None}
    if len(compared) >= 2:
        mask = np.isin(groups, compared)
        t, d, g = truth[mask], decision[mask], groups[mask]
        result["demographic_parity_difference"] = clean_number(demographic_parity_difference(t, d, sensitive_features=g))
        result["demographic_parity_ratio"] = clean_number(demographic_parity_ratio(t, d, sensitive_features=g))
        if all(len(set(t[g == group])) == 2 for group in compared):
            result["equalized_odds_difference"] = clean_number(equalized_odds_difference(t, d, sensitive_features=g))
    return result


def prediction_fairness(frame: pd.DataFrame, *, label: str, prediction: str, sensitive: Sequence[str], fairness: Fairness, positive_label: str | None = None) -> dict[str, Any]:
    """Per sensitive column: group metrics and disparities of the decisions, with the policy's parity gates."""
    if not sensitive:
        raise ApplianceError("give at least one --sensitive column")
    rows = frame[(frame[label] != "") & (frame[prediction] != "")]
    positive, chosen_by = choose_positive_label(rows[label].tolist(), positive_label)
    truth = (rows[label].to_numpy(dtype=object) == positive).astype(int)
    decision = (rows[prediction].to_numpy(dtype=object) == positive).astype(int)
    attributes = {}
    for column in sensitive:
        values = rows[column].to_numpy(dtype=object)
        known = values != ""
        attributes[column] = _attribute(truth[known], decision[known], values[known].astype(str), fairness.min_group_size)
        attributes[column]["missing_values"] = int((~known).sum())
    limit = fairness.max_demographic_parity_difference
    gates = []
    for column, result in attributes.items():
        value = result["demographic_parity_difference"]
        name = f"fairness.demographic_parity.{column}"
        if value is None:
            gates.append(gate(name, "not_applicable", None, limit, f"fewer than two groups have at least {fairness.min_group_size} rows"))
        else:
            gates.append(at_most(name, value, limit, f"demographic parity difference of '{prediction}' across {len(result['compared_groups'])} groups of '{column}'"))
    return {
        "rows": int(len(frame)),
        "scored_rows": int(len(rows)),
        "positive_label": positive,
        "positive_label_chosen_by": chosen_by,
        "min_group_size": fairness.min_group_size,
        "attributes": attributes,
        "gates": gates,
    }


def fairness_table(result: dict[str, Any]) -> str:
    """A plain-text table per sensitive column, then the gates, for the terminal."""
    lines = [f"{result['scored_rows']} of {result['rows']} rows scored; favourable outcome '{result['positive_label']}'"]
    show = lambda value: "-" if value is None else f"{value:.3f}"  # noqa: E731
    for column, attribute in result["attributes"].items():
        lines += ["", f"{column}:", f"  {'group':<20} {'count':>6} {'accuracy':>9} {'selected':>9} {'FPR':>7} {'FNR':>7}"]
        for group, entry in attribute["groups"].items():
            note = "  (too small, not compared)" if entry["too_small"] else ""
            lines.append(f"  {group[:20]:<20} {entry['count']:>6} {show(entry['accuracy']):>9} {show(entry['selection_rate']):>9} {show(entry['false_positive_rate']):>7} {show(entry['false_negative_rate']):>7}{note}")
        lines.append(
            f"  demographic parity difference {show(attribute['demographic_parity_difference'])}, ratio {show(attribute['demographic_parity_ratio'])}, "
            f"equalized odds difference {show(attribute['equalized_odds_difference'])}"
        )
    lines.append("")
    lines += [f"{g['status'].upper():<15} {g['name']}  value {g['value']}  threshold {g['threshold']}" for g in result["gates"]]
    return "\n".join(lines)
