"""The hipaa pack covers every HIPAA Safe Harbor identifier (45 CFR 164.514(b)(2)(i)), each shown found."""

from __future__ import annotations

import pytest

from policies import load_policy
from scrubbers.detect_file import DETECTION_ONLY_SALT
from scrubbers.engine import Scrubber

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
