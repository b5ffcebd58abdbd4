"""PERSON: full names known by their shape: particles ("Annelies van den Heuvel", "Yusuf bin Abdullah")
and family-name endings ("Dragan Petrović", "Halyna Kovalenko", "Nino Beridze").

No list holds every family name, but many traditions mark them: -ović and -ski, -sson and
-dóttir, -enko, -shvili, -oğlu, -escu, -poulos, -moto. A capitalised word followed by a
capitalised word with such an ending is a full name (nationality words such as "Italian"
and places such as "Alaska" are excluded). A particle between capitalised words makes a
name when a word before it is a listed name: "Calle de Alcalá" and "Rio de Janeiro" do not
start with one.
"""

from __future__ import annotations

import regex

from scrubbers.recognizers.finder import FinderRecognizer
from scrubbers.recognizers.name_lists import folded_surnames
from scrubbers.recognizers.name_words import (
    CAPITALISED_NAME_WORD,
    PARTICLE,
    SURNAME_ENDING_TUPLE,
    has_surname_ending,
    is_name_word,
    listed_word,
)

LONGEST_GIVEN_NAME = 40  # characters looked back from a family name for the given name
PARTICLE_SCORE = 0.6
ENDING_SCORE = 0.5
WITH_PARTICLE = regex.compile(
    rf"(?<![\w-])(?P<given>{CAPITALISED_NAME_WORD}(?:[ \t]+{CAPITALISED_NAME_WORD})?)"
    rf"(?:[ \t]+{PARTICLE}){{1,2}}[ \t]+(?P<surname>{CAPITALISED_NAME_WORD})(?![\w-])"
)
POSSESSIVE = regex.compile(r"['’]s$")
CAPITALISED_WORD = regex.compile(r"(?<![\w-])\p{Lu}[\p{L}\p{M}'’-]{4,}(?![\w-])")
GIVEN_BEFORE = regex.compile(rf"(?<![\w-])(?P<given>{CAPITALISED_NAME_WORD})[ \t]+\Z")
# "San", "Calle", "Banco": first words of places and organisations, never of a person here.
NOT_A_GIVEN_NAME = frozenset(
    """san santa santo sao são rio porto puerto calle rue via avenida plaza paseo camino casa villa ciudad isla
    cabo costa monte sierra valle banco banca universidad universidade instituto museo hospital colegio iglesia
    escuela club grupo compañía companhia""".split()
)


def find_shaped_names(text: str) -> list[tuple[int, int, float]]:
    """(start, end, score) of names with particles or with a family-name ending."""
    found: list[tuple[int, int, float]] = []
    for match in WITH_PARTICLE.finditer(text, overlapped=True):
        given = match.group("given").split()
        if given[0].casefold() not in NOT_A_GIVEN_NAME and all(is_name_word(w) for w in given) and any(listed_word(w) for w in given):
            found.append((match.start(), match.end(), PARTICLE_SCORE))
    # Words with a family-name ending are few, so they are found first and the word before checked.
    for ending in CAPITALISED_WORD.finditer(text):
        surname = POSSESSIVE.sub("", ending.group())  # "Dragan Petrović's car": the name, not the suffix
        if not surname.casefold().endswith(SURNAME_ENDING_TUPLE):
            continue
        before = GIVEN_BEFORE.search(text, max(0, ending.start() - LONGEST_GIVEN_NAME), ending.start())
        if not before or not has_surname_ending(surname):
            continue
        given = before.group("given")
        if is_name_word(given) and given.casefold() not in NOT_A_GIVEN_NAME:
            found.append((before.start("given"), ending.start() + len(surname), ENDING_SCORE))
    return found


class ShapedNameRecognizer(FinderRecognizer):
    """Capitalised names joined by a particle after a listed name, or ending like a family name."""

    find = staticmethod(find_shaped_names)
    load_lists = staticmethod(folded_surnames)
