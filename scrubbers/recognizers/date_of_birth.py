"""DATE_OF_BIRTH: a date near "born", "DOB" or "date of birth", numeric or written out."""

from __future__ import annotations

from presidio_analyzer import Pattern, PatternRecognizer

MONTH = (
    r"\b(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
DAY = r"\d{1,2}(?:st|nd|rd|th)?"
DATE = (
    r"(?:"
    rf"{MONTH}\s+{DAY},?\s+\d{{4}}"  # March 3, 1961
    rf"|\b{DAY}\s+(?:of\s+)?{MONTH},?\s+\d{{4}}"  # 3rd of March 1961
    rf"|\b\d{{1,2}}[-/ ]{MONTH}[-/ ](?:\d{{4}}|\d{{2}})"  # 05-Mar-1967, 5/Mar/67 (clinical and form layouts)
    rf"|{MONTH}[-/ ]\d{{1,2}}[-/ ,]+\d{{4}}"  # Mar-03-1967
    rf"|{MONTH},?\s+\d{{4}}"  # March 1961 (month and year still narrow a person down)
    r"|\b\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})"  # 03/04/1961, 3-4-61
    r"|\b\d{4}[/.-]\d{1,2}[/.-]\d{1,2}"  # 1961-03-04
    r")\b"
)
# The keyword is what makes a date a birth date; it sits in a lookbehind so the span is the date only.
BEFORE = r"(?<=\b(?:born|birth|dob|d\.o\.b)[^\n\d]{0,30})"
AFTER = r"(?=\s*\(?\s*(?:dob|d\.o\.b|date\s+of\s+birth)\b)"


# Checked first: the keyword lookbehind then runs only where a date can start (a digit or a month's letter).
DATE_START = r"(?<![\w])(?=\d|(?i:[jfmasond]))"


class DateOfBirthRecognizer(PatternRecognizer):
    """Dates after "born"/"DOB"/"date of birth"/"birthday" or followed by "(DOB)"."""

    PATTERNS = [
        Pattern("date after birth keyword", DATE_START + BEFORE + DATE, 0.85),
        Pattern("date before dob label", DATE + AFTER, 0.85),
    ]
    CONTEXT = ["born", "birth", "dob", "birthday", "birthdate"]

    def __init__(self) -> None:
        super().__init__(supported_entity="DATE_OF_BIRTH", patterns=self.PATTERNS, context=self.CONTEXT)
