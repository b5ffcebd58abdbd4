"""Fairness of the training data: who is represented, and how recorded outcomes differ by group.

Pure functions over rows of the sealed demographics sidecar; no file I/O. Every number comes
from one aggregator, Fairlearn's `MetricFrame` (or a Fairlearn function that wraps it), and
leaves as a plain JSON-ready dict: floats rounded to 6 places, NaN and infinities as None.

Groups smaller than the policy's `min_group_size` are still listed with their counts, but
flagged `too_small` and left out of every comparison. Their rates are withheld (None): a rate
over two or three people says little about a group and a lot about those people.

Example:
    >>> data_fairness(rows, fairness=policy.fairness)["attributes"]["gender"]["demographic_parity_difference"]
    0.25
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame, count, demographic_parity_difference, demographic_parity_ratio, selection_rate

from appliance.errors import ApplianceError
from policies.schema import Fairness

DEFAULT_POSITIVE_LABEL = "approved"
DECIMALS = 6


def clean_number(value: Any) -> Any:
    """A JSON-safe number: ints stay ints, floats are rounded to 6 places, NaN and infinities become None."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    value = float(value)
    return round(value, DECIMALS) if math.isfinite(value) else None


def clean_count(value: Any) -> int:
    """A group count from a MetricFrame: an empty cell comes back as NaN and means zero."""
    value = float(value)
    return int(value) if math.isfinite(value) else 0


def choose_positive_label(labels: Sequence[str], given: str | None) -> tuple[str | None, str | None]:
    """The label counted as the favourable outcome, and how it was chosen.

    The caller's choice wins; otherwise "approved" when present, else the lexicographically first
    label, so the same data always gives the same answer.
    """
    if given is not None:
        return str(given), "given"
    distinct = sorted(set(labels))
    if not distinct:
        return None, None
    if DEFAULT_POSITIVE_LABEL in distinct:
        return DEFAULT_POSITIVE_LABEL, "default_approved"
    return distinct[0], "lexicographically_first"


def attribute_values(rows: Sequence[Mapping], attribute: str, *, what: str) -> np.ndarray:
    """One attribute's group per row as strings; None where the row does not record it."""
    values = []
    for index, row in enumerate(rows):
        attributes = row.get("attributes") if isinstance(row, Mapping) else None
        if not isinstance(attributes, Mapping):
            raise ApplianceError(f"{what} row {index} has no 'attributes' mapping; each row needs one, even if empty")
        value = attributes.get(attribute)
        values.append(None if value is None or str(value).strip() == "" else str(value))
    return np.array(values, dtype=object)


def split_attributes(rows: Sequence[Mapping], fairness: Fairness, *, what: str) -> tuple[dict[str, np.ndarray], list[str]]:
    """The policy's sensitive attributes the rows record (with their values), and those no row records."""
    present, missing = {}, []
    for attribute in fairness.sensitive_attributes:
        values = attribute_values(rows, attribute, what=what)
        if any(value is not None for value in values):
            present[attribute] = values
        else:
            missing.append(attribute)
    return present, missing


def labelled_count(y_true, y_pred, sample_weight) -> float:
    """How many rows in the group carry a label (the weight marks labelled rows)."""
    return float(np.sum(sample_weight))


def _outcome_frame(groups: pd.Series | pd.DataFrame, outcome: np.ndarray, labelled: np.ndarray | None) -> MetricFrame:
    """Counts for every group; with labels, also the labelled count and the positive-outcome rate.

    Unlabelled rows stay in the counts and get weight zero in the rate, so one frame serves both.
    """
    metrics: dict[str, Any] = {"count": count}
    sample_params = {}
    if labelled is not None:
        weight = labelled.astype(float)
        metrics.update(labelled=labelled_count, positive_rate=selection_rate)
        sample_params = {"labelled": {"sample_weight": weight}, "positive_rate": {"sample_weight": weight}}
    with np.errstate(invalid="ignore", divide="ignore"):  # a group with no labels has no rate
        return MetricFrame(metrics=metrics, y_true=outcome, y_pred=outcome, sensitive_features=groups, sample_params=sample_params)


def _group_entry(stats: pd.Series, *, total: int, min_group_size: int, has_labels: bool) -> dict[str, Any]:
    group_count = clean_count(stats["count"])
    entry: dict[str, Any] = {
        "count": group_count,
        "share": clean_number(group_count / total) if total else None,
        "too_small": group_count < min_group_size,
    }
    if has_labels:
        labelled = clean_count(stats["labelled"])
        entry["labelled"] = labelled
        # Labels missing more often in one group skew every outcome rate; withheld for small groups like rates.
        entry["label_rate"] = clean_number(labelled / group_count) if group_count >= min_group_size else None
        judged = group_count >= min_group_size and labelled >= min_group_size
        entry["positive_rate"] = clean_number(stats["positive_rate"]) if judged else None
    return entry


