"""PERSON: names spaCy's small model misses, found by their form ("Dr. J. Smith", "Applicant Chloe Fontaine", "Smith, John A.")."""

from __future__ import annotations

import regex
from presidio_analyzer import Pattern, PatternRecognizer

TITLE = r"\b(?:Dr|Mr|Mrs|Ms|Mx|Miss|Prof|Professor|Rev|Capt|Sgt|Lt|Col|Nurse|Judge)\.?"
# O'Brien, McDonald, Smith-Jones, Álvarez, and Korean given names with a lower-case second part (Jae-won)
NAME_WORD = r"\p{Lu}\p{Ll}*(?:\p{Lu}\p{Ll}+)?(?:['’]\p{Lu}\p{Ll}+|-\p{Lu}?\p{Ll}+)*"
INITIAL = r"\p{Lu}\."
# "Dr Apt 3" is an address ("45 Oak Dr Apt 3"), not a doctor.
NOT_ADDRESS_WORD = r"(?!(?:Apt|Apartment|Suite|Ste|Unit|Floor|Room)\b)"

# The title stays outside the span: "Dr. <PERSON>" keeps a useful, non-identifying word.
AFTER_TITLE = rf"(?<={TITLE}\s+){NOT_ADDRESS_WORD}(?:{INITIAL}\s*){{0,2}}{NAME_WORD}(?:\s+{NAME_WORD})?\b"
NAME_FIELD = (
    r"(?<=\b(?i:name|patient|customer|client|applicant|member|employee|contact|borrower|"
    r"cardholder|account\s+holder)\s*[:=-]?\s*)"
)
# A role used like a title: "Applicant Chloe Fontaine applied", "patient Ana Ruiz". The words
# that make a role a department ("Customer Service", "Member Portal") are not names.
ROLE = (
    r"\b(?i:applicant|co-applicant|customer|patient|client|borrower|co-borrower|guarantor|member|"
    r"employee|cardholder|account\s+holder|policyholder|tenant|beneficiary|claimant|caller|insured)"
)
NOT_A_DEPARTMENT = (
    r"(?!(?:Service|Services|Support|Care|Success|Relations|Experience|Portal|Center|Centre|Team|"
    r"Information|Account|Accounts|Agreement|Number|Id|ID|Data|Record|Records|Profile|Satisfaction|"
    r"Name|Names|Agent|Representative|Feedback|Review|Onboarding|Loyalty|Benefits)\b)"
)
AFTER_ROLE = rf"(?<={ROLE}[ \t]+){NOT_A_DEPARTMENT}{NAME_WORD}(?:[ \t]+{NOT_A_DEPARTMENT}{NAME_WORD})?\b"
SURNAME_FIRST_AFTER_FIELD = rf"{NAME_FIELD}{NAME_WORD},\s*{NAME_WORD}(?:\s+{INITIAL})?"
SURNAME_FIRST_WITH_INITIAL = rf"\b{NAME_WORD},\s+{NAME_WORD}\s+{INITIAL}"


class TitledNameRecognizer(PatternRecognizer):
    """Names after a title or a role word, and "Surname, Given" forms in a name field or with a middle initial.

    Scores stay below spaCy's 0.85 on purpose: Presidio keeps one of two identical results
    in set order, so an exact tie would make the reported recognizer vary between runs.
    """

    PATTERNS = [
        Pattern("name after title", AFTER_TITLE, 0.8),
        Pattern("name after role", AFTER_ROLE, 0.65),
        Pattern("surname first in name field", SURNAME_FIRST_AFTER_FIELD, 0.8),
        Pattern("surname first with initial", SURNAME_FIRST_WITH_INITIAL, 0.6),
    ]

    def __init__(self) -> None:
        super().__init__(
            supported_entity="PERSON",
            patterns=self.PATTERNS,
            global_regex_flags=regex.MULTILINE,  # capitalisation is the evidence here
        )
