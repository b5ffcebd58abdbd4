"""Fairness of the fine-tuned model on held-out records: does the adapter serve some groups worse?

Pure functions; no file I/O. Each held-out row carries the base model's and the adapter's mean
loss (nats per token) on one record, its token count, and optionally a classification decision
(`y_true`, `base_pred`, `adapter_pred`). Every number comes from Fairlearn's `MetricFrame` or a
Fairlearn function that wraps it; confidence intervals come from MetricFrame's own bootstrap,
which resamples records with replacement. The base and adapter frames are given the same rows
and seed, so they see the same resamples.

Example:
    >>> model_fairness(rows, fairness=policy.fairness)["attributes"]["gender"]["loss_gap"]["adapter"]
    0.42
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
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
from sklearn.metrics import accuracy_score

from appliance.errors import ApplianceError
from audits.fairness_data import choose_positive_label, clean_count, clean_number, split_attributes
from audits.fairness_gap import loss_gap_rows, paired_gap_change
from policies.schema import Fairness

CI_QUANTILES = [0.025, 0.975]
SIDES = ("base", "adapter")
CLASSIFICATION_RATES = ("accuracy", "selection_rate", "false_positive_rate", "false_negative_rate")


def token_count(y_true, y_pred, sample_weight) -> float:
    """Tokens scored in the group (the weight of each record is its token count)."""
    return float(np.sum(sample_weight))


def token_weighted_loss(y_true, y_pred, sample_weight) -> float:
    """Mean loss per token over the group: per-record means weighted by their token counts."""
    return float(np.average(y_true, weights=sample_weight))


def token_weighted_perplexity(y_true, y_pred, sample_weight) -> float:
    """Perplexity over the group's tokens: exp of the token-weighted mean loss."""
    with np.errstate(over="ignore"):
        return float(np.exp(token_weighted_loss(y_true, y_pred, sample_weight)))


def _one_vs_rest(metric: Callable, positive: str, *, needs_truth: int | None = None) -> Callable:
    """A binary Fairlearn rate over string labels: the positive label against every other label.

    With `needs_truth`, the rate is NaN (reported as None) when no row has that true outcome:
    Fairlearn would report 0, and a false negative rate of 0 for a group with no positives misleads.
    """

    def binary_metric(y_true, y_pred) -> float:
        truth = _binary(y_true, positive)
        if needs_truth is not None and not np.any(truth == needs_truth):
            return float("nan")
        return metric(truth, _binary(y_pred, positive), pos_label=1)

    return binary_metric


def _binary(labels, positive: str) -> np.ndarray:
    return (np.asarray(labels, dtype=object) == positive).astype(int)


def _number(row: Mapping, key: str, index: int) -> float:
    value = row.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not math.isfinite(float(value)):
        raise ApplianceError(f"held-out row {index}: '{key}' must be a finite number, got {type(value).__name__}; re-run the evaluation")
    return float(value)


def _parse_rows(rows: Sequence[Mapping]) -> tuple[list[Mapping], pd.DataFrame, int]:
    """Validated numeric columns for rows that scored at least one token, and how many scored none."""
    kept, columns, skipped = [], [], 0
    for index, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise ApplianceError(f"held-out row {index} is a {type(row).__name__}, not a mapping")
        tokens = _number(row, "tokens", index)
        if tokens < 0 or tokens != int(tokens):
            raise ApplianceError(f"held-out row {index}: 'tokens' must be a whole number of at least 0, got {tokens}")
        base_loss, adapter_loss = _number(row, "base_loss", index), _number(row, "adapter_loss", index)
        if tokens == 0:
            skipped += 1  # nothing was scored, so the record carries no weight
            continue
        labels = [row.get(key) for key in ("y_true", "base_pred", "adapter_pred")]
        labels = [None if label is None else str(label) for label in labels]
        kept.append(row)
        columns.append((base_loss, adapter_loss, int(tokens), *labels))
    frame = pd.DataFrame(columns, columns=["base_loss", "adapter_loss", "tokens", "y_true", "base_pred", "adapter_pred"])
    frame["classified"] = frame[["y_true", "base_pred", "adapter_pred"]].notna().all(axis=1) if len(frame) else pd.Series(dtype=bool)
    return kept, frame, skipped


def _loss_frame(data: pd.DataFrame, side: str, groups: pd.Series, *, table: bool, n_bootstrap: int = 0, seed: int = 0) -> MetricFrame:
    """Per-group loss of one side; the table form adds counts and perplexity, the gap form a bootstrap."""
    tokens = data["tokens"].to_numpy(dtype=float)
    losses = data[f"{side}_loss"].to_numpy(dtype=float)
    metrics: dict[str, Callable] = {"loss": token_weighted_loss}
    if table:
        metrics = {"count": count, "tokens": token_count, "loss": token_weighted_loss, "perplexity": token_weighted_perplexity}
    sample_params = {name: {"sample_weight": tokens} for name in metrics if name != "count"}
    bootstrap = {"n_boot": n_bootstrap, "ci_quantiles": CI_QUANTILES, "random_state": seed} if n_bootstrap else {}
    return MetricFrame(metrics=metrics, y_true=losses, y_pred=losses, sensitive_features=groups, sample_params=sample_params, **bootstrap)


