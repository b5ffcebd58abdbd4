"""LOCATION: countries, regions and cities from shipped gazetteers (scrubbers/data/places.txt, cities.txt).

spaCy's small model misses many place names, above all in capitals ("SHIP TO CANADA",
"flew to OSLO") and outside the English-speaking world, and a city named next to a
street or a person narrows that person down. A name matches when its first letter is a
capital, in its written form or in any casing of it ("Oslo", "OSLO"); "georgia" in
lowercase prose is left alone. Where a place is also a given name ("Chad", "Florence"),
the merge keeps the riskier PERSON, which redacts it either way.

Four thousand names do not fit one regular expression well, so words are looked up:
a capitalised word that starts a listed name is tried against that name's following
words (longest name first), joined only by blanks.
"""

from __future__ import annotations

import functools
from pathlib import Path

import regex
from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

DATA = Path(__file__).resolve().parent.parent / "data"
GAZETTEERS = (DATA / "places.txt", DATA / "cities.txt")
SCORE = 0.6
# A word never ends in punctuation: "Paris." at a sentence end is "Paris".
WORD = regex.compile(r"[\p{L}][\p{L}\p{M}'’.-]*(?<![.'’-])")
# Only spaces and tabs join the words of one name: a line break or a comma ends it.
JOIN = regex.compile(r"[ \t]{1,2}")


def _words(name: str) -> tuple[str, ...]:
    return tuple(match.group().casefold() for match in WORD.finditer(name))


# The line above a country that starts its own line, when that line is only a few
# capitalised words, is the town of an address block ("ALFRICK\nUnited Kingdom").
# Its words are capitalised, or short joiners ("Ostrov nad Ohrí"), and the country line holds
# nothing but the country and perhaps a postal code, so wrapped prose is left alone.
_TOWN_WORD = r"(?:\p{Lu}[\p{L}\p{M}'’.-]*|\p{Ll}{1,3}|\(\p{Lu}[\p{L}\p{M}'’.-]*\))"
TOWN_LINE_ABOVE = regex.compile(rf"(?<=^[ \t>]*){_TOWN_WORD}(?:[ \t]+{_TOWN_WORD}){{0,3}}(?=[ \t]*\n[ \t>]*\Z)", regex.MULTILINE)
LINE_START = regex.compile(r"(?:^|\n)[ \t>]*\Z")
COUNTRY_LINE_END = regex.compile(r"[ \t]*(?:\d[\d -]{1,8}[\dA-Z]?)?[ \t]*(?:\n|\Z)")


@functools.cache
def countries() -> frozenset[tuple[str, ...]]:
    """Names from places.txt (countries and regions), which end an address block."""
    lines = GAZETTEERS[0].read_text(encoding="utf-8").splitlines()
    return frozenset(_words(line.strip()) for line in lines if line.strip() and not line.startswith("#"))


@functools.cache
def place_names() -> dict[str, tuple[tuple[str, ...], ...]]:
    """Listed names as casefolded word tuples, keyed by their first word, longest first."""
    by_first: dict[str, set[tuple[str, ...]]] = {}
    for path in GAZETTEERS:
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                words = _words(line)
                by_first.setdefault(words[0], set()).add(words)
    return {first: tuple(sorted(names, key=len, reverse=True)) for first, names in by_first.items()}


def find_places(text: str) -> list[tuple[int, int]]:
    """(start, end) of each listed place name in `text` that starts with a capital letter."""
    names = place_names()
    tokens = list(WORD.finditer(text))
    found: list[tuple[int, int]] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        candidates = names.get(token.group().casefold()) if token.group()[0].isupper() else None
        matched = 0
        for name in candidates or ():
            stop = index + len(name)
            if stop <= len(tokens) and all(
                tokens[i].group().casefold() == name[i - index] and JOIN.fullmatch(text, tokens[i - 1].end(), tokens[i].start())
                for i in range(index + 1, stop)
            ):
                found.append((token.start(), tokens[stop - 1].end()))
                matched = len(name)
                if name in countries() and COUNTRY_LINE_END.match(text, tokens[stop - 1].end()):
                    found += _town_line_above(text, token.start())
                break
        index += matched or 1
    return sorted(set(found))


def _town_line_above(text: str, country_start: int) -> list[tuple[int, int]]:
    """The town line just above a country that begins its line, if it looks like one."""
    line_start = text.rfind("\n", 0, country_start) + 1
    if line_start == 0 or not LINE_START.search(text[max(0, line_start - 1) : country_start]):
        return []
    above_start = text.rfind("\n", 0, line_start - 1) + 1
    town = TOWN_LINE_ABOVE.search(text[above_start:line_start])
    return [(above_start + town.start(), above_start + town.end())] if town else []


class PlaceNameRecognizer(EntityRecognizer):
    """Listed countries, regions and cities, capitalised or in capitals."""

    def __init__(self) -> None:
        super().__init__(supported_entities=["LOCATION"], name="PlaceNameRecognizer")

    def load(self) -> None:
        place_names()

    def analyze(self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None) -> list[RecognizerResult]:
        if "LOCATION" not in entities:
            return []
        return [RecognizerResult("LOCATION", start, end, SCORE) for start, end in find_places(text)]
