"""Fairness audit on small crafted data whose answers are known, checked against Fairlearn itself."""

from __future__ import annotations

import json

import numpy as np
import pytest
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    selection_rate,
)
from pydantic import ValidationError

from appliance.errors import ApplianceError
from audits import data_fairness, fairness_gates, model_fairness
from policies.schema import Fairness

FAIRNESS = Fairness(sensitive_attributes=("gender", "age_band", "ethnicity"), min_group_size=5, max_loss_gap_increase=0.5, max_demographic_parity_difference=0.2)
BOOTSTRAP = 40


def sidecar_rows() -> list[dict]:
    """f: 20 records, 14 approved (0.7); m: 20 records, 8 approved (0.4); x: 3 records, all approved.

    Age band: f alternate young/old, every m is young, every x is old. No ethnicity at all.
    """
    rows = []
    for i in range(20):
        rows.append({"record_id": f"f{i}", "attributes": {"gender": "f", "age_band": "young" if i % 2 else "old"}, "label": "approved" if i < 14 else "denied"})
    for i in range(20):
        rows.append({"record_id": f"m{i}", "attributes": {"gender": "m", "age_band": "young"}, "label": "approved" if i < 8 else "denied"})
    for i in range(3):
        rows.append({"record_id": f"x{i}", "attributes": {"gender": "x", "age_band": "old"}, "label": "approved"})
    return rows


def held_out_rows() -> list[dict]:
    """f and m: 10 records each; x: 2 records with extreme values that must not enter any gap.

    Tokens alternate 10, 30. Token-weighted losses: base f (1.9, 2.1) -> 2.05, base m 2.0 -> 2.0,
    adapter f (1.1, 1.3) -> 1.25, adapter m (1.7, 1.9) -> 1.85. So the base gap is 0.05 and the
    adapter gap 0.6. Decisions: y_true approved on the first 5 of each group; the base model
    copies y_true; the adapter approves 2 of 10 f and 8 of 10 m.
    """
    rows = []
    losses = {"f": ((1.9, 2.1), (1.1, 1.3)), "m": ((2.0, 2.0), (1.7, 1.9)), "x": ((9.0, 9.0), (0.1, 0.1))}
    adapter_approvals = {"f": 2, "m": 8, "x": 2}
    for group, size in (("f", 10), ("m", 10), ("x", 2)):
        (base_low, base_high), (adapter_low, adapter_high) = losses[group]
        for i in range(size):
            truth = "approved" if i < 5 else "denied"
            rows.append({
                "record_id": f"{group}{i}",
                "attributes": {"gender": group, "age_band": "young" if i < 5 else "old"},
                "base_loss": base_low if i % 2 == 0 else base_high,
                "adapter_loss": adapter_low if i % 2 == 0 else adapter_high,
                "tokens": 10 if i % 2 == 0 else 30,
                "y_true": truth,
                "base_pred": truth,
                "adapter_pred": "approved" if i < adapter_approvals[group] else "denied",
            })
    return rows


@pytest.fixture(scope="module")
def data_result() -> dict:
    return data_fairness(sidecar_rows(), fairness=FAIRNESS)


@pytest.fixture(scope="module")
def model_result() -> dict:
    return model_fairness(held_out_rows(), fairness=FAIRNESS, n_bootstrap=BOOTSTRAP, seed=0)


def strict_json(value: object) -> str:
    return json.dumps(value, allow_nan=False)


# Data fairness


def test_planted_outcome_disparity_matches_fairlearn(data_result: dict) -> None:
    gender = data_result["attributes"]["gender"]
    rows = [row for row in sidecar_rows() if row["attributes"]["gender"] in ("f", "m")]
    outcome = np.array([int(row["label"] == "approved") for row in rows])
    groups = [row["attributes"]["gender"] for row in rows]
    assert gender["demographic_parity_difference"] == pytest.approx(0.3)
    assert gender["demographic_parity_difference"] == round(demographic_parity_difference(outcome, outcome, sensitive_features=groups), 6)
    assert gender["demographic_parity_ratio"] == round(demographic_parity_ratio(outcome, outcome, sensitive_features=groups), 6)
    by_group = MetricFrame(metrics=selection_rate, y_true=outcome, y_pred=outcome, sensitive_features=groups).by_group
    assert gender["groups"]["f"]["positive_rate"] == pytest.approx(by_group["f"]) == pytest.approx(0.7)
    assert gender["groups"]["m"]["positive_rate"] == pytest.approx(by_group["m"]) == pytest.approx(0.4)


