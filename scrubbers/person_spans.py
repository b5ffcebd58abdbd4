"""PERSON: a found name's span holds the name and nothing else, and a span of plain words is no name.

Recognizers, spaCy above all, hand back spans with a little of their surroundings: a role
or a relation before the name ("Producer Liviana Palerma", "Daughter Keeley"), a possessive
after it ("Bryan Maclean's"), the next line's field label ("Shreya Iyer\nSubject",
"Kjersti Haugland\nFastlege": the first line that holds a name is kept) or the speaker's next
words ('Heather:"I'm Daniel's'). A name never crosses a line, a colon or a quotation mark,
and whatever was around it is not the person. A title that a recognizer took in ("Dr
Vuković") stays: labelling conventions differ on it (the Presidio generators put it inside
the name), it is no personal data either way, and redacting it is the safe error. And spaCy's small model takes some capitalised words for people ("Discipline",
"Guilty Pleasures", "Salesperson of the Month", "Caller:"): a span whose every word is an
English word (SCOWL) and none a name any list holds (given names, surnames, names that are
also words such as Hope or Walker) nor a place the gazetteers hold (a PERSON finding on
"Reading" or "Abuja" still redacts a place) is dropped, unless a title stands before it ("Mr Fox").

Runs on the merged findings of one whole text, before a found name is carried to its other
mentions (scrubbers.name_mentions), so nothing trimmed here is carried.
"""

from __future__ import annotations

import functools

import regex

from appliance.records import Finding
from scrubbers.recognizers.lone_name import english_words
from scrubbers.recognizers.name_lists import fold, folded_places, is_known_name
from scrubbers.recognizers.policy import DENY_LIST_RECOGNIZER, PATTERN_RECOGNIZER
from scrubbers.recognizers.wordlist import read_list

PERSON = "PERSON"
# What a policy defines is the policy's to keep whole (recognizers named PolicyPattern[i], PolicyDenyList[i]).
POLICY_RECOGNIZERS = (PATTERN_RECOGNIZER, DENY_LIST_RECOGNIZER)
WORD = regex.compile(r"[\p{L}\p{M}\d][\p{L}\p{M}\d'’]*(?:-[\p{L}\p{M}\d]+)*")
# A name never runs across a line, a colon or a quotation mark.
LINE = regex.compile(r"[^\n\r]+")
PIECE = regex.compile(r"[^:\"“”«»]+")
POSSESSIVE = regex.compile(r"['’]s?$")
TITLE_BEFORE = regex.compile(r"(?:\b(?:Dr|Mr|Mrs|Ms|Mx|Miss|Prof|Professor|Rev|Sir|Dame|Lady|Lord|Judge|Capt|Sgt)\.?|\bMr\.?\s+and\s+Mrs\.?)\s+$")
TITLES = frozenset("dr mr mrs ms mx miss prof professor rev sir dame lady lord judge capt sgt".split())
# Field labels and street words: never the last word of a name, even where a surname is spelt so.
FIELD_WORDS = frozenset(
    """subject re fw fwd cc bcc sent date address phone tel telephone mobile cell fax email e-mail
    street st road rd avenue ave boulevard blvd bridge""".split()
)
# Words at the edge of a span that are not the person: greetings and sign-offs,
# articles and pronouns, relations and roles used like titles, a note's verb before its
# object ("Emailed Gathoni", "Called Otieno re: fees"), and the field labels of
# forms and mail headers that a line break puts next to a name. At the end of a span one
# that is also a surname stays ("Edgar Guest", "Isaac Singer"); none is a common first name.
EDGE_WORDS = FIELD_WORDS | frozenset(
    """dear hi hello hey cheers regards thanks thank thx sincerely best warm kind yours
    the an and or of by from to for with at in on i'm i've i'd i'll we you he she they it
    mother father mum mom dad wife husband son daughter brother sister aunt uncle grandson granddaughter
    grandmother grandfather grandma grandpa grandad granddad granny nana auntie aunty stepmother stepfather
    stepson stepdaughter niece nephew cousin partner fiancé fiancee fiancée boyfriend girlfriend
    doctor nurse producer director manager supervisor coordinator consultant registrar surgeon physician therapist
    assessor adjuster agent caller customer client patient policyholder claimant tenant applicant
    employee member guest host presenter interviewer interviewee speaker author singer drummer
    ex former late
    emailed called phoned rang texted messaged contacted paged informed advised reminded asked told thanked
    met saw visited chased updated spoke""".split()
)