def _decision_frame(data: pd.DataFrame, side: str, groups: pd.Series, positive: str) -> MetricFrame:
    metrics = {
        "count": count,
        "accuracy": accuracy_score,
        "selection_rate": _one_vs_rest(selection_rate, positive),
        "false_positive_rate": _one_vs_rest(false_positive_rate, positive, needs_truth=0),
        "false_negative_rate": _one_vs_rest(false_negative_rate, positive, needs_truth=1),
    }
    with np.errstate(invalid="ignore", divide="ignore"):
        return MetricFrame(
            metrics=metrics, y_true=data["y_true"].to_numpy(dtype=object), y_pred=data[f"{side}_pred"].to_numpy(dtype=object), sensitive_features=groups
        )


def _interval(frame: MetricFrame, metric: str) -> list[Any]:
    low, high = frame.difference_ci()
    return [clean_number(low[metric]), clean_number(high[metric])]


def _loss_gap(data: pd.DataFrame, groups: pd.Series, compared: list[str], min_group_size: int, n_bootstrap: int, seed: int) -> dict[str, Any]:
    labelled = data["y_true"].notna().to_numpy(dtype=bool)
    mask, gap_groups, rows_used = loss_gap_rows(labelled, groups.to_numpy(dtype=object), compared, min_group_size)
    used, by = data[mask].reset_index(drop=True), groups[mask].reset_index(drop=True)
    gap: dict[str, Any] = {"rows_used": rows_used, "records": int(mask.sum()), "compared_groups": gap_groups}
    for side in SIDES:
        frame = _loss_frame(used, side, by, table=False, n_bootstrap=n_bootstrap, seed=seed)
        gap[side] = clean_number(frame.difference()["loss"])
        gap[f"{side}_ci"] = _interval(frame, "loss") if n_bootstrap else [None, None]
    paired = paired_gap_change(used["base_loss"], used["adapter_loss"], used["tokens"], by, n_bootstrap=n_bootstrap, seed=seed)
    gap["change"] = clean_number(gap["adapter"] - gap["base"])
    gap["change_ci"], gap["change_method"] = paired["change_ci"], paired["method"]
    gap["gap_widened"] = gap["adapter"] > gap["base"]
    return gap


def _decision_disparity(data: pd.DataFrame, groups: pd.Series, compared: list[str], positive: str, n_bootstrap: int, seed: int) -> dict[str, Any]:
    mask = groups.isin(compared).to_numpy()
    by = groups[mask].reset_index(drop=True)
    truth = _binary(data["y_true"][mask], positive)
    # Equalized odds compares true and false positive rates, so every group needs both outcomes.
    both_outcomes = all(len(set(truth[(by == group).to_numpy()])) == 2 for group in compared)
    result: dict[str, Any] = {"compared_groups": compared, "note": None}
    if not both_outcomes:
        result["note"] = "equalized odds not computed: a compared group lacks positive or negative y_true"
    for side in SIDES:
        decision = _binary(data[f"{side}_pred"][mask], positive)
        entry = {
            "demographic_parity_difference": clean_number(demographic_parity_difference(truth, decision, sensitive_features=by)),
            "demographic_parity_difference_ci": [None, None],
            "demographic_parity_ratio": clean_number(demographic_parity_ratio(truth, decision, sensitive_features=by)),
        }
        entry["equalized_odds_difference"] = (
            clean_number(equalized_odds_difference(truth, decision, sensitive_features=by)) if both_outcomes else None
        )
        if n_bootstrap:
            frame = MetricFrame(
                metrics={"selection_rate": selection_rate}, y_true=truth, y_pred=decision, sensitive_features=by,
                n_boot=n_bootstrap, ci_quantiles=CI_QUANTILES, random_state=seed,
            )
            entry["demographic_parity_difference_ci"] = _interval(frame, "selection_rate")
        result[side] = entry
    return result


