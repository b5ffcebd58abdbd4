"""DATE_TIME: dates written out in the forms spaCy's small model and Presidio's date patterns miss.

HIPAA Safe Harbor removes every date element except the year. Clinical notes write
"12 jan", "5th of april", "Mar-3", "seen on the 3rd" and dotted "02.03.2021"; the model
catches "March 14th" but few of these. Month names count in any case, except the three
that are also common words ("may", "mar", "march"), which count in lower case only with
a year after them. "The 3rd" is a date only after a preposition of time and when no noun
follows ("on the 3rd," but not "on the 3rd floor").
"""

from __future__ import annotations

import regex
from presidio_analyzer import Pattern, PatternRecognizer

_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|apr(?:il)?|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|"
    r"nov(?:ember)?|dec(?:ember)?"
)
YEAR = r"(?:\d{4}|'?\d{2})"
# "May", "Mar", "March" capitalised anywhere; in lower case only before a year.
MONTH = rf"(?:(?i:{_MONTHS})\.?|(?:May|Mar\.?|March|MAY|MAR|MARCH)|(?i:may|mar|march)(?=[ ,/-]+{YEAR}\b))"
DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
DAY_MONTH = rf"(?<![\w.-]){DAY}(?:[ \t]+of)?[ \t-]+{MONTH}(?:,?[ \t-]+{YEAR})?(?![\w-])"
MONTH_DAY = rf"(?<![\w.-]){MONTH}[ \t-]+{DAY}(?:(?:,[ \t]*|[ \t-]+){YEAR})?(?![\w-]|[.:]\d)"
DOTTED = r"(?<![\w.])(?:[12]\d|3[01]|0?[1-9])\.(?:1[0-2]|0?[1-9])\.(?:\d{4}|\d{2})(?![\w.]|\.\d)"
THE_ORDINAL = (
    r"(?<=\b(?i:on|by|from|until|till|before|after|since|of)[ \t]+the[ \t]+)"
    r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)(?=[ \t]*(?:[,.;:)]|$|(?i:at|in|and|or|to|when|we|she|he|they)\b))"
)


class WrittenDateRecognizer(PatternRecognizer):
    """Day-month, month-day and dotted dates, and "on the 3rd"."""

    PATTERNS = [
        Pattern("day and month", DAY_MONTH, 0.6),
        Pattern("month and day", MONTH_DAY, 0.6),
        Pattern("dotted day.month.year", DOTTED, 0.6),
        Pattern("ordinal day after a preposition", THE_ORDINAL, 0.5),
    ]
    CONTEXT = ["date", "seen", "admitted", "discharged", "visit", "on", "born", "died"]

    def __init__(self) -> None:
        super().__init__(
            supported_entity="DATE_TIME",
            patterns=self.PATTERNS,
            context=self.CONTEXT,
            global_regex_flags=regex.MULTILINE,  # case matters for may/mar/march
        )
