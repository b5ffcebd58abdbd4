"""Membership inference: can an attacker tell training records from held-out ones by the model's loss?

Pure functions over per-record losses (mean nats per token); no model, no I/O.

The attack scores each record; a lower score means "more likely a member". Two scores:
- `loss`: the adapter's loss (Yeom et al. 2018).
- `calibrated`: the adapter's loss minus the base model's loss on the same record, which removes
  how hard the record is for any model (Watson et al. 2022, difficulty calibration); usually the
  stronger attack, and cheap here because the base model is the adapter with LoRA switched off.

AUC is the Mann-Whitney statistic (ties count half) with a percentile bootstrap interval that
resamples members and non-members separately.

Empirical epsilon (Jagielski et al. 2020, "Auditing Differentially Private Machine Learning"):
for a threshold attack with true positive rate TPR and false positive rate FPR, an (eps, delta)-DP
training run must satisfy TPR <= e^eps * FPR + delta, and the same with the roles of members and
non-members swapped. So eps >= ln((TPR - delta) / FPR) and eps >= ln((1 - FPR - delta) / (1 - TPR)).
To make this a statistical lower bound we take a one-sided Clopper-Pearson lower bound on the
numerator rate and an upper bound on the denominator rate, each at level alpha / (2k) for k
candidate thresholds (Bonferroni), so the reported epsilon is a 1 - alpha lower bound that holds
for the best threshold chosen on the same data. The candidate thresholds are quantiles of the
pooled scores, which never look at who is a member; given the pooled scores, the number of members
below a threshold is hypergeometric, less spread than the binomial the Clopper-Pearson bounds
assume, so the bounds stay valid (conservative) although the thresholds come from the same data.
It is about the attack on these records, not a worst case: a much smaller value than the DP
accountant's epsilon is expected and not alarming. Pass the run's delta when it trained under DP.

Example:
    >>> membership_inference([0.1, 0.2, 0.3], [1.0, 1.1, 1.2], n_bootstrap=0)["auc"]
    1.0
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.stats import beta, rankdata

from audits.fairness_data import clean_number

CI_QUANTILES = (0.025, 0.975)
MAX_THRESHOLDS = 20


def attack_auc(member_scores: Sequence[float], non_member_scores: Sequence[float]) -> float:
    """P(a member scores lower than a non-member), ties counting half; NaN when a side is empty."""
    members, others = np.asarray(member_scores, dtype=float), np.asarray(non_member_scores, dtype=float)
    if len(members) == 0 or len(others) == 0:
        return float("nan")
    ranks = rankdata(np.concatenate([-members, -others]))  # high rank = low score = "member"
    rank_sum = ranks[: len(members)].sum()
    return float((rank_sum - len(members) * (len(members) + 1) / 2) / (len(members) * len(others)))


def clopper_pearson(successes: int, trials: int, alpha: float) -> tuple[float, float]:
    """One-sided (lower, upper) exact binomial bounds, each holding with probability 1 - alpha."""
    lower = 0.0 if successes == 0 else float(beta.ppf(alpha, successes, trials - successes + 1))
    upper = 1.0 if successes == trials else float(beta.ppf(1 - alpha, successes + 1, trials - successes))
    return lower, upper


def empirical_epsilon(member_scores: Sequence[float], non_member_scores: Sequence[float], *, alpha: float = 0.05, delta: float = 0.0) -> dict[str, Any]:
    """A 1 - alpha lower bound on the epsilon of any (eps, delta)-DP guarantee these scores allow."""
    members, others = np.asarray(member_scores, dtype=float), np.asarray(non_member_scores, dtype=float)
    pooled = np.concatenate([members, others])
    thresholds = np.unique(np.quantile(pooled, np.linspace(0, 1, MAX_THRESHOLDS + 1)[1:-1])) if len(pooled) else np.array([])
    level = alpha / (2 * max(len(thresholds), 1))
    best: dict[str, Any] = {"epsilon_lower_bound": 0.0, "threshold": None, "tpr": None, "fpr": None}
    for threshold in thresholds:
        hits, false_hits = int(np.sum(members <= threshold)), int(np.sum(others <= threshold))
        tpr_low, tpr_high = clopper_pearson(hits, len(members), level)
        fpr_low, fpr_high = clopper_pearson(false_hits, len(others), level)
        # Both directions use the same two bounds (TPR from below, FPR from above): 2k bounds in all.
        ratios = [(tpr_low - delta, fpr_high), (1 - fpr_high - delta, 1 - tpr_low)]
        candidates = [math.log(top / bottom) for top, bottom in ratios if top > 0 and bottom > 0]
        value = max(candidates, default=0.0)
        if value > best["epsilon_lower_bound"]:
            best = {"epsilon_lower_bound": value, "threshold": float(threshold), "tpr": hits / len(members), "fpr": false_hits / len(others)}
    return {key: clean_number(value) for key, value in best.items()} | {"alpha": alpha, "delta": delta, "thresholds_tried": int(len(thresholds))}


def bootstrap_auc(member_scores: Sequence[float], non_member_scores: Sequence[float], *, n_bootstrap: int, seed: int) -> list[Any]:
    """95% percentile interval of the AUC, members and non-members resampled separately."""
    members, others = np.asarray(member_scores, dtype=float), np.asarray(non_member_scores, dtype=float)
    if not n_bootstrap or len(members) == 0 or len(others) == 0:
        return [None, None]
    rng = np.random.default_rng(seed)
    values = [attack_auc(rng.choice(members, len(members)), rng.choice(others, len(others))) for _ in range(n_bootstrap)]
    low, high = np.quantile(values, CI_QUANTILES)
    return [clean_number(low), clean_number(high)]


def membership_attack(member_scores: Sequence[float], non_member_scores: Sequence[float], *, n_bootstrap: int = 200, seed: int = 0, delta: float = 0.0) -> dict[str, Any]:
    """AUC, its interval and the empirical epsilon lower bound of one attack score."""
    return {
        "auc": clean_number(attack_auc(member_scores, non_member_scores)),
        "auc_ci": bootstrap_auc(member_scores, non_member_scores, n_bootstrap=n_bootstrap, seed=seed),
        "empirical_epsilon": empirical_epsilon(member_scores, non_member_scores, delta=delta),
    }


def membership_inference(
    member_losses: Sequence[float],
    non_member_losses: Sequence[float],
    *,
    member_base_losses: Sequence[float] | None = None,
    non_member_base_losses: Sequence[float] | None = None,
    n_bootstrap: int = 200,
    seed: int = 0,
    delta: float = 0.0,
) -> dict[str, Any]:
    """Both attacks (the calibrated one when base losses are given) and which one is strongest.

    Example:
        >>> membership_inference([1.0, 1.0], [1.0, 1.0], n_bootstrap=0)["strongest"]["auc"]
        0.5
    """
    attacks = {"loss": membership_attack(member_losses, non_member_losses, n_bootstrap=n_bootstrap, seed=seed, delta=delta)}
    if member_base_losses is not None and non_member_base_losses is not None:
        members = np.asarray(member_losses, dtype=float) - np.asarray(member_base_losses, dtype=float)
        others = np.asarray(non_member_losses, dtype=float) - np.asarray(non_member_base_losses, dtype=float)
        attacks["calibrated"] = membership_attack(members, others, n_bootstrap=n_bootstrap, seed=seed, delta=delta)
    judged = {name: attack for name, attack in attacks.items() if attack["auc"] is not None}
    strongest = max(judged, key=lambda name: judged[name]["auc"], default=None)
    return {
        "members": len(member_losses),
        "non_members": len(non_member_losses),
        "bootstrap": {"resamples": n_bootstrap, "seed": seed},
        "attacks": attacks,
        "strongest": {"attack": strongest, **judged[strongest]} if strongest else None,
    }
