"""Every gate the report computes, passing and failing, on small crafted inputs whose answers are known.

The gates are judged through `compute_gates` (appliance/stages/report.py), the same call the
report stage makes, over stage summaries built the way the stages build them; the fairness
summaries come from the real `data_fairness` / `model_fairness` on crafted rows. The standalone
fairness audit is checked end to end through the CLI against Fairlearn's own functions.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from fairlearn.metrics import demographic_parity_difference, equalized_odds_difference

from appliance.commands.audit_tools import fairness_command
from appliance.config import RunConfig
from appliance.stages.report import compute_gates
from audits import data_fairness, model_fairness
from audits.counterfactual import record_gap, summarise_axis
from audits.privacy.exposure import canary_exposure, exposure_summary
from audits.privacy.membership import membership_inference
from audits.privacy.probes import regurgitation_summary
from policies.loader import load_policy

DEFAULT = load_policy("default")
ATTRIBUTES = ("gender",)


def policy(*, privacy: dict | None = None, residual: dict | None = None, fairness: dict | None = None):
    """The default policy with some thresholds changed (policies are frozen: copy, never mutate)."""
    fairness = {"sensitive_attributes": ATTRIBUTES, **(fairness or {})}
    return DEFAULT.model_copy(update={
        "privacy": DEFAULT.privacy.model_copy(update=privacy or {}),
        "residual": DEFAULT.residual.model_copy(update=residual or {}),
        "fairness": DEFAULT.fairness.model_copy(update=fairness),
    })


def judged(manifest: dict, chosen_policy) -> dict[str, tuple[str, Any, Any]]:
    gates = compute_gates(SimpleNamespace(policy=chosen_policy, config=RunConfig()), manifest)
    names = [g["name"] for g in gates]
    assert len(names) == len(set(names)), names
    for g in gates:
        assert g["status"] in {"pass", "fail", "not_applicable"} and g["detail"], g
    return {g["name"]: (g["status"], g["value"], g["threshold"]) for g in gates}


# Crafted stage summaries whose gate values are known by construction.


def scrub_summary(records: int, residual_findings: int) -> dict:
    return {"residual": {"records_scanned": records, "findings": residual_findings, "rate": residual_findings / records}}


def train_summary(epsilon: float | None, delta: float | None = None) -> dict:
    return {"dp": None if epsilon is None else {"epsilon": epsilon, "delta": delta, "noise_multiplier": 1.0}}


def privacy_audit_summary(*, separable: bool, exposed: bool, regurgitates: bool) -> dict:
    """Membership: 20 vs 20 losses, either perfectly separated (AUC 1) or interleaved (AUC 0.5).

    Canaries: 2 canaries among 15 candidates, ranked first (exposure log2(16) = 4 bits) or in
    the middle (rank 8: 1 bit). Regurgitation: 1 of 20 (0.05) or 4 of 20 (0.2) continuations
    flagged for the adapter only.
    """
    members = [0.1 * i for i in range(20)]
    others = [0.1 * i + (5.0 if separable else 0.0) for i in range(20)]
    membership = membership_inference(members, others, n_bootstrap=50, seed=0)
    rank_position = -1.0 if exposed else 0.65  # canary loss below every candidate (best), or above 7 of 0.0..1.4
    canaries = exposure_summary([canary_exposure(rank_position, [0.1 * j for j in range(15)]) | {"canary": f"canary-{k}"} for k in range(2)])
    flagged = 4 if regurgitates else 1
    ids = [f"r{i}" for i in range(20)]
    finding = [SimpleNamespace(entity_type="EMAIL_ADDRESS")]
    regurgitation = regurgitation_summary([finding if i < flagged else [] for i in range(20)], [[] for _ in range(20)], ids, new_tokens=8, prefix_tokens=4)
    return {"membership": membership, "canaries": {"planted": 2, "repeats": 4, **canaries}, "regurgitation": regurgitation, "notes": {}}


def held_out_rows(*, widened: bool, adapter_approvals: dict[str, int]) -> list[dict]:
    """10 held-out records per gender group; the base model's losses are equal across groups.

    Adapter losses: f 1.0, m 1.0 (no gap) or m 2.0 (a gap of 1.0 nat/token that the base lacks).
    Decisions: y_true approves the first 5 of each group; the adapter approves the first
    `adapter_approvals[group]`.
    """
    rows = []
    for group in ("f", "m"):
        for i in range(10):
            rows.append({
                "record_id": f"{group}{i}",
                "attributes": {"gender": group},
                "base_loss": 2.0 + 0.01 * (i % 3),
                "adapter_loss": (2.0 if widened and group == "m" else 1.0) + 0.01 * (i % 3),
                "tokens": 10,
                "y_true": "approved" if i < 5 else "denied",
                "base_pred": "approved" if i < 5 else "denied",
                "adapter_pred": "approved" if i < adapter_approvals[group] else "denied",
            })
    return rows


def sidecar_rows() -> list[dict]:
    return [{"record_id": f"{group}{i}", "attributes": {"gender": group}, "label": "approved"} for group in ("f", "m") for i in range(10)]


def counterfactual_summary(gap_increase: float) -> dict:
    """One axis: the adapter's answer log-likelihood spreads `1 + gap_increase` nats across variants, the base's 1."""
    adapter = [record_gap({"female": -1.0, "male": -2.0 - gap_increase}, {"female": None, "male": None}) for _ in range(4)]
    base = [record_gap({"female": -1.0, "male": -2.0}, {"female": None, "male": None}) for _ in range(4)]
    return {"axes": {"gender": summarise_axis(adapter, base)}}


def manifest(*, good: bool) -> dict:
    """Every stage's summary: all gates pass with good=True, all fail with good=False (default thresholds)."""
    fairness = policy().fairness
    rows = held_out_rows(widened=not good, adapter_approvals={"f": 5, "m": 5} if good else {"f": 1, "m": 9})
    return {"stages": {
        "scrub": {"summary": scrub_summary(100, 2 if good else 10)},
        "audit": {"summary": {"fairness_data": data_fairness(sidecar_rows(), fairness=fairness)}},
        "train": {"summary": train_summary(4.0 if good else 12.0, 1e-6 if good else 1e-3)},
        "evaluate": {"summary": {
            "privacy_audit": privacy_audit_summary(separable=not good, exposed=not good, regurgitates=not good),
            "fairness_model": model_fairness(rows, fairness=fairness, n_bootstrap=50, seed=0),
            "counterfactual": counterfactual_summary(0.0 if good else 2.0),
        }},
    }}


