"""Operators one by one, their registry, and right-to-left redaction of a text."""

from __future__ import annotations

import typing

import pytest

from appliance.records import Finding
from policies.schema import EntityRule, OperatorName
from scrubbers.operators import DROP_RECORD, OPERATORS, hash_token, mask, replace
from scrubbers.redact import redact

SALT = b"test-salt-0123456789abcdef012345"


def test_registry_names_match_the_policy_schema() -> None:
    assert set(OPERATORS) | {DROP_RECORD} == {"replace", "mask", "hash", "pseudonym", "drop_record"}
    assert set(OPERATORS) | {DROP_RECORD} == set(typing.get_args(OperatorName))


def test_replace_gives_the_typed_placeholder() -> None:
    assert replace("Jane Doe", "PERSON") == "<PERSON>"


@pytest.mark.parametrize(
    ("value", "keep_last", "expected"),
    [
        ("4111 1111 1111 1234", 4, "**** **** **** 1234"),
        ("12345678901", 4, "*******8901"),
        ("DE89370400440532013000", 4, "******************3000"),
        ("12345678", 0, "********"),
        ("1234", 4, "**34"),  # never more than half left visible
        ("a-b", 8, "*-b"),
        ("", 4, ""),
    ],
)
def test_mask_keeps_trailing_alphanumerics_and_separators(value: str, keep_last: int, expected: str) -> None:
    assert mask(value, "CREDIT_CARD", keep_last=keep_last) == expected


def test_hash_is_stable_typed_and_salted() -> None:
    token = hash_token("Jane Doe", "PERSON", salt=SALT)
    assert token == hash_token("jane   DOE", "PERSON", salt=SALT)
    assert token != hash_token("John Doe", "PERSON", salt=SALT)
    assert token != hash_token("Jane Doe", "PERSON", salt=b"another-salt")
    assert token.startswith("<PERSON:") and token.endswith(">")
    assert len(token.removeprefix("<PERSON:").removesuffix(">")) == 8
    assert "jane" not in token.lower()


def test_redact_applies_each_rule_right_to_left() -> None:
    text = "Jane Doe, card 4111 1111 1111 1234, mail jane@example.com"
    findings = [
        Finding("PERSON", 0, 8, 0.85),
        Finding("CREDIT_CARD", 15, 34, 1.0),
        Finding("EMAIL_ADDRESS", 41, 57, 1.0),
    ]
    rules = {
        "PERSON": EntityRule(operator="replace"),
        "CREDIT_CARD": EntityRule(operator="mask", keep_last=4),
        "EMAIL_ADDRESS": EntityRule(operator="hash"),
    }
    redacted = redact(text, findings, rules, SALT)
    email_token = hash_token("jane@example.com", "EMAIL_ADDRESS", salt=SALT)
    assert redacted == f"<PERSON>, card **** **** **** 1234, mail {email_token}"


def test_redact_without_findings_returns_the_text() -> None:
    assert redact("nothing here", [], {}, SALT) == "nothing here"


def test_hash_ignores_number_formatting() -> None:
    token = hash_token("(555) 123-4567", "PHONE_NUMBER", salt=SALT)
    assert token == hash_token("+1 555 123 4567", "PHONE_NUMBER", salt=SALT)
    assert token == hash_token("555.123.4567", "PHONE_NUMBER", salt=SALT)
    assert hash_token("1234-5678-90", "ACCOUNT_NUMBER", salt=SALT) == hash_token("1234567890", "ACCOUNT_NUMBER", salt=SALT)
