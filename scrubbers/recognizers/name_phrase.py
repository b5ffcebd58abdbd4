"""PERSON: names in any case after "my name is", and ALL-CAPS names, which spaCy's model misses.

spaCy leans on capitalisation, so chat text ("my name is maria lopez") and form exports
("MARIA LOPEZ") slip past it. Two cheap, precise cues cover the common cases.
"""

from __future__ import annotations

import regex

from presidio_analyzer import Pattern, PatternRecognizer

# Words that follow an introduction but are not names ("my name is not important").
NOT_A_NAME = r"(?!(?i:and|but|not|here|the|a|an|on|in|at|from|with|calling|i|is|was|my|your)\b)"
WORD = rf"{NOT_A_NAME}[\p{{L}}][\p{{L}}'’-]+"
INTRODUCTION = r"(?<=\b(?i:my\s+name\s+is|my\s+name's|name\s+is|call\s+me|full\s+name:?)\s+)"
INTRODUCED_NAME = rf"{INTRODUCTION}{WORD}(?:\s+{WORD})?\b"

# Frequent US given names in capitals; ambiguous words (WILL, MARK, BILL, MAY, JUNE) are left out.
GIVEN_NAMES = (
    "JAMES|JOHN|ROBERT|MICHAEL|WILLIAM|DAVID|RICHARD|JOSEPH|THOMAS|CHARLES|CHRISTOPHER|"
    "DANIEL|MATTHEW|ANTHONY|DONALD|STEVEN|PAUL|ANDREW|JOSHUA|KENNETH|KEVIN|BRIAN|GEORGE|"
    "EDWARD|RONALD|TIMOTHY|JASON|JEFFREY|RYAN|JACOB|GARY|NICHOLAS|ERIC|JONATHAN|STEPHEN|"
    "LARRY|JUSTIN|SCOTT|BRANDON|BENJAMIN|SAMUEL|GREGORY|FRANK|RAYMOND|PATRICK|JOSE|CARLOS|"
    "LUIS|JUAN|MARY|PATRICIA|JENNIFER|LINDA|ELIZABETH|BARBARA|SUSAN|JESSICA|SARAH|KAREN|"
    "NANCY|LISA|BETTY|MARGARET|SANDRA|ASHLEY|KIMBERLY|EMILY|DONNA|MICHELLE|DOROTHY|CAROL|"
    "AMANDA|MELISSA|DEBORAH|STEPHANIE|REBECCA|SHARON|LAURA|CYNTHIA|KATHLEEN|AMY|SHIRLEY|"
    "ANGELA|HELEN|ANNA|BRENDA|PAMELA|NICOLE|EMMA|SAMANTHA|KATHERINE|CHRISTINE|RACHEL|"
    "CATHERINE|MARIA|HEATHER|DIANE|JULIE|OLIVIA|SOPHIA|ISABELLA|MIA|ANA|ROSA|CARMEN|LUCIA"
)
CAPS_NAME = rf"\b(?:{GIVEN_NAMES})(?:\s+\p{{Lu}}\.?)?\s+\p{{Lu}}{{2,}}(?:['’-]\p{{Lu}}{{2,}})?\b"


class NamePhraseRecognizer(PatternRecognizer):
    """"my name is <any case>" and "GIVEN SURNAME" in capitals with a common given name."""

    PATTERNS = [Pattern("introduced name", INTRODUCED_NAME, 0.7), Pattern("all caps name", CAPS_NAME, 0.6)]

    def __init__(self) -> None:
        super().__init__(
            supported_entity="PERSON",
            patterns=self.PATTERNS,
            global_regex_flags=regex.MULTILINE,  # the capitals pattern must not match "john smith"
        )
