"""The shipped name lists (scrubbers/data), loaded once per process, and the key they are looked up by.

Two kinds of lookup: exact, for capitalised words in running text ("Sophie", not "sophie"),
and folded (lower case, accents dropped), for text whose case or accents say nothing:
"NGUYEN THI HOA", "eva kleist", "Sean" for "Seán". Each file's header names its source and
licence; words that are also common English words were removed when the lists were built.
"""

from __future__ import annotations

import functools
import unicodedata

from scrubbers.recognizers.wordlist import read_list

GIVEN_NAME_FILES = ("given_names.txt", "world_given_names.txt")
SURNAME_FILES = ("census_surnames.txt", "world_surnames.txt")
PLACE_FILES = ("places.txt", "cities.txt")
ALSO_WORDS_FILE = "names_also_words.txt"
WORD_NAMES_FILE = "word_names.txt"
# Two-letter names ("Xu", "Li", "Ng", "Al") are real but collide with abbreviations and
# words in other languages; they count only beside a longer listed name.
SHORTEST_NAME_ALONE = 3


def _lines(names: tuple[str, ...]) -> list[str]:
    return [entry for name in names for entry in read_list(name)]


@functools.lru_cache(maxsize=1 << 16)
def fold(word: str) -> str:
    """The lookup key: lower case without accents, curly apostrophes straightened ("Ó Briain" -> "o briain")."""
    decomposed = unicodedata.normalize("NFKD", word.casefold().replace("’", "'"))
    return "".join(character for character in decomposed if not unicodedata.combining(character))


@functools.cache
def given_names() -> frozenset[str]:
    """Given names as written (capitalised), for exact lookups in running text."""
    return frozenset(_lines(GIVEN_NAME_FILES))


@functools.cache
def folded_given_names() -> frozenset[str]:
    return frozenset(fold(word) for word in given_names())


@functools.cache
def folded_surnames() -> frozenset[str]:
    return frozenset(fold(word) for word in _lines(SURNAME_FILES))


@functools.cache
def folded_places() -> frozenset[str]:
    """Countries, states and cities: a word ending like a surname may be one ("Alaska", "Genova")."""
    return frozenset(fold(word) for word in _lines(PLACE_FILES))


@functools.cache
def folded_also_words() -> frozenset[str]:
    """Listed names that are also English words ("kidney", "crystal", "over" from "Över")."""
    return frozenset(fold(word) for word in _lines((ALSO_WORDS_FILE,)))


@functools.cache
def folded_unambiguous_names() -> frozenset[str]:
    """Given names and surnames that are not also English words: safe to take in any case."""
    return (folded_given_names() | folded_surnames()) - folded_also_words()


def is_listed(word: str) -> bool:
    """Whether a word, in any case or accenting, is a listed name and not also an English word."""
    return fold(word) in folded_unambiguous_names()


def is_listed_alone(word: str) -> bool:
    """is_listed, for a word standing on its own: long enough not to be an abbreviation."""
    return len(word) >= SHORTEST_NAME_ALONE and is_listed(word)


@functools.cache
def folded_word_names() -> frozenset[str]:
    """Common names that are also English words ("hope", "walker"): names only where the context says person."""
    return frozenset(fold(word) for word in _lines((WORD_NAMES_FILE,)))


def is_known_name(word: str) -> bool:
    """Whether a word is any listed name in any case: a given name or surname, also when it is an English word."""
    key = fold(word)
    return key in folded_given_names() or key in folded_surnames() or key in folded_also_words() or key in folded_word_names()
