"""Merging overlapping findings, and metadata keys that announce their entity type."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.records import Finding
from scrubbers.detector import split_text
from scrubbers.merge import RISK_ORDER, merge_findings, risk_rank
from scrubbers.metadata import hinted_entity_type, metadata_hint


def spans(findings: list[Finding]) -> list[tuple[str, int, int]]:
    return [(f.entity_type, f.start, f.end) for f in findings]


def test_overlap_takes_the_union_and_the_riskiest_type() -> None:
    text = "call 078-05-1120 now"
    merged = merge_findings([Finding("PHONE_NUMBER", 5, 16, 0.9), Finding("US_SSN", 5, 16, 0.65)], text)
    assert spans(merged) == [("US_SSN", 5, 16)]


def test_contained_url_inside_email_disappears() -> None:
    text = "mail john.smith@example.com"
    merged = merge_findings(
        [Finding("URL", 5, 12, 0.5), Finding("EMAIL_ADDRESS", 5, 27, 1.0), Finding("URL", 16, 27, 0.5)], text
    )
    assert spans(merged) == [("EMAIL_ADDRESS", 5, 27)]


def test_partial_overlap_extends_the_span() -> None:
    merged = merge_findings([Finding("DATE_TIME", 0, 8, 0.85), Finding("AGE_OVER_89", 2, 14, 0.75)], "x" * 20)
    assert spans(merged) == [("AGE_OVER_89", 0, 14)]


def test_same_risk_type_breaks_ties_by_score() -> None:
    merged = merge_findings([Finding("PERSON", 0, 4, 0.6, "a"), Finding("PERSON", 2, 6, 0.9, "b")], "x" * 10)
    assert merged[0].recognizer == "b" and merged[0].score == 0.9


def test_same_type_split_by_spaces_joins_but_not_across_commas_or_lines() -> None:
    text = "Maria Lopez, Ana\nRuiz"
    findings = [Finding("PERSON", 0, 5, 0.85), Finding("PERSON", 6, 11, 0.85), Finding("PERSON", 13, 16, 0.85), Finding("PERSON", 17, 21, 0.85)]
    assert spans(merge_findings(findings, text)) == [("PERSON", 0, 11), ("PERSON", 13, 16), ("PERSON", 17, 21)]


def test_different_types_split_by_a_space_stay_apart() -> None:
    text = "Boston 02118"
    merged = merge_findings([Finding("LOCATION", 0, 6, 0.85), Finding("ACCOUNT_NUMBER", 7, 12, 0.8)], text)
    assert spans(merged) == [("LOCATION", 0, 6), ("ACCOUNT_NUMBER", 7, 12)]


def test_policy_defined_types_rank_between_identifiers_and_contact_details() -> None:
    assert risk_rank("MEDICAL_LICENSE") < risk_rank("CARD_SECURITY_CODE") < risk_rank("EMAIL_ADDRESS")
    assert len(set(RISK_ORDER)) == len(RISK_ORDER)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("email", "EMAIL_ADDRESS"),
        ("customerEmail", "EMAIL_ADDRESS"),
        ("Phone Number", "PHONE_NUMBER"),
        ("mobile", "PHONE_NUMBER"),
        ("ssn", "US_SSN"),
        ("date_of_birth", "DATE_OF_BIRTH"),
        ("DOB", "DATE_OF_BIRTH"),
        ("mailing_address", "STREET_ADDRESS"),
        ("ip_address", "IP_ADDRESS"),
        ("account_number", "ACCOUNT_NUMBER"),
        ("iban", "IBAN_CODE"),
        ("name", "PERSON"),
        ("customer_name", "PERSON"),
        ("LastName", "PERSON"),
        ("file_name", None),
        ("product_name", None),
        ("gender", None),
        ("hotel", None),
    ],
)
def test_metadata_key_hints(key: str, expected: str | None) -> None:
    assert hinted_entity_type(key) == expected


def test_metadata_hint_covers_the_stripped_value_only_for_policy_types() -> None:
    hint = metadata_hint("customer_name", "  maria lopez ", {"PERSON"}, "metadata[customer_name]")
    assert hint == Finding("PERSON", 2, 13, 1.0, "MetadataKeyHint", "metadata[customer_name]")
    assert metadata_hint("customer_name", "maria lopez", {"EMAIL_ADDRESS"}, "f") is None
    assert metadata_hint("customer_name", "   ", {"PERSON"}, "f") is None


TYPES = st.sampled_from(["PERSON", "US_SSN", "LOCATION", "CUSTOM_CODE"])


@st.composite
def text_and_findings(draw: st.DrawFn) -> tuple[str, list[Finding]]:
    text = draw(st.text(alphabet="ab \t,\n", min_size=1, max_size=40))
    spans = draw(st.lists(st.tuples(st.integers(0, len(text) - 1), st.integers(1, 8), TYPES), max_size=8))
    return text, [Finding(kind, start, min(start + width, len(text)), 0.5) for start, width, kind in spans]


@given(text_and_findings())
def test_merged_findings_never_overlap_and_cover_every_input_character(case: tuple[str, list[Finding]]) -> None:
    text, findings = case
    merged = merge_findings(findings, text)
    assert all(a.end <= b.start for a, b in zip(merged, merged[1:]))
    covered = {i for f in merged for i in range(f.start, f.end)}
    assert all(i in covered for f in findings for i in range(f.start, f.end))


@given(st.text(alphabet="ab \n", max_size=300), st.integers(1, 50))
def test_split_text_pieces_rejoin_to_the_text(text: str, limit: int) -> None:
    pieces = list(split_text(text, limit))
    assert "".join(piece for _, piece in pieces) == text
    assert all(len(piece) <= limit for _, piece in pieces)
    assert [offset for offset, _ in pieces] == [sum(len(p) for _, p in pieces[:i]) for i in range(len(pieces))]
