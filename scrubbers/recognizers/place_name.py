"""LOCATION: countries, regions, cities and towns from shipped gazetteers (scrubbers/data/places.txt, cities.txt, towns.txt).

spaCy's small model misses many place names, above all in capitals ("SHIP TO CANADA",
"flew to OSLO") and outside the English-speaking world, and a city named next to a
street or a person narrows that person down. A name matches when its first letter is a
capital, in its written form or in any casing of it, accents or not ("Oslo", "OSLO",
"ZURICH" for "Zürich"); in lower case only after a word that announces a place ("moved to
lisbon") or right after another place ("atlanta georgia"), so "georgia" in other lowercase
prose is left alone. Where a place is also a given name ("Chad", "Florence"), the merge
keeps the riskier PERSON, which redacts it either way.

Forty thousand names do not fit one regular expression well, so words are looked up:
a capitalised word that starts a listed name is tried against that name's following
words (longest name first), joined only by blanks.
"""

from __future__ import annotations

import dataclasses
import functools

import regex

from scrubbers.recognizers.finder import FinderRecognizer
from scrubbers.recognizers.lone_name import english_words

# The one lookup key for names, places and words: case, accents and curly apostrophes dropped,
# since capitals often lose accents ("ZURICH", "ΛΕΥΚΩΣΙΑ").
from scrubbers.recognizers.name_lists import fold
from scrubbers.recognizers.wordlist import read_list

COUNTRY_LIST = "places.txt"
TOWN_LIST = "towns.txt"
GAZETTEERS = (COUNTRY_LIST, "cities.txt", TOWN_LIST)
ENGLISH_WORD_PLACES = "place_words.txt"
SCORE = 0.6
# A word never ends in punctuation: "Paris." at a sentence end is "Paris".
WORD = regex.compile(r"[\p{L}][\p{L}\p{M}'’.-]*(?<![.'’-])")
# Only spaces and tabs join the words of one name: a line break or a comma ends it.
JOIN = regex.compile(r"[ \t]{1,2}")
# Chat, transcripts and exports are often all lower case ("moved to lisbon, portugal"). A
# lowercase listed name counts only right after a word that puts a place next ("in", "from",
# "near") or right after another place ("atlanta georgia", "lisbon, portugal"), so
# "a washington post" or "the china cabinet" stay as they are.
LOWERCASE_CUES = frozenset(
    "in from to near at outside around via into towards toward visit visited visiting visits".split()
)
AFTER_PLACE = regex.compile(r"[ \t]*,?[ \t]*")


@functools.lru_cache(maxsize=65536)
def _words(name: str) -> tuple[str, ...]:
    return tuple(fold(match.group()) for match in WORD.finditer(name))


# The line above a country that starts its own line, when that line is only a few
# capitalised words, is the town of an address block ("ALFRICK\nUnited Kingdom").
# Its words are capitalised, or short joiners ("Ostrov nad Ohrí"), and the country line holds
# nothing but the country and perhaps a postal code, so wrapped prose is left alone.
_TOWN_WORD = r"(?:\p{Lu}[\p{L}\p{M}'’.-]*|\p{Ll}{1,3}|\(\p{Lu}[\p{L}\p{M}'’.-]*\))"
TOWN_LINE_ABOVE = regex.compile(rf"(?<=^[ \t>]*){_TOWN_WORD}(?:[ \t]+{_TOWN_WORD}){{0,3}}(?=[ \t]*\n[ \t>]*\Z)", regex.MULTILINE)
LINE_START = regex.compile(r"(?:^|\n)[ \t>]*\Z")
COUNTRY_LINE_END = regex.compile(r"[ \t]*(?:\d[\d -]{1,8}[\dA-Z]?)?[ \t]*(?:\n|\Z)")


@dataclasses.dataclass(frozen=True)
class Gazetteer:
    """Listed names as casefolded word tuples: by first word (longest first), and the countries."""

    by_first_word: dict[str, tuple[tuple[str, ...], ...]]
    countries: frozenset[tuple[str, ...]]
    # Single-word places that are also English words: matched only when capitalised.
    english_words: frozenset[str]
    # Accent-free forms of accented places that are English words ("sale" for Salé): need the accents.
    accents_required: frozenset[str]
    # Towns under 150,000 people: too many (37,000) to trust in lower case, so capitalised only.
    towns: frozenset[tuple[str, ...]]