EVERY_GATE = {
    "redaction.residual_rate", "redaction.estimated_recall", "privacy.dp_required", "privacy.epsilon", "privacy.delta",
    "privacy.membership_auc", "privacy.canary_exposure", "privacy.regurgitation",
    "fairness.loss_gap.gender", "fairness.demographic_parity.gender", "fairness.counterfactual.gender",
}


def test_every_gate_passes_on_a_good_run_with_its_measured_value_and_threshold() -> None:
    gates = judged(manifest(good=True), policy(privacy={"dp_required": True}))
    assert set(gates) == EVERY_GATE
    assert gates["redaction.residual_rate"] == ("pass", 0.02, 0.05)
    assert gates["privacy.dp_required"] == ("pass", True, True)
    assert gates["privacy.epsilon"] == ("pass", 4.0, 10.0)
    assert gates["privacy.delta"] == ("pass", 1e-6, 1e-5)
    status, value, threshold = gates["privacy.membership_auc"]
    assert (status, threshold) == ("pass", 0.6) and value <= 0.5  # lower end of the interval around an AUC of 0.5
    assert gates["privacy.canary_exposure"] == ("pass", 1.0, 3.0)  # rank 8 of 16: log2(16) - log2(8)
    assert gates["privacy.regurgitation"] == ("pass", 0.05, 0.05)  # at the limit passes
    assert gates["fairness.loss_gap.gender"][0] == "pass" and gates["fairness.loss_gap.gender"][1] <= 0.1
    assert gates["fairness.demographic_parity.gender"] == ("pass", 0.0, 0.2)
    assert gates["fairness.counterfactual.gender"] == ("pass", 0.0, 0.5)


