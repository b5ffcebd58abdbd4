"""Metadata keys that say what their value is ("email", "customer_name", "dob").

A detector reading a bare CSV cell like "maria lopez" has no context and often misses it;
the column name is the context. When a key names an entity type the policy covers, the
whole value is a finding of that type, whatever the detectors say.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from appliance.records import Finding

RECOGNIZER = "MetadataKeyHint"

_NAME_QUALIFIERS = {
    "first", "last", "full", "given", "family", "middle", "maiden", "customer", "patient",
    "client", "contact", "person", "applicant", "borrower", "member", "employee", "holder",
}
_PHONE_WORDS = {"phone", "telephone", "tel", "mobile", "cell", "fax"}


def _words(key: str) -> list[str]:
    """'customerEmail' / 'customer-email' / 'Customer Email' -> ['customer', 'email']."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", key)
    return [word for word in re.split(r"[^a-z0-9]+", spaced.lower()) if word]


def hinted_entity_type(key: str) -> str | None:
    """The entity type a metadata key announces, or None."""
    words = _words(key)
    joined = "".join(words)
    found = set(words)
    if found & {"email", "mail"} or "email" in joined:
        return "EMAIL_ADDRESS"
    if found & _PHONE_WORDS or "phone" in joined:
        return "PHONE_NUMBER"
    if "ssn" in found or "socialsecurity" in joined:
        return "US_SSN"
    if found & {"dob", "birthdate", "birthday"} or "birth" in joined:
        return "DATE_OF_BIRTH"
    if "ip" in found and "address" in found:
        return "IP_ADDRESS"
    if found & {"address", "street", "addr"}:
        return "STREET_ADDRESS"
    if "iban" in found:
        return "IBAN_CODE"
    if "acct" in found or "accountnumber" in joined or "accountno" in joined:
        return "ACCOUNT_NUMBER"
    if joined in {"name", "surname", "firstname", "lastname", "fullname", "givenname", "familyname"}:
        return "PERSON"
    if "name" in found and found & _NAME_QUALIFIERS:
        return "PERSON"
    return None


def metadata_hint(key: str, value: str, entity_types: Collection[str], field: str) -> Finding | None:
    """A whole-value finding when the key names an entity type the policy covers."""
    entity_type = hinted_entity_type(key)
    if entity_type is None or entity_type not in entity_types:
        return None
    start = len(value) - len(value.lstrip())
    end = len(value.rstrip())
    if start >= end:
        return None
    return Finding(entity_type, start, end, 1.0, RECOGNIZER, field)
