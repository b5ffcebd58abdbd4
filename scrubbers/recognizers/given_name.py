"""PERSON: names spaCy's small model misses, found by a shipped given-name list and name shape.

"Johannes Varvio", "Faina D. Yefremova", "Sophie": a given name from
scrubbers/data/given_names.txt or world_given_names.txt followed by capitalised words is a name (0.65); any
"First M. Last" with a middle initial is too (0.55); a listed given name alone scores
just over the default threshold (0.45), since "Jordan" can be a country and "Georgia"
a state (the merge then keeps the riskier PERSON, redacting either way).

The list holds a few thousand names, too many for one regular expression to match
quickly, so capitalised words are looked up in a set and only the words after a hit
are matched by pattern.
"""

from __future__ import annotations

import regex

from scrubbers.recognizers.finder import FinderRecognizer
from scrubbers.recognizers.name_lists import given_names

SURNAME = r"\p{Lu}[\p{Ll}'’]+(?:-\p{Lu}[\p{Ll}'’]+)?"
INITIAL = r"\p{Lu}\.?"
FULL_NAME_SCORE = 0.65
INITIAL_NAME_SCORE = 0.55
GIVEN_NAME_SCORE = 0.45

# Case matters throughout: capitals are what mark a name ("sophie called" is left to NER).
CAPITALISED_WORD = regex.compile(r"(?<![\w-])\p{Lu}[\p{Ll}'’]+(?![\w-])")
SURNAMES_AFTER = regex.compile(rf"(?:[ \t]+{INITIAL})?(?:[ \t]+{SURNAME}){{1,2}}(?![\w-])")
# A given name that ends in an apostrophe-s is still the name ("Sophie's"), minus the suffix.
POSSESSIVE = regex.compile(r"['’]s$")
FIRST_INITIAL_LAST = regex.compile(rf"(?<![\w-]){SURNAME}[ \t]+{INITIAL}[ \t]+{SURNAME}(?![\w-])")


def find_names(text: str) -> list[tuple[int, int, float]]:
    """(start, end, score) of listed given names, with their surnames when present, and First M. Last."""
    names = given_names()
    found: list[tuple[int, int, float]] = []
    for word in CAPITALISED_WORD.finditer(text):
        if found and word.start() < found[-1][1]:
            continue  # the surname of a name already found ("Tiffany Murdock"), even if listed as a given name
        value = word.group()
        end = word.end()
        if value not in names:
            bare = POSSESSIVE.sub("", value)
            if bare == value or bare not in names:
                continue
            end -= len(value) - len(bare)
        tail = SURNAMES_AFTER.match(text, end) if end == word.end() else None
        if tail:
            found.append((word.start(), tail.end(), FULL_NAME_SCORE))
        else:
            found.append((word.start(), end, GIVEN_NAME_SCORE))
    listed = {(start, end) for start, end, _ in found}
    found += [(m.start(), m.end(), INITIAL_NAME_SCORE) for m in FIRST_INITIAL_LAST.finditer(text) if m.span() not in listed]
    return found


class GivenNameRecognizer(FinderRecognizer):
    """Listed given names (with their surnames when present) and initial-in-the-middle names."""

    find = staticmethod(find_names)
    load_lists = staticmethod(given_names)