@functools.cache
def gazetteer() -> Gazetteer:
    """Both lists, each read and split into words once per process."""
    listed = {name: [_words(line) for line in read_list(name)] for name in GAZETTEERS}
    by_first: dict[str, set[tuple[str, ...]]] = {}
    for names in listed.values():
        for words in names:
            by_first.setdefault(words[0], set()).add(words)
    return Gazetteer(
        by_first_word={first: tuple(sorted(names, key=len, reverse=True)) for first, names in by_first.items()},
        countries=frozenset(listed[COUNTRY_LIST]),
        english_words=frozenset(fold(word) for word in read_list(ENGLISH_WORD_PLACES)),
        accents_required=frozenset(fold(word) for word in read_list(ENGLISH_WORD_PLACES) if fold(word) != word.casefold()),
        towns=frozenset(listed[TOWN_LIST]) - frozenset(listed[COUNTRY_LIST]) - frozenset(listed["cities.txt"]),
    )


def is_listed_place(name: str) -> bool:
    """Whether `name` (any case) begins with a listed place: "Berlin", "Genova GE", "Saint-Priest"."""
    words = _words(name)
    return bool(words) and any(words[: len(listed)] == listed for listed in gazetteer().by_first_word.get(words[0], ()))


def find_places(text: str) -> list[tuple[int, int, float]]:
    """(start, end, score) of each listed place name in `text`: capitalised, or lowercase after a place cue."""
    listed = gazetteer()
    tokens = list(WORD.finditer(text))
    found: list[tuple[int, int]] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        word = token.group()
        key = fold(word)
        candidates = listed.by_first_word.get(key)
        if candidates and key in listed.accents_required and word.casefold() == key:
            candidates = None  # "SALE" is not Salé
        if candidates and not word[0].isupper():
            if key in listed.english_words or not _lowercase_allowed(text, tokens, index, found):
                candidates = None
        matched = 0
        lowercase = not word[0].isupper()
        for name in candidates or ():
            if lowercase and name in listed.towns and not _distinct_lowercase_town(name):
                continue
            stop = index + len(name)
            if stop <= len(tokens) and all(
                fold(tokens[i].group()) == name[i - index] and JOIN.fullmatch(text, tokens[i - 1].end(), tokens[i].start())
                for i in range(index + 1, stop)
            ):
                found.append((token.start(), tokens[stop - 1].end()))
                matched = len(name)
                if name in listed.countries and COUNTRY_LINE_END.match(text, tokens[stop - 1].end()):
                    found += _town_line_above(text, token.start())
                break
        index += matched or 1
    # A town line above a country may hold a shorter listed name ("Ostrov" in "Ostrov nad Ohrí").
    spans = sorted(set(found))
    return [(*span, SCORE) for span in spans if not any(o != span and o[0] <= span[0] and span[1] <= o[1] for o in spans)]


def _distinct_lowercase_town(name: tuple[str, ...]) -> bool:
    """A town of two or more words, one of them no English word ("mount waverley", "walla walla"): safe in lower case after a cue."""
    return len(name) > 1 and any(word not in english_words() for word in name)


def _lowercase_allowed(text: str, tokens: list[regex.Match[str]], index: int, found: list[tuple[int, int]]) -> bool:
    """A lowercase name counts after a place cue word or right after a place just found."""
    if index == 0:
        return False
    previous = tokens[index - 1]
    if found and found[-1][1] == previous.end() and AFTER_PLACE.fullmatch(text, previous.end(), tokens[index].start()):
        return True
    return previous.group().casefold() in LOWERCASE_CUES and JOIN.fullmatch(text, previous.end(), tokens[index].start()) is not None


def _town_line_above(text: str, country_start: int) -> list[tuple[int, int]]:
    """The town line just above a country that begins its line, if it looks like one."""
    line_start = text.rfind("\n", 0, country_start) + 1
    if line_start == 0 or not LINE_START.search(text[max(0, line_start - 1) : country_start]):
        return []
    above_start = text.rfind("\n", 0, line_start - 1) + 1
    town = TOWN_LINE_ABOVE.search(text[above_start:line_start])
    return [(above_start + town.start(), above_start + town.end())] if town else []


class PlaceNameRecognizer(FinderRecognizer):
    """Listed countries, regions and cities, capitalised or in capitals."""

    ENTITY = "LOCATION"
    find = staticmethod(find_places)
    load_lists = staticmethod(gazetteer)
