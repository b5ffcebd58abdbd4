"""US_DRIVER_LICENSE: a licence number after a licence word, in any state's or country's layout.

Presidio's UsLicenseRecognizer knows the undashed US shapes only; states print theirs with
dashes or spaces ("A123-4567-8901", "D 123 456 789"), and UK licences mix letters and
digits ("MORGA753116SM9IJ"). Licence numbers share their shapes with order and part
numbers, so the licence word before the number is part of the pattern; a year after
"licence" ("licence 2024 renewal") is not one, so a number needs five digits or a letter.
"""

from __future__ import annotations

import regex
from presidio_analyzer import Pattern, PatternRecognizer

KEYWORD = (
    r"(?<=\b(?i:driver'?s?\s+licen[cs]e|driving\s+licen[cs]e|licen[cs]e|DL|lic\.)"
    r"[ \t]*(?i:no\.?|number|num|#|id)?[ \t]*[:#]?[ \t]*(?i:is[ \t]+)?)"
)
# Upper-case letters and digits, single dashes or spaces between groups; four digits at least,
# and five if there is no letter.
NUMBER = (
    r"(?=[A-Z0-9 -]*\d(?:[ -]?\d){3})(?=[A-Z0-9 -]*[A-Z]|(?:\d[ -]?){5})"
    r"[A-Z0-9]{1,16}(?:[ -][A-Z0-9]{1,8}){0,4}(?![\w-])"
)


class DriverLicenceRecognizer(PatternRecognizer):
    """Licence numbers, dashed, spaced or mixed, after "driver's license", "licence no", "DL"."""

    # The first test is one character: the keyword lookbehind runs only where a number can start.
    PATTERNS = [Pattern("licence number after licence word", r"(?<![\w-])(?=[A-Z0-9])" + KEYWORD + NUMBER, 0.75)]
    CONTEXT = ["license", "licence", "driver", "driving", "dl"]

    def __init__(self) -> None:
        super().__init__(
            supported_entity="US_DRIVER_LICENSE",
            patterns=self.PATTERNS,
            context=self.CONTEXT,
            global_regex_flags=regex.MULTILINE,  # case matters: licence letters are capitals
        )
