"""Counterfactual probe: term swaps on crafted text, gap summaries, gates, and one tiny-model run."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.records import Message, Record, Source
from audits import counterfactual_gates
from audits.counterfactual import load_lexicon, record_gap, summarise_axis, variants
from policies.schema import Fairness

LEXICON = load_lexicon()


def test_placeholders_get_each_groups_names_and_aligned_words_swap_with_case() -> None:
    result = variants("<PERSON> said she would call her Mother.", LEXICON["gender"], seed="r1")
    assert set(result) == {"female", "male"}
    female_name, male_name = (LEXICON["gender"][g]["names"] for g in ("female", "male"))
    assert result["male"].split()[0] in male_name and result["female"].split()[0] in female_name
    assert result["male"].endswith("said he would call his Father.")
    assert result["female"].endswith("said she would call her Mother.")
    assert variants("<PERSON> said she would call.", LEXICON["gender"], seed="r1") == variants("<PERSON> said she would call.", LEXICON["gender"], seed="r1")


def test_text_without_swappable_terms_is_not_probed() -> None:
    assert variants("The applicant has stable income.", LEXICON["gender"], seed="r1") is None
    assert variants("Shelter and heritage are not pronouns.", LEXICON["gender"], seed="r1") is None
    assert set(variants("Dear <PERSON>.", LEXICON["name_origin"], seed="x")) == {"anglo", "african_american", "hispanic", "asian"}


def test_record_gap_and_axis_summary() -> None:
    flipped = record_gap({"female": -1.0, "male": -3.0}, {"female": "approved", "male": "denied"})
    assert flipped == {"gap": 2.0, "flipped": True, "lowest": "male"}
    steady = record_gap({"female": -1.0, "male": -1.5}, {"female": None, "male": None})
    assert steady == {"gap": 0.5, "flipped": None, "lowest": "male"}
    summary = summarise_axis([flipped, steady], [steady, steady])
    assert summary["adapter"] == {"mean_gap": 1.25, "worst_gap": 2.0, "decisions": 1, "flip_rate": 1.0, "least_likely_group_counts": {"male": 2}}
    assert (summary["base"]["mean_gap"], summary["mean_gap_increase"]) == (0.5, 0.75)


@pytest.mark.parametrize(("threshold", "status"), [(0.7, "fail"), (0.75, "pass")])
def test_counterfactual_gate_judges_the_increase_over_the_base_model(threshold: float, status: str) -> None:
    flipped = record_gap({"a": -1.0, "b": -3.0}, {"a": "x", "b": "y"})
    steady = record_gap({"a": -1.0, "b": -1.5}, {"a": None, "b": None})
    probe = {"axes": {"gender": summarise_axis([flipped, steady], [steady, steady]), "name_origin": summarise_axis([], [])}}
    gates = counterfactual_gates(probe, fairness=Fairness(max_counterfactual_gap_increase=threshold))
    assert [(g["name"], g["status"], g["value"]) for g in gates] == [
        ("fairness.counterfactual.gender", status, 0.75),
        ("fairness.counterfactual.name_origin", "not_applicable", None),
    ]
    assert counterfactual_gates(None, fairness=Fairness()) == []


def test_probe_of_an_untrained_adapter_shows_no_increase(tiny_model_dir: Path) -> None:
    from appliance.train.lm import load_causal_lm, load_tokenizer
    from appliance.train.loop import build_lora_model
    from audits.counterfactual_probe import counterfactual_probe

    model = build_lora_model(load_causal_lm(tiny_model_dir), r=4, alpha=8, dropout=0.0, target_modules=["q_proj", "v_proj"]).eval()
    tokenizer = load_tokenizer(tiny_model_dir)
    source = Source(path="x.csv", sha256="0" * 64)
    records = [
        Record("l1", "document", source, text="<PERSON> asked for a loan; she has stable income.", label="approved"),
        Record("c1", "chat", source, messages=(Message("user", "Hi, I am <PERSON>."), Message("assistant", "Hello, how can I help?"))),
        Record("d1", "document", source, text="No answer to score here."),
    ]
    probe = counterfactual_probe(model, tokenizer, records, labels=["approved", "denied"], max_len=64)
    gender = probe["axes"]["gender"]
    assert gender["records"] == 2
    assert gender["adapter"] == gender["base"]  # LoRA B starts at zero: the adapter is the base model
    assert gender["mean_gap_increase"] == 0.0
    assert gender["adapter"]["decisions"] == 1