def test_representation_counts_and_shares(data_result: dict) -> None:
    groups = data_result["attributes"]["gender"]["groups"]
    assert {name: group["count"] for name, group in groups.items()} == {"f": 20, "m": 20, "x": 3}
    assert groups["f"]["share"] == round(20 / 43, 6)
    assert sum(group["share"] for group in groups.values()) == pytest.approx(1.0, abs=1e-5)
    assert data_result["records"] == data_result["labelled_records"] == 43
    assert data_result["label_counts"] == {"approved": 25, "denied": 18}


def test_small_group_is_listed_flagged_and_left_out_of_the_disparity(data_result: dict) -> None:
    gender = data_result["attributes"]["gender"]
    assert gender["groups"]["x"] == {"count": 3, "share": round(3 / 43, 6), "too_small": True, "labelled": 3, "label_rate": None, "positive_rate": None}
    assert gender["compared_groups"] == ["f", "m"]
    # With x (rate 1.0) the gap would be 0.6; without it, 0.7 - 0.4.
    assert gender["demographic_parity_difference"] == pytest.approx(0.3)


def test_missing_attribute_is_reported(data_result: dict) -> None:
    assert data_result["missing_attributes"] == ["ethnicity"]
    assert set(data_result["attributes"]) == {"gender", "age_band"}


def test_intersections_count_every_cell_and_flag_small_ones(data_result: dict) -> None:
    (intersection,) = data_result["intersections"]
    assert intersection["attributes"] == ["gender", "age_band"]
    cells = {(cell["groups"]["gender"], cell["groups"]["age_band"]): (cell["count"], cell["too_small"]) for cell in intersection["cells"]}
    assert cells == {
        ("f", "old"): (10, False),
        ("f", "young"): (10, False),
        ("m", "old"): (0, True),
        ("m", "young"): (20, False),
        ("x", "old"): (3, True),
        ("x", "young"): (0, True),
    }
    f_young = next(cell for cell in intersection["cells"] if cell["groups"] == {"gender": "f", "age_band": "young"})
    assert f_young["positive_rate"] == pytest.approx(0.7)  # odd i < 14: 7 of the 10 young f


@pytest.mark.parametrize(
    ("labels", "given", "expected"),
    [
        (["denied", "approved", "denied"], None, ("approved", "default_approved")),
        (["yes", "no", "yes"], None, ("no", "lexicographically_first")),
        (["yes", "no", "yes"], "yes", ("yes", "given")),
        ([None, None, None], None, (None, None)),
    ],
)
def test_positive_label_is_chosen_deterministically(labels: list, given: str | None, expected: tuple) -> None:
    rows = [{"record_id": str(i), "attributes": {"gender": "f"}, "label": label} for i, label in enumerate(labels)]
    result = data_fairness(rows, fairness=FAIRNESS, positive_label=given)
    assert (result["positive_label"], result["positive_label_chosen_by"]) == expected


def test_without_labels_only_representation_is_reported() -> None:
    rows = [{"record_id": str(i), "attributes": {"gender": "fm"[i % 2]}, "label": None} for i in range(20)]
    gender = data_fairness(rows, fairness=FAIRNESS)["attributes"]["gender"]
    assert gender["groups"]["f"] == {"count": 10, "share": 0.5, "too_small": False}
    assert gender["demographic_parity_difference"] is None
    assert gender["note"] == "no row carries a label, so outcomes cannot be compared"


def test_label_rate_per_group_shows_labels_missing_unevenly() -> None:
    rows = [{"record_id": f"f{i}", "attributes": {"gender": "f"}, "label": "approved" if i < 4 else None} for i in range(8)]
    rows += [{"record_id": f"m{i}", "attributes": {"gender": "m"}, "label": "denied"} for i in range(8)]
    groups = data_fairness(rows, fairness=FAIRNESS)["attributes"]["gender"]["groups"]
    assert (groups["f"]["label_rate"], groups["m"]["label_rate"]) == (0.5, 1.0)
    assert groups["f"]["positive_rate"] is None  # 4 labelled f rows: fewer than min_group_size


