"""LOCATION: postal codes, after a postal-code word or in a national layout with their town.

"zip code is 35649", "postcode: SW1A 1AA"; and, without the word, "Harrogate HG1 5EE",
"H3H 1G7", "H91 X2Y4", "10827 Berlin", "1016 DV Amsterdam", "31-147 Kraków",
", Osaka 530-0001", ", Bengaluru 560038", "Bondi NSW 2026", "Dayton, OH 45402",
"from Scranton, PA". Together with the town a code narrows a person down to a few
streets. A bare number before a capitalised word is as often "2000 Users", so the
number-first and town-first forms count only where an address part starts (after a comma,
a line break or the start of the text) and end where one ends; the letter-and-digit codes
(UK, Canada, Ireland) and the Australian state form are specific enough on their own.
Codes inside a found street address are taken by address_block's growth instead.
"""

from __future__ import annotations

import regex
from presidio_analyzer import Pattern, PatternRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from scrubbers.recognizers.place_name import is_listed_place

KEYWORD = r"(?<=\b(?i:zip|zip\s*code|zipcode|postal\s*code|postcode|post\s*code|plz|cep)\b[^\w\n]{0,4}(?:(?i:is|was|of)\s+)?)"
# Checked first: the variable-width keyword lookbehind then runs only where a code can start.
CODE_START = r"(?<![\w-])(?=[\dA-Z])"
# After the keyword every national layout counts: US ZIP+4, Brazil "75534-030", Sweden and Czechia "394 13",
# Poland "53-320", Portugal "1000-001", the Netherlands "7412 SL", Iceland's three digits ("zip code is 610").
CODE = (
    r"(?:\d{5}-\d{3,4}|\d{3}[ \t]\d{2}|\d{2}-\d{3}|\d{4}-\d{3}|\d{4}[ \t]?[A-Z]{2}|\d{3,6}"
    r"|[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}|[A-Z]\d[A-Z]\s?\d[A-Z]\d)(?![\w-])"
)

# Words that follow a number or precede a code without being a town ("5000 Euros", "Call 555-1234").
NOT_A_TOWN = (
    r"(?!(?:Euros?|EUR|USD|GBP|Dollars?|Pounds?|Units?|Users?|Items?|Pieces?|People|Employees|Customers|Points|"
    r"Votes|Call|Tel|Phone|Fax|Mobile|Ext|Room|Suite|Unit|Apt|Flat|Box|No|Order|Invoice|Ticket|Ref|Account|Card|"
    r"Employee|Customer|Member|Patient|Case|Claim|Policy|Badge|Reference|ID|Number|Code|PIN|Staff|Student)\b)"
)

TOWN_WORD = rf"{NOT_A_TOWN}\p{{Lu}}[\p{{L}}\p{{M}}'’-]*"
TOWN = rf"{TOWN_WORD}(?:[ \t]+(?:{TOWN_WORD}|de|del|la|le|am|an|im|sur|upon|on)){{0,3}}"
PART_START = r"(?<=(?:^|[,;|\n>(])[ \t]*)"
PART_END = r"(?=[ \t]*(?:[,;|\n)]|$|\.(?!\w)))"
UK = r"[A-Z]{1,2}\d[A-Z\d]?[ \t]\d[ABD-HJLNP-UW-Z]{2}"
# The lookahead finds the code first, so the town word is only read where a code follows it.
UK_WITH_TOWN = rf"(?<![\w-])(?=(?:\p{{Lu}}[\p{{L}}\p{{M}}'’-]*[ \t]+)?{UK}(?![\w-]))(?:{TOWN_WORD}[ \t]+)?{UK}(?![\w-])"
CANADA = r"(?<![\w-])[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z][ \t]\d[ABCEGHJ-NPRSTV-Z]\d(?![\w-])"
# An Eircode: routing key and a four-character identifier holding at least one letter.
EIRCODE = r"(?<![\w-])(?:[AC-FHKNPRTV-Y]\d{2}|D6W)[ \t](?=\d*[AC-FHKNPRTV-Y])[0-9AC-FHKNPRTV-Y]{4}(?![\w-])"
# Continental codes before the town: 5 digits (DE, FR, ES, IT), 4 (AT, CH, BE, DK, NO),
# "31-147" (PL), "394 13" (SE, CZ), "1000-001" (PT), "1016 DV" (NL); an Italian province may follow.
# At the start of a line any capitalised town counts; after a comma a plain 4-5 digit code
# counts only before a listed town ("10827 Berlin", not "page 12, 3000 Words"), see analyze.
SHAPED_CODE = r"(?:\d{2}-\d{3}|\d{3}[ \t]\d{2}|\d{4}-\d{3}|\d{4}[ \t]?[A-Z]{2})"
PLAIN_CODE = r"(?:\d{5}|\d{4})"
CODE_FIRST = (
    rf"(?<=(?:^|[\n>(])[ \t]*)(?:{SHAPED_CODE}|{PLAIN_CODE})"
    rf"[ \t]+{TOWN}(?:[ \t]+[A-Z]{{2}})?{PART_END}"
)
SHAPED_CODE_AFTER_COMMA = rf"(?<=[,;|][ \t]*){SHAPED_CODE}[ \t]+{TOWN}(?:[ \t]+[A-Z]{{2}})?{PART_END}"
PLAIN_CODE_AFTER_COMMA = rf"(?<=[,;|][ \t]*){PLAIN_CODE}[ \t]+(?P<town>{TOWN})(?:[ \t]+[A-Z]{{2}})?{PART_END}"
PLAIN_CODE_AFTER_COMMA_RE = regex.compile(PLAIN_CODE_AFTER_COMMA, regex.MULTILINE)
PLAIN_CODE_PATTERN = "postal code after a comma, before a town"

