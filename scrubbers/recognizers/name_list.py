"""PERSON: every name in a list of names ("founders: Kónya, Becker and Vasquez", "cover: sipho, lerato and thandi").

A list whose items are mostly listed names is a list of people, so its other items are
names too, even ones no list holds. An item counts as a name when its words are
capitalised name words with at least one of them listed, or, in any case, when all are
listed. The list is taken when at least two items are listed names and at most one item of
three or more does not look like a name (that one is taken only if it is a single word);
capitalised names that are also English words ("Reed") count while they are at most half
the list, and a pair of single capitalised words needs one listed name ("Usamov and Reyes").
Lists of places, brands or days ("Visa, Mastercard and Amex") hold no listed names.

The text is walked once, word by word, so long documents cost no more than their length.
"""

from __future__ import annotations

from scrubbers.recognizers.finder import FinderRecognizer
from scrubbers.recognizers.name_lists import fold, folded_places, folded_surnames, given_names
from scrubbers.recognizers.name_words import NOT_A_NAME, TOKEN, is_name_word, is_particle, listed_word

SCORE = 0.5
MOST_ITEM_WORDS = 3
SEPARATORS = frozenset({",", "&", "and", "or"})

Word = tuple[int, int, str]


def _name_run(words: list[Word], *, trailing: bool) -> tuple[int, int, bool] | None:
    """The run of name words of one item, (start, end, has a listed word), or None.

    The first item may begin with other words ("founders: Kónya"), so its run is read
    backwards from its end; later items may run on into the sentence ("and Thandi went
    home"), so theirs is read forwards from their start.
    """
    ordered = list(reversed(words)) if trailing else words
    run: list[Word] = []
    for word in ordered:
        value = word[2]
        if run and is_particle(value):
            continue
        if fold(value) in folded_places() or not (listed_word(value) or is_name_word(value)):
            break
        run.append(word)
    if not run:
        return None
    first, last = (run[-1], run[0]) if trailing else (run[0], run[-1])
    return first[0], last[1], any(listed_word(word[2]) for word in run)


def _names_in_list(items: list[list[Word]]) -> list[tuple[int, int]]:
    runs = [_name_run(item, trailing=index == 0) for index, item in enumerate(items)]
    listed = sum(1 for run in runs if run and run[2])
    unlike = [item for item, run in zip(items, runs, strict=True) if run is None]
    if len(unlike) > (1 if len(items) >= 3 else 0):
        return []
    # Capitalised names that are also words ("Graves", "Reed") count in a list of capitalised
    # names, but only while they are no more than half of it ("Speed, Ice, Crystal, Glass" is not).
    capitalised = sum(1 for run in runs if run and not run[2] and _capitalised_listed(items, run))
    if listed < 2 and not (listed == 1 and len(items) == 2 and not unlike and _single_capitalised_words(items, runs)):
        if listed + capitalised < 2 or 2 * (listed + capitalised) < len(items):
            return []
    found = []
    for item, run in zip(items, runs, strict=True):
        if run:
            found.append((run[0], run[1]))
        elif len(item) == 1 and item[0][2].casefold() not in NOT_A_NAME and fold(item[0][2]) not in folded_places():
            found.append((item[0][0], item[0][1]))
    return found


def _capitalised_listed(items: list[list[Word]], run: tuple[int, int, bool]) -> bool:
    words = [word[2] for item in items for word in item if run[0] <= word[0] < run[1]]
    return any(word[:1].isupper() and (word in given_names() or fold(word) in folded_surnames()) for word in words)


def _single_capitalised_words(items: list[list[Word]], runs: list[tuple[int, int, bool] | None]) -> bool:
    """Each item's name is one capitalised name word: "Usamov and Bowers"."""
    for item, run in zip(items, runs, strict=True):
        words = [word[2] for word in item if run and run[0] <= word[0] < run[1]]
        if len(words) != 1 or not is_name_word(words[0]):
            return False
    return True


def _may_hold_separator(text: str) -> bool:
    """False when no token can be a separator, so the text holds no list (casefold maps character by character)."""
    if "," in text or "&" in text:
        return True
    folded = text.casefold()
    return "and" in folded or "or" in folded


def _lists(text: str) -> list[list[list[Word]]]:
    """Runs of two or more items (1-3 words each) joined by commas, "and", "or" or "&", on one line."""
    lists: list[list[list[Word]]] = []
    items: list[list[Word]] = [[]]
    previous_end = 0

    def close() -> None:
        nonlocal items
        if len(items) >= 2:  # one item, or none, is never a list
            complete = [item for item in items if item]
            if len(complete) >= 2:
                lists.append(complete)
        items = [[]]

    if not _may_hold_separator(text):
        return lists
    for token in TOKEN.finditer(text):
        value = token.group()
        start = token.start()
        if text.find("\n", previous_end, start) >= 0:
            close()
        previous_end = end = token.end()
        if len(value) <= 3 and value.casefold() in SEPARATORS:
            if items[-1]:
                items.append([])
            elif len(items) == 1:
                close()
            continue
        if not value[0].isalpha():
            close()
            continue
        current = items[-1]
        if len(current) < MOST_ITEM_WORDS:
            current.append((start, end, value))
        elif len(items) == 1:
            current.pop(0)  # the first item keeps its last words: "Yesterday I called Maria, ..."
            current.append((start, end, value))
        else:
            close()
            items[-1].append((start, end, value))
    close()
    return lists


def find_listed_names(text: str) -> list[tuple[int, int, float]]:
    """(start, end, score) of each name in lists of names."""
    return [(start, end, SCORE) for items in _lists(text) for start, end in _names_in_list(items)]


class NameListRecognizer(FinderRecognizer):
    """Each item of a comma or "and" list whose items are mostly listed names."""

    find = staticmethod(find_listed_names)
    load_lists = staticmethod(folded_surnames)