def _attribute_model(
    name: str, values: np.ndarray, data: pd.DataFrame, *, positive: str | None, min_group_size: int, n_bootstrap: int, seed: int
) -> dict[str, Any]:
    known = np.array([value is not None for value in values], dtype=bool)
    rows = data[known].reset_index(drop=True)
    groups = pd.Series(values[known], name=name, dtype=str)
    tables = {side: _loss_frame(rows, side, groups, table=True).by_group for side in SIDES}
    classified = rows["classified"].to_numpy(dtype=bool) if positive is not None else np.zeros(len(rows), dtype=bool)
    decisions = {}
    if classified.any():
        decision_groups = groups[classified].reset_index(drop=True)
        decisions = {side: _decision_frame(rows[classified].reset_index(drop=True), side, decision_groups, positive).by_group for side in SIDES}

    entries: dict[str, dict[str, Any]] = {}
    for group in sorted(tables["base"].index):
        group_count = clean_count(tables["base"].loc[group, "count"])
        decided = clean_count(decisions["base"].loc[group, "count"]) if decisions and group in decisions["base"].index else 0
        entry: dict[str, Any] = {
            "count": group_count,
            "tokens": clean_count(tables["base"].loc[group, "tokens"]),
            "classified": decided,
            "too_small": group_count < min_group_size,
        }
        for side in SIDES:
            judged = not entry["too_small"]
            side_entry = {metric: clean_number(tables[side].loc[group, metric]) if judged else None for metric in ("loss", "perplexity")}
            if decisions:
                judged_decisions = decided >= min_group_size
                side_entry.update({rate: clean_number(decisions[side].loc[group, rate]) if judged_decisions else None for rate in CLASSIFICATION_RATES})
            entry[side] = side_entry
        entries[str(group)] = entry

    compared = [group for group, entry in entries.items() if not entry["too_small"]]
    result: dict[str, Any] = {
        "records": int(known.sum()),
        "missing_values": int(len(values) - known.sum()),
        "groups": entries,
        "compared_groups": compared,
        "loss_gap": {"base": None, "base_ci": [None, None], "adapter": None, "adapter_ci": [None, None], "change": None, "change_ci": [None, None], "gap_widened": None},
        "classification": None,
        "note": None,
        "classification_note": None,
    }
    if len(compared) >= 2:
        result["loss_gap"] = _loss_gap(rows, groups, compared, min_group_size, n_bootstrap, seed)
    else:
        result["note"] = f"fewer than two groups have at least {min_group_size} held-out records"

    compared_decisions = [group for group, entry in entries.items() if entry["classified"] >= min_group_size]
    if len(compared_decisions) >= 2:
        result["classification"] = _decision_disparity(
            rows[classified].reset_index(drop=True), groups[classified].reset_index(drop=True), compared_decisions, positive, n_bootstrap, seed
        )
    elif not classified.any():
        result["classification_note"] = "no held-out row carries y_true, base_pred and adapter_pred"
    else:
        result["classification_note"] = f"fewer than two groups have at least {min_group_size} classified held-out records"
    return result


def model_fairness(
    rows: Sequence[Mapping],
    *,
    fairness: Fairness,
    n_bootstrap: int = 200,
    seed: int = 0,
    positive_label: str | None = None,
) -> dict[str, Any]:
    """Per-group held-out loss and decisions of the base model and the adapter, with the gaps between groups.

    Each row: {"record_id", "attributes", "base_loss", "adapter_loss", "tokens"} and optionally
    {"y_true", "base_pred", "adapter_pred"}. Losses are mean nats per token of one record.
    Gaps are max minus min over groups with at least `min_group_size` records, with a 95%
    percentile bootstrap interval from `n_bootstrap` resamples (0 turns the bootstrap off). The
    loss gap compares unlabelled rows when two groups have enough of them (audits/fairness_gap.py);
    its `change` (adapter gap - base gap) has a paired bootstrap interval, which the gate judges.

    Example:
        >>> result = model_fairness(rows, fairness=policy.fairness, n_bootstrap=200, seed=0)
        >>> result["attributes"]["gender"]["loss_gap"]["gap_widened"]
        False
    """
    if n_bootstrap < 0:
        raise ApplianceError(f"n_bootstrap must be 0 (no intervals) or more, got {n_bootstrap}")
    rows = list(rows)
    kept, data, skipped = _parse_rows(rows)
    truths = data.loc[data["classified"], "y_true"].tolist() if len(data) else []
    positive, chosen_by = choose_positive_label(truths, positive_label)
    present, missing = split_attributes(kept, fairness, what="held-out")
    return {
        "records": len(rows),
        "evaluated_records": len(kept),
        "skipped_zero_token_records": skipped,
        "classified_records": int(data["classified"].sum()) if len(data) else 0,
        "positive_label": positive,
        "positive_label_chosen_by": chosen_by,
        "min_group_size": fairness.min_group_size,
        "bootstrap": {"resamples": n_bootstrap, "seed": seed, "confidence": clean_number(CI_QUANTILES[1] - CI_QUANTILES[0])},
        "attributes": {
            name: _attribute_model(name, values, data, positive=positive, min_group_size=fairness.min_group_size, n_bootstrap=n_bootstrap, seed=seed)
            for name, values in present.items()
        },
        "missing_attributes": missing,
    }
