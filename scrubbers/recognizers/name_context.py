"""PERSON: names announced by the word before them: a role or relation, a greeting, a sign-off.

"seen by nurse Babajide", "wife Zhang Lihua at bedside", "Hi Thandeka,", "Good afternoon
Carlos Eduardo,", "Kind regards,\\nJoana Magalhães de Souza", "-- Tom Gallagher". spaCy's
small model misses names it has not seen, and any name list is incomplete, but a
capitalised word right after "nurse" or at the end of a sign-off is a name whatever its
origin. In lower-case or capitals ("hi kofi", "let aoife know", "THANKS, PRIYANKA") case
says nothing, so there the word must also be a listed given name or surname.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import regex

from scrubbers.recognizers.finder import FinderRecognizer
from scrubbers.recognizers.name_lists import folded_surnames
from scrubbers.recognizers.name_words import ANY_WORD, PARTICLE, is_name_word, listed_word

CAPITALISED_SCORE = 0.6
SIGN_OFF_SCORE = 0.7
LISTED_SCORE = 0.55
MOST_NAME_WORDS = 4

# People named by who they are to someone ("my daughter Ifeoma", "agent Tendai Moyo",
# "her brother-in-law, Hamid Rostami", "uncle (Reza)"). Customer and patient roles are in
# TitledNameRecognizer; here they only add the lower-case, listed-name case.
RELATIONS = frozenset(
    """nurse midwife doctor physician surgeon registrar therapist physio physiotherapist pharmacist interpreter
    translator carer caregiver caseworker paramedic technician engineer agent adviser advisor colleague coworker
    co-worker supervisor manager receptionist clerk teller underwriter adjuster assessor investigator solicitor
    lawyer attorney executor executrix trustee guardian witness landlord landlady neighbour neighbor friend flatmate
    roommate partner boyfriend girlfriend fiance fiancé fiancee fiancée wife husband spouse widow widower son
    daughter stepson stepdaughter child kid baby mother mum mom father dad parent brother sister sibling uncle aunt
    auntie nephew niece cousin grandson granddaughter grandchild grandmother grandfather grandma grandpa granny
    in-law reviewer referee operative courier tutor mentor chaplain dentist counsellor counselor psychologist
    psychiatrist constable detective caller customer patient client member employee applicant tenant pt cust""".split()
)
# Two-word relations: "social worker", "team lead".
RELATION_SECOND_WORDS = {"worker": "social", "lead": "team", "leader": "team"}
# Relation words are ASCII (plus é), so the standard library's faster engine finds the words.
RELATION_WORD = re.compile(r"[A-Za-zé]+(?:-[A-Za-z]+)*")
AFTER_RELATION_WORD = re.compile(r"(?:[ \t]*[,(:][ \t]*|[ \t]+)(?=\S)")
# Titles typed in lower case ("join accounts with ms. Okafor"); capitalised ones are TitledNameRecognizer's.
LOWER_CASE_TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof"})
AFTER_TITLE = re.compile(r"\.?[ \t]+(?=\S)")
# "Hi Thandeka,", "Good morning Mr", "hey kofi": a greeting that opens a line or a sentence.
GREETING = (
    r"(?:hi|hello|hey|hiya|dear|dearest|good\s+(?:morning|afternoon|evening|day)|morning|afternoon|evening|"
    r"greetings|welcome|bye|goodbye|thanks|thank\s+you|many\s+thanks|cheers)"
)
AFTER_GREETING = re.compile(rf"(?:^|[.!?:][ \t]+)[ \t]*{GREETING}[ \t]*,?[ \t]+(?=\S)", re.MULTILINE | re.IGNORECASE)
# "Kind regards, Joana" or "Regards,\nTran": the name fills the rest of the line.
SIGN_OFF = (
    r"(?:(?:kind|best|warm|warmest|many|with)\s+(?:regards|wishes|thanks)|regards|best|thanks|thank\s+you|cheers|"
    r"sincerely|yours\s+(?:sincerely|faithfully|truly)|yours|respectfully|take\s+care|all\s+the\s+best|--|—|–)"
)
AFTER_SIGN_OFF = re.compile(rf"(?<![\w-]){SIGN_OFF}[ \t]*[,.!]?[ \t]*(?:\r?\n[ \t]*)?(?=\S)", re.IGNORECASE)
# "let aoife know", "tell Sipho", "remind Reza": verbs that take a person.
AFTER_VERB = re.compile(r"\b(?:let|tell|told|ask|asked|ping|cc|thank|remind|reminded|inform|informed)[ \t]+(?=\S)", re.IGNORECASE)

WORD = regex.compile(ANY_WORD)
PARTICLE_GAP = regex.compile(rf"(?:[ \t]+{PARTICLE}(?=[ \t]))*[ \t]+")
LINE_END = regex.compile(r"[ \t]*(?:\r?\n|$)")
TEXT_END = regex.compile(r"[ \t]*[.!]?[ \t]*$")


def _name_at(text: str, start: int) -> tuple[int, int, bool] | None:
    """(start, end, capitalised) of the name words starting at `start`, or None when there are none."""
    end, capitalised, count = start, None, 0
    position = start
    while count < MOST_NAME_WORDS:
        word = WORD.match(text, position)
        if not word:
            break
        value = word.group().rstrip("'’")
        possessive = value.endswith(("'s", "’s")) and not listed_word(value)
        if possessive:
            value = value[:-2]
        if capitalised is None:
            capitalised = is_name_word(value)
        if capitalised and not is_name_word(value) or not capitalised and not listed_word(value):
            break
        end, count = word.start() + len(value), count + 1
        if possessive:
            break
        particles = PARTICLE_GAP.match(text, end)
        if not particles:
            break
        position = particles.end()
    if count == 0:
        return None
    return start, end, bool(capitalised)


def _relations(text: str) -> Iterator[tuple[int, bool]]:
    """(where a name would start, whether the relation is in lower case) after each relation word."""
    previous = ""
    for word in RELATION_WORD.finditer(text):
        key = word.group().lower()
        relation = key in RELATIONS or ("-" in key and key.endswith("-in-law")) or (key in RELATION_SECOND_WORDS and RELATION_SECOND_WORDS[key] == previous)
        previous = key
        if relation and (after := AFTER_RELATION_WORD.match(text, word.end())):
            yield after.end(), word.group()[0].islower()
        elif key in LOWER_CASE_TITLES and word.group().islower() and (after := AFTER_TITLE.match(text, word.end())):
            yield after.end(), True


def _has_listed_word(text: str, name: tuple[int, int, bool]) -> bool:
    return any(listed_word(word.group()) for word in WORD.finditer(text, name[0], name[1]))


def _ends_line(text: str, end: int) -> bool:
    return LINE_END.match(text, end) is not None or TEXT_END.match(text, end) is not None


def find_context_names(text: str) -> list[tuple[int, int, float]]:
    """(start, end, score) of names after relations, greetings, sign-offs and person-taking verbs."""
    found: list[tuple[int, int, float]] = []
    for start, lower_case in _relations(text):
        name = _name_at(text, start)
        # A capitalised relation starts headings ("Child Health Summary"): then a listed name is needed.
        if name and (lower_case or not name[2] or _has_listed_word(text, name)):
            found.append((name[0], name[1], CAPITALISED_SCORE if name[2] else LISTED_SCORE))
    for match in AFTER_GREETING.finditer(text):
        name = _name_at(text, match.end())
        if name:
            found.append((name[0], name[1], CAPITALISED_SCORE if name[2] else LISTED_SCORE))
    for match in AFTER_SIGN_OFF.finditer(text):
        name = _name_at(text, match.end())
        # A sign-off name fills its line: "Thanks, Priyanka" but not "Thanks, Priyanka said no".
        if name and _ends_line(text, name[1]):
            found.append((name[0], name[1], SIGN_OFF_SCORE if name[2] else LISTED_SCORE))
    for match in AFTER_VERB.finditer(text):
        name = _name_at(text, match.end())
        # "Ask Questions", "Tell Us More": headings again, unless the name is listed.
        if name and (match.group()[0].islower() or not name[2] or _has_listed_word(text, name)):
            found.append((name[0], name[1], CAPITALISED_SCORE if name[2] else LISTED_SCORE))
    return found


class ContextualNameRecognizer(FinderRecognizer):
    """Names after a role or relation word, a greeting, a sign-off or a verb that takes a person."""

    find = staticmethod(find_context_names)
    load_lists = staticmethod(folded_surnames)
