"""Table tests for names a record says did something (AgentNameRecognizer) and double-barrelled surnames."""

from __future__ import annotations

import pytest
from presidio_analyzer import EntityRecognizer

from scrubbers.recognizers import AgentNameRecognizer, DoubleBarrelledNameRecognizer


def matches(recognizer: EntityRecognizer, text: str) -> list[str]:
    return [text[r.start : r.end] for r in sorted(recognizer.analyze(text, entities=["PERSON"]), key=lambda r: r.start)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # who wrote, saw, signed or approved the record
        ("The report was prepared by Oyelaran and reviewed by Kovalenko-Shaw.", ["Oyelaran", "Kovalenko-Shaw"]),
        ("Minutes taken by Thistlewood; approved by Ngata.", ["Thistlewood", "Ngata"]),
        ("Seen by J. Okafor in clinic.", ["J. Okafor"]),
        ("Discharge letter dictated by Brown, transcribed by Ilunga Mbeki.", ["Brown", "Ilunga Mbeki"]),
        # fields only people fill, at a line start
        ("Signed: Hallvardsen\nDate: 4 March", ["Hallvardsen"]),
        ("Attendees: Waweru, Okonjo, Lindqvist-Osei\nAgenda: budget", ["Waweru", "Okonjo", "Lindqvist-Osei"]),
        ("Next of kin: Adaeze Nwosu (daughter)", ["Adaeze Nwosu"]),
        # whom a record is for or from, and whose word it takes
        ("Attn: Radebe - urgent. Parcel left c/o Mbatha.", ["Radebe", "Mbatha"]),
        ("According to Nwachukwu, after a conversation with Oduya, per Lindqvist's note", ["Nwachukwu", "Oduya", "Lindqvist"]),
        ("Email from Amazon; a call from Kathmandu; per Annum; according to Reuters", []),
        ("a call from Vodafone and a meeting with Deloitte", []),  # firms: one unknown word is not enough here
        # departments, firms, days and words are not people
        ("The budget was approved by Finance and reviewed by Legal.", []),
        ("Parcel sent by Amazon, signed by Reception.", []),
        ("The form must be signed by Monday.", []),
        ("Attendees: Management, Operations\nPresent: All staff", []),
        ("Approved: yes. Reviewed by the board.", []),
    ],
)
def test_names_of_who_did_something(text: str, expected: list[str]) -> None:
    assert matches(AgentNameRecognizer(), text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Okonkwo-Reid left at two; Nakashima-Lopez stays.", ["Okonkwo-Reid", "Nakashima-Lopez"]),
        ("Letter from Pemberton-Oduya about her mother.", ["Pemberton-Oduya"]),
        # places, words and firms
        ("She moved from Baden-Württemberg to Saxony-Anhalt.", []),
        ("Baden-Baden spa", []),  # the same word twice is a place
        ("Follow-Up Appointment: Self-Referral accepted.", []),
        ("Order a Hewlett-Packard Ltd printer.", []),
        ("ex-Zombie drummer; Jean-luc; e-Mail", []),
    ],
)
def test_double_barrelled_surnames(text: str, expected: list[str]) -> None:
    assert matches(DoubleBarrelledNameRecognizer(), text) == expected
