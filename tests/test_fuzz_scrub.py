"""Property tests for the scrubber on hostile text: random Unicode, right-to-left and mixed scripts,
invisible characters and look-alikes inside identifiers, and documents longer than one NLP chunk.

Whatever the text, detection must not crash and every span must lie inside the text; an
e-mail, phone, SSN or card number split by zero-width or bidi characters, or written in
full-width or Arabic-Indic digits, must still be found and its span must cover the
original characters. Derandomised with modest example counts, so CI runs are repeatable
and take seconds.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appliance.records import Finding
from policies.loader import load_policy
from scrubbers.detector import MAX_CHUNK_CHARACTERS
from scrubbers.engine import Scrubber
from scrubbers.transcript import normalise_for_detection

FUZZ = settings(derandomize=True, max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u180e"
# Text around the identifier: Latin, Hebrew and Arabic (right-to-left), CJK, Cyrillic, emoji, marks.
MIXED_SCRIPTS = st.text(
    alphabet=st.sampled_from(list("abc XYZ .,;\n") + list("שלום עולם") + list("مرحبا بالعالم") + list("你好世界") + list("Привет") + ["🙂", "\u0301", "\u202e"]),
    max_size=40,
)


@pytest.fixture(scope="module")
def scrubber() -> Scrubber:
    return Scrubber(load_policy("default"), salt=b"fuzz test salt, never used to hash")


def detect_one(scrubber: Scrubber, text: str) -> list[Finding]:
    [findings] = scrubber.detect([text])
    return findings


def assert_well_formed(findings: list[Finding], text: str) -> None:
    previous_end = 0
    for finding in findings:
        assert 0 <= finding.start < finding.end <= len(text), (finding.start, finding.end, len(text))
        assert finding.start >= previous_end, "findings overlap or are out of order"
        previous_end = finding.end


def scatter(value: str, invisible: list[str], positions: list[int]) -> str:
    """`value` with the invisible characters inserted at the given positions (taken modulo its length)."""
    characters = list(value)
    for character, position in zip(invisible, positions, strict=False):
        characters.insert(1 + position % (len(characters) - 1), character)
    return "".join(characters)


def covered(findings: list[Finding], start: int, end: int, entity_types: set[str]) -> bool:
    """Every visible character of [start, end) lies inside a finding of one of `entity_types`."""
    return any(f.start <= start and end <= f.end and f.entity_type in entity_types for f in findings)


@FUZZ
@given(text=st.text(max_size=300))
def test_any_unicode_text_gives_well_formed_findings(scrubber: Scrubber, text: str) -> None:
    assert_well_formed(detect_one(scrubber, text), text)


@FUZZ
@given(text=st.text(alphabet=st.sampled_from(list(INVISIBLE) + list("5-@. x")), max_size=80))
def test_text_of_invisible_characters_and_separators_gives_well_formed_findings(scrubber: Scrubber, text: str) -> None:
    assert_well_formed(detect_one(scrubber, text), text)


IDENTIFIERS = st.one_of(
    st.tuples(st.just("EMAIL_ADDRESS"), st.from_regex(r"[a-z]{3,8}\.[a-z]{3,8}@(?:example|mail|corp)\.(?:com|org|net)", fullmatch=True)),
    st.tuples(st.just("PHONE_NUMBER"), st.from_regex(r"\([2-9]\d{2}\) [2-9]\d{2}-\d{4}", fullmatch=True)),
    st.tuples(st.just("US_SSN"), st.from_regex(r"[1-6]\d{2}-[1-9]\d-[1-9]\d{3}", fullmatch=True)),
    st.tuples(st.just("CREDIT_CARD"), st.sampled_from(["4111 1111 1111 1111", "5500-0000-0000-0004", "4539148803436467", "6011000990139424"])),
)
# The label word keeps the identifier's context the same whatever the scripts around it.
LABELS = {"EMAIL_ADDRESS": "email", "PHONE_NUMBER": "phone", "US_SSN": "SSN", "CREDIT_CARD": "card"}
# An identifier may win a merge against a riskier overlapping type; each must be redacted as one of these.
ACCEPTED = {
    "EMAIL_ADDRESS": {"EMAIL_ADDRESS", "URL"},
    "PHONE_NUMBER": {"PHONE_NUMBER", "US_SSN", "CREDIT_CARD", "ACCOUNT_NUMBER"},
    "US_SSN": {"US_SSN"},
    "CREDIT_CARD": {"CREDIT_CARD"},
}


@FUZZ
@given(
    identifier=IDENTIFIERS,
    invisible=st.lists(st.sampled_from(INVISIBLE), min_size=1, max_size=4),
    positions=st.lists(st.integers(min_value=0, max_value=40), min_size=4, max_size=4),
    before=MIXED_SCRIPTS,
    after=MIXED_SCRIPTS,
)
def test_identifiers_split_by_invisible_characters_are_still_found(
    scrubber: Scrubber, identifier: tuple[str, str], invisible: list[str], positions: list[int], before: str, after: str
) -> None:
    entity_type, value = identifier
    hidden = scatter(value, invisible, positions)
    text = f"{before}\n{LABELS[entity_type]}: {hidden} \n{after}"
    start = text.index(hidden)
    findings = detect_one(scrubber, text)
    assert_well_formed(findings, text)
    assert covered(findings, start, start + len(hidden), ACCEPTED[entity_type]), (entity_type, [(f.entity_type, f.start, f.end) for f in findings], start)


FULL_WIDTH = {character: chr(ord(character) + 0xFEE0) for character in "0123456789-()@."}
ARABIC_INDIC = {str(digit): chr(0x0660 + digit) for digit in range(10)}


@pytest.mark.parametrize("lookalikes", [FULL_WIDTH, ARABIC_INDIC], ids=["full-width", "arabic-indic"])
@pytest.mark.parametrize(
    ("entity_type", "value"),
    [("US_SSN", "512-44-9087"), ("PHONE_NUMBER", "(312) 555-0199"), ("CREDIT_CARD", "4539 1488 0343 6467")],
)
def test_identifiers_in_lookalike_digits_are_found(scrubber: Scrubber, lookalikes: dict[str, str], entity_type: str, value: str) -> None:
    disguised = "".join(lookalikes.get(character, character) for character in value)
    text = f"مرحبا {LABELS[entity_type]} {disguised} שלום"
    start = text.index(disguised)
    findings = detect_one(scrubber, text)
    assert covered(findings, start, start + len(disguised), ACCEPTED[entity_type])


@FUZZ
@given(text=st.text(alphabet=st.sampled_from(list(INVISIBLE) + list("abc 5-@\n") + list(FULL_WIDTH.values())), max_size=120))
def test_normalisation_maps_every_character_back_inside_the_text(text: str) -> None:
    normalised = normalise_for_detection(text)
    if normalised is None:
        return
    assert len(normalised.origins) == len(normalised.text)
    for index in range(len(normalised.text)):
        start, end = normalised.original_span(index, index + 1)
        assert 0 <= start < end <= len(text)
    assert not any(character in INVISIBLE for character in normalised.text)


def test_identifiers_in_every_chunk_of_a_long_document_keep_their_offsets(scrubber: Scrubber, monkeypatch: pytest.MonkeyPatch) -> None:
    # A small chunk size exercises the same cutting and offset shifting as a 100,000-character
    # document, in a fraction of the time; identifiers land in many chunks and near their edges.
    monkeypatch.setattr("scrubbers.detector.MAX_CHUNK_CHARACTERS", 700)
    filler = "the quarterly figures were reviewed and filed without comment.\n"
    lines = [filler * (index % 3) + f"Contact {index}: user{index}@example.com, SSN 512-44-{1000 + index}.\n" for index in range(40)]
    text = "".join(lines)
    findings = detect_one(scrubber, text)
    assert_well_formed(findings, text)
    for index in range(40):
        email, ssn = f"user{index}@example.com", f"512-44-{1000 + index}"
        assert covered(findings, text.index(email), text.index(email) + len(email), {"EMAIL_ADDRESS"}), email
        assert covered(findings, text.index(ssn), text.index(ssn) + len(ssn), {"US_SSN"}), index
    assert not [f for f in findings if "figures" in text[f.start : f.end]], "filler prose must not be flagged"


def test_one_enormous_line_without_breaks_is_scrubbed(scrubber: Scrubber) -> None:
    # Longer than one real chunk and no newline anywhere: the chunker has to cut at spaces,
    # spaCy must never see more than its limit, and the offsets must still be right.
    text = ("word " * (MAX_CHUNK_CHARACTERS // 5 + 1000)) + "call (312) 555-0199 today"
    findings = detect_one(scrubber, text)
    assert_well_formed(findings, text)
    phone = text.index("(312) 555-0199")
    assert covered(findings, phone, phone + len("(312) 555-0199"), {"PHONE_NUMBER"})
