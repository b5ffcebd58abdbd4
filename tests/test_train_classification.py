"""Classification metrics: accuracy, macro F1 and per-class precision/recall."""

from __future__ import annotations

import pytest

from appliance.train.classification import classification_metrics


def test_metrics_on_a_small_confusion() -> None:
    gold = ["approved", "approved", "declined", "declined", "referred"]
    predicted = ["approved", "declined", "declined", "declined", "approved"]
    metrics = classification_metrics(gold, predicted)

    assert metrics["accuracy"] == pytest.approx(3 / 5)
    assert metrics["per_class"]["approved"] == pytest.approx({"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2})
    assert metrics["per_class"]["declined"] == pytest.approx({"precision": 2 / 3, "recall": 1.0, "f1": 0.8, "support": 2})
    assert metrics["per_class"]["referred"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert metrics["macro_f1"] == pytest.approx((0.5 + 0.8 + 0.0) / 3)
    assert metrics["count"] == 5


def test_labels_fix_the_classes_even_when_unseen() -> None:
    metrics = classification_metrics(["a"], ["a"], labels=["a", "b"])
    assert set(metrics["per_class"]) == {"a", "b"} and metrics["macro_f1"] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="2 gold labels but 1 predictions"):
        classification_metrics(["a", "b"], ["a"])