def test_every_gate_fails_on_a_bad_run_with_its_measured_value_and_threshold() -> None:
    gates = judged(manifest(good=False), policy(privacy={"dp_required": True}))
    assert set(gates) == EVERY_GATE
    assert gates["redaction.residual_rate"] == ("fail", 0.1, 0.05)
    assert gates["privacy.dp_required"] == ("pass", True, True)  # DP was on; its numbers fail below
    assert gates["privacy.epsilon"] == ("fail", 12.0, 10.0)
    assert gates["privacy.delta"] == ("fail", 1e-3, 1e-5)
    assert gates["privacy.membership_auc"] == ("fail", 1.0, 0.6)  # perfectly separable: every resample gives 1
    assert gates["privacy.canary_exposure"] == ("fail", 4.0, 3.0)  # best of 16
    assert gates["privacy.regurgitation"] == ("fail", 0.2, 0.05)
    status, value, _ = gates["fairness.loss_gap.gender"]
    assert status == "fail" and value == pytest.approx(1.0, abs=0.05)  # m's loss gap of 1 nat, absent from the base
    assert gates["fairness.demographic_parity.gender"] == ("fail", 0.8, 0.2)  # 9/10 - 1/10
    assert gates["fairness.counterfactual.gender"] == ("fail", 2.0, 0.5)


def test_dp_required_fails_without_dp_and_epsilon_and_delta_are_then_not_applicable() -> None:
    run = {"stages": {"train": {"summary": train_summary(None)}}}
    gates = judged(run, policy(privacy={"dp_required": True}))
    assert gates["privacy.dp_required"] == ("fail", False, True)
    assert gates["privacy.epsilon"] == ("not_applicable", None, 10.0)
    assert gates["privacy.delta"] == ("not_applicable", None, 1e-5)
    assert judged(run, policy())["privacy.dp_required"] == ("not_applicable", False, False)


@pytest.mark.parametrize(
    ("limits", "expected"),
    [
        ({"max_epsilon": 4.0, "max_delta": 1e-6}, ("pass", "pass")),  # equal to the limit passes
        ({"max_epsilon": 3.99, "max_delta": 9e-7}, ("fail", "fail")),
    ],
)
def test_epsilon_and_delta_gates_at_the_boundary(limits: dict, expected: tuple) -> None:
    gates = judged({"stages": {"train": {"summary": train_summary(4.0, 1e-6)}}}, policy(privacy=limits))
    assert (gates["privacy.epsilon"][0], gates["privacy.delta"][0]) == expected


def test_an_empty_run_lists_every_gate_as_not_applicable_with_the_reason() -> None:
    gates = compute_gates(SimpleNamespace(policy=policy(), config=RunConfig()), {"stages": {}})
    assert {g["status"] for g in gates} == {"not_applicable"}
    assert {g["name"] for g in gates} == EVERY_GATE - {"fairness.counterfactual.gender"}  # no probe, no axis to name
    assert all(g["detail"] for g in gates)


# The standalone fairness audit, through the CLI, against Fairlearn's own functions


def write_decisions(path: Path, *, planted: bool, rows_per_group: int = 60) -> tuple[Path, dict[str, np.ndarray]]:
    """Decisions for groups a and b with the same true outcomes; with `planted`, b is approved far less often."""
    rng = random.Random(1)
    truth, decision, group = [], [], []
    lines = ["case,outcome,decision,group\n"]
    for name in ("a", "b"):
        for i in range(rows_per_group):
            label = int(rng.random() < 0.5)
            approve_rate = 0.3 if planted and name == "b" else 0.8
            # A decision that follows the truth 70% of the time, biased by the group's approval tendency.
            predicted = label if rng.random() < 0.7 else int(rng.random() < approve_rate)
            if planted and name == "b" and predicted and rng.random() < 0.5:
                predicted = 0
            truth.append(label), decision.append(predicted), group.append(name)
            lines.append(f"{name}{i},{'approved' if label else 'denied'},{'approved' if predicted else 'denied'},{name}\n")
    path.write_text("".join(lines), encoding="utf-8")
    return path, {"truth": np.array(truth), "decision": np.array(decision), "group": np.array(group)}


