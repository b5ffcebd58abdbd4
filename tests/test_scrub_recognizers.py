"""Table tests for our recognizers: text in, matched substrings out (the recognizer alone, no NER)."""

from __future__ import annotations

import pytest
from presidio_analyzer import PatternRecognizer

from policies.schema import Policy
from scrubbers.errors import ScrubberConfigError
from scrubbers.recognizers import (
    AccountNumberRecognizer,
    AgeOver89Recognizer,
    DashedSsnRecognizer,
    DateOfBirthRecognizer,
    DriverLicenceRecognizer,
    EmailAddressRecognizer,
    MedicalRecordNumberRecognizer,
    NamePhraseRecognizer,
    StreetAddressRecognizer,
    TitledNameRecognizer,
    UsPhoneRecognizer,
    policy_recognizers,
)


def matches(recognizer: PatternRecognizer, text: str) -> list[str]:
    results = recognizer.analyze(text, entities=recognizer.supported_entities)
    return [text[r.start : r.end] for r in sorted(results, key=lambda r: r.start)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("My account number is 12345678901.", ["12345678901"]),
        ("acct #: 00012345", ["00012345"]),
        ("Account ending in 1234-5678-9012 was closed", ["1234-5678-9012"]),
        ("ACCT 1234 5678 9012 3456", ["1234 5678 9012 3456"]),
        ("transfer from a/c 987654321 today", ["987654321"]),
        ("account 1234567", []),  # 7 digits: too short
        ("account 123456789012345678", []),  # 18 digits: too long
        ("order 12345678901 shipped", []),  # no account keyword
        ("account\n12345678", []),  # keyword on another line
    ],
)
def test_account_number(text: str, expected: list[str]) -> None:
    assert matches(AccountNumberRecognizer(), text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("She lives at 123 Main Street.", ["123 Main Street"]),
        ("Ship to 45 Oak Ave Apt 3 please", ["45 Oak Ave Apt 3"]),
        ("1600 Pennsylvania Avenue NW, Washington, DC 20500", ["1600 Pennsylvania Avenue NW, Washington, DC 20500"]),
        ("Office: 221B Baker St., Suite 400", ["221B Baker St., Suite 400"]),
        ("meet at 350 5th Ave", ["350 5th Ave"]),
        ("12 N. Elm Rd, Springfield, IL 62704-1234", ["12 N. Elm Rd, Springfield, IL 62704-1234"]),
        ("Send it to PO Box 1234", ["PO Box 1234"]),
        ("JOHN SMITH\n123 MAIN ST\nSPRINGFIELD IL 62704", ["123 MAIN ST\nSPRINGFIELD IL 62704"]),
        ("at 9 Elm Street\nThe meeting starts", ["9 Elm Street"]),
        ("add 2 cups sugar", []),
        ("I ate 3 Apples way too fast", []),
        ("Room 12\nMain Street", []),
        ("I walked 3 miles down the road", []),
    ],
)
def test_street_address(text: str, expected: list[str]) -> None:
    assert matches(StreetAddressRecognizer(), text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pt lives w/ daughter at 33 elm st apt 4, worcester ma 01609. born", ["33 elm st apt 4, worcester ma 01609"]),
        ("i live in headingley now, 14 cardigan road.", ["14 cardigan road"]),
        ("3747 3911 fourth avenue suite 112 calgary", ["3747 3911 fourth avenue suite 112"]),
        ("2417 n halsted st, chicago, il 60614", ["2417 n halsted st, chicago, il 60614"]),
        ("a 5 minute road trip", []),
        ("the 21 st century", []),
        ("add 2 cups sugar", []),
        ("3 apples way", []),
        ("we drove 40 miles down the highway", []),
        ("call 2 more st", []),
    ],
)
def test_street_address_in_lower_case(text: str, expected: list[str]) -> None:
    assert matches(StreetAddressRecognizer(), text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("She was born on March 3, 1961 in Ohio.", ["March 3, 1961"]),
        ("DOB: 03/04/1961", ["03/04/1961"]),
        ("D.O.B. 1961-03-04", ["1961-03-04"]),
        ("date of birth 3rd of March 1961", ["3rd of March 1961"]),
        ("Birthday: Dec. 25, 1950", ["Dec. 25, 1950"]),
        ("born in July 1949", ["July 1949"]),
        ("12/31/1975 (DOB)", ["12/31/1975"]),
        ("The meeting is on March 3, 2024.", []),  # a date, but not a birth date
        ("born in 1961", []),  # a year alone is not removed by Safe Harbor
    ],
)
def test_date_of_birth(text: str, expected: list[str]) -> None:
    assert matches(DateOfBirthRecognizer(), text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("born 05-Mar-1967, from", ["05-Mar-1967"]),
        ("DOB 5/mar/67", ["5/mar/67"]),
        ("dob: mar-03-1967", ["mar-03-1967"]),
        ("born 12.11.88", ["12.11.88"]),
        ("date of birth July 9th, 1962, for", ["July 9th, 1962"]),
        ("the plan was signed 05-Mar-2024 by", []),  # no birth keyword
    ],
)
def test_date_of_birth_day_month_year_layouts(text: str, expected: list[str]) -> None:
    assert matches(DateOfBirthRecognizer(), text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a 92-year-old woman", ["92"]),
        ("patient aged 95", ["95"]),
        ("Age: 101", ["101"]),
        ("he is 90 years old", ["90"]),
        ("a 93 y/o male", ["93"]),
        ("a 89-year-old man", []),
        ("aged 45", []),
        ("page 95 of the report", []),
        ("1992 years ago", []),
    ],
)
def test_age_over_89(text: str, expected: list[str]) -> None:
    assert matches(AgeOver89Recognizer(), text) == expected


