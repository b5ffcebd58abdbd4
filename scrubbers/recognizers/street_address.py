"""STREET_ADDRESS: US-style street addresses ("123 Main Street", "45 Oak Ave Apt 3") and PO boxes."""

from __future__ import annotations

import regex
from presidio_analyzer import Pattern, PatternRecognizer

SUFFIX_WORDS = (
    "Street Avenue Road Boulevard Lane Drive Court Place Terrace Way Circle Parkway Highway "
    "Square Trail Alley Crescent Plaza Row Loop Pike Close Expressway Route"
).split()
SUFFIX_ABBREVIATIONS = "St Ave Av Rd Blvd Ln Dr Ct Pl Ter Cir Pkwy Hwy Sq Trl Aly Cres Plz Expy Rte".split()


def _title_or_upper(words: list[str]) -> str:
    """"Way|WAY", never "way": all-caps exports ("123 MAIN ST") count, "3 apples way" does not."""
    return "|".join(f"{word}|{word.upper()}" for word in words)


# Only an abbreviation takes its period; after a full word the period ends the sentence.
SUFFIX = rf"(?:(?:{_title_or_upper(SUFFIX_WORDS)})\b|(?:{_title_or_upper(SUFFIX_ABBREVIATIONS)})\b\.?)"
DIRECTION = r"(?:(?:[NSEW]|NE|NW|SE|SW)\.?|North|South|East|West)"
# Street names are capitalised words or ordinals ("5th"); case matters here, it is what
# separates "12 Oak Street" from "12 cups sugar". Parts stay on one line, except the city.
NAME_WORD = r"(?:[A-Z][A-Za-z'-]*|\d+(?:st|nd|rd|th))"
UNIT = r"(?:,?[ \t]+(?i:Apt|Apartment|Suite|Ste|Unit|Fl|Floor|Rm|Room|Bldg|#)\.?[ \t]*#?[ \t]*[A-Za-z0-9-]+)"
# ", Boston, MA 02118" or a new line "SPRINGFIELD IL 62704"
CITY_STATE_ZIP = r"(?:(?:,[ \t]*|[ \t]*\n[ \t]*)[A-Z][A-Za-z]+(?:[ \t][A-Z][A-Za-z]+){0,2},?[ \t]+[A-Z]{2}\b(?:[ \t]+\d{5}(?:-\d{4})?)?)"

STREET = (
    rf"(?<![\w-])\d{{1,6}}[A-Za-z]?[ \t]+(?:{DIRECTION}[ \t]+)?(?:{NAME_WORD}[ \t]+){{1,4}}"
    rf"{SUFFIX}(?:[ \t]+{DIRECTION}\b)?{UNIT}?{CITY_STATE_ZIP}?"
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
