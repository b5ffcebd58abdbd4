"""PERSON: the name line that heads a signature or an address block ("Einojuhani Pyysalo\\nBus driver", "leidy t muris\\nlabor relations director").

Signatures, letter heads and shipping labels put a person's name on a line of its own,
then their job title, or their street address (perhaps after a company line). Nothing in
the line itself says "name", but its place does: a short line of two to four name-shaped
words (capitalised, or all in lower case, initials and particles allowed; "> " quote marks
kept) directly above a job-title line or an address line is the person's name. At least one
of its words must be a listed name or a word no dictionary holds, and none a function,
title or department word, so "Customer Service\\nManager" and "Best regards\\nSales Director"
stay as they are.
"""

from __future__ import annotations

import regex

from scrubbers.recognizers.finder import FinderRecognizer
from scrubbers.recognizers.lone_name import english_words
from scrubbers.recognizers.name_lists import fold, is_listed
from scrubbers.recognizers.name_words import NOT_A_NAME, PARTICLE, PARTICLE_WORD

SCORE = 0.5
_NAME_WORD = r"(?:\p{Lu}[\p{Ll}\p{M}'’]+(?:-\p{Lu}?[\p{Ll}\p{M}]+)?|\p{Ll}[\p{Ll}\p{M}'’]+(?:-[\p{Ll}\p{M}]+)?)"
_PART = rf"(?:{_NAME_WORD}|\p{{L}}\.?|{PARTICLE})"
NAME_LINE = regex.compile(rf"^(?P<prefix>[ \t>]*)(?P<name>{_NAME_WORD}(?:[ \t]+{_PART}){{1,3}})[ \t]*$")
WORD = regex.compile(r"[\p{L}\p{M}'’-]+")
# Job titles end in a role noun: "Local transit bus driver", "Labor relations director".
ROLE_NOUNS = frozenset(
    """manager director driver engineer officer consultant analyst assistant adviser advisor specialist coordinator
    nurse doctor clerk technician installer cleaner teacher accountant designer developer administrator executive
    supervisor representative lead head partner associate secretary recruiter planner architect surveyor underwriter
    assessor adjuster paralegal solicitor lawyer attorney pharmacist therapist physiotherapist counsellor counselor
    researcher scientist professor lecturer librarian chef mechanic electrician plumber operator worker inspector
    auditor controller buyer strategist programmer editor writer journalist photographer agent broker banker
    president founder owner ceo cfo cto coo vp intern trainee apprentice receptionist caretaker carpenter""".split()
)
# An address line starts with a house number or a unit: "3369 24 Clarke Avenue", "unit 1009 box 0219".
ADDRESS_LINE = regex.compile(r"^[ \t>]*(?:\d+[A-Za-z]?[ \t,]+\S|(?i:unit|apt|apartment|suite|flat|p\.?\s*o\.?\s+box|postbox|po\s+box)\b)")
MOST_TITLE_WORDS = 6


def _looks_like_name(words: list[str]) -> bool:
    names = [word for word in words if len(word.rstrip(".")) > 1 and not PARTICLE_WORD.fullmatch(word)]
    if len(names) < 2 or any(fold(word) in NOT_A_NAME for word in names):
        return False
    if len({"lower" if word.islower() else "other" for word in names}) > 1:
        return False  # "Maria lopez" mixes cases: prose, not a name line
    return any(is_listed(word) or fold(word) not in english_words() for word in names)


def _is_title_line(line: str) -> bool:
    words = WORD.findall(line)
    return 0 < len(words) <= MOST_TITLE_WORDS and words[-1].casefold() in ROLE_NOUNS


def find_name_lines(text: str) -> list[tuple[int, int, float]]:
    """(start, end, score) of name lines above a job-title line or an address line (a company line may come between)."""
    if "\n" not in text:
        return []
    lines: list[tuple[int, str]] = []
    position = 0
    for line in text.split("\n"):
        lines.append((position, line))
        position += len(line) + 1
    found = []
    for index, (offset, line) in enumerate(lines):
        match = NAME_LINE.match(line)
        if not match or not _looks_like_name(WORD.findall(match.group("name"))):
            continue
        following = [below for _, below in lines[index + 1 : index + 4] if below.strip(" \t>")][:2]
        if not following:
            continue
        if _is_title_line(following[0]) or ADDRESS_LINE.match(following[0]) or (len(following) == 2 and ADDRESS_LINE.match(following[1])):
            found.append((offset + match.start("name"), offset + match.end("name"), SCORE))
    return found


class NameLineRecognizer(FinderRecognizer):
    """A line of name-shaped words directly above a job-title line or an address."""

    find = staticmethod(find_name_lines)
    load_lists = staticmethod(english_words)
