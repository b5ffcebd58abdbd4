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


class AddressUnitRecognizer(PatternRecognizer):
    """Apt/Apartment/Suite/Ste/Unit/Flat followed by a number."""

    PATTERNS = [Pattern("address unit", UNIT, 0.5)]
    CONTEXT = ["address", "street", "live", "lives", "mail", "ship", "deliver", "floor", "building"]

    def __init__(self) -> None:
        super().__init__(
            supported_entity="STREET_ADDRESS",
            patterns=self.PATTERNS,
            context=self.CONTEXT,
            global_regex_flags=regex.MULTILINE,  # case matters for Unit and Flat
        )