# Town before the code: Japan "Osaka 530-0001", India "Bengaluru 560038", China "Shanghai 200120".
TOWN_FIRST = rf"(?<=[,;|\n][ \t]*){TOWN}[ \t]+(?:\d{{3}}-\d{{4}}|\d{{6}}){PART_END}"
AUSTRALIA = rf"(?<![\w-]){TOWN}[ \t]+(?:NSW|VIC|QLD|SA|WA|TAS|NT|ACT)[ \t]+\d{{4}}(?![\w-])"
US_STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|"
    "OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|DC"
)
US_WITH_ZIP = rf"(?<![\w-]){TOWN},[ \t]*(?:{US_STATES})[ \t]+\d{{5}}(?:-\d{{4}})?(?![\w-])"
# Without a ZIP only after a word that puts a place next: "from Scranton, PA", not "Thanks, OK".
US_AFTER_CUE = rf"(?<=\b(?:in|from|at|near|to|of|outside|around)[ \t]+){TOWN},[ \t]*(?:{US_STATES})(?![\w-])"



class PostalCodeRecognizer(PatternRecognizer):
    """Postal codes after a postal-code word, and by national layout with their town."""

    PATTERNS = [
        Pattern("postal code after keyword", CODE_START + KEYWORD + CODE, 0.7),
        Pattern("UK postcode", UK_WITH_TOWN, 0.6),
        Pattern("Canadian postal code", CANADA, 0.6),
        Pattern("Irish Eircode", EIRCODE, 0.55),
        Pattern("postal code before town", CODE_FIRST, 0.55),
        Pattern("shaped postal code after a comma, before a town", SHAPED_CODE_AFTER_COMMA, 0.55),
        Pattern(PLAIN_CODE_PATTERN, PLAIN_CODE_AFTER_COMMA, 0.55),
        Pattern("town before postal code", TOWN_FIRST, 0.55),
        Pattern("Australian town, state and postcode", AUSTRALIA, 0.6),
        Pattern("US town, state and ZIP", US_WITH_ZIP, 0.6),
        Pattern("US town and state after a place word", US_AFTER_CUE, 0.55),
    ]
    CONTEXT = ["zip", "postal", "postcode", "address", "live", "lives", "ship", "mail", "deliver"]

    def __init__(self) -> None:
        super().__init__(
            supported_entity="LOCATION",
            patterns=self.PATTERNS,
            context=self.CONTEXT,
            global_regex_flags=regex.MULTILINE,  # case matters: capitals mark towns and codes
        )

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None, regex_flags: int | None = None
    ) -> list[RecognizerResult]:
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        return [result for result in results if _pattern_name(result) != PLAIN_CODE_PATTERN or _town_is_listed(text, result)]


def _pattern_name(result: RecognizerResult) -> str | None:
    explanation = result.analysis_explanation
    return explanation.pattern_name if explanation else None


def _town_is_listed(text: str, result: RecognizerResult) -> bool:
    match = PLAIN_CODE_AFTER_COMMA_RE.match(text, result.start, result.end)
    return bool(match) and is_listed_place(match.group("town"))