def _attribute_outcomes(name: str, values: np.ndarray, outcome: np.ndarray, labelled: np.ndarray | None, min_group_size: int) -> dict[str, Any]:
    known = np.array([value is not None for value in values], dtype=bool)
    groups = pd.Series(values[known], name=name, dtype=str)
    has_labels = labelled is not None
    frame = _outcome_frame(groups, outcome[known], labelled[known] if has_labels else None)
    total = int(known.sum())
    entries = {
        str(group): _group_entry(stats, total=total, min_group_size=min_group_size, has_labels=has_labels)
        for group, stats in frame.by_group.sort_index().iterrows()
    }
    result: dict[str, Any] = {
        "records": total,
        "missing_values": int(len(values) - total),
        "groups": entries,
        "compared_groups": [],
        "demographic_parity_difference": None,
        "demographic_parity_ratio": None,
        "note": None,
    }
    if not has_labels:
        result["note"] = "no row carries a label, so outcomes cannot be compared"
        return result
    compared = [group for group, entry in entries.items() if entry["positive_rate"] is not None]
    result["compared_groups"] = compared
    if len(compared) < 2:
        result["note"] = f"fewer than two groups have at least {min_group_size} labelled records"
        return result
    mask = labelled[known] & np.isin(groups.to_numpy(), compared)
    decided = outcome[known][mask]
    by = groups.to_numpy()[mask]
    # The outcome is both truth and decision here: demographic parity only reads the decision.
    result["demographic_parity_difference"] = clean_number(demographic_parity_difference(decided, decided, sensitive_features=by))
    result["demographic_parity_ratio"] = clean_number(demographic_parity_ratio(decided, decided, sensitive_features=by))
    return result


def _intersection(
    names: tuple[str, str], values: tuple[np.ndarray, np.ndarray], outcome: np.ndarray, labelled: np.ndarray | None, min_group_size: int
) -> dict[str, Any]:
    """Every combination of two attributes' groups, including combinations no record has."""
    known = np.array([a is not None and b is not None for a, b in zip(*values)], dtype=bool)
    groups = pd.DataFrame({name: column[known].astype(str) for name, column in zip(names, values)})
    has_labels = labelled is not None
    frame = _outcome_frame(groups, outcome[known], labelled[known] if has_labels else None)
    total = int(known.sum())
    cells = []
    for combination, stats in frame.by_group.sort_index().iterrows():
        cell = {"groups": {name: str(group) for name, group in zip(names, combination)}}
        cell.update(_group_entry(stats, total=total, min_group_size=min_group_size, has_labels=has_labels))
        cells.append(cell)
    return {"attributes": list(names), "records": total, "cells": cells}


def data_fairness(
    rows: Sequence[Mapping],
    *,
    fairness: Fairness,
    label_key: str = "label",
    positive_label: str | None = None,
) -> dict[str, Any]:
    """Representation and outcome disparity of the training data, per sensitive attribute.

    `rows` are demographics sidecar rows: {"record_id", "attributes": {attribute: group}, "label"}.

    Example:
        >>> data_fairness([{"record_id": "r1", "attributes": {"gender": "f"}, "label": "approved"}],
        ...               fairness=Fairness(sensitive_attributes=("gender",)))["attributes"]["gender"]["groups"]
        {'f': {'count': 1, 'share': 1.0, 'too_small': True, 'labelled': 1, 'label_rate': None, 'positive_rate': None}}
    """
    rows = list(rows)
    raw_labels = [row.get(label_key) if isinstance(row, Mapping) else None for row in rows]
    labels = [None if label is None or str(label).strip() == "" else str(label) for label in raw_labels]
    positive, chosen_by = choose_positive_label([label for label in labels if label is not None], positive_label)
    has_labels = any(label is not None for label in labels)
    labelled = np.array([label is not None for label in labels], dtype=bool) if has_labels else None
    outcome = np.array([1 if label is not None and label == positive else 0 for label in labels], dtype=int)
    present, missing = split_attributes(rows, fairness, what="demographics")
    label_counts = pd.Series([label for label in labels if label is not None], dtype=object).value_counts()
    return {
        "records": len(rows),
        "labelled_records": int(labelled.sum()) if has_labels else 0,
        "label_key": label_key,
        "label_counts": {str(label): int(label_counts[label]) for label in sorted(label_counts.index)},
        "positive_label": positive,
        "positive_label_chosen_by": chosen_by,
        "min_group_size": fairness.min_group_size,
        "attributes": {
            name: _attribute_outcomes(name, values, outcome, labelled, fairness.min_group_size) for name, values in present.items()
        },
        "missing_attributes": missing,
        "intersections": [
            _intersection((a, b), (present[a], present[b]), outcome, labelled, fairness.min_group_size)
            for a, b in itertools.combinations(present, 2)
        ],
    }
