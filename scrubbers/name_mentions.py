"""PERSON: a name found once in a text is the same person wherever it recurs in that text.

"directed by Maciej Borkowski and starring Borkowski", "From: Ingrid Solberg ... Ingrid, see
below", "Wojtek Zieliński ... Mr Zieliński": recognizers judge one place at a time, and a
lone surname or first name with nothing around it is the hardest name to find there. Once
a text has named someone where the evidence was good, each word of that name is the same
person at its other places in the text, written the same way. Titles, particles and
function words are never carried over; a word that is also an English word or a name a
dictionary spells ("Key", "Brown") only from a name of two or more words ("Brad L Key"),
since a one-word finding of it may be the word; a lower-case word only if it is a listed
name that is not an English word ("cormac"), so "will" and "mark" stay words.

Runs on the merged findings of one whole text (after chunks are joined), so a name in the
first line reaches its mentions anywhere below; the PERSON spans are first cut to the name
they hold (scrubbers.person_spans), so a title or a field label beside a name is never carried,
and the names joined to a found one are added (scrubbers.name_neighbours), so theirs are.
"""

from __future__ import annotations

import regex

from appliance.records import Finding
from scrubbers.name_neighbours import add_neighbouring_names
from scrubbers.recognizers.lone_name import english_words
from scrubbers.recognizers.name_lists import SHORTEST_NAME_ALONE, fold, folded_also_words, is_listed
from scrubbers.recognizers.name_words import NOT_A_NAME, PARTICLE_WORD

RECOGNIZER = "RepeatedNameMention"
SCORE = 0.5
PERSON = "PERSON"
NAME_WORD = regex.compile(r"[\p{L}\p{M}][\p{L}\p{M}'’]*(?:-[\p{L}\p{M}]+)*")
POSSESSIVE = regex.compile(r"['’]s$")


def _carried_words(findings: list[Finding], text: str) -> set[str]:
    """The words of the text's PERSON findings that name the person on their own, as written."""
    words: set[str] = set()
    for finding in findings:
        if finding.entity_type != PERSON:
            continue
        parts = [POSSESSIVE.sub("", match.group()).rstrip("'’") for match in NAME_WORD.finditer(text, finding.start, finding.end)]
        several = len(parts) >= 2
        for word in parts:
            key = fold(word)
            if len(word) < SHORTEST_NAME_ALONE or key in NOT_A_NAME or PARTICLE_WORD.fullmatch(word):
                continue
            if word[0].isupper():
                if several or (key not in folded_also_words() and (is_listed(word) or key not in english_words())):
                    words.add(word)
            elif is_listed(word):
                words.add(word)
    return words


def _is_word_at(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] is a whole word: no letter, digit or joiner on either side (a possessive may follow)."""
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    return not (before.isalnum() or before in "-'’_") and not (after.isalnum() or after in "-_")


def add_repeated_names(findings: list[Finding], text: str) -> list[Finding]:
    """`findings` plus a PERSON finding at each other place a found name's word recurs, uncovered."""
    findings = add_neighbouring_names(findings, text)
    words = _carried_words(findings, text)
    if not words:
        return findings
    covered = sorted((finding.start, finding.end) for finding in findings)
    added: list[Finding] = []
    for word in sorted(words):
        position = text.find(word)
        while position >= 0:
            end = position + len(word)
            if _is_word_at(text, position, end) and not any(start < end and position < stop for start, stop in covered):
                added.append(Finding(PERSON, position, end, SCORE, RECOGNIZER))
            position = text.find(word, end)
    return findings + added if added else findings
