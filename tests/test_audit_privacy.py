"""Privacy audit on crafted data whose answers are known, and once on a tiny model that memorises."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from appliance.records import Finding, Record, Source
from audits.gates import privacy_audit_gates
from audits.privacy.canaries import canary_records, canary_secrets, candidate_secrets, format_secret
from audits.privacy.exposure import canary_exposure, exposure_summary
from audits.privacy.membership import attack_auc, clopper_pearson, empirical_epsilon, membership_inference
from audits.privacy.probes import regurgitation_summary
from policies.loader import load_policy

POLICY = load_policy("default")


# Membership inference


def test_perfectly_separable_losses_give_auc_one_and_identical_ones_one_half() -> None:
    separable = membership_inference([0.1, 0.2, 0.3, 0.4], [1.0, 1.1, 1.2, 1.3], n_bootstrap=30)
    assert separable["strongest"]["auc"] == 1.0
    assert separable["strongest"]["auc_ci"] == [1.0, 1.0]
    identical = membership_inference([1.0] * 6, [1.0] * 6, n_bootstrap=30)
    assert identical["strongest"]["auc"] == 0.5
    assert identical["strongest"]["empirical_epsilon"]["epsilon_lower_bound"] == 0.0
    assert attack_auc([2.0, 3.0], [0.1, 0.2]) == 0.0  # members score worse: the attack is always wrong


def test_auc_matches_scikit_learn_with_ties() -> None:
    rng = np.random.default_rng(0)
    members, others = np.round(rng.normal(1.0, 0.5, 40), 1), np.round(rng.normal(1.3, 0.5, 50), 1)
    expected = roc_auc_score([1] * 40 + [0] * 50, -np.concatenate([members, others]))
    assert attack_auc(members, others) == pytest.approx(expected)


def test_calibrated_attack_removes_record_difficulty() -> None:
    # Hard and easy records in both sets: raw losses overlap, but each member dropped 0.3 below its base loss.
    base_members, base_others = [1.0, 3.0, 1.0, 3.0], [1.1, 3.1, 1.1, 3.1]
    result = membership_inference(
        [b - 0.3 for b in base_members], [b - 0.1 for b in base_others],
        member_base_losses=base_members, non_member_base_losses=base_others, n_bootstrap=0,
    )
    assert result["attacks"]["loss"]["auc"] == 0.75  # hard members lose to easy non-members
    assert result["attacks"]["calibrated"]["auc"] == 1.0
    assert result["strongest"]["attack"] == "calibrated"
    assert result["attacks"]["loss"]["auc_ci"] == [None, None]


def test_clopper_pearson_edges_have_closed_forms() -> None:
    assert clopper_pearson(0, 20, 0.05) == (0.0, pytest.approx(1 - 0.05 ** (1 / 20)))
    assert clopper_pearson(20, 20, 0.05) == (pytest.approx(0.05 ** (1 / 20)), 1.0)
    low, high = clopper_pearson(10, 20, 0.05)
    assert low < 0.5 < high


def test_empirical_epsilon_of_a_perfect_attack_is_the_exact_binomial_bound() -> None:
    result = empirical_epsilon([0.0] * 30, [1.0] * 30, alpha=0.05)
    level = 0.05 / (2 * result["thresholds_tried"])
    tpr_low, fpr_high = level ** (1 / 30), 1 - level ** (1 / 30)
    assert result["epsilon_lower_bound"] == pytest.approx(math.log(tpr_low / fpr_high), abs=1e-6)
    assert (result["tpr"], result["fpr"]) == (1.0, 0.0)
    # More evidence, a higher lower bound; with delta the bound can only drop.
    assert empirical_epsilon([0.0] * 300, [1.0] * 300)["epsilon_lower_bound"] > result["epsilon_lower_bound"]
    assert empirical_epsilon([0.0] * 30, [1.0] * 30, delta=0.1)["epsilon_lower_bound"] < result["epsilon_lower_bound"]


# Canaries and exposure


@pytest.mark.parametrize(
    ("canary", "candidates", "rank", "exposure"),
    [
        (1.0, [2.0, 3.0, 0.5], 2, 1.0),  # log2(4) - log2(2)
        (0.1, [1.0] * 7, 1, 3.0),  # best of 8: log2(8)
        (9.0, [1.0] * 7, 8, 0.0),  # worst of 8
        (1.0, [1.0] * 3, 2.5, 0.678072),  # ties count half: log2(4) - log2(2.5)
        (1.0, [1.0] * 7, 4.5, 0.830075),  # a model that cannot tell passcodes apart sits near chance, not at the top
        (1.0, [0.5, 1.0, 2.0, 2.0], 2.5, 1.0),  # one below, one tie: log2(5) - log2(2.5)
    ],
)
def test_exposure_on_a_hand_built_ranking(canary: float, candidates: list[float], rank: float, exposure: float) -> None:
    assert canary_exposure(canary, candidates) == {"rank": rank, "candidates": len(candidates), "exposure": exposure}


def test_exposure_summary_reports_mean_max_and_the_scale() -> None:
    summary = exposure_summary([canary_exposure(0.1, [1.0] * 7), canary_exposure(9.0, [1.0] * 7)])
    assert (summary["mean_exposure"], summary["max_exposure"], summary["max_possible"]) == (1.5, 3.0, 3.0)
    assert summary["chance_level"] == round(3 - math.log2(math.factorial(8)) / 8, 6)  # rank uniform over 8: E[3 - log2(rank)]
    assert exposure_summary([])["chance_level"] is None
    assert exposure_summary([])["mean_exposure"] is None


def test_canaries_are_deterministic_distinct_and_repeated() -> None:
    records = canary_records(seed=7, count=3, repeats=2)
    assert [r.id for r in records] == ["canary-0-r0", "canary-0-r1", "canary-1-r0", "canary-1-r1", "canary-2-r0", "canary-2-r1"]
    assert records == canary_records(seed=7, count=3, repeats=2)
    assert canary_records(seed=8, count=3, repeats=2) != records
    secrets = canary_secrets(7, 3)
    assert len(set(secrets)) == 3
    assert all(r.metadata == {"audit_canary": True} and r.messages[-1].role == "assistant" for r in records)
    assert format_secret(secrets[0]) in records[0].messages[-1].content
    candidates = candidate_secrets(7, secrets[0], 50, exclude=set(secrets))
    assert len(set(candidates)) == 50 and not set(candidates) & set(secrets)


# Regurgitation


def test_regurgitation_counts_only_what_the_adapter_adds() -> None:
    person = Finding("PERSON", 0, 4, 0.9, "ner")
    phone = Finding("PHONE_NUMBER", 5, 17, 0.7, "regex")
    adapter = [[person], [phone], [], [person, phone]]
    base = [[person], [], [], []]
    summary = regurgitation_summary(adapter, base, ["a", "b", "c", "d"], new_tokens=32, prefix_tokens=8)
    assert (summary["prompted"], summary["adapter_flagged"], summary["base_flagged"], summary["adapter_only"]) == (4, 3, 1, 2)
    assert summary["adapter_only_rate"] == 0.5
    assert summary["adapter_only_record_ids"] == ["b", "d"]
    assert summary["adapter_entity_types"] == {"PERSON": 2, "PHONE_NUMBER": 2}


# Gates


def audit_result(auc_ci: list, mean_exposure: float, rate: float) -> dict:
    strongest = {"attack": "calibrated", "auc": 0.7, "auc_ci": auc_ci, "empirical_epsilon": {"epsilon_lower_bound": 0.4}}
    return {
        "membership": {"members": 30, "non_members": 30, "strongest": strongest},
        "canaries": {"canaries": 2, "repeats": 4, "mean_exposure": mean_exposure, "max_exposure": 6.0, "chance_level": 1.44, "max_possible": 6.66},
        "regurgitation": {"prompted": 20, "adapter_flagged": 3, "base_flagged": 1, "adapter_only": int(rate * 20), "adapter_only_rate": rate},
        "notes": {},
    }


def statuses(gates: list[dict]) -> dict[str, tuple]:
    return {g["name"]: (g["status"], g["value"], g["threshold"]) for g in gates}


def test_privacy_gates_either_side_of_the_thresholds() -> None:
    passing = statuses(privacy_audit_gates(audit_result([0.58, 0.8], 3.0, 0.05), POLICY))
    assert passing == {
        "privacy.membership_auc": ("pass", 0.58, 0.6),
        "privacy.canary_exposure": ("pass", 3.0, 3.0),
        "privacy.regurgitation": ("pass", 0.05, 0.05),
    }
    failing = statuses(privacy_audit_gates(audit_result([0.61, 0.8], 3.1, 0.1), POLICY))
    assert {name: status for name, (status, _, _) in failing.items()} == dict.fromkeys(passing, "fail")


def test_privacy_gates_are_not_applicable_without_an_audit_and_say_why() -> None:
    gates = privacy_audit_gates(None, POLICY)
    assert [(g["name"], g["status"]) for g in gates] == [
        ("privacy.membership_auc", "not_applicable"), ("privacy.canary_exposure", "not_applicable"), ("privacy.regurgitation", "not_applicable"),
    ]
    skipped = {"membership": None, "canaries": None, "regurgitation": None, "notes": {"canaries": "no canaries were planted in the training split"}}
    canary_gate = privacy_audit_gates(skipped, POLICY)[1]
    assert (canary_gate["status"], canary_gate["detail"]) == ("not_applicable", "no canaries were planted in the training split")


def test_membership_gate_without_bootstrap_judges_the_auc() -> None:
    gate = privacy_audit_gates(audit_result([None, None], 1.0, 0.0), POLICY)[0]
    assert (gate["status"], gate["value"]) == ("fail", 0.7)
    assert gate["detail"].startswith("judged: AUC (no bootstrap), 0.7; strongest attack 'calibrated'")


# One run on a tiny model that memorises its training records


WORDS = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa quebec romeo sierra tango".split()


def test_privacy_audit_on_a_tiny_model_that_memorises(tiny_model_dir: Path, tmp_path: Path) -> None:
    from appliance.config import AuditConfig, TrainConfig
    from appliance.train.lm import load_tokenizer
    from appliance.train.loop import train_lora
    from appliance.train.scoring import load_adapter, token_losses
    from audits.privacy.audit import privacy_audit

    rng = random.Random(0)
    source = Source(path="docs.jsonl", sha256="0" * 64)
    docs = [Record(f"d{i}", "document", source, text=" ".join(rng.choice(WORDS) for _ in range(12))) for i in range(20)]
    members, others = docs[:10], docs[10:]
    config = TrainConfig(max_steps=12, batch_size=14, learning_rate=5e-2, warmup_steps=2, max_seq_len=64, lora_r=16, lora_alpha=32)
    train_lora(tiny_model_dir, members + canary_records(seed=0, count=1, repeats=4), config, tmp_path / "adapter")
    model, tokenizer = load_adapter(tiny_model_dir, tmp_path / "adapter"), load_tokenizer(tmp_path / "adapter")
    adapted = token_losses(model, tokenizer, others, 64)
    with model.disable_adapter():
        original = token_losses(model, tokenizer, others, 64)
    rows = [{"adapter_loss": a[0] / a[1], "base_loss": b[0] / b[1]} for a, b in zip(adapted, original, strict=True)]
    scanned: list[str] = []

    def detect(texts: list[str]) -> list[list[Finding]]:
        scanned.extend(texts)
        return [[] for _ in texts]

    result = privacy_audit(
        model, tokenizer, train_records=members, held_out_rows=rows, audit=AuditConfig(canary_candidates=15, regurgitation_samples=2),
        seed=0, max_len=64, canaries={"seed": 0, "count": 1, "repeats": 4}, detect=detect, n_bootstrap=50, regurgitation_tokens=4,
    )
    membership = result["membership"]
    assert (membership["members"], membership["non_members"]) == (10, 10)
    assert membership["strongest"]["auc"] >= 0.7
    assert result["canaries"]["per_canary"][0]["rank"] == 1  # the planted passcode beats all 15 candidates
    assert result["canaries"]["mean_exposure"] == pytest.approx(math.log2(16), abs=1e-6)
    assert (result["regurgitation"]["prompted"], len(scanned)) == (2, 4)  # adapter and base continuations
    text = json.dumps(result)
    assert not any(doc.text in text for doc in docs)
    assert {g["status"] for g in privacy_audit_gates(result, POLICY)} <= {"pass", "fail"}
