"""PERSON: the names beside a found name: "Hunter and Rowan", "Sipho, Lerato and Thabo", "Faith Marshall".

Names travel in company: a list of people joined by commas and "and", a first name before a
surname. When one of them was found with good evidence, a capitalised neighbour joined to it
by "and", "&", "or" or a comma is a person too if it is a name in any sense: a listed given
name or surname, a name that is also a word (Hunter, Hope, Brown: word_names.txt), or a
word no dictionary spells ("Okereke", joined by a word: a bare comma joins field labels and
places too, "Fastlege, Storgata"); never a function word, month, title, place or
institution, so "Tuesday, John", "Paris and Jean" and "Council and Smith" stay as they
are. A name that is also a word, directly before a found one-word name on the same line, is
its first name ("Faith Marshall", "Grace Fielding" when only the surname was found).

Runs on the merged findings of one whole text, after their spans are tidied
(scrubbers.person_spans) and before found names are carried to their other mentions.
"""

from __future__ import annotations

import regex

from appliance.records import Finding
from scrubbers.recognizers.lone_name import is_unknown_word
from scrubbers.recognizers.name_lists import fold, folded_places, folded_word_names, given_names
from scrubbers.recognizers.name_words import NOT_A_NAME
from scrubbers.recognizers.word_name import CAPITALISED_NAME, INSTITUTIONS, is_name_in_context

RECOGNIZER = "NameNeighbour"
SCORE = 0.45
PERSON = "PERSON"
JOINED_AFTER = regex.compile(rf"\G(?P<joint>,?[ \t]+(?:and|&|or)|,)[ \t]+(?P<name>{CAPITALISED_NAME})\b")
JOINED_BEFORE = regex.compile(rf"(?<![\w'’@.-])(?P<name>{CAPITALISED_NAME})(?P<joint>,?[ \t]+(?:and|&|or)|,)[ \t]+$")
FIRST_NAME_BEFORE = regex.compile(rf"(?<![\w'’@.-])(?P<name>{CAPITALISED_NAME})[ \t]$")
LOOK_BACK = 40
MOST_ROUNDS = 4


def _joined_name(word: str, joint: str) -> bool:
    """A name in any sense; a bare comma ("Fastlege, Storgata") joins only a listed name, not an unknown word."""
    return is_name_in_context(word) or (is_unknown_word(word) and joint.strip(", \t") != "")


def _first_name(word: str) -> bool:
    key = fold(word)
    if key in NOT_A_NAME or key in INSTITUTIONS or key in folded_places():
        return False
    return key in folded_word_names() or word in given_names()


def _one_word(finding: Finding, text: str) -> bool:
    return not any(character.isspace() for character in text[finding.start : finding.end])


def _neighbours(finding: Finding, text: str) -> list[tuple[int, int]]:
    spans = []
    after = JOINED_AFTER.match(text, finding.end)
    if after and _joined_name(after.group("name"), after.group("joint")):
        spans.append(after.span("name"))
    window = max(0, finding.start - LOOK_BACK)
    before = JOINED_BEFORE.search(text, window, finding.start)
    if before and _joined_name(before.group("name"), before.group("joint")):
        spans.append(before.span("name"))
    # Only before a lone surname: "Call Maria Lopez" already has its first name, and a census
    # surname that is also a verb ("Call", "Ask") opens many sentences.
    first = FIRST_NAME_BEFORE.search(text, window, finding.start) if _one_word(finding, text) else None
    if first and _first_name(first.group("name")):
        spans.append(first.span("name"))
    return spans


def add_neighbouring_names(findings: list[Finding], text: str) -> list[Finding]:
    """`findings` plus a PERSON finding on each name joined to a found one (same list if none was added)."""
    covered = [(finding.start, finding.end) for finding in findings]
    added: list[Finding] = []
    frontier = [finding for finding in findings if finding.entity_type == PERSON]
    for _ in range(MOST_ROUNDS):  # a list of names is reached one neighbour a round
        new = []
        for finding in frontier:
            for start, end in _neighbours(finding, text):
                if not any(s < end and start < e for s, e in covered):
                    covered.append((start, end))
                    new.append(Finding(PERSON, start, end, SCORE, RECOGNIZER))
        if not new:
            break
        added += new
        frontier = new
    return findings + added if added else findings
