"""PERSON: names spaCy's small model misses, found by their form ("Dr. J. Smith", "Smith, John A.")."""

from __future__ import annotations

import regex

from presidio_analyzer import Pattern, PatternRecognizer

TITLE = r"\b(?:Dr|Mr|Mrs|Ms|Mx|Miss|Prof|Professor|Rev|Capt|Sgt|Lt|Col|Nurse|Judge)\.?"
# O'Brien, McDonald, Smith-Jones, Álvarez
NAME_WORD = r"\p{Lu}\p{Ll}*(?:\p{Lu}\p{Ll}+)?(?:['’-]\p{Lu}\p{Ll}+)?"
INITIAL = r"\p{Lu}\."
# "Dr Apt 3" is an address ("45 Oak Dr Apt 3"), not a doctor.
NOT_ADDRESS_WORD = r"(?!(?:Apt|Apartment|Suite|Ste|Unit|Floor|Room)\b)"

# The title stays outside the span: "Dr. <PERSON>" keeps a useful, non-identifying word.
AFTER_TITLE = rf"(?<={TITLE}\s+){NOT_ADDRESS_WORD}(?:{INITIAL}\s*){{0,2}}{NAME_WORD}(?:\s+{NAME_WORD})?\b"
NAME_FIELD = (
    r"(?<=\b(?i:name|patient|customer|client|applicant|member|employee|contact|borrower|"
    r"cardholder|account\s+holder)\s*[:=-]?\s*)"
)
SURNAME_FIRST_AFTER_FIELD = rf"{NAME_FIELD}{NAME_WORD},\s*{NAME_WORD}(?:\s+{INITIAL})?"
SURNAME_FIRST_WITH_INITIAL = rf"\b{NAME_WORD},\s+{NAME_WORD}\s+{INITIAL}"


class TitledNameRecognizer(PatternRecognizer):
    """Names after a title, and "Surname, Given" forms in a name field or with a middle initial."""

    PATTERNS = [
        Pattern("name after title", AFTER_TITLE, 0.85),
        Pattern("surname first in name field", SURNAME_FIRST_AFTER_FIELD, 0.85),
        Pattern("surname first with initial", SURNAME_FIRST_WITH_INITIAL, 0.6),
    ]

    def __init__(self) -> None:
        super().__init__(
            supported_entity="PERSON",
            patterns=self.PATTERNS,
            global_regex_flags=regex.MULTILINE,  # capitalisation is the evidence here
        )
