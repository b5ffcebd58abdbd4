"""Classification metrics over predicted labels: plain functions, no I/O.

The evaluate stage predicts each held-out labelled record's answer (for instance the label with
the highest `label_logprobs`) and passes gold and predicted labels here.

Example:
    classification_metrics(["yes", "no", "yes"], ["yes", "yes", "yes"])
    # {"accuracy": 0.667, "macro_f1": 0.4, "per_class": {"no": {...}, "yes": {...}}, "count": 3}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def per_class_scores(gold: Sequence[str], predicted: Sequence[str], label: str) -> dict[str, float | int]:
    """Precision, recall and F1 of one label; 0.0 where the ratio has nothing to divide by."""
    true_positive = sum(g == label and p == label for g, p in zip(gold, predicted, strict=True))
    predicted_count = sum(p == label for p in predicted)
    support = sum(g == label for g in gold)
    precision = true_positive / predicted_count if predicted_count else 0.0
    recall = true_positive / support if support else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "support": support}


def classification_metrics(gold: Sequence[str], predicted: Sequence[str], *, labels: Sequence[str] | None = None) -> dict[str, Any]:
    """Accuracy, macro F1 (unweighted mean over labels) and per-class precision/recall/F1/support.

    `labels` defaults to every label seen in gold or predicted, sorted.
    """
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predictions")
    labels = sorted(set(gold) | set(predicted)) if labels is None else list(labels)
    per_class = {label: per_class_scores(gold, predicted, label) for label in labels}
    return {
        "accuracy": sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold) if gold else 0.0,
        "macro_f1": sum(s["f1"] for s in per_class.values()) / len(per_class) if per_class else 0.0,
        "per_class": per_class,
        "count": len(gold),
    }