def test_rows_without_a_value_are_counted_as_missing_values() -> None:
    rows = sidecar_rows() + [
        {"record_id": "n1", "attributes": {"age_band": "old"}, "label": "denied"},
        {"record_id": "n2", "attributes": {"gender": ""}, "label": "denied"},
    ]
    gender = data_fairness(rows, fairness=FAIRNESS)["attributes"]["gender"]
    assert (gender["records"], gender["missing_values"]) == (43, 2)


def test_a_row_without_attributes_is_a_user_error() -> None:
    with pytest.raises(ApplianceError, match="row 1 has no 'attributes' mapping"):
        data_fairness([{"record_id": "a", "attributes": {}}, {"record_id": "b"}], fairness=FAIRNESS)


# Model fairness


def test_token_weighted_loss_and_perplexity_per_group(model_result: dict) -> None:
    groups = model_result["attributes"]["gender"]["groups"]
    assert groups["f"]["base"]["loss"] == pytest.approx(2.05)
    assert groups["f"]["adapter"]["loss"] == pytest.approx(1.25)
    assert groups["m"]["adapter"]["loss"] == pytest.approx(np.average([1.7, 1.9] * 5, weights=[10, 30] * 5))
    assert groups["f"]["adapter"]["perplexity"] == pytest.approx(np.exp(1.25), abs=1e-6)
    assert (groups["f"]["count"], groups["f"]["tokens"], groups["f"]["classified"]) == (10, 200, 10)


def test_planted_loss_gap_excludes_the_small_group(model_result: dict) -> None:
    gender = model_result["attributes"]["gender"]
    assert gender["groups"]["x"]["too_small"] is True
    assert gender["groups"]["x"]["adapter"]["loss"] is None
    assert gender["compared_groups"] == ["f", "m"]
    gap = gender["loss_gap"]
    assert gap["base"] == pytest.approx(0.05)
    assert gap["adapter"] == pytest.approx(0.6)
    assert gap["change"] == pytest.approx(0.55)
    assert gap["gap_widened"] is True


def test_bootstrap_interval_contains_the_estimate_and_is_deterministic(model_result: dict) -> None:
    gap = model_result["attributes"]["gender"]["loss_gap"]
    for side in ("base", "adapter"):
        low, high = gap[f"{side}_ci"]
        assert low <= gap[side] <= high
    parity = model_result["attributes"]["gender"]["classification"]["adapter"]
    low, high = parity["demographic_parity_difference_ci"]
    assert low <= parity["demographic_parity_difference"] <= high
    assert model_fairness(held_out_rows(), fairness=FAIRNESS, n_bootstrap=BOOTSTRAP, seed=0) == model_result
    other_seed = model_fairness(held_out_rows(), fairness=FAIRNESS, n_bootstrap=BOOTSTRAP, seed=1)
    assert other_seed["attributes"]["gender"]["loss_gap"]["adapter_ci"] != gap["adapter_ci"]
    assert other_seed["bootstrap"] == {"resamples": BOOTSTRAP, "seed": 1, "confidence": 0.95}