TOWNS = "towns.txt"
PLACE_WORDS = "place_words.txt"
DATE_WORDS = frozenset(
    """january february march april may june july august september october november december jan feb mar apr jun
    jul aug sep sept oct nov dec monday tuesday wednesday thursday friday saturday sunday""".split()
)


@functools.cache
def _place_words() -> frozenset[str]:
    """One-word countries, regions, cities and towns, folded."""
    towns = (fold(line) for name in (TOWNS, PLACE_WORDS) for line in read_list(name) if " " not in line)
    return folded_places() | frozenset(towns)


def _is_plain_word(word: str) -> bool:
    key = fold(word)
    return key in english_words() and not is_known_name(word) and key not in _place_words()


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The span of the name in text[start:end] without edge words and possessive, or None when no word is left."""
    words = [[match.start(), match.end()] for match in WORD.finditer(text, start, end)]
    if words:
        last = words[-1]
        possessive = POSSESSIVE.search(text, last[0], last[1])
        if possessive and possessive.start() > last[0]:
            last[1] = possessive.start()
    while words and fold(text[words[0][0] : words[0][1]]) in EDGE_WORDS:
        words.pop(0)
    while words and _ends_no_name(text[words[-1][0] : words[-1][1]]):
        words.pop()
    if not words:
        return None
    return words[0][0], words[-1][1]


def _ends_no_name(word: str) -> bool:
    """An edge word after a name; one that is also a surname ("Edgar Guest", "Isaac Singer") stays."""
    key = fold(word)
    return key in FIELD_WORDS or (key in EDGE_WORDS and not is_known_name(word))


def _names_a_person(text: str, start: int, end: int) -> bool:
    """A title before it or at its start, or a word that is not a plain English word."""
    if TITLE_BEFORE.search(text, max(0, start - 20), start):
        return True
    words = [match.group() for match in WORD.finditer(text, start, end)]
    return fold(words[0]) in TITLES or not all(_is_plain_word(word) for word in words)


def _may_hold_other_data(text: str, start: int, end: int) -> bool:
    """Digits (a date, an age, a number), a month or weekday, or a listed place: what a merged finding of another type may hold."""
    piece = text[start:end]
    if any(character.isdigit() for character in piece):
        return True
    return any(fold(match.group()) in DATE_WORDS or fold(match.group()) in _place_words() for match in WORD.finditer(piece))


def _kept_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The parts of a PERSON span to keep: each line, colon or quote piece cut to its name, plain-word pieces dropped.

    The findings are merged already, so a PERSON span may have absorbed a lower-risk finding
    (a date of birth, a place): a piece that may hold one is kept whole rather than dropped.
    """
    spans: list[tuple[int, int]] = []
    named = False  # once a line held the name, the next lines are a field label or a job title ("Fastlege")
    for line in LINE.finditer(text, start, end):
        named_here = False
        for piece in PIECE.finditer(text, line.start(), line.end()):
            trimmed = _trimmed(text, piece.start(), piece.end())
            if not named and trimmed is not None and _names_a_person(text, *trimmed):
                spans.append(trimmed)
                named_here = True
            elif _may_hold_other_data(text, piece.start(), piece.end()):
                kept = text[piece.start() : piece.end()]
                spans.append((piece.start() + len(kept) - len(kept.lstrip()), piece.end() - len(kept) + len(kept.rstrip())))
        named = named or named_here
    return spans


def tidy_person_findings(findings: list[Finding], text: str) -> list[Finding]:
    """`findings` with each PERSON span cut to the name it holds, and spans of plain words dropped (same list if none changed)."""
    tidied: list[Finding] = []
    changed = False
    for finding in findings:
        if finding.entity_type != PERSON or finding.recognizer.startswith(POLICY_RECOGNIZERS):
            tidied.append(finding)  # a policy's own PERSON terms and patterns are the author's word
            continue
        spans = _kept_spans(text, finding.start, finding.end)
        if spans == [(finding.start, finding.end)]:
            tidied.append(finding)
            continue
        changed = True
        tidied += [Finding(PERSON, start, end, finding.score, finding.recognizer, finding.field) for start, end in spans]
    return tidied if changed else findings