@pytest.mark.parametrize(
    ("text", "expected", "score"),
    [
        ("mail jane.doe@example.com today", ["jane.doe@example.com"], 1.0),
        ("mail jane.doe@mail.example today", ["jane.doe@mail.example"], 0.7),  # reserved TLD: still an address
        ("ops+alerts@build01.corp", ["ops+alerts@build01.corp"], 0.7),  # intranet domain
        ("user at example dot com", [], None),
        ("an @mention and a@b", [], None),
    ],
)
def test_email_address(text: str, expected: list[str], score: float | None) -> None:
    recognizer = EmailAddressRecognizer()
    assert matches(recognizer, text) == expected
    assert [r.score for r in recognizer.analyze(text, entities=["EMAIL_ADDRESS"])] == ([score] if score else [])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("MRN: 12345678", ["12345678"]),
        ("medical record number AB1234567", ["AB1234567"]),
        ("chart # 987654", ["987654"]),
        ("MRN 12345", []),  # too short
        ("record 12345678", []),
    ],
)
def test_medical_record_number(text: str, expected: list[str]) -> None:
    assert matches(MedicalRecordNumberRecognizer(), text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SSN 123-45-6789", ["123-45-6789"]),
        ("number 219-09-9999 on file", ["219-09-9999"]),
        ("social security number: 219099999", ["219099999"]),
        ("ssn is 219 09 9999", ["219 09 9999"]),
        ("000-12-3456 and 123-00-4567 and 123-45-0000", []),  # never issued
        ("call 555-123-4567", []),  # phone shape, not SSN
        ("part 123-45-67890", []),
        ("id 219099999", []),  # undelimited needs the keyword
    ],
)
def test_us_ssn(text: str, expected: list[str]) -> None:
    assert matches(DashedSsnRecognizer(), text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call (555) 123-4567 now", ["(555) 123-4567"]),
        ("call 555-123-4567", ["555-123-4567"]),
        ("call +1 555 123 4567", ["+1 555 123 4567"]),
        ("fax 555.123.4567 ext. 12", ["555.123.4567 ext. 12"]),
        ("1-800-555-0199", ["1-800-555-0199"]),
        ("SSN 123-45-6789", []),
        ("version 2024-123-45678", []),
        ("ip 10.123.456.7890", []),
    ],
)
def test_us_phone(text: str, expected: list[str]) -> None:
    assert matches(UsPhoneRecognizer(), text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dr. J. Smith will see you", ["J. Smith"]),
        ("Mrs. Alvarez called", ["Alvarez"]),
        ("Dr Jane O'Brien-Kelly", ["Jane O'Brien-Kelly"]),
        ("Prof. McDonald", ["McDonald"]),
        ("Patient: Smith, John", ["Smith, John"]),
        ("Smith, John A. signed", ["Smith, John A."]),
        ("Applicant Chloe Fontaine applied for a loan", ["Chloe Fontaine"]),
        ("the patient Ana said", ["Ana"]),
        ("Customer Service Team", []),
        ("Member Portal", []),
        ("45 Oak Dr Apt 3", []),  # an address, not a doctor
        ("However, John said", []),
        ("the dr. said no", []),
    ],
)
def test_titled_name(text: str, expected: list[str]) -> None:
    assert matches(TitledNameRecognizer(), text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hi my name is maria lopez and I need help", ["maria lopez"]),
        ("My name is JOSE", ["JOSE"]),
        ("call me Ana.", ["Ana"]),
        ("signed: JOHN SMITH", ["JOHN SMITH"]),
        ("MARIA T. GONZALEZ", ["MARIA T. GONZALEZ"]),
        ("Hello, this is Lucas Fontaine. What's new?", ["Lucas Fontaine"]),
        ("I'm Priya and I lost my card", ["Priya"]),
        ("From: Emily Gallagher <emily.g@mail.example>", ["Emily Gallagher"]),
        ("Cc: O'Neil <x@example.com>", ["O'Neil"]),
        ("my name is not important", []),
        ("this is great, I'm sure", []),
        ("john smith", []),  # lower case without an introduction stays with NER
        ("THE SMITH FILE", []),
    ],
)
def test_name_phrase(text: str, expected: list[str]) -> None:
    assert matches(NamePhraseRecognizer(), text) == expected


