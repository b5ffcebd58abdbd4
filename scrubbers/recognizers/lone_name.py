"""PERSON: a capitalised word no list holds, in a place only a person stands: "Shovda is very reliable",
"Ebun's partner", "Warrane, can I please speak to your boss?".

A single name no list holds, with no title, no surname and no introduction, is what every
other recognizer misses, above all at a sentence start where capitals say nothing. What the
sentence says about it still does: people say and ask and ring, live and work and are born
somewhere, have partners and passports, and are spoken to by name. A word counts when it is
written capitalised (or, at a line start before a comma, addressed), has three letters or
more, and is neither an English word nor a proper noun a dictionary spells (scrubbers/data/
english_words.txt, SCOWL: so "Microsoft said" and "Destiny is" stay), nor a listed place.
A family named in the plural ("the Okafors are moving") counts when the plural is no English
word. In lower case ("cormac had given", "bártová began", "selma is from", "hey its tunde") the word must be a listed
name that is no common English word (SCOWL may spell it as a proper noun: Selma, Nina) and no
place, or an unknown word that ends like a family name (-ová, -enko: see name_words).
"""

from __future__ import annotations

import functools

import regex

from scrubbers.recognizers.finder import FinderRecognizer
from scrubbers.recognizers.name_lists import fold, folded_places, is_listed_alone
from scrubbers.recognizers.name_words import NOT_A_NAME, has_surname_ending
from scrubbers.recognizers.wordlist import read_list

SCORE = 0.45
ENGLISH_WORDS = "english_words.txt"

_NAME = r"(?P<name>\p{Lu}[\p{Ll}\p{M}]+(?:-\p{Lu}?[\p{Ll}\p{M}]+)?)"
# Verbs whose subject is nearly always a person.
PERSON_VERB = (
    r"said|says|told|tells|asked|asks|replied|replies|wrote|rang|rings|phoned|phones|emailed|texted|"
    r"lives|lived|began|begins|spent|spends|grew\s+up|was\s+born|is\s+married|married|died|"
    r"joined|studied|studies|complained|confirmed|agreed|refused|explained|mentioned|reported|"
    r"thinks|feels|felt|wants|wanted|prefers|remembers|recalls|recalled|admitted|denied|insisted|"
    r"arrived|attended|visited|signed|decided|apologised|apologized|promised|"
    r"(?:is|was)\s+(?:from|very|so|always|never|still|originally|unwell|sick|off|on\s+leave|away|due|allergic|pregnant)|"
    r"(?:has|had)\s+(?:given|told|asked|said|agreed|confirmed|called|rung|phoned|emailed|left|moved|lived|worked|spent|been\s+(?:told|asked|seen|given))"
)
# Possessions and relations only a person has.
PERSON_NOUN = (
    r"kid|kids|son|sons|daughter|daughters|child|children|baby|wife|husband|partner|mother|father|mum|mom|dad|"
    r"brother|sister|parents|family|boyfriend|girlfriend|fiancé|fiance|fiancée|fiancee|friend|friends|"
    r"passport|birthday|funeral|wedding|GP|carer|symptoms|medication|surgery|condition|diagnosis"
)
LONE_NAME = regex.compile(
    rf"(?<![\w'’@.-]){_NAME}(?:[ \t]+(?:{PERSON_VERB})\b|['’]s[ \t]+(?:{PERSON_NOUN})\b)"
)
LOWER_CASE_LONE_NAME = regex.compile(rf"(?<![\w'’@.-])(?P<name>\p{{Ll}}[\p{{Ll}}\p{{M}}]+)[ \t]+(?:{PERSON_VERB})\b")
# "Warrane, can I ...", "Shreya - could you ...": a name addressed at the start of a line.
ADDRESSED = regex.compile(
    rf"(?:^|(?<=\n))[ \t>]*{_NAME}[ \t]*(?:,|[ \t]-)[ \t]+(?:can|could|would|will|please|do|did|are|have|thanks|thank)\b",
    regex.MULTILINE,
)


# Chat introductions in lower case: "hey its tunde", "this is kofi from billing".
LOWER_CASE_INTRODUCED = regex.compile(
    r"(?<![\w'’])(?:this\s+is|i\s+am|i['’]?m|it['’]?s)[ \t]+(?P<name>\p{Ll}[\p{Ll}\p{M}]+)\b"
)
# A family by its name in the plural: "the Okafors are moving", "the Kowalczyks' flat".
FAMILY = regex.compile(
    r"(?<![\w'’@.-])(?i:the)[ \t]+(?P<name>\p{Lu}[\p{Ll}\p{M}]+)(?=['’]|[ \t]+(?:are|were|have|had|live|lived|moved|said|asked|told|both|family|household|children|kids)\b)"
)


@functools.cache
def english_words() -> frozenset[str]:
    """Every word SCOWL spells, folded: a capitalised word found here is not an unknown name."""
    return frozenset(fold(word) for word in read_list(ENGLISH_WORDS))


def is_unknown_word(word: str) -> bool:
    """At least three letters, and neither an English word, a proper noun SCOWL spells, a function word nor a listed place."""
    key = fold(word)
    return len(word) >= 3 and key not in english_words() and key not in NOT_A_NAME and key not in folded_places()


def _is_listed_name_no_word(word: str) -> bool:
    """A listed name that is no common word ("selma", "nina": SCOWL spells them only as proper nouns), and no place."""
    key = fold(word)
    return is_listed_alone(word) and key not in NOT_A_NAME and key not in folded_places()


def _is_family_name_plural(word: str) -> bool:
    """"Okafors", "Nwachukwus": no dictionary word (so not "Smiths", "Andes") whose singular is a name or unknown."""
    if not word.endswith("s") or not is_unknown_word(word):
        return False
    stems = (word[:-1], word[:-2]) if word.endswith("es") else (word[:-1],)
    return any(is_listed_alone(stem) or is_unknown_word(stem) for stem in stems)


def find_lone_names(text: str) -> list[tuple[int, int, float]]:
    """(start, end, score) of unknown capitalised words before a person's verb or possession, or addressed."""
    found = []
    for pattern in (LONE_NAME, ADDRESSED):
        for match in pattern.finditer(text):
            if is_unknown_word(match.group("name")):
                found.append((match.start("name"), match.end("name"), SCORE))
    for match in LOWER_CASE_INTRODUCED.finditer(text):
        if _is_listed_name_no_word(match.group("name")):
            found.append((match.start("name"), match.end("name"), SCORE))
    for match in FAMILY.finditer(text):
        if _is_family_name_plural(match.group("name")):
            found.append((match.start("name"), match.end("name"), SCORE))
    for match in LOWER_CASE_LONE_NAME.finditer(text):
        word = match.group("name")
        if (is_unknown_word(word) and has_surname_ending(word)) or _is_listed_name_no_word(word):
            found.append((match.start("name"), match.end("name"), SCORE))
    return sorted(found)


class LoneNameRecognizer(FinderRecognizer):
    """Unknown capitalised words that say, live, have a partner or are addressed: single names no list holds."""

    find = staticmethod(find_lone_names)
    load_lists = staticmethod(english_words)