def test_decision_metrics_match_fairlearn(model_result: dict) -> None:
    classification = model_result["attributes"]["gender"]["classification"]
    assert classification["compared_groups"] == ["f", "m"]
    rows = [row for row in held_out_rows() if row["attributes"]["gender"] in ("f", "m")]
    groups = [row["attributes"]["gender"] for row in rows]
    truth = np.array([int(row["y_true"] == "approved") for row in rows])
    for side in ("base", "adapter"):
        decision = np.array([int(row[f"{side}_pred"] == "approved") for row in rows])
        expected = {
            "demographic_parity_difference": demographic_parity_difference(truth, decision, sensitive_features=groups),
            "demographic_parity_ratio": demographic_parity_ratio(truth, decision, sensitive_features=groups),
            "equalized_odds_difference": equalized_odds_difference(truth, decision, sensitive_features=groups),
        }
        for metric, value in expected.items():
            assert classification[side][metric] == round(value, 6), (side, metric)
    assert classification["adapter"]["demographic_parity_difference"] == pytest.approx(0.6)
    assert classification["base"]["demographic_parity_difference"] == 0.0
    # Adapter on f: approves rows 0-1, truth approves rows 0-4: accuracy 7/10, FNR 3/5, FPR 0.
    f = model_result["attributes"]["gender"]["groups"]["f"]["adapter"]
    assert (f["accuracy"], f["selection_rate"], f["false_negative_rate"], f["false_positive_rate"]) == (0.7, 0.2, 0.6, 0.0)
    assert model_result["positive_label"] == "approved"


def test_without_decisions_there_is_no_classification_section() -> None:
    rows = [{key: value for key, value in row.items() if key not in ("y_true", "base_pred", "adapter_pred")} for row in held_out_rows()]
    result = model_fairness(rows, fairness=FAIRNESS, n_bootstrap=0)
    gender = result["attributes"]["gender"]
    assert gender["classification"] is None
    assert gender["classification_note"] == "no held-out row carries y_true, base_pred and adapter_pred"
    assert "accuracy" not in gender["groups"]["f"]["adapter"]
    assert gender["loss_gap"]["adapter_ci"] == [None, None]  # n_bootstrap=0: no intervals
    assert result["positive_label"] is None


def test_rows_with_no_tokens_are_skipped_and_bad_losses_refused() -> None:
    rows = held_out_rows() + [{"record_id": "z", "attributes": {"gender": "f"}, "base_loss": 0.0, "adapter_loss": 0.0, "tokens": 0}]
    result = model_fairness(rows, fairness=FAIRNESS, n_bootstrap=0)
    assert (result["records"], result["evaluated_records"], result["skipped_zero_token_records"]) == (23, 22, 1)
    bad = held_out_rows()
    bad[3]["adapter_loss"] = float("nan")
    with pytest.raises(ApplianceError, match="held-out row 3: 'adapter_loss' must be a finite number"):
        model_fairness(bad, fairness=FAIRNESS, n_bootstrap=0)


# Gates


def gate(gates: list[dict], name: str) -> dict:
    return next(g for g in gates if g["name"] == name)


@pytest.mark.parametrize(("threshold", "status"), [(0.47, "fail"), (0.477056, "pass"), (0.5, "pass")])
def test_loss_gap_gate_judges_the_lower_end_of_the_paired_change_interval(data_result: dict, model_result: dict, threshold: float, status: str) -> None:
    gap = model_result["attributes"]["gender"]["loss_gap"]
    assert gap["change_ci"] == [0.477056, 0.66]  # paired, stratified bootstrap of adapter gap - base gap
    assert gap["change_ci"][0] <= gap["change"] == 0.55 <= gap["change_ci"][1]
    fairness = FAIRNESS.model_copy(update={"max_loss_gap_increase": threshold})
    result = gate(fairness_gates(data_result, model_result, fairness=fairness), "fairness.loss_gap.gender")
    assert (result["status"], result["value"], result["threshold"]) == (status, 0.477056, threshold)
    assert result["detail"].startswith("judged: lower end of the change's 95% paired bootstrap interval, 0.477056; change in loss gap")
    assert "the adapter widened the gap" in result["detail"]


@pytest.mark.parametrize(("threshold", "status"), [(0.54, "fail"), (0.55, "pass")])
def test_loss_gap_gate_without_bootstrap_judges_the_change(data_result: dict, threshold: float, status: str) -> None:
    result_model = model_fairness(held_out_rows(), fairness=FAIRNESS, n_bootstrap=0)
    fairness = FAIRNESS.model_copy(update={"max_loss_gap_increase": threshold})
    result = gate(fairness_gates(data_result, result_model, fairness=fairness), "fairness.loss_gap.gender")
    assert (result["status"], result["value"]) == (status, 0.55)


