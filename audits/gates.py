"""Compliance gates: each check against the policy, with the measured value and the threshold."""

from __future__ import annotations

from typing import Any

from policies import Policy


def gate(name: str, status: str, value: Any, threshold: Any, detail: str) -> dict[str, Any]:
    return {"name": name, "status": status, "value": value, "threshold": threshold, "detail": detail}


def redaction_gates(scrub_summary: dict[str, Any] | None, policy: Policy) -> list[dict[str, Any]]:
    if not scrub_summary:
        return [gate("redaction.residual_rate", "not_applicable", None, policy.residual.max_rate, "scrub stage has not run")]
    rate = scrub_summary["residual"]["rate"]
    limit = policy.residual.max_rate
    status = "pass" if rate <= limit else "fail"
    return [gate("redaction.residual_rate", status, rate, limit, f"suspected PII left per record after redaction (re-scan found {scrub_summary['residual']['findings']})")]


def privacy_gates(train_summary: dict[str, Any] | None, policy: Policy) -> list[dict[str, Any]]:
    if not train_summary:
        return [gate("privacy.dp_required", "not_applicable", None, policy.privacy.dp_required, "train stage has not run")]
    dp = train_summary.get("dp")
    gates = []
    if policy.privacy.dp_required:
        gates.append(gate("privacy.dp_required", "pass" if dp else "fail", bool(dp), True, "policy requires differentially private training"))
    else:
        gates.append(gate("privacy.dp_required", "not_applicable", bool(dp), False, "policy does not require DP"))
    if dp:
        eps = dp["epsilon"]
        gates.append(gate("privacy.epsilon", "pass" if eps <= policy.privacy.max_epsilon else "fail", eps, policy.privacy.max_epsilon, f"epsilon spent at delta {dp['delta']:.1e}"))
        gates.append(gate("privacy.delta", "pass" if dp["delta"] <= policy.privacy.max_delta else "fail", dp["delta"], policy.privacy.max_delta, "delta of the (epsilon, delta) guarantee"))
    else:
        gates.append(gate("privacy.epsilon", "not_applicable", None, policy.privacy.max_epsilon, "trained without DP: no formal guarantee"))
    return gates


def failed(gates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [g for g in gates if g["status"] == "fail"]
