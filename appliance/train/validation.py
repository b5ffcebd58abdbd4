"""Validation loss during training, and early stopping on it.

Example:
    stopper = EarlyStopping(patience=3)
    if stopper.update(step, validation_loss(model, examples, pad_id)):   # True: a new best
        best = trainable_snapshot(model)
    if stopper.should_stop: ...
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch

from appliance.train.data import Example


@torch.no_grad()
def validation_loss(model, examples: Sequence[Example], pad_id: int, *, batch_size: int = 8) -> float:
    """Mean loss per trained token over `examples` (the same masking as training), in eval mode.

    Token-weighted, so one long record counts as much as its tokens; NaN when there is nothing to score.
    """
    from appliance.train.scoring import score_examples  # scoring imports loop, which imports this module

    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    order = sorted(range(len(examples)), key=lambda i: -len(examples[i].input_ids))  # little padding
    try:
        for start in range(0, len(order), batch_size):
            for loss, tokens in score_examples(model, [examples[i] for i in order[start : start + batch_size]], pad_id):
                total, count = total + loss, count + tokens
    finally:
        model.train(was_training)
    return total / count if count else math.nan


@dataclass
class EarlyStopping:
    """Stop after `patience` evaluations in a row without a lower validation loss (None: never)."""

    patience: int | None
    best_loss: float = math.inf
    best_step: int = 0
    evaluations_without_improvement: int = 0
    history: list[tuple[int, float]] = field(default_factory=list)

    def update(self, step: int, loss: float) -> bool:
        """Record one evaluation; True when it is the best so far."""
        self.history.append((step, loss))
        if loss < self.best_loss:
            self.best_loss, self.best_step, self.evaluations_without_improvement = loss, step, 0
            return True
        self.evaluations_without_improvement += 1
        return False

    @property
    def should_stop(self) -> bool:
        return self.patience is not None and self.evaluations_without_improvement >= self.patience

    def state_dict(self) -> dict:
        return {"best_loss": self.best_loss, "best_step": self.best_step, "bad": self.evaluations_without_improvement, "history": self.history}

    def load_state_dict(self, state: dict) -> None:
        self.best_loss, self.best_step = state["best_loss"], state["best_step"]
        self.evaluations_without_improvement = state["bad"]
        self.history = [tuple(entry) for entry in state["history"]]
