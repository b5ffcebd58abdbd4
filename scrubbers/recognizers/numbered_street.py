"""STREET_ADDRESS: streets written as a name between numbers, or as a name and number after an address cue.

Much of the world writes the street name first and the house number after it, often
with no street word at all ("Dunajska 56", "Bramstrup 21", "Σκαφίδια 148"), and forms
and exports put a building or delivery number in front ("22 Bramstrup 21"). A bare
"Word 12" is as often "Chapter 12" or "Windows 10", so the shape alone needs numbers on
both sides and an address-like end (a comma, a line end, a unit word); a single
"Name 12" needs a cue before it ("address:", "lives at", "ship to").
"""

from __future__ import annotations

import regex
from presidio_analyzer import Pattern, PatternRecognizer

# A street name word: capitalised in any script, or a short lowercase street word or
# joiner inside the name ("Rákóczi út", "Király u.", "Merineitsi põik", "Via dalla Staziun").
NAME_WORD = r"(?:\p{Lu}[\p{L}\p{M}'’.-]*(?<![.'’-])|\p{Ll}[\p{L}\p{M}]{0,4}\.?)"
# A month is not a street: "due 30 June 2025," is a date, not a name between numbers.
NOT_A_MONTH = (
    r"(?!(?i:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b)"
)
FIRST_WORD = rf"{NOT_A_MONTH}\p{{Lu}}[\p{{L}}\p{{M}}'’.-]*(?<![.'’-])"
HOUSE_NUMBER = r"\d{1,5}[A-Za-z]?\b\.?"
# A year is not a house number ("in 2019 Windows 10"), but "2046 Bramstrup 21" is an address.
NOT_A_YEAR = r"(?!(?<=\b(?i:in|since|by|of|from|until|till|during|year|before|after|around|circa)[ \t]+)(?:19|20)\d\d\b)"
LEADING_NUMBER = rf"(?<![\w.,/:-]){NOT_A_YEAR}\d{{1,6}}[A-Za-z]?(?:[ \t]+\d{{1,5}})?"
ADDRESS_END = r"(?=[ \t]*(?:,|;|\n|\r|$|(?i:apt|apartment|suite|ste|unit|flat|floor|fl)\b\.?))"
NAME = rf"{FIRST_WORD}(?:[ \t]+{NAME_WORD}){{0,3}}"

BETWEEN_NUMBERS = rf"{LEADING_NUMBER}[ \t]+{NAME}[ \t]+{HOUSE_NUMBER}{ADDRESS_END}"
CUE = (
    r"(?<=\b(?i:address(?:\s+is)?|addresses|lives?\s+at|living\s+at|located\s+at|ship(?:ped)?\s+to|send\s+(?:it\s+)?to|"
    r"sent\s+to|deliver(?:ed)?\s+to|mail(?:ed)?\s+to|return(?:ed)?\s+to|taxi\s+to|lives?\s+on|street|refers\s+to|"
    r"(?:is|are|was|were)\s+(?:on|at)|stop\s+at|meet\s+(?:me\s+)?at|off\s+at|corner\s+of)[ \t]*:?[ \t]+)"
)
AFTER_CUE = rf"{CUE}(?:{LEADING_NUMBER}[ \t]+)?{NAME}[ \t]+{HOUSE_NUMBER}(?=[ \t]*(?:,|;|\n|$|\.|[ \t]+(?i:apt|suite|unit|street|st)\b))"


# After a cue the house number may come first with nothing after the name ("is at 214 Pavlou Drandaki").
NOT_A_TIME = r"(?!(?i:am|pm|a\.m|p\.m|o'clock|hrs?|hours?|minutes?|GMT|UTC|CET|[ECMP][SD]T|Percent)\b)"
NUMBER_FIRST_AFTER_CUE = rf"{CUE}{LEADING_NUMBER}[ \t]+{NOT_A_TIME}{NAME}(?=[ \t]*(?:,|;|\n|$|\.(?!\w)|[ \t]+(?:and|in)\b))"
# An intersection names two streets: "the corner of Dalbraut 99 and Frederikke Coves".
# Either street may carry a house number before or after it and an abbreviation's full stop
# ("the corner of 3744 Retreat Avenue and Władysława Route", "of 11 Botley Road St. and Herceg Gateway St.").
CORNER_STREET = rf"(?:\d{{1,6}}[A-Za-z]?[ \t]+)?{NAME}\.?(?:[ \t]+{HOUSE_NUMBER})?"
CORNER = rf"(?<=\b(?i:corner\s+of)[ \t]+){CORNER_STREET}[ \t]+(?:and|&)[ \t]+{CORNER_STREET}"


class NumberedStreetRecognizer(PatternRecognizer):
    """"22 Bramstrup 21," anywhere; "Dunajska 56" or "214 Pavlou Drandaki" after an address cue; street corners."""

    PATTERNS = [
        Pattern("street name between numbers", BETWEEN_NUMBERS, 0.6),
        Pattern("street name and number after address cue", AFTER_CUE, 0.65),
        Pattern("house number and street name after address cue", NUMBER_FIRST_AFTER_CUE, 0.6),
        Pattern("street corner", CORNER, 0.6),
    ]
    CONTEXT = ["address", "street", "live", "lives", "residence", "reside", "mail", "ship", "located"]

    def __init__(self) -> None:
        super().__init__(
            supported_entity="STREET_ADDRESS",
            patterns=self.PATTERNS,
            context=self.CONTEXT,
            global_regex_flags=regex.MULTILINE,  # case matters: capitals mark names
        )
