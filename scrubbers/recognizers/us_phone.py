"""PHONE_NUMBER: North American formats, including fictional 555 numbers.

Presidio's PhoneRecognizer validates with libphonenumber, which rejects numbers such as
"+1 555 123 4567" that are still typed-in phone numbers worth redacting.
"""

from __future__ import annotations

from presidio_analyzer import Pattern, PatternRecognizer

PHONE = (
    r"(?<![\w+.-])(?:\+1[ .-]?|1[ .-]|001[ .-])?"
    r"(?:\(\d{3}\)[ .-]?|\d{3}[ .-])\d{3}[ .-]\d{4}"
    r"(?:\s*(?:x|ext\.?)\s*\d{1,5})?(?!\w|[-.]\d)"
)


class UsPhoneRecognizer(PatternRecognizer):
    """(555) 123-4567, 555-123-4567, 555.123.4567, +1 / 1 / 001 555 123 4567, with an optional extension."""

    PATTERNS = [Pattern("north american phone", PHONE, 0.6)]
    CONTEXT = ["phone", "call", "cell", "mobile", "tel", "telephone", "fax", "number", "text"]

    def __init__(self) -> None:
        super().__init__(supported_entity="PHONE_NUMBER", patterns=self.PATTERNS, context=self.CONTEXT)
