"""PERSON: names that are also English words, where the sentence makes them a person: "Summer said",
"Hope's husband", "Walker, can you call me?", "Haverkamp and Lindqvist-Osei signed".

Hope, Grace, Walker, Brown, Hunter or Bishop are common names and common words, so the name
lists leave them out and a capitalised one at a sentence start says nothing. What follows
it still does: only a person says, asks, tells or apologises, has a husband or a passport,
and is spoken to by name at the start of a line. A word counts when it is a listed name in
any sense (word_names.txt holds the names that are also words; given names and surnames
count too) and it is not a function word, month, title or an institution that also says
and reports ("the Council said", "King said", "Apple confirmed").

Two or three capitalised names joined by "and" before such a verb or before "were" ("Usamov
and Bowers were", "Brown, Ortiz and Reed have") are people when each of them is a name: a
listed name, or a word no dictionary spells ("Usamov"); "Microsoft and Google were" stays.
"""

from __future__ import annotations

import regex

from scrubbers.recognizers.finder import FinderRecognizer
from scrubbers.recognizers.lone_name import PERSON_NOUN, english_words, is_unknown_word
from scrubbers.recognizers.name_lists import fold, folded_places, folded_word_names, is_known_name
from scrubbers.recognizers.name_words import NOT_A_NAME

SCORE = 0.5
PAIR_SCORE = 0.45
# Institutions, brands and ranks that are surnames or first names too, and say and report.
INSTITUTIONS = frozenset(
    """council church press king queen prince princess duke house judge governor court state union apple shell
    orange dell ford sun post star times mirror herald guardian police army navy bank""".split()
)
# What only a person does, said of a name that could be a word: speech and thought, not
# "arrived" or "began" ("Summer arrived early").
_SPEECH_VERB = (
    r"said|says|told|tells|asked|asks|replied|replies|wrote|rang|phoned|emailed|texted|explained|mentioned|"
    r"reported|agreed|refused|confirmed|complained|admitted|denied|insisted|apologised|apologized|promised|"
    r"thinks|thought|feels|felt|wants|wanted|prefers|remembers|recalled|recalls|laughed|smiled|nodded|"
    r"shouted|whispered|(?:has|had)\s+(?:told|asked|said|agreed|confirmed|called|rung|phoned|emailed)"
)
CAPITALISED_NAME = r"\p{Lu}[\p{Ll}\p{M}]+(?:-\p{Lu}?[\p{Ll}\p{M}]+)?"
_NOT_AFTER = r"(?<![\w'’@.-])"
# After an article or a possessive the word is a title or a thing ("The Hunter said"); checked
# on each match (few) rather than as a variable-width look-behind at every capital.
DETERMINER_BEFORE = regex.compile(r"\b(?i:the|a|an|this|that|our|your|their|his|her|its|my|of)[ \t]+$")
# "Summer said to be the busiest season" is said of a thing.
BEFORE_SPEECH = regex.compile(rf"{_NOT_AFTER}(?P<name>{CAPITALISED_NAME})[ \t]+(?:{_SPEECH_VERB})\b(?![ \t]+to[ \t]+be\b)")
POSSESSIVE = regex.compile(rf"{_NOT_AFTER}(?P<name>{CAPITALISED_NAME})['’]s[ \t]+(?:{PERSON_NOUN})\b")
ADDRESSED = regex.compile(
    rf"(?:^|(?<=\n))[ \t>]*(?P<name>{CAPITALISED_NAME})[ \t]*,[ \t]+(?:can|could|would|will|please|do|did|are|have)\b",
    regex.MULTILINE,
)
# "Usamov and Bowers were", "Monjeau, Graves and Reed have".
NAMES_JOINED = regex.compile(
    rf"{_NOT_AFTER}(?P<names>{CAPITALISED_NAME}(?:,[ \t]+{CAPITALISED_NAME})?,?[ \t]+(?:and|&)[ \t]+{CAPITALISED_NAME})"
    rf"[ \t]+(?:{_SPEECH_VERB}|were|are|have|had|both|each|met|signed|founded|wrote)\b"
)
_NAME_WORD = regex.compile(CAPITALISED_NAME)


def is_name_in_context(word: str) -> bool:
    """A listed name of any kind, word names included; not a function word, title, place or institution."""
    key = fold(word)
    return key not in NOT_A_NAME and key not in INSTITUTIONS and key not in folded_places() and is_known_name(word)


def _is_name_in_a_pair(word: str) -> bool:
    return is_name_in_context(word) or is_unknown_word(word)


def _after_determiner(text: str, start: int) -> bool:
    return DETERMINER_BEFORE.search(text, max(0, start - 8), start) is not None


def find_word_names(text: str) -> list[tuple[int, int, float]]:
    """(start, end, score) of listed names (word names too) before speech, with a relation, or addressed; and joined names."""
    found = []
    for pattern in (BEFORE_SPEECH, POSSESSIVE, ADDRESSED):
        for match in pattern.finditer(text):
            if is_name_in_context(match.group("name")) and not _after_determiner(text, match.start("name")):
                found.append((match.start("name"), match.end("name"), SCORE))
    for match in NAMES_JOINED.finditer(text):
        if _after_determiner(text, match.start("names")):
            continue
        words = list(_NAME_WORD.finditer(text, match.start("names"), match.end("names")))
        if all(_is_name_in_a_pair(word.group()) for word in words):
            found += [(word.start(), word.end(), PAIR_SCORE) for word in words]
    return sorted(set(found))


def load_lists() -> None:
    """The lists a name-in-context check reads (SCOWL, word names), read when the recognizer is built."""
    english_words()
    folded_word_names()


class WordNameRecognizer(FinderRecognizer):
    """Names that are also words (Hope, Walker) before speech or a relation, or addressed; names joined by "and"."""

    find = staticmethod(find_word_names)
    load_lists = staticmethod(load_lists)
