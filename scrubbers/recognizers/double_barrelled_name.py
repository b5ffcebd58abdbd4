"""PERSON: double-barrelled surnames: "Okonkwo-Reid", "Nakashima-Lopez", "Kovalenko-Shaw".

Joined surnames (British, Spanish and Latin American, Nigerian, married names) pair a listed
name with one from another tradition, so neither list holds the pair and spaCy, seeing a
hyphenated capitalised word, often takes it for a place. A capitalised pair is a name when
one part is a listed surname and the other is a name too (listed, or a word
no dictionary spells), and neither the pair nor a part is a listed place: "Baden-Württemberg",
"Saxony-Anhalt" and "Follow-Up" stay, and a company word after it ("Hewlett-Packard Ltd")
makes it a firm.
"""

from __future__ import annotations

import regex

from scrubbers.recognizers.finder import FinderRecognizer
from scrubbers.recognizers.lone_name import english_words, is_unknown_word
from scrubbers.recognizers.name_lists import fold, folded_places, folded_surnames, is_listed_alone

SCORE = 0.45
_PART = r"\p{Lu}[\p{Ll}\p{M}]+(?:['’]\p{Lu}[\p{Ll}\p{M}]+)?"
DOUBLE_BARRELLED = regex.compile(rf"(?<![\w'’@./-])(?P<name>{_PART}-{_PART})(?![\w@/-])(?![ \t]+(?i:inc|ltd|llc|plc|gmbh|corp|co|group|company|sa|ag)\b)")


def _is_name_part(part: str) -> bool:
    return is_listed_alone(part) or is_unknown_word(part)


def find_double_barrelled_names(text: str) -> list[tuple[int, int, float]]:
    """(start, end, score) of hyphenated pairs of capitalised names with at least one listed part."""
    found = []
    for match in DOUBLE_BARRELLED.finditer(text):
        name = match.group("name")
        parts = name.split("-")
        if fold(name) in folded_places() or any(fold(part) in folded_places() for part in parts):
            continue
        if parts[0] == parts[1] or not any(fold(part) in folded_surnames() for part in parts):
            continue  # "Baden-Baden"; "Mercedes-Benz" holds a first name but no surname
        if any(is_listed_alone(part) for part in parts) and all(_is_name_part(part) for part in parts):
            found.append((match.start("name"), match.end("name"), SCORE))
    return found


class DoubleBarrelledNameRecognizer(FinderRecognizer):
    """Hyphenated pairs of capitalised names ("Okonkwo-Reid") where a list holds one part and neither is a place."""

    find = staticmethod(find_double_barrelled_names)
    load_lists = staticmethod(english_words)
