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
    "Wharf Quay Parade Esplanade Promenade Embankment Vale Wynd View Rise"
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
# All lower case ("33 elm st apt 4, worcester ma 01609", "14 cardigan road"): chat, transcripts
# and exports lose their capitals. Without them only suffixes that are rarely anything else
# count (not "way", "drive", "place", "court": "3 apples way", "5 minute drive"), and the
# name's words are not English function words.
LOWER_SUFFIX = r"(?:(?:street|avenue|road|boulevard|lane|terrace|crescent|parkway|highway)\b|(?:st|ave|rd|blvd|ln|cres|pkwy|hwy)\b\.?)"
LOWER_WORD = (
    r"(?!(?:a|an|the|for|in|at|on|was|is|are|were|to|and|or|of|with|from|by|as|it|my|our|your|his|her|their|"
    r"this|that|per|more|less|than|times|minutes?|hours?|days?|weeks?|miles?|km|years?)\b)(?:\p{Ll}[\p{Ll}'-]*|\d+(?:st|nd|rd|th))"
)
US_STATE_CODES = (
    "al|ak|az|ar|ca|co|ct|de|fl|ga|hi|id|il|in|ia|ks|ky|la|me|md|ma|mi|mn|ms|mo|mt|ne|nv|nh|nj|nm|ny|nc|nd|oh|ok|or|pa|"
    "ri|sc|sd|tn|tx|ut|vt|va|wa|wv|wi|wy|dc"
)
# ", worcester ma 01609": a lowercase town counts only with a state code and a ZIP after it.
LOWER_CITY_STATE_ZIP = rf"(?:,?[ \t]+\p{{Ll}}+(?:[ \t]\p{{Ll}}+){{0,2}},?[ \t]+(?:{US_STATE_CODES})[ \t]+\d{{5}}(?:-\d{{4}})?\b)"
LOWER_STREET = (
    rf"(?<![\w-]){NOT_A_YEAR}\d{{1,6}}[a-z]?(?:[ \t]+\d{{1,5}})?[ \t]+(?:(?:[nsew]|north|south|east|west)\.?[ \t]+)?"
    rf"(?:{LOWER_WORD}[ \t]+){{1,3}}{LOWER_SUFFIX}(?:[ \t]+(?:[nsew]|ne|nw|se|sw|north|south|east|west)\b)?{UNIT}?{LOWER_CITY_STATE_ZIP}?"
)
PO_BOX = r"\b(?i:p\.?\s*o\.?\s*box|post\s+office\s+box)\s+\d{1,6}\b"


class StreetAddressRecognizer(PatternRecognizer):
    """House number, optional direction, capitalised street name and a street suffix, then unit and city."""

    PATTERNS = [
        Pattern("us street address", STREET, 0.7),
        Pattern("lowercase street address", LOWER_STREET, 0.6),
        Pattern("po box", PO_BOX, 0.7),
    ]
    CONTEXT = ["address", "street", "live", "lives", "residence", "reside", "mail", "ship"]

    def __init__(self) -> None:
        super().__init__(
            supported_entity="STREET_ADDRESS",
            patterns=self.PATTERNS,
            context=self.CONTEXT,
            global_regex_flags=regex.MULTILINE,  # case-sensitive on purpose, see NAME_WORD
        )
