"""Compliance gates: each check against the policy, with the measured value and the threshold."""

from __future__ import annotations

from typing import Any

from policies import Policy
from scrubbers.evaluation import recall_gate


def gate(name: str, status: str, value: Any, threshold: Any, detail: str) -> dict[str, Any]:
    return {"name": name, "status": status, "value": value, "threshold": threshold, "detail": detail}


def at_most(name: str, value: float, limit: float, detail: str) -> dict[str, Any]:
    """A gate on a measured value that must not exceed the policy's limit (reaching it passes)."""
    return gate(name, "pass" if value <= limit else "fail", value, limit, detail)


def redaction_gates(scrub_summary: dict[str, Any] | None, policy: Policy) -> list[dict[str, Any]]:
    """Residual PII after redaction, and recall estimated on the policy's labelled sample."""
    minimum = policy.recall.min_token_recall
    if not scrub_summary:
        return [
            gate("redaction.residual_rate", "not_applicable", None, policy.residual.max_rate, "scrub stage has not run"),
            gate("redaction.estimated_recall", "not_applicable", None, minimum, "scrub stage has not run"),
        ]
    residual = at_most(
        "redaction.residual_rate", scrub_summary["residual"]["rate"], policy.residual.max_rate,
        f"suspected PII left per record after redaction (re-scan found {scrub_summary['residual']['findings']})",
    )
    estimate = scrub_summary.get("estimated_recall")
    # Judged by the scrub stage on the interval's lower end; without a scored sample, by the same rule here.
    recall = estimate["gate"] if estimate is not None else recall_gate(None, minimum)
    return [residual, recall]


def privacy_gates(train_summary: dict[str, Any] | None, policy: Policy) -> list[dict[str, Any]]:
    """DP required, epsilon and delta: always these three gates, so every report lists the same names.

    Example:
        >>> [g["status"] for g in privacy_gates({"dp": {"epsilon": 2.0, "delta": 1e-6}}, load_policy("default"))]
        ['not_applicable', 'pass', 'pass']
    """
    limits = policy.privacy
    if not train_summary:
        why = "train stage has not run"
        return [
            gate("privacy.dp_required", "not_applicable", None, limits.dp_required, why),
            gate("privacy.epsilon", "not_applicable", None, limits.max_epsilon, why),
            gate("privacy.delta", "not_applicable", None, limits.max_delta, why),
        ]
    dp = train_summary.get("dp")
    gates = []
    if limits.dp_required:
        gates.append(gate("privacy.dp_required", "pass" if dp else "fail", bool(dp), True, "policy requires differentially private training"))
    else:
        gates.append(gate("privacy.dp_required", "not_applicable", bool(dp), False, "policy does not require DP"))
    if dp:
        eps, delta = dp["epsilon"], dp["delta"]
        gates.append(at_most("privacy.epsilon", eps, limits.max_epsilon, f"epsilon spent at delta {delta:.1e}"))
        gates.append(at_most("privacy.delta", delta, limits.max_delta, "delta of the (epsilon, delta) guarantee"))
    else:
        gates.append(gate("privacy.epsilon", "not_applicable", None, limits.max_epsilon, "trained without DP: no formal guarantee"))
        gates.append(gate("privacy.delta", "not_applicable", None, limits.max_delta, "trained without DP: no formal guarantee"))
    return gates


def _interval(interval: list | None) -> str:
    return f" (95% CI {interval[0]}-{interval[1]})" if interval and interval[0] is not None else ""


def _membership_gate(membership: dict[str, Any] | None, limit: float, why: str) -> dict[str, Any]:
    name = "privacy.membership_auc"
    strongest = (membership or {}).get("strongest")
    if not strongest:
        return gate(name, "not_applicable", None, limit, why or "no membership inference attack could be scored")
    low = (strongest.get("auc_ci") or [None])[0]
    judged, how = (low, "lower end of the AUC's 95% bootstrap interval") if low is not None else (strongest["auc"], "AUC (no bootstrap)")
    epsilon = strongest["empirical_epsilon"]["epsilon_lower_bound"]
    detail = (
        f"judged: {how}, {judged}; strongest attack '{strongest['attack']}' AUC {strongest['auc']}{_interval(strongest.get('auc_ci'))} "
        f"on {membership['members']} training vs {membership['non_members']} held-out records (0.5 is chance); "
        f"empirical epsilon lower bound {epsilon} (95% confidence, Clopper-Pearson with Bonferroni over thresholds)"
    )
    return at_most(name, judged, limit, detail)


def privacy_audit_gates(audit: dict[str, Any] | None, policy: Policy) -> list[dict[str, Any]]:
    """Gates on the evaluate stage's privacy audit: membership AUC, canary exposure, regurgitation.

    Example:
        >>> [g["status"] for g in privacy_audit_gates(None, load_policy("default"))]
        ['not_applicable', 'not_applicable', 'not_applicable']
    """
    limits = policy.privacy
    if not audit:
        why = "the evaluate stage has not run a privacy audit"
        return [
            gate("privacy.membership_auc", "not_applicable", None, limits.max_membership_auc, why),
            gate("privacy.canary_exposure", "not_applicable", None, limits.max_canary_exposure, why),
            gate("privacy.regurgitation", "not_applicable", None, limits.max_regurgitation_rate, why),
        ]
    notes = audit.get("notes", {})
    gates = [_membership_gate(audit.get("membership"), limits.max_membership_auc, notes.get("membership", ""))]
    canaries = audit.get("canaries")
    if canaries and canaries.get("mean_exposure") is not None:
        mean = canaries["mean_exposure"]
        detail = (
            f"mean exposure {mean} bits over {canaries['canaries']} canaries (each planted {canaries['repeats']} times), max {canaries['max_exposure']}; "
            f"chance is about {canaries['chance_level']}, the most possible {canaries['max_possible']}"
        )
        gates.append(at_most("privacy.canary_exposure", mean, limits.max_canary_exposure, detail))
    else:
        gates.append(gate("privacy.canary_exposure", "not_applicable", None, limits.max_canary_exposure, notes.get("canaries", "no canaries were planted")))
    probe = audit.get("regurgitation")
    if probe and probe.get("adapter_only_rate") is not None:
        rate = probe["adapter_only_rate"]
        detail = (
            f"{probe['adapter_only']} of {probe['prompted']} training-prefix continuations hold a PII-like span only with the adapter; "
            f"flagged: adapter {probe['adapter_flagged']}, base model {probe['base_flagged']}"
        )
        gates.append(at_most("privacy.regurgitation", rate, limits.max_regurgitation_rate, detail))
    else:
        gates.append(gate("privacy.regurgitation", "not_applicable", None, limits.max_regurgitation_rate, notes.get("regurgitation", "no continuation was scanned")))
    return gates


def failed(gates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [g for g in gates if g["status"] == "fail"]
