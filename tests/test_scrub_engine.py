"""The scrubber end to end with real Presidio and spaCy: planted values go, typed placeholders come."""

from __future__ import annotations

import dataclasses
import re

import pytest

from appliance.records import Finding, Message, Record, Source
from policies import available_policies, load_policy
from policies.schema import Policy
from scrubbers import Scrubber, ScrubberConfigError, ScrubOutcome
from scrubbers.operators import hash_token

SALT = b"engine-test-salt-0123456789abcde"
SOURCE = Source(path="inbox/export.csv", sha256="0" * 64, location="row 1")

# Every value a test plants, so one assertion can prove none survived.
PLANTED = {
    "PERSON": ["Maria Lopez", "J. Smith", "Alvarez"],
    "EMAIL_ADDRESS": ["maria.lopez@example.com"],
    "PHONE_NUMBER": ["(555) 123-4567", "+1 555 123 4567", "555-987-6543"],
    "US_SSN": ["123-45-6789"],
    "ACCOUNT_NUMBER": ["12345678901"],
    "STREET_ADDRESS": ["45 Oak Ave Apt 3"],
    "DATE_OF_BIRTH": ["March 3, 1961", "03/04/1961"],
}

DOCUMENT = Record(
    id="doc-1",
    kind="document",
    source=SOURCE,
    text=(
        "Customer Maria Lopez (maria.lopez@example.com, (555) 123-4567) was born on March 3, 1961. "
        "SSN 123-45-6789. She lives at 45 Oak Ave Apt 3, Boston, MA 02118. "
        "Her account number is 12345678901. Dr. J. Smith and Mrs. Alvarez reviewed the file."
    ),
    subject_id="cust-0001",
    metadata={"customer_name": "maria lopez", "notes": "Call back on 555-987-6543", "row": 7},
)
CHAT = Record(
    id="chat-1",
    kind="chat",
    source=SOURCE,
    messages=(
        Message("user", "Hi, my name is maria lopez and my email is maria.lopez@example.com"),
        Message("assistant", "Thanks, Maria Lopez. What number can we reach you on?"),
        Message("user", "+1 555 123 4567, and my DOB is 03/04/1961"),
    ),
)
CLEAN = Record(id="clean-1", kind="document", source=SOURCE, text="The quarterly report is attached.")


def all_text(record: Record) -> str:
    strings = [value for value in record.metadata.values() if isinstance(value, str)]
    return "\n".join([*record.texts(), *strings])


@pytest.fixture(scope="module")
def scrubber() -> Scrubber:
    return Scrubber(load_policy("default"), salt=SALT)


@pytest.fixture(scope="module")
def outcomes(scrubber: Scrubber) -> list[ScrubOutcome]:
    return list(scrubber.scrub([DOCUMENT, CHAT, CLEAN]))


def test_planted_values_are_gone(outcomes: list[ScrubOutcome]) -> None:
    for outcome in outcomes:
        assert outcome.record is not None and outcome.dropped_reason is None
        text = all_text(outcome.record).casefold()
        leaked = [entity for entity, values in PLANTED.items() for value in values if value.casefold() in text]
        assert leaked == [], f"record {outcome.record.id} still holds {leaked}"


def test_typed_placeholders_replace_them(outcomes: list[ScrubOutcome]) -> None:
    document, chat, clean = (outcome.record for outcome in outcomes)
    assert document.text == (
        "Customer <PERSON> (<EMAIL_ADDRESS>, <PHONE_NUMBER>) was born on <DATE_OF_BIRTH>. "
        "SSN <US_SSN>. She lives at <STREET_ADDRESS>. "
        "Her account number is <ACCOUNT_NUMBER>. Dr. <PERSON> and Mrs. <PERSON> reviewed the file."
    )
    assert [message.content for message in chat.messages] == [
        "Hi, my name is <PERSON> and my email is <EMAIL_ADDRESS>",
        "Thanks, <PERSON>. What number can we reach you on?",
        "<PHONE_NUMBER>, and my DOB is <DATE_OF_BIRTH>",
    ]
    assert [message.role for message in chat.messages] == ["user", "assistant", "user"]
    assert clean.text == CLEAN.text and outcomes[2].findings == []


def test_string_metadata_is_scrubbed_and_the_rest_kept(outcomes: list[ScrubOutcome]) -> None:
    document = outcomes[0].record
    assert document.metadata == {"customer_name": "<PERSON>", "notes": "Call back on <PHONE_NUMBER>", "row": 7}
    assert document.subject_id == "cust-0001" and document.id == DOCUMENT.id and document.source == SOURCE


def test_inputs_are_not_mutated(outcomes: list[ScrubOutcome]) -> None:
    assert "Maria Lopez" in DOCUMENT.text and DOCUMENT.metadata["customer_name"] == "maria lopez"
    assert outcomes[0].record is not DOCUMENT and outcomes[0].record.metadata is not DOCUMENT.metadata


def test_findings_locate_values_without_holding_them(outcomes: list[ScrubOutcome]) -> None:
    findings = outcomes[0].findings + outcomes[1].findings
    assert {field.name for field in dataclasses.fields(Finding)} == {"entity_type", "start", "end", "score", "recognizer", "field"}
    for finding in findings:
        for value in dataclasses.astuple(finding):
            assert not any(planted in str(value) for values in PLANTED.values() for planted in values)
    fields = {finding.field for finding in findings}
    assert fields == {"text", "metadata[customer_name]", "metadata[notes]", "messages[0]", "messages[1]", "messages[2]"}
    # Offsets point into the original field.
    ssn = next(f for f in outcomes[0].findings if f.entity_type == "US_SSN")
    assert DOCUMENT.text[ssn.start : ssn.end] == "123-45-6789"
    assert outcomes[0].record_id == "doc-1"


