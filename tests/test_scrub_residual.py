"""The residual scan: finds what the scrubber missed, ignores what the scrubber wrote."""

from __future__ import annotations

import dataclasses

import pytest

from appliance.records import Finding, Message, Record, Source
from policies import load_policy
from scrubbers import ResidualReport, ResidualScanner, Scrubber
from scrubbers.residual import suspected_leaks

SOURCE = Source(path="inbox/chat.jsonl", sha256="1" * 64, location="line 3")
LEAK = "jane.roe@example.org"


def record(record_id: str, text: str, **changes: object) -> Record:
    return Record(id=record_id, kind="document", source=SOURCE, text=text, **changes)


@pytest.fixture(scope="module")
def scanner() -> ResidualScanner:
    return ResidualScanner(load_policy("default"))


def test_planted_leak_is_found_by_location_only(scanner: ResidualScanner) -> None:
    text = f"<PERSON> wrote from {LEAK} about the refund."
    report = scanner.scan([record("r1", text), record("r2", "Nothing personal here.")])
    assert report.records_scanned == 2 and report.findings == 1 and report.rate == 0.5
    assert report.by_type == {"EMAIL_ADDRESS": 1}
    assert report.sample == [{"record_id": "r1", "field": "text", "start": 20, "end": 40, "entity_type": "EMAIL_ADDRESS"}]
    assert text[20:40] == LEAK
    assert LEAK not in str(report.to_json())
    assert not report.passes(max_rate=0.05) and report.passes(max_rate=0.5)


def test_placeholders_hash_tokens_and_masks_are_not_leaks(scanner: ResidualScanner) -> None:
    scrubbed = record(
        "r1",
        "Dr. <PERSON> (<EMAIL_ADDRESS>, <PHONE_NUMBER:3fa2c1d9>) paid with **** **** **** 1111 "
        "from account *******8901; SSN <US_SSN>, lives at <STREET_ADDRESS>. <PERSON:ab12cd34> agreed. "
        "Account number <ACCOUNT_NUMBER:12345678>, phone <PHONE_NUMBER:55512345>.",  # all-digit hash tokens
        metadata={"customer_name": "<PERSON>"},
    )
    assert scanner.scan([scrubbed]) == ResidualReport(records_scanned=1)


def test_messages_and_metadata_are_scanned(scanner: ResidualScanner) -> None:
    chat = Record(
        id="c1",
        kind="chat",
        source=SOURCE,
        messages=(Message("user", "hello"), Message("assistant", "Your SSN 219-09-9999 is on file.")),
        metadata={"notes": f"mail {LEAK}"},
    )
    report = scanner.scan([chat])
    assert [(s["field"], s["entity_type"]) for s in report.sample] == [
        ("messages[1]", "US_SSN"),
        ("metadata[notes]", "EMAIL_ADDRESS"),
    ]


def test_scrubbed_output_of_the_scrubber_is_clean() -> None:
    policy = load_policy("hipaa")
    text = (
        "Maria Lopez (maria.lopez@example.com, 555-123-4567), MRN: 12345678, born 03/04/1961, "
        "a 92-year-old at 45 Oak Ave Apt 3, SSN 123-45-6789, seen by Dr. J. Smith."
    )
    (outcome,) = Scrubber(policy).scrub([record("r1", text)])
    report = ResidualScanner(policy).scan([outcome.record])
    assert report.findings == 0, report.sample


def test_sample_is_capped_at_twenty(scanner: ResidualScanner) -> None:
    records = [record(f"r{index}", f"write to {LEAK} or {LEAK}") for index in range(15)]
    report = scanner.scan(records)
    assert report.findings == 30 and len(report.sample) == 20 and report.rate == 2.0


def test_leak_next_to_a_placeholder_is_trimmed_not_ignored() -> None:
    text = "<PERSON> Smith called"
    (leak,) = suspected_leaks(text, [Finding("PERSON", 0, 14, 0.85)])
    assert text[leak.start : leak.end] == "Smith"
    assert suspected_leaks(text, [Finding("PERSON", 0, 8, 0.85)]) == []
    assert suspected_leaks("****-1", [Finding("US_SSN", 0, 6, 0.9)]) == []
    masked = "account *******1695. Card **** **** **** 1111 ok"
    assert suspected_leaks(masked, [Finding("PHONE_NUMBER", 8, 19, 0.7), Finding("CREDIT_CARD", 26, 45, 0.9)]) == []
    bold = "**Jane Roe** called"
    (leak,) = suspected_leaks(bold, [Finding("PERSON", 0, 12, 0.85)])
    assert bold[leak.start : leak.end] == "Jane Roe"


def test_empty_input_gives_an_empty_report(scanner: ResidualScanner) -> None:
    report = scanner.scan([])
    assert dataclasses.asdict(report) == {"records_scanned": 0, "findings": 0, "by_type": {}, "rate": 0.0, "sample": []}