def noisy_rows(adapter_shift: dict[str, float], *, labelled_shift: float = 0.0, unlabelled: int = 0) -> list[dict]:
    """Demo-like held-out rows: 8 records per group with a large, noisy base gap the adapter inherits."""
    rng = np.random.default_rng(3)
    rows = []
    for group, offset in (("f", 0.0), ("m", 1.5)):
        for i in range(8 + unlabelled):
            base = 3.0 + offset + rng.normal(0, 1.0)
            labelled = i < 8
            shift = adapter_shift[group] + (labelled_shift if labelled and group == "m" else 0.0)
            row = {"record_id": f"{group}{i}", "attributes": {"gender": group}, "base_loss": base, "adapter_loss": base - 0.5 + shift + rng.normal(0, 0.05), "tokens": 2 if labelled else 40}
            if labelled:
                row.update(y_true="approved", base_pred="approved", adapter_pred="approved")
            rows.append(row)
    return rows


def test_an_inherited_noisy_gap_passes_and_a_widened_one_fails(data_result: dict) -> None:
    fairness = FAIRNESS.model_copy(update={"max_loss_gap_increase": 0.1})
    inherited = model_fairness(noisy_rows({"f": 0.0, "m": 0.0}), fairness=fairness, n_bootstrap=40)
    gap = inherited["attributes"]["gender"]["loss_gap"]
    assert gap["adapter"] > 1.0  # far above any sensible absolute threshold, yet the base model has it too
    assert gate(fairness_gates(data_result, inherited, fairness=fairness), "fairness.loss_gap.gender")["status"] == "pass"
    widened = model_fairness(noisy_rows({"f": 0.0, "m": 0.8}), fairness=fairness, n_bootstrap=40)
    assert widened["attributes"]["gender"]["loss_gap"]["change_ci"][0] > 0.5
    assert gate(fairness_gates(data_result, widened, fairness=fairness), "fairness.loss_gap.gender")["status"] == "fail"


def test_loss_gap_uses_unlabelled_rows_when_there_are_enough(data_result: dict) -> None:
    # The labelled m rows got much worse, the unlabelled ones did not: the gap must read the latter.
    rows = noisy_rows({"f": 0.0, "m": 0.0}, labelled_shift=3.0, unlabelled=6)
    gap = model_fairness(rows, fairness=FAIRNESS, n_bootstrap=40)["attributes"]["gender"]["loss_gap"]
    assert (gap["rows_used"], gap["records"], gap["compared_groups"]) == ("unlabelled", 12, ["f", "m"])
    assert abs(gap["change"]) < 0.1
    few = noisy_rows({"f": 0.0, "m": 0.0}, labelled_shift=3.0, unlabelled=2)
    gap = model_fairness(few, fairness=FAIRNESS, n_bootstrap=0)["attributes"]["gender"]["loss_gap"]
    assert (gap["rows_used"], gap["records"]) == ("all", 20)


def test_paired_change_of_identical_models_is_exactly_zero() -> None:
    from audits.fairness_gap import paired_gap_change

    losses = [1.0, 2.0, 3.0, 0.5, 4.0, 2.5]
    result = paired_gap_change(losses, losses, [1, 2, 3, 1, 2, 3], list("aaabbb"), n_bootstrap=50, seed=0)
    assert (result["change"], result["change_ci"]) == (0.0, [0.0, 0.0])


def test_an_absolute_loss_gap_threshold_is_refused_with_the_key_named() -> None:
    # The gate limits how much fine-tuning widens the gap; an absolute limit would judge base-model noise.
    with pytest.raises(ValidationError, match="max_loss_gap"):
        Fairness.model_validate({"max_loss_gap": 0.5})


@pytest.mark.parametrize(("threshold", "status"), [(0.2, "fail"), (0.6, "pass")])
def test_demographic_parity_gate_either_side_of_the_threshold(data_result: dict, model_result: dict, threshold: float, status: str) -> None:
    fairness = FAIRNESS.model_copy(update={"max_demographic_parity_difference": threshold})
    result = gate(fairness_gates(data_result, model_result, fairness=fairness), "fairness.demographic_parity.gender")
    assert (result["status"], result["value"], result["threshold"]) == (status, 0.6, threshold)


