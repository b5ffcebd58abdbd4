"""The change in the between-group loss gap from the base model to the adapter, with a paired bootstrap.

Why a change and not the gap itself: for a generative model the gap between groups' held-out
losses is mostly noise and base-model behaviour. With 6-20 records per group and answers of a
few tokens, group losses differ by 0.5-2 nats by chance, and the base model shows the same gap
before any fine-tuning. What fine-tuning is answerable for is whether it WIDENED the gap.

Why paired: a record's base and adapter losses move together (the same text is hard for both),
so drawing the same resamples for both sides cancels most of the noise in the difference.
The bootstrap is stratified by group (each group keeps its size in every resample), so no
resample drops a small group, and is seeded, so the same rows always give the same interval.

Example:
    >>> paired_gap_change(base, adapter, tokens, groups, n_bootstrap=200, seed=0)["change_ci"]
    [-0.12, 0.08]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from audits.fairness_data import clean_number

CI_QUANTILES = (0.025, 0.975)


def _gap(losses_by_group: np.ndarray) -> np.ndarray:
    """Max minus min over groups (axis 0)."""
    return losses_by_group.max(axis=0) - losses_by_group.min(axis=0)


def paired_gap_change(
    base_loss: Sequence[float],
    adapter_loss: Sequence[float],
    tokens: Sequence[float],
    groups: Sequence[str],
    *,
    n_bootstrap: int,
    seed: int,
) -> dict[str, Any]:
    """Adapter gap minus base gap (token-weighted group losses), with a 95% paired bootstrap interval.

    Every group in `groups` is compared; the caller leaves out groups that are too small.
    With n_bootstrap=0 the interval is [None, None].
    """
    base, adapter, weight = (np.asarray(column, dtype=float) for column in (base_loss, adapter_loss, tokens))
    labels = np.asarray(groups, dtype=object)
    names = sorted(set(labels))
    members = [np.flatnonzero(labels == name) for name in names]

    def weighted(values: np.ndarray, index: np.ndarray) -> np.ndarray:
        return (values[index] * weight[index]).sum(axis=-1) / weight[index].sum(axis=-1)

    point = {
        side: float(_gap(np.array([weighted(values, rows) for rows in members])))
        for side, values in (("base", base), ("adapter", adapter))
    }
    change = point["adapter"] - point["base"]
    interval: list[Any] = [None, None]
    if n_bootstrap and len(names) >= 2:
        rng = np.random.default_rng(seed)
        draws = [rows[rng.integers(0, len(rows), size=(n_bootstrap, len(rows)))] for rows in members]
        base_gaps = _gap(np.array([weighted(base, index) for index in draws]))
        adapter_gaps = _gap(np.array([weighted(adapter, index) for index in draws]))
        low, high = np.quantile(adapter_gaps - base_gaps, CI_QUANTILES)
        interval = [clean_number(low), clean_number(high)]
    return {"change": clean_number(change), "change_ci": interval, "method": "paired bootstrap, stratified by group"}


def loss_gap_rows(labelled: np.ndarray, groups: np.ndarray, compared: list[str], min_group_size: int) -> tuple[np.ndarray, list[str], str]:
    """Which rows and groups the loss gap compares, and why.

    Labelled rows (classification answers of one or two tokens) are judged by the decision
    metrics; their per-token loss is dominated by which label is right, not by how well the model
    writes for a group. So when at least two groups have `min_group_size` unlabelled rows, the
    gap compares unlabelled rows only; otherwise every row, and the result says so.
    """
    unlabelled = ~labelled
    enough = [group for group in compared if int(np.sum(unlabelled & (groups == group))) >= min_group_size]
    if len(enough) >= 2:
        return unlabelled & np.isin(groups, enough), enough, "unlabelled"
    return np.isin(groups, compared), compared, "all"