def policy_with_detection(**detection: object) -> Policy:
    return Policy.model_validate(
        {"name": "t", "description": "t", "entities": {"PROJECT": {}, "CODE": {}}, "detection": detection}
    )


def test_policy_patterns_and_deny_lists() -> None:
    policy = policy_with_detection(
        patterns=[{"entity_type": "CODE", "regex": r"\bCVV[:\s]*\d{3}\b", "score": 0.9, "context": ["cvv"]}],
        deny_lists=[{"entity_type": "PROJECT", "terms": ["Bluebird", "Red Falcon"]}],
    )
    pattern, deny = policy_recognizers(policy)
    assert pattern.supported_entities == ["CODE"] and pattern.context == ["cvv"]
    assert matches(pattern, "card CVV: 123 ok") == ["CVV: 123"]
    assert matches(deny, "Bluebird and red falcon, not bluebirds") == ["Bluebird", "red falcon"]


def test_policy_pattern_that_does_not_compile_is_a_config_error() -> None:
    policy = policy_with_detection(patterns=[{"entity_type": "CODE", "regex": r"(\d{3}"}])
    with pytest.raises(ScrubberConfigError, match=r"detection\.patterns\[0\] \(CODE\)"):
        policy_recognizers(policy)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Illinois licence A123-4567-8901 checked", ["A123-4567-8901"]),
        ("driver's license no. D 123 456 789.", ["D 123 456 789"]),
        ("Driving licence: MORGA753116SM9IJ", ["MORGA753116SM9IJ"]),
        ("DL# 12345678 on file", ["12345678"]),
        ("licence number is S530-4407-3356", ["S530-4407-3356"]),
        ("software license 2024 renewal", []),  # a year is not a licence number
        ("the licence was renewed in 2019", []),
        ("License: Apache-2.0", []),
        ("order A123-4567-8901 shipped", []),  # no licence word
    ],
)
def test_driver_licence(text: str, expected: list[str]) -> None:
    assert matches(DriverLicenceRecognizer(), text) == expected