def audit(csv: Path, *extra: str):
    return CliRunner().invoke(fairness_command, [str(csv), "--label", "outcome", "--prediction", "decision", "--sensitive", "group", *extra])


def printed_disparities(output: str) -> tuple[float, float]:
    match = re.search(r"demographic parity difference ([0-9.]+), ratio [0-9.]+, equalized odds difference ([0-9.]+)", output)
    assert match, output
    return float(match.group(1)), float(match.group(2))


def test_planted_disparity_matches_fairlearn_and_exits_three(tmp_path: Path) -> None:
    csv, columns = write_decisions(tmp_path / "decisions.csv", planted=True)
    expected_parity = demographic_parity_difference(columns["truth"], columns["decision"], sensitive_features=columns["group"])
    expected_odds = equalized_odds_difference(columns["truth"], columns["decision"], sensitive_features=columns["group"])
    assert expected_parity > 0.2  # the plant worked
    result = audit(csv)
    assert result.exit_code == 3, result.output
    assert printed_disparities(result.output) == (round(expected_parity, 3), round(expected_odds, 3))
    assert f"FAIL            fairness.demographic_parity.group  value {round(expected_parity, 6)}  threshold 0.2" in result.output
    assert result.output.rstrip().endswith("Error: 1 fairness gate(s) failed: fairness.demographic_parity.group")


def test_a_policy_above_the_planted_disparity_passes_with_exit_zero(tmp_path: Path) -> None:
    csv, columns = write_decisions(tmp_path / "decisions.csv", planted=True)
    expected = demographic_parity_difference(columns["truth"], columns["decision"], sensitive_features=columns["group"])
    lenient = tmp_path / "lenient.yaml"
    lenient.write_text(f"name: lenient\ndescription: test\nentities: {{PERSON: {{operator: replace}}}}\nfairness: {{max_demographic_parity_difference: {expected + 0.01:.6f}}}\n", encoding="utf-8")
    result = audit(csv, "--policy", str(lenient))
    assert result.exit_code == 0, result.output
    assert "PASS            fairness.demographic_parity.group" in result.output


def test_fair_decisions_pass_the_default_policy(tmp_path: Path) -> None:
    csv, columns = write_decisions(tmp_path / "decisions.csv", planted=False)
    expected = demographic_parity_difference(columns["truth"], columns["decision"], sensitive_features=columns["group"])
    assert expected < 0.2
    result = audit(csv)
    assert result.exit_code == 0, result.output
    assert printed_disparities(result.output)[0] == round(expected, 3)


@pytest.mark.parametrize(
    ("per_record", "status"),
    [([(19, 1)] * 40, "pass"), ([(7, 3)] * 40, "fail")],
)
def test_estimated_recall_gate_judges_the_lower_end_of_the_sample_interval(per_record: list, status: str) -> None:
    from scrubbers.evaluation import estimate_token_recall, recall_gate

    chosen = DEFAULT.model_copy(update={"recall": DEFAULT.recall.model_copy(update={"min_token_recall": 0.9, "gold_sample": "gold.jsonl"})})
    estimate = estimate_token_recall(per_record)
    run = manifest(good=True)
    run["stages"]["scrub"]["summary"]["estimated_recall"] = {**estimate.as_dict(), "gate": recall_gate(estimate, 0.9)}
    gate_status, value, threshold = judged(run, chosen)["redaction.estimated_recall"]
    assert (gate_status, threshold) == (status, 0.9)
    assert value == round(estimate.low, 4) and estimate.low <= estimate.recall


def test_a_minimum_recall_without_a_scored_sample_fails_and_no_minimum_is_not_applicable() -> None:
    assert judged(manifest(good=True), DEFAULT)["redaction.estimated_recall"][0] == "not_applicable"
    chosen = DEFAULT.model_copy(update={"recall": DEFAULT.recall.model_copy(update={"min_token_recall": 0.9})})
    assert judged(manifest(good=True), chosen)["redaction.estimated_recall"] == ("fail", None, 0.9)
