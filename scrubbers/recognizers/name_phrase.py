"""PERSON: names announced by the words around them, which spaCy's small model misses.

spaCy leans on capitalisation and on prose, so chat text ("my name is maria lopez",
"this is Lucas Fontaine"), form exports ("MARIA LOPEZ") and mail headers
("From: Emily Gallagher <emily@...>") slip past it. A few cheap, precise cues cover them.
"""

from __future__ import annotations

import regex
from presidio_analyzer import Pattern, PatternRecognizer

# Words that follow an introduction but are not names ("my name is not important").
NOT_A_NAME = r"(?!(?i:and|but|not|here|the|a|an|on|in|at|from|with|calling|i|is|was|my|your)\b)"
WORD = rf"{NOT_A_NAME}[\p{{L}}][\p{{L}}'’-]+"
INTRODUCTION = r"(?<=\b(?i:my\s+name\s+is|my\s+name's|name\s+is|call\s+me|full\s+name:?)\s+)"
INTRODUCED_NAME = rf"{INTRODUCTION}{WORD}(?:\s+{WORD})?\b"

# "I'm Lucas", "this is Lucas Fontaine": only capitalised words, "this is great" is not a name.
CAPITALISED = rf"{NOT_A_NAME}\p{{Lu}}\p{{Ll}}+"
SELF_INTRODUCTION = r"(?<=\b(?i:this\s+is|i\s+am|i'm|i’m|it's|it’s)[ \t]+)"
SELF_INTRODUCED_NAME = rf"{SELF_INTRODUCTION}{CAPITALISED}(?:[ \t]+{CAPITALISED})?\b"

# The display name of an address: "Emily Gallagher <emily.g@example.com>".
DISPLAY_NAME = r"\p{Lu}[\p{L}'’.-]*(?:[ \t]+\p{Lu}[\p{L}'’.-]*){0,2}(?=[ \t]*<[^<>\s@]+@)"

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
    """"my name is <any case>", "this is <Capitalised>", mail display names, and "GIVEN SURNAME" in capitals."""

    PATTERNS = [
        Pattern("introduced name", INTRODUCED_NAME, 0.7),
        Pattern("self-introduced name", SELF_INTRODUCED_NAME, 0.6),
        Pattern("mail display name", DISPLAY_NAME, 0.8),
        Pattern("all caps name", CAPS_NAME, 0.6),
    ]

    def __init__(self) -> None:
        super().__init__(
            supported_entity="PERSON",
            patterns=self.PATTERNS,
            global_regex_flags=regex.MULTILINE,  # the capitals pattern must not match "john smith"
        )
