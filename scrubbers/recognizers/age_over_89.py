"""AGE_OVER_89: ages of 90 and over, which HIPAA Safe Harbor treats as identifying."""

from __future__ import annotations

from presidio_analyzer import Pattern, PatternRecognizer

AGE = r"(?:9\d|1[0-2]\d)"
# "92-year-old", "92 years old", "95 yrs", "91 y/o", "93yo": the span is the number, so the
# redacted text still reads "<AGE_OVER_89>-year-old".
BEFORE_YEARS = rf"(?<![\d.]){AGE}(?=\s*-?\s*(?:years?|yrs?|y/o|y\.o\.|yo)\b)"
# "aged 95", "age: 95", "age of 101"
AFTER_AGE = rf"(?<=\bage[ds]?(?:\s+of)?\s*[:=]?\s*){AGE}\b(?!\.\d)"


class AgeOver89Recognizer(PatternRecognizer):
    """Numbers 90-129 followed by a years-old phrase or preceded by "age"/"aged"."""

    PATTERNS = [Pattern("age before years", BEFORE_YEARS, 0.75), Pattern("age after keyword", AFTER_AGE, 0.75)]
    CONTEXT = ["age", "aged", "old", "year", "years"]

    def __init__(self) -> None:
        super().__init__(supported_entity="AGE_OVER_89", patterns=self.PATTERNS, context=self.CONTEXT)
