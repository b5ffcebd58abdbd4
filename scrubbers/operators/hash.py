"""Pseudonymise a value as a salted, typed token, e.g. `<PERSON:3fa2c1d9>`."""

import hashlib
import hmac

TOKEN_HEX_CHARACTERS = 8


def normalise(value: str, entity_type: str = "") -> str:
    """One spelling per value, so formatting never splits one person in two.

    Case and spacing are ignored ("Jane  DOE" = "jane doe"); a value without letters is
    its digits ("(555) 123-4567" = "555.123.4567"), and a North American phone number
    drops its country code ("+1 555 123 4567" = "555-123-4567").
    """
    if not any(character.isalpha() for character in value):
        digits = "".join(character for character in value if character.isdigit())
        if entity_type == "PHONE_NUMBER" and len(digits) == 11 and digits.startswith("1"):
            digits = digits[1:]
        if digits:
            return digits
    return " ".join(value.casefold().split())


def hash_token(value: str, entity_type: str, *, keep_last: int = 0, salt: bytes = b"") -> str:
    """Return `<ENTITY_TYPE:xxxxxxxx>`, the first hex characters of HMAC-SHA256(salt, value).

    The same value gives the same token across the corpus, so records of one person stay
    linkable. A keyed HMAC, not a bare hash: without the salt nobody can confirm a guess
    by hashing candidate names. The engine refuses to run this operator with an empty salt.

    >>> hash_token("Jane Doe", "PERSON", salt=b"k") == hash_token("jane  doe", "PERSON", salt=b"k")
    True
    """
    digest = hmac.new(salt, normalise(value, entity_type).encode("utf-8"), hashlib.sha256).hexdigest()
    return f"<{entity_type}:{digest[:TOKEN_HEX_CHARACTERS]}>"
