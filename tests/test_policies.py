"""Every shipped policy loads; broken policies fail with every problem listed at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from policies import PolicyError, available_policies, load_policy, policy_sha256
from policies.loader import parse_policy, policy_yaml


def test_all_required_packs_are_shipped() -> None:
    assert {"default", "hipaa", "gdpr", "pci-dss", "banking"} <= set(available_policies())


@pytest.mark.parametrize("name", available_policies())
def test_every_pack_validates_and_round_trips(name: str) -> None:
    policy = load_policy(name)
    assert policy.name == name
    assert policy.entities, "a policy must redact something"
    again = parse_policy(policy_yaml(policy))
    assert policy_sha256(again) == policy_sha256(policy)


def test_hipaa_requires_dp_and_redacts_dates() -> None:
    hipaa = load_policy("hipaa")
    assert hipaa.privacy.dp_required
    assert {"DATE_TIME", "AGE_OVER_89", "MEDICAL_RECORD_NUMBER", "PERSON", "STREET_ADDRESS"} <= set(hipaa.entities)


def test_unknown_keys_and_bad_values_are_all_reported_with_paths() -> None:
    text = """
name: Bad Name
description: x
entities:
  PERSON: {operator: shred}
privacy:
  max_epsilon: -1
  surprise: true
"""
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, origin="bad.yaml")
    message = str(caught.value)
    assert message.startswith("bad.yaml: 4 problem(s)")
    for path in ("name", "entities.PERSON.operator", "privacy.max_epsilon", "privacy.surprise"):
        assert path in message


def test_yaml_cannot_construct_objects() -> None:
    with pytest.raises(PolicyError, match="not valid YAML"):
        parse_policy("name: !!python/object/apply:os.system ['echo pwned']\n", origin="evil.yaml")


def test_unknown_policy_name_lists_the_choices() -> None:
    with pytest.raises(PolicyError, match="choose one of: banking, default"):
        load_policy("sox")


def test_policy_file_path(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(policy_yaml(load_policy("default")).replace("name: default", "name: mine"))
    assert load_policy(path).name == "mine"


def test_a_minimum_estimated_recall_needs_a_labelled_sample() -> None:
    from pydantic import ValidationError

    from policies.schema import Recall

    with pytest.raises(ValidationError, match="min_token_recall needs gold_sample"):
        Recall(min_token_recall=0.9)
    assert Recall(gold_sample="gold.jsonl", min_token_recall=0.9).confidence == 0.95
