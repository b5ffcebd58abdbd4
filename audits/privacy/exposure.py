"""Canary exposure (Carlini et al. 2019, "The Secret Sharer"), estimated from sampled candidates.

Exposure of a secret among R possible secrets is log2(|R|) - log2(rank), where rank 1 is the
secret the model finds most likely. Enumerating a million passcodes is too slow on a CPU, so we
rank the canary among N random candidates of the same format and use the sampled estimate
log2(N + 1) - log2(rank), rank = 1 + the number of candidates with a strictly lower loss + half
the number that tie with it (the mid-rank: the expected rank when ties are broken at random).
Exposure is between 0 and log2(N + 1). A model that never saw the canary ranks it uniformly among
the N + 1, so its expected exposure is log2(N + 1) - log2((N + 1)!) / (N + 1): 1.09 bits for N = 7,
1.23 for N = 15, 1.40 for N = 100, tending to log2(e) = 1.44 bits (Carlini et al.'s figure, for
the whole space). `chance_level` reports the exact value for the N used, so a small audit is not
judged against the large-N figure.

Why ties count half: a model that gives every passcode the same likelihood (an untrained or
collapsed one, or losses rounded in low precision) has memorised nothing, and its exposure must
sit at chance. Counting ties in the canary's favour would instead report the maximum exposure
and fail the gate; counting them against it would hide a canary that ties with a few candidates.

Example:
    >>> canary_exposure(1.0, [2.0, 3.0, 0.5])
    {'rank': 2, 'candidates': 3, 'exposure': 1.0}
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from audits.fairness_data import clean_number


def canary_exposure(canary_loss: float, candidate_losses: Sequence[float]) -> dict[str, Any]:
    """Rank and exposure (bits) of one canary's loss among its candidates' losses (lower = more likely)."""
    below = sum(1 for loss in candidate_losses if loss < canary_loss)
    ties = sum(1 for loss in candidate_losses if loss == canary_loss)
    rank = 1 + below + ties / 2
    rank = int(rank) if rank.is_integer() else rank
    exposure = math.log2(len(candidate_losses) + 1) - math.log2(rank)
    return {"rank": rank, "candidates": len(candidate_losses), "exposure": clean_number(exposure)}


def chance_exposure(candidates: int) -> float:
    """Expected exposure (bits) of a secret the model never saw, ranked among `candidates` others."""
    total = candidates + 1
    return math.log2(total) - math.lgamma(total + 1) / (total * math.log(2))


def exposure_summary(exposures: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Mean and max exposure over canaries, with the chance level and the most a canary can score."""
    values = [entry["exposure"] for entry in exposures]
    candidates = max((entry["candidates"] for entry in exposures), default=0)
    return {
        "canaries": len(values),
        "mean_exposure": clean_number(sum(values) / len(values)) if values else None,
        "max_exposure": clean_number(max(values)) if values else None,
        "max_possible": clean_number(math.log2(candidates + 1)) if values else None,
        "chance_level": clean_number(chance_exposure(candidates)) if values else None,
        "per_canary": list(exposures),
    }
