"""LOCATION: a postal code introduced as one ("zip code is 35649", "postcode: SW1A 1AA").

A bare five-digit number is as likely a quantity, so the keyword is part of the pattern;
codes inside an address block are taken by address_block instead.
"""

from __future__ import annotations

import regex
from presidio_analyzer import Pattern, PatternRecognizer

KEYWORD = r"(?<=\b(?i:zip|zip\s*code|zipcode|postal\s*code|postcode|post\s*code|plz|cep)\b[^\w\n]{0,4}(?:(?i:is|was|of)\s+)?)"
CODE = r"(?:\d{5}(?:-\d{4})?|\d{4,6}|[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}|[A-Z]\d[A-Z]\s?\d[A-Z]\d)(?![\w-])"


class PostalCodeRecognizer(PatternRecognizer):
    """US ZIP, UK and Canadian postcodes and 4-6 digit codes, after a postal-code word."""

    PATTERNS = [Pattern("postal code after keyword", KEYWORD + CODE, 0.7)]

    def __init__(self) -> None:
        super().__init__(
            supported_entity="LOCATION",
            patterns=self.PATTERNS,
            context=["zip", "postal", "postcode"],
            global_regex_flags=regex.MULTILINE,  # case matters: capitals mark names
        )
