"""PERSON: transcript speaker names, from the labels that start the turns ("Zuzana: ...", "Marcus Webb: ...").

A capitalised word before a colon at the start of a line is a speaker only in a
transcript; in a form it is a field ("Project: ...", "Status: ..."). A label counts as a
speaker when it starts at least two lines, or when its line goes on with a quotation;
field words (Date, Subject, Agent, ...) never do. Every turn the speaker starts is found.
In a dialogue, where one label is already a speaker (it recurs, opens a quotation, or is a
listed given name), a label that speaks only once is a speaker too if it is no English
word ("Ubul: What a wife.\nNicole: Remember me") or a name that is also a word ("Destiny:",
word_names.txt); "Project:" in a form stays a field.
"""

from __future__ import annotations

from collections import defaultdict

import regex

from scrubbers.recognizers.finder import FinderRecognizer
from scrubbers.recognizers.lone_name import is_unknown_word
from scrubbers.recognizers.name_lists import fold, folded_word_names, given_names
from scrubbers.recognizers.name_phrase import FIELD_LABELS

SCORE = 0.5
LABEL = regex.compile(
    rf"^[ \t>]*(?P<name>{FIELD_LABELS}\p{{Lu}}\p{{Ll}}+(?:[ \t]+{FIELD_LABELS}\p{{Lu}}\p{{Ll}}+)?)[ \t]*:(?P<quoted>[ \t]*[\"“])?",
    regex.MULTILINE,
)


def _may_speak(word: str) -> bool:
    return is_unknown_word(word) or word in given_names() or fold(word) in folded_word_names()


def find_speakers(text: str) -> list[tuple[int, int, float]]:
    """(start, end, score) of every speaker label that recurs or opens a quotation, and of one-off speakers in a dialogue."""
    turns: dict[str, list[tuple[int, int]]] = defaultdict(list)
    quoted: set[str] = set()
    for match in LABEL.finditer(text):
        turns[match.group("name")].append(match.span("name"))
        if match.group("quoted"):
            quoted.add(match.group("name"))
    speakers = {name for name, spans in turns.items() if len(spans) >= 2 or name in quoted}
    if len(turns) >= 2 and (speakers or any(name in given_names() for name in turns)):
        speakers |= {name for name in turns if all(_may_speak(word) for word in name.split())}
    return sorted((start, end, SCORE) for name in speakers for start, end in turns[name])


class SpeakerLabelRecognizer(FinderRecognizer):
    """Labels that start two or more lines, or a quoted line, before a colon."""

    find = staticmethod(find_speakers)
