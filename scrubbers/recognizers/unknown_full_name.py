"""PERSON: two or three capitalised words side by side that no dictionary or gazetteer holds: "Irenke Sörös", "Vidica Zakoč".

The name lists cover the commonest names of eighty locales, and SurnameRecognizer takes any
word before a listed surname; a full name whose given name and surname are both unlisted
is left to spaCy's small model, which misses most it has not seen. Yet English text rarely
puts two capitalised words together that an English dictionary does not spell: brands and
places that it does not know usually come one word at a time, and places are looked up.
So a run of two or three such words (particles allowed between them: "Willemine ten Pas")
is a name. Capitals alone ("ACME XYZZY") and words after a line-start label ("Ref: ...")
say nothing about people and are not taken.
"""

from __future__ import annotations

import regex

from scrubbers.recognizers.finder import FinderRecognizer
from scrubbers.recognizers.lone_name import english_words, is_unknown_word
from scrubbers.recognizers.name_words import PARTICLE

SCORE = 0.5
_WORD = r"\p{Lu}[\p{Ll}\p{M}]+(?:-\p{Lu}?[\p{Ll}\p{M}]+)?"
RUN = regex.compile(rf"(?<![\w'’@./-]){_WORD}(?:[ \t]+(?:{PARTICLE}[ \t]+){{0,2}}{_WORD}){{1,2}}(?![\w'’@/-])")
WORD = regex.compile(_WORD)


def find_unknown_full_names(text: str) -> list[tuple[int, int, float]]:
    """(start, end, score) of runs of two or three capitalised words that are all unknown."""
    runs = [match.span() for match in RUN.finditer(text, overlapped=True) if all(is_unknown_word(word) for word in WORD.findall(match.group()))]
    # Overlapped matching tries every start ("The Irenke Sörös" fails, "Irenke Sörös" holds); the longest run is kept.
    return [(start, end, SCORE) for start, end in runs if not any(o != (start, end) and o[0] <= start and end <= o[1] for o in runs)]


class UnknownFullNameRecognizer(FinderRecognizer):
    """Runs of two or three capitalised words no dictionary, gazetteer or name list holds."""

    find = staticmethod(find_unknown_full_names)
    load_lists = staticmethod(english_words)
