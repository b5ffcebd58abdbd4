"""LOCATION: a capitalised word no list holds, right after "in", "to", "from" or "near": "I am in Rohod", "flew to ÖSTERSKÄR".

The gazetteers hold towns of 15,000 people and more, and PlacePhraseRecognizer needs a
travel or residence verb; villages named after a bare preposition slip past both. After
"in", "to", "from" or "near", a capitalised word (or one in capitals) that is neither an
English word nor a proper noun a dictionary spells (so "in Paris", "to Google", "in
English" are left to their own recognizers or alone), nor a listed given name or surname
(so "spoke to Kwabena" is a person's business, not a place's), is far more often a place
than anything else. A second such word may follow ("in Bremen Ohlenhof").
"""

from __future__ import annotations

import regex

from scrubbers.recognizers.finder import FinderRecognizer
from scrubbers.recognizers.lone_name import english_words, is_unknown_word
from scrubbers.recognizers.name_lists import fold, folded_given_names, folded_surnames

SCORE = 0.45
_WORD = r"\p{Lu}[\p{L}\p{M}]+(?:-\p{Lu}[\p{L}\p{M}]+)?"
# Words before "to" that make what follows a person or an organisation, not a destination.
NOT_TRAVEL = frozenset(
    """according welcome thanks due subscribe subscribed compared similar next close talk talked talking speak spoke
    spoken speaking said say says write wrote written reply replied send sent forward forwarded introduce introduced
    belongs belong married engaged report reported reports listen explain explained apply applied pay paid owe owed
    give gave given lent sold handed complain complained""".split()
)
PREVIOUS_WORD = regex.compile(r"(\w+)[ \t]+\Z")
AFTER_PREPOSITION = regex.compile(rf"(?<![\w-])(?:in|to|from|near)[ \t]+(?P<place>{_WORD}(?:[ \t]+{_WORD})?)(?![\w-])")


def _unknown_place_word(word: str) -> bool:
    key = fold(word)
    return is_unknown_word(word) and key not in folded_given_names() and key not in folded_surnames()


def find_unknown_places(text: str) -> list[tuple[int, int, float]]:
    """(start, end, score) of unknown capitalised words after in/to/from/near (the first word must be unknown)."""
    found = []
    for match in AFTER_PREPOSITION.finditer(text):
        words = match.group("place").split()
        if not _unknown_place_word(words[0]):
            continue
        previous = PREVIOUS_WORD.search(text, max(0, match.start() - 30), match.start())
        if match.group().startswith("to") and previous and previous.group(1).casefold() in NOT_TRAVEL:
            continue
        # A second word joins when it is capitalised and no English word either ("Bremen Ohlenhof", not "Rohod For").
        end = match.end("place") if len(words) == 2 and fold(words[1]) not in english_words() else match.start("place") + len(words[0])
        found.append((match.start("place"), end, SCORE))
    return found


class UnknownPlaceRecognizer(FinderRecognizer):
    """Capitalised words no dictionary or name list holds, after in, to, from or near."""

    ENTITY = "LOCATION"
    find = staticmethod(find_unknown_places)
    load_lists = staticmethod(english_words)
