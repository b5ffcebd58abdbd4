"""PERSON: names whose case says nothing: "eva kleist", "NGUYEN THI HOA", "Zhang Lihua" (surname first).

spaCy's small model leans on capitals, so chat in lower case and form exports in capitals
slip past it, and GivenNameRecognizer/SurnameRecognizer expect "Given Surname" in title
case. Here two or more adjacent words written alike (all lower case, all capitals, or all
title case), each a listed given name or surname that is not also an English word, are a
name; one listed word alone is not. A run that names a place ("Hong Kong") is not. In
lower case or capitals a listed given name followed by a word with a family-name ending
(-ová, -sson, -enko: see name_shape) is a name too.
"""

from __future__ import annotations

from scrubbers.recognizers.finder import FinderRecognizer
from scrubbers.recognizers.name_lists import fold, folded_given_names, folded_places, folded_surnames
from scrubbers.recognizers.name_words import TOKEN, has_surname_ending, listed_word

SCORE = 0.5
MOST_WORDS = 4


def _style(word: str) -> str:
    if word.islower():
        return "lower"
    if word.isupper():
        return "upper"
    if word[0].isupper() and word[1:].replace("-", "").replace("'", "").islower():
        return "title"
    return "mixed"


def find_uncased_names(text: str) -> list[tuple[int, int, float]]:
    """(start, end, score) of runs of two or more listed name words written alike, separated by spaces."""
    found: list[tuple[int, int, float]] = []
    run: list[tuple[int, int, str]] = []

    def close() -> None:
        if len(run) < 2:  # most tokens close an empty run or a lone word: no name, nothing to join or fold
            run.clear()
            return
        words = " ".join(word for _, _, word in run)
        names = [word for _, _, word in run if len(word.rstrip(".")) > 1]
        if len(names) >= 2 and fold(words) not in folded_places():
            found.append((run[0][0], run[-1][1], SCORE))
        run.clear()

    initial: tuple[int, int, str] | None = None
    for token in TOKEN.finditer(text):
        value = token.group()
        listed = value[0].isalpha() and listed_word(value)
        joined = bool(run) and text[run[-1][1] : token.start()].strip(" \t") == "" and text[run[-1][1]] in " \t"
        if listed and joined and len(run) < MOST_WORDS and _style(value) == _style(run[0][2]) != "mixed":
            run.append((token.start(), token.end(), value))
            continue
        # An unlisted family name after a listed given name, known by its ending ("ivana zelenková").
        if joined and not listed and _style(value) in ("lower", "upper") and _style(value) == _style(run[0][2]):
            if fold(run[-1][2]) in folded_given_names() and has_surname_ending(value):
                run.append((token.start(), token.end(), value))
                close()
                continue
        # A middle initial ("codey m ross", "ANA M SOUZA") joins the run if a listed name follows it.
        if joined and len(value) == 1 and value.isalpha() and _style(value) == _style(run[0][2]) and run[-1][2] != value:
            initial = (token.start(), token.end(), value)
            run.append(initial)
            continue
        if initial and run and run[-1] is initial and value == "." and text[run[-1][1]] == ".":
            run[-1] = (initial[0], token.end(), initial[2] + ".")
            continue
        if run and run[-1][2][0:1].isalpha() and len(run[-1][2].rstrip(".")) == 1:
            run.pop()  # an initial no listed name followed
        initial = None
        if len(run) >= 2:
            close()
        else:  # close() would find nothing in a run of fewer than two words
            run.clear()
        if listed:
            run.append((token.start(), token.end(), value))
    if run and len(run[-1][2].rstrip(".")) == 1:
        run.pop()
    close()
    return found


class UncasedNameRecognizer(FinderRecognizer):
    """Two or more adjacent listed names written alike, in any case."""

    find = staticmethod(find_uncased_names)
    load_lists = staticmethod(folded_surnames)
