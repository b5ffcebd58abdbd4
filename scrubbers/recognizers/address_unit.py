"""STREET_ADDRESS: a unit, suite or flat number on its own ("Suite 829", "Apt. 566", "Flat 3").

Labels and letters break an address over lines, and the unit line is often all that a
street recognizer leaves behind. A unit word with a number is an address part wherever
it stands; the address block growth then takes the city and postcode lines after it.
"Unit" and "Flat" count only capitalised ("unit 4 of the course", "flat 3% rate"), and a
year is not a unit number ("Office Suite 2010").
"""

from __future__ import annotations

import regex
from presidio_analyzer import Pattern, PatternRecognizer

UNIT_WORD = r"(?:(?i:apt|apartment|suite|ste)\.?|Unit|UNIT|Flat|FLAT)"
UNIT = rf"(?<![\w-]){UNIT_WORD}[ \t]*(?:#|No\.?)?[ \t]*(?!(?:19|20)\d\d\b)\d{{1,5}}[A-Za-z]?(?![\w%.,]\d|[\w%])"


# A floor, room, block or unit written before the street it belongs to ("4th Floor, 22 Hanover
# Square", "Room 1203, 88 Century Avenue", "unit #12-04, 8 marina view", "Blk 45 Tampines Street").
# Alone "Room 12" or "the 4th floor" is a place in a building, not an address, so the house number
# and street name after it are required (in a lookahead: the street is the street recognizers').
BEFORE_STREET_UNIT = (
    r"(?<![\w-])(?:\d{1,3}(?:st|nd|rd|th)[ \t]+(?i:floor)|(?i:floor|fl|level|room|rm|unit|suite|flat|apt)\.?[ \t]*#?[ \t]*"
    r"\d{1,5}(?:-\d{1,4})?[A-Za-z]?)(?=,[ \t]*\d{1,5}[A-Za-z]?[ \t]+"
    r"(?!(?i:minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|times?|people|persons?|pm|am|percent|pieces?|items?|units?)\b)\p{L})"
)
BLOCK = r"(?<![\w-])(?i:blk|block)\.?[ \t]+\d{1,4}[A-Za-z]?(?=[ \t]+\p{Lu}\p{Ll})"


class AddressUnitRecognizer(PatternRecognizer):
    """Apt/Apartment/Suite/Ste/Unit/Flat followed by a number."""

    PATTERNS = [
        Pattern("address unit", UNIT, 0.5),
        Pattern("unit before a street", BEFORE_STREET_UNIT, 0.6),
        Pattern("block number before a street", BLOCK, 0.6),
    ]
    CONTEXT = ["address", "street", "live", "lives", "mail", "ship", "deliver", "floor", "building"]

    def __init__(self) -> None:
        super().__init__(
            supported_entity="STREET_ADDRESS",
            patterns=self.PATTERNS,
            context=self.CONTEXT,
            global_regex_flags=regex.MULTILINE,  # case matters for Unit and Flat
        )