def test_gates_cover_every_attribute_and_explain_not_applicable(data_result: dict, model_result: dict) -> None:
    gates = fairness_gates(data_result, model_result, fairness=FAIRNESS)
    kinds = ("loss_gap", "demographic_parity")
    assert [g["name"] for g in gates] == [f"fairness.{kind}.{attribute}" for attribute in FAIRNESS.sensitive_attributes for kind in kinds]
    missing = gate(gates, "fairness.loss_gap.ethnicity")
    assert (missing["status"], missing["value"]) == ("not_applicable", None)
    assert missing["detail"] == "attribute 'ethnicity' is not in the demographics sidecar"
    # age_band in held-out rows: 5 young, 5 old per group, so every band is large enough.
    assert gate(gates, "fairness.loss_gap.age_band")["status"] in ("pass", "fail")


def test_gates_without_a_model_evaluation_are_not_applicable(data_result: dict) -> None:
    gates = fairness_gates(data_result, None, fairness=FAIRNESS)
    assert {g["status"] for g in gates} == {"not_applicable"}
    assert gate(gates, "fairness.loss_gap.gender")["detail"] == "no held-out model evaluation was run"


def test_gates_when_every_group_is_too_small(data_result: dict) -> None:
    fairness = FAIRNESS.model_copy(update={"min_group_size": 50})
    result = model_fairness(held_out_rows(), fairness=fairness, n_bootstrap=BOOTSTRAP)
    assert result["attributes"]["gender"]["compared_groups"] == []
    gates = fairness_gates(data_result, result, fairness=fairness)
    loss_gate = gate(gates, "fairness.loss_gap.gender")
    assert (loss_gate["status"], loss_gate["detail"]) == ("not_applicable", "fewer than two groups have at least 50 held-out records")
    parity_gate = gate(gates, "fairness.demographic_parity.gender")
    assert (parity_gate["status"], parity_gate["detail"]) == ("not_applicable", "fewer than two groups have at least 50 classified held-out records")


def test_parity_gate_without_decisions_is_not_applicable(data_result: dict) -> None:
    rows = [{key: value for key, value in row.items() if key != "adapter_pred"} for row in held_out_rows()]
    gates = fairness_gates(data_result, model_fairness(rows, fairness=FAIRNESS, n_bootstrap=0), fairness=FAIRNESS)
    assert gate(gates, "fairness.demographic_parity.gender")["status"] == "not_applicable"
    assert gate(gates, "fairness.loss_gap.gender")["status"] == "fail"  # change 0.55 > 0.5


# Output shape


def test_outputs_are_strict_json_even_with_undefined_rates_and_overflow(data_result: dict, model_result: dict) -> None:
    rows = held_out_rows()
    for row in rows:
        if row["attributes"]["gender"] == "f":
            row["y_true"] = "denied"  # no positives in f: its false negative rate is undefined
            row["adapter_loss"] = 1000.0  # exp overflows: perplexity is not a number
    extreme = model_fairness(rows, fairness=FAIRNESS, n_bootstrap=BOOTSTRAP)
    gender = extreme["attributes"]["gender"]
    f = gender["groups"]["f"]["adapter"]
    assert (f["false_negative_rate"], f["false_positive_rate"], f["perplexity"]) == (None, 0.2, None)
    # Fairlearn would call the perfect base model's equalized odds difference 1.0 here.
    assert gender["classification"]["base"]["equalized_odds_difference"] is None
    assert gender["classification"]["note"].startswith("equalized odds not computed")
    for value in (data_result, model_result, extreme, fairness_gates(data_result, extreme, fairness=FAIRNESS)):
        assert json.loads(strict_json(value)) == value


def test_empty_inputs_give_empty_results() -> None:
    data = data_fairness([], fairness=FAIRNESS)
    model = model_fairness([], fairness=FAIRNESS)
    assert data["missing_attributes"] == model["missing_attributes"] == list(FAIRNESS.sensitive_attributes)
    assert data["attributes"] == model["attributes"] == {}
    assert {g["status"] for g in fairness_gates(data, model, fairness=FAIRNESS)} == {"not_applicable"}
    strict_json([data, model])
