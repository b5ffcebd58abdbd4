"""STREET_ADDRESS: US-style street addresses ("123 Main Street", "45 Oak Ave Apt 3") and PO boxes."""

from __future__ import annotations

import regex
from presidio_analyzer import Pattern, PatternRecognizer

# Street suffixes from USPS Publication 28 (appendix C1), less those that are also common
# nouns after a number in prose ("3 Required Fields", "5 Minute Walk", "Random Forest", "Summit").
SUFFIX_WORDS = (
    "Street Avenue Road Boulevard Lane Drive Court Place Terrace Way Circle Parkway Highway "
    "Square Trail Alley Crescent Plaza Row Loop Pike Close Expressway Route "
    "Bypass Causeway Cove Creek Crest Dale Estates Falls Ferry Freeway Gardens Glen "
    "Green Grove Harbor Haven Heights Hill Hills Hollow Junction Knoll Landing Manor Meadows Mews Mill "
    "Orchard Overpass Ridge Shore Shores Trace Turnpike Underpass Valley Viaduct "
    "Vista Rapids Flats Brook Bluff Canyon Plains Prairie Ranch Springs "
    "Wharf Quay Parade Esplanade Promenade Embankment Vale Wynd"
).split()
SUFFIX_ABBREVIATIONS = (
    "St Ave Av Rd Blvd Ln Dr Ct Pl Ter Cir Pkwy Hwy Sq Trl Aly Cres Plz Expy Rte "
    "Byp Cswy Cv Crk Xing Hts Jct Mnr Mdws Rdg Smt Tpke Vly Vis Frwy Gdns Grv Hbr Holw Pkwy Str"
).split()


def _title_or_upper(words: list[str]) -> str:
    """"Way|WAY", never "way": all-caps exports ("123 MAIN ST") count, "3 apples way" does not."""
    return "|".join(f"{word}|{word.upper()}" for word in words)


# Only an abbreviation takes its period; after a full word the period ends the sentence.
SUFFIX = rf"(?:(?:{_title_or_upper(SUFFIX_WORDS)})\b|(?:{_title_or_upper(SUFFIX_ABBREVIATIONS)})\b\.?)"
DIRECTION = r"(?:(?:[NSEW]|NE|NW|SE|SW)\.?|North|South|East|West)"
# Street names are capitalised words or ordinals ("5th"); case matters here, it is what
# separates "12 Oak Street" from "12 cups sugar". Parts stay on one line, except the city.
# Lowercase joiners inside a name ("Rue de la Paix") are taken, never as the first word.
NAME_WORD = r"(?:\p{Lu}[\p{L}\p{M}'-]*|\d+(?:st|nd|rd|th)|(?:de|la|le|du|des|del|do|da|van|von|der|den|ten|di|rue|via|y|e)(?=[ \t]))"
UNIT = r"(?:,?[ \t]+(?i:Apt|Apartment|Suite|Ste|Unit|Fl|Floor|Rm|Room|Bldg|#)\.?[ \t]*#?[ \t]*[A-Za-z0-9-]+)"
# ", Boston, MA 02118" or a new line "SPRINGFIELD IL 62704"
CITY_STATE_ZIP = r"(?:(?:,[ \t]*|[ \t]*\n[ \t]*)[A-Z][A-Za-z]+(?:[ \t][A-Z][A-Za-z]+){0,2},?[ \t]+[A-Z]{2}\b(?:[ \t]+\d{5}(?:-\d{4})?)?)"

# "in 2010 Silicon Valley" is a year, "2010 Oak Valley Road" a house number.
NOT_A_YEAR = r"(?!(?<=\b(?i:in|since|by|of|from|until|till|during|year|before|after|around|circa)[ \t]+)(?:19|20)\d\d[ \t])"

STREET = (
    rf"(?<![\w-]){NOT_A_YEAR}\d{{1,6}}[A-Za-z]?(?:[ \t]+\d{{1,5}})?[ \t]+(?:{DIRECTION}[ \t]+)?(?!(?:de|la|le|du|des|del|do|da|van|von|der|den|ten|di|y|e)[ \t]){NAME_WORD}[ \t]+(?:{NAME_WORD}[ \t]+){{0,3}}"
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
