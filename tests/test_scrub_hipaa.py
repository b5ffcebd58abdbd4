"""The hipaa pack covers every HIPAA Safe Harbor identifier (45 CFR 164.514(b)(2)(i)), each shown found."""

from __future__ import annotations

import pytest

from policies import load_policy
from scrubbers.detect_file import DETECTION_ONLY_SALT
from scrubbers.engine import Scrubber
from scrubbers.recognizers import WrittenDateRecognizer

# Identifier (A)-(R) -> the entity types that cover it, and a sentence with one to find.
# (Q) full-face photographs: the appliance ingests text only; images never become records.
SAFE_HARBOR = {
    "A names": (("PERSON",), "The patient, Maria Lopez, was seen today."),
    "B geographic subdivisions smaller than a state": (("STREET_ADDRESS", "LOCATION"), "She lives at 45 Oak Street, Springfield, IL 62704."),
    "C dates (except year) and ages over 89": (("DATE_TIME", "DATE_OF_BIRTH", "AGE_OVER_89"), "Admitted on March 3, 2021 at age 93."),
    "D telephone numbers": (("PHONE_NUMBER",), "Call her at 555-123-4567."),
    "E fax numbers": (("PHONE_NUMBER",), "Fax: (555) 987-6543"),
    "F email addresses": (("EMAIL_ADDRESS",), "Write to maria.lopez@example.com"),
    "G social security numbers": (("US_SSN",), "SSN 123-45-6789 on file"),
    "H medical record numbers": (("MEDICAL_RECORD_NUMBER",), "MRN: 00123456"),
    "I health plan beneficiary numbers": (("HEALTH_PLAN_BENEFICIARY_NUMBER",), "Member ID: XQK123456789"),
    "J account numbers": (("ACCOUNT_NUMBER", "US_BANK_NUMBER", "CREDIT_CARD", "IBAN_CODE"), "Account number 12345678901 is overdue."),
    "K certificate/license numbers": (("LICENSE_NUMBER", "MEDICAL_LICENSE", "US_DRIVER_LICENSE"), "Nursing license number RN-4471920"),
    "L vehicle identifiers and serial numbers": (("VEHICLE_IDENTIFIER",), "VIN 1HGCM82633A004352, plate 7ABC123"),
    "M device identifiers and serial numbers": (("DEVICE_IDENTIFIER",), "Pacemaker serial number PX-2291-77310"),
    "N web URLs": (("URL",), "See https://patients.example.org/maria"),
    "O IP addresses": (("IP_ADDRESS",), "Logged in from 192.168.10.24"),
    "P biometric identifiers": (("BIOMETRIC_IDENTIFIER",), "Fingerprint template id FP-99812734"),
    "R any other unique identifying number": (("ACCOUNT_NUMBER", "MEDICAL_RECORD_NUMBER", "US_PASSPORT"), "Passport 912803456 was copied."),
}


@pytest.fixture(scope="module")
def hipaa_scrubber() -> Scrubber:
    return Scrubber(load_policy("hipaa"), salt=DETECTION_ONLY_SALT)


def test_every_safe_harbor_identifier_maps_to_hipaa_entity_types() -> None:
    entities = set(load_policy("hipaa").entities)
    assert len(SAFE_HARBOR) == 17  # 18 identifiers less (Q) photographs, which are not text
    for identifier, (types, _) in SAFE_HARBOR.items():
        assert set(types) <= entities, identifier


@pytest.mark.parametrize("identifier", sorted(SAFE_HARBOR))
def test_safe_harbor_example_is_found(hipaa_scrubber: Scrubber, identifier: str) -> None:
    types, text = SAFE_HARBOR[identifier]
    [findings] = hipaa_scrubber.detect([text])
    assert {f.entity_type for f in findings} & set(types), identifier


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pt seen 12 jan, labs 02.03.2021", ["12 jan", "02.03.2021"]),
        ("admitted 14-mar-22 and", ["14-mar-22"]),
        ("next visit tuesday the 5th of april", ["5th of april"]),
        ("seen on the 3rd, doing well", ["3rd"]),
        ("Mar-3 at 10", ["Mar-3"]),
        ("2 march 2020", ["2 march 2020"]),
        ("Dec 25th, 2020", ["Dec 25th, 2020"]),
        # Must not hit: the words that are also months, ordinals that count things
        ("we may 3 times", []),
        ("I will march 5 miles", []),
        ("on the 3rd floor", []),
        ("the 3rd time", []),
        ("pick 5 may go", []),
    ],
)
def test_written_dates(text: str, expected: list[str]) -> None:
    recognizer = WrittenDateRecognizer()
    results = sorted(recognizer.analyze(text, entities=["DATE_TIME"]), key=lambda r: r.start)
    assert [text[r.start : r.end] for r in results] == expected


def test_written_dates_are_found_under_hipaa_only(hipaa_scrubber: Scrubber) -> None:
    text = "Follow-up booked for the 5th of april; labs 02.03.2021."
    [findings] = hipaa_scrubber.detect([text])
    # Covered, whatever type the merge keeps ("02.03.2021" is also a phone-number shape).
    for date in ("5th of april", "02.03.2021"):
        start = text.index(date)
        assert any(f.start <= start and start + len(date) <= f.end for f in findings), date
    [default_findings] = Scrubber(load_policy("default"), salt=DETECTION_ONLY_SALT).detect([text])
    assert not [f for f in default_findings if f.entity_type == "DATE_TIME"]  # generic dates are not in `default`