def test_detect_returns_merged_offsets_per_text(scrubber: Scrubber) -> None:
    texts = ["Email maria.lopez@example.com or call 555-123-4567.", ""]
    findings = scrubber.detect(texts)
    assert [(f.entity_type, texts[0][f.start : f.end]) for f in findings[0]] == [
        ("EMAIL_ADDRESS", "maria.lopez@example.com"),
        ("PHONE_NUMBER", "555-123-4567"),
    ]
    assert findings[1] == []


def test_hash_gives_the_same_token_for_the_same_value() -> None:
    gdpr = Scrubber(load_policy("gdpr"), salt=SALT)
    document, chat, _ = (outcome.record for outcome in gdpr.scrub([DOCUMENT, CHAT, CLEAN]))
    person = hash_token("Maria Lopez", "PERSON", salt=SALT)
    email = hash_token("maria.lopez@example.com", "EMAIL_ADDRESS", salt=SALT)
    assert document.text.startswith(f"Customer {person} ({email}, <PHONE_NUMBER:")
    assert document.metadata["customer_name"] == person
    assert chat.messages[0].content == f"Hi, my name is {person} and my email is {email}"
    assert chat.messages[1].content == f"Thanks, {person}. What number can we reach you on?"
    assert re.search(r"<US_SSN>", document.text)  # gdpr replaces SSNs


def test_drop_record_drops_and_names_the_entity_type() -> None:
    pci = Scrubber(load_policy("pci-dss"))
    dropped, kept, clean = pci.scrub([DOCUMENT, CHAT, CLEAN])
    assert dropped.record is None and dropped.dropped_reason == "contains US_SSN (policy operator drop_record)"
    assert dropped.record_id == "doc-1" and any(f.entity_type == "US_SSN" for f in dropped.findings)
    assert kept.record is not None and kept.dropped_reason is None
    assert clean.record is not None


def test_mask_keeps_the_last_four_digits() -> None:
    banking = Scrubber(load_policy("banking"))
    record = dataclasses.replace(CLEAN, text="Card 4111 1111 1111 1111 and account number 12345678901.")
    (outcome,) = banking.scrub([record])
    assert outcome.record.text == "Card **** **** **** 1111 and account number *******8901."


def test_hipaa_pattern_and_native_recognizers() -> None:
    hipaa = Scrubber(load_policy("hipaa"))
    record = dataclasses.replace(CLEAN, text="MRN: 12345678. A 92-year-old patient, aged 95.")
    (outcome,) = hipaa.scrub([record])
    assert outcome.record.text == "<MEDICAL_RECORD_NUMBER>. A <AGE_OVER_89> patient, aged <AGE_OVER_89>."


def test_batches_smaller_than_the_input_give_the_same_result(outcomes: list[ScrubOutcome]) -> None:
    small = Scrubber(load_policy("default"), salt=SALT, batch_size=1)
    assert list(small.scrub([DOCUMENT, CHAT, CLEAN])) == outcomes


def policy(entities: dict, detection: dict | None = None) -> Policy:
    return Policy.model_validate({"name": "custom", "description": "t", "entities": entities, "detection": detection or {}})


def test_deny_list_and_allow_list() -> None:
    custom = Scrubber(
        policy(
            {"PERSON": {}, "PROJECT": {}},
            {"deny_lists": [{"entity_type": "PROJECT", "terms": ["Bluebird"]}], "allow_list": ["Maria Lopez"]},
        )
    )
    (findings,) = custom.detect(["Project Bluebird: Maria Lopez met Dr. Alvarez."])
    assert [(f.entity_type, f.start, f.end) for f in findings] == [("PROJECT", 8, 16), ("PERSON", 38, 45)]


@pytest.mark.parametrize("name", available_policies())
def test_every_shipped_policy_builds(name: str) -> None:
    assert Scrubber(load_policy(name), salt=SALT).entity_types == sorted(load_policy(name).entities)


def test_unsupported_entity_types_are_listed_in_one_line() -> None:
    with pytest.raises(ScrubberConfigError) as error:
        Scrubber(policy({"PERSON": {}, "SHOE_SIZE": {}, "BLOOD_TYPE": {}}))
    assert str(error.value) == (
        "policy 'custom' lists entity types no recognizer detects: BLOOD_TYPE, SHOE_SIZE; "
        "remove them or add a detection.patterns / detection.deny_lists entry for each"
    )
    assert isinstance(error.value, ValueError)


def test_hash_without_a_salt_is_refused() -> None:
    with pytest.raises(ScrubberConfigError, match="hashes EMAIL_ADDRESS, PERSON but no salt"):
        Scrubber(policy({"PERSON": {"operator": "hash"}, "EMAIL_ADDRESS": {"operator": "hash"}}))


def test_a_pattern_without_an_entity_rule_is_refused() -> None:
    with pytest.raises(ScrubberConfigError, match=r"detection\.patterns\[0\] \(BADGE\)"):
        Scrubber(policy({"PERSON": {}}, {"patterns": [{"entity_type": "BADGE", "regex": r"B\d{5}"}]}))


def test_long_texts_are_analysed_in_pieces_with_true_offsets(scrubber: Scrubber, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("scrubbers.detector.MAX_CHUNK_CHARACTERS", 200)  # the real limit is 100,000
    filler = "Nothing to see here.\n" * 30
    text = f"Mail maria.lopez@example.com.\n{filler}Or call 555-123-4567 or see https://example.org/x."
    (findings,) = scrubber.detect([text])
    assert [(f.entity_type, text[f.start : f.end]) for f in findings] == [
        ("EMAIL_ADDRESS", "maria.lopez@example.com"),
        ("PHONE_NUMBER", "555-123-4567"),
        ("URL", "https://example.org/x"),
    ]
