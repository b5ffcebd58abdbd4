"""STREET_ADDRESS: US-style street addresses ("123 Main Street", "45 Oak Ave Apt 3") and PO boxes."""

from __future__ import annotations

import regex

from presidio_analyzer import Pattern, PatternRecognizer

SUFFIXES = (
    "Street|St|Avenue|Ave|Av|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Place|Pl|"
    "Terrace|Ter|Way|Circle|Cir|Parkway|Pkwy|Highway|Hwy|Square|Sq|Trail|Trl|Alley|Aly|"
    "Crescent|Cres|Plaza|Plz|Row|Loop|Pike|Close|Expressway|Expy|Route|Rte"
)
DIRECTION = r"(?:(?:[NSEW]|NE|NW|SE|SW)\.?|North|South|East|West)"
# Street names are capitalised words or ordinals ("5th"); case matters here, it is what
# separates "12 Oak Street" from "12 cups sugar".
NAME_WORD = r"(?:[A-Z][A-Za-z'-]*|\d+(?:st|nd|rd|th))"
UNIT = r"(?:,?\s+(?:Apt|Apartment|Suite|Ste|Unit|Fl|Floor|Rm|Room|Bldg|#)\.?\s*#?\s*[A-Za-z0-9-]+)"
CITY_STATE_ZIP = r"(?:,\s*[A-Z][a-z]+(?:\s[A-Z][a-z]+){0,2},?\s+[A-Z]{2}\b(?:\s+\d{5}(?:-\d{4})?)?)"

STREET = (
    rf"(?<![\w-])\d{{1,6}}[A-Za-z]?\s+(?:{DIRECTION}\s+)?(?:{NAME_WORD}\s+){{1,4}}"
    rf"(?:{SUFFIXES})\b\.?(?:\s+{DIRECTION}\b)?{UNIT}?{CITY_STATE_ZIP}?"
)
PO_BOX = r"\b(?i:p\.?\s*o\.?\s*box|post\s+office\s+box)\s+\d{1,6}\b"


class StreetAddressRecognizer(PatternRecognizer):
    """House number, optional direction, capitalised street name and a street suffix, then unit and city."""

    PATTERNS = [Pattern("us street address", STREET, 0.7), Pattern("po box", PO_BOX, 0.7)]
    CONTEXT = ["address", "street", "live", "lives", "residence", "reside", "mail", "ship"]

    def __init__(self) -> None:
        super().__init__(
            supported_entity="STREET_ADDRESS",
            patterns=self.PATTERNS,
            context=self.CONTEXT,
            global_regex_flags=regex.MULTILINE,  # case-sensitive on purpose, see NAME_WORD
        )
