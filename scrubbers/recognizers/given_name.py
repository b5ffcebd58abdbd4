"""PERSON: names spaCy's small model misses, found by a shipped given-name list and name shape.

"Johannes Varvio", "Faina D. Yefremova", "Sophie": a given name from
scrubbers/data/given_names.txt followed by capitalised words is a name (0.65); any
"First M. Last" with a middle initial is too (0.55); a listed given name alone scores
just over the default threshold (0.45), since "Jordan" can be a country and "Georgia"
a state (the merge then keeps the riskier PERSON, redacting either way).
"""

from __future__ import annotations

import functools
from pathlib import Path

import regex
from presidio_analyzer import Pattern, PatternRecognizer

NAMES_FILE = Path(__file__).resolve().parent.parent / "data" / "given_names.txt"
SURNAME = r"\p{Lu}[\p{Ll}'’]+(?:-\p{Lu}[\p{Ll}'’]+)?"
INITIAL = r"\p{Lu}\.?"


@functools.cache
def given_names() -> tuple[str, ...]:
    lines = NAMES_FILE.read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def _names() -> str:
    return "|".join(sorted(given_names(), key=len, reverse=True))


def patterns() -> list[Pattern]:
    given = rf"(?<![\w-])(?:{_names()})"
    return [
        Pattern("given name and surname", rf"{given}(?:[ \t]+{INITIAL})?(?:[ \t]+{SURNAME}){{1,2}}(?![\w-])", 0.65),
        Pattern("first, initial, last", rf"(?<![\w-]){SURNAME}[ \t]+{INITIAL}[ \t]+{SURNAME}(?![\w-])", 0.55),
        Pattern("given name", rf"{given}(?![\w'’-])", 0.45),
    ]


class GivenNameRecognizer(PatternRecognizer):
    """Listed given names (with their surnames when present) and initial-in-the-middle names."""

    def __init__(self) -> None:
        super().__init__(
            supported_entity="PERSON",
            patterns=patterns(),
            global_regex_flags=regex.MULTILINE,  # case matters: capitals mark names
        )
