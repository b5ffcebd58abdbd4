"""The pseudonym operator: same value, same surrogate of the same type; dates keep their intervals."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from appliance.records import Finding
from policies.schema import EntityRule, Policy
from scrubbers.operators.pseudonym import MAX_SHIFT_DAYS, pseudonym, shift_days
from scrubbers.redact import redact

KEY = b"pseudonym-test-key-0123456789abcd"


@pytest.mark.parametrize(
    ("entity_type", "first", "second"),
    [
        ("PERSON", "Jane Doe", "jane  DOE"),
        ("EMAIL_ADDRESS", "jane.doe@example.org", "JANE.DOE@example.org"),
        ("PHONE_NUMBER", "(555) 123-4567", "555.123.4567"),
    ],
)
def test_same_value_same_surrogate(entity_type: str, first: str, second: str) -> None:
    def canonical(value: str) -> str:
        # Phone surrogates keep each input's layout; the digits are what must agree.
        return re.sub(r"\D", "", value) if entity_type == "PHONE_NUMBER" else value

    assert canonical(pseudonym(first, entity_type, salt=KEY)) == canonical(pseudonym(second, entity_type, salt=KEY))
    assert pseudonym(first, entity_type, salt=KEY) != pseudonym(first, entity_type, salt=b"another key")


def test_surrogates_have_the_right_shape() -> None:
    name = pseudonym("Jane Doe", "PERSON", salt=KEY)
    assert re.fullmatch(r"[A-Z][a-z]+ [A-Z][a-z]+", name) and name != "Jane Doe"
    assert re.fullmatch(r"[a-z]+\.[a-z]+\d{1,2}@example\.com", pseudonym("jd@corp.com", "EMAIL_ADDRESS", salt=KEY))
    phone = pseudonym("(555) 123-4567", "PHONE_NUMBER", salt=KEY)
    assert re.fullmatch(r"\([1-9]\d\d\) \d{3}-\d{4}", phone)
    assert pseudonym("MARIA", "PERSON", salt=KEY).isupper()


def test_dates_shift_by_one_offset_per_subject() -> None:
    first = pseudonym("2021-03-01", "DATE_TIME", salt=KEY, subject="patient-7")
    second = pseudonym("2021-03-15", "DATE_TIME", salt=KEY, subject="patient-7")
    interval = dt.date.fromisoformat(second) - dt.date.fromisoformat(first)
    assert interval.days == 14
    offset = shift_days(KEY, "patient-7")
    assert offset != 0 and abs(offset) <= MAX_SHIFT_DAYS
    assert pseudonym("March 1, 2021", "DATE_TIME", salt=KEY, subject="patient-7") == (dt.date(2021, 3, 1) + dt.timedelta(days=offset)).strftime("%B %d, %Y")


def test_redact_passes_the_subject() -> None:
    text = "Seen 2021-03-01 by Jane Doe"
    findings = [Finding("DATE_TIME", 5, 15, 0.9), Finding("PERSON", 19, 27, 0.9)]
    rules = {"DATE_TIME": EntityRule(operator="pseudonym"), "PERSON": EntityRule(operator="pseudonym")}
    out = redact(text, findings, rules, KEY, subject="s1")
    assert "Jane Doe" not in out and "2021-03-01" not in out
    assert out == redact(text, findings, rules, KEY, subject="s1")


def test_policy_accepts_pseudonym() -> None:
    policy = Policy(name="p", description="d", entities={"PERSON": EntityRule(operator="pseudonym")})
    assert policy.entities["PERSON"].operator == "pseudonym"
