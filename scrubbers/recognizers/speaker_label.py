"""PERSON: transcript speaker names, from the labels that start the turns ("Zuzana: ...", "Marcus Webb: ...").

A capitalised word before a colon at the start of a line is a speaker only in a
transcript; in a form it is a field ("Project: ...", "Status: ..."). A label counts as a
speaker when it starts at least two lines, or when its line goes on with a quotation;
field words (Date, Subject, Agent, ...) never do. Every turn the speaker starts is found.
In a dialogue, where one label is already a speaker (it recurs, opens a quotation, or is a
listed given name), a label that speaks only once is a speaker too if it is no English
word ("Ubul: What a wife.\nNicole: Remember me") or a name that is also a word ("Destiny:",
word_names.txt); "Project:" in a form stays a field. Labels in capitals ("MRS ADEBAYO:") count
when they recur or share the text with another label, if every word may be a name (a name
that is also a word, only if it speaks twice: "REASON:" in a form is a field). A turn may
start with its time ("[09:14] Olumide:"), and a role before a name ("Agent Precious:") or a
name in brackets ("Speaker 2 (Obi):") makes the name a speaker at once.
"""

from __future__ import annotations

from collections import defaultdict

import regex

from scrubbers.recognizers.finder import FinderRecognizer
from scrubbers.recognizers.lone_name import is_unknown_word
from scrubbers.recognizers.name_lists import fold, folded_word_names, given_names
from scrubbers.recognizers.name_phrase import FIELD_LABELS

SCORE = 0.5
# A turn may start with its time: "[09:14] Olumide:", "00:01:12 Haruka:".
TIME = r"(?:\[?\d{1,2}:\d{2}(?::\d{2})?\]?[ \t]+)?"
LABEL = regex.compile(
    rf"^[ \t>]*{TIME}(?P<name>{FIELD_LABELS}\p{{Lu}}\p{{Ll}}+(?:[ \t]+{FIELD_LABELS}\p{{Lu}}\p{{Ll}}+)?)[ \t]*:(?P<quoted>[ \t]*[\"“])?",
    regex.MULTILINE,
)
# Transcripts in capitals: "MRS ADEBAYO: Tired.", "DESTINY: Around March". A capitals label is
# a speaker only when each word (a title aside) may be a name, so NURSE, NOTE, URGENT stay.
CAPITALS_LABEL = regex.compile(
    rf"^[ \t>]*{TIME}(?:(?:MR|MRS|MS|MISS|MX|DR|PROF)\.?[ \t]+)?(?P<name>\p{{Lu}}{{3,}}(?:[-'’]\p{{Lu}}+)?(?:[ \t]+\p{{Lu}}{{3,}}(?:[-'’]\p{{Lu}}+)?)?)[ \t]*:",
    regex.MULTILINE,
)


# A role before the speaker's name ("Agent Precious:", "[09:14] Nurse Obi (ward 3):"): the name speaks.
ROLE_LABEL = regex.compile(
    rf"^[ \t>]*{TIME}(?i:agent|advisor|adviser|operator|rep|representative|nurse|doctor|dr|caller|customer|"
    rf"client|patient|interviewer|interviewee|interpreter|supervisor|manager)\.?[ \t]+(?P<name>\p{{Lu}}\p{{Ll}}+)"
    rf"(?:[ \t]+\([^)\n]*\))?[ \t]*:",
    regex.MULTILINE,
)

# A name in brackets in a turn's label: "Speaker 2 (Obi):", "[00:01] AGENT (Svetlana):".
BRACKETED_LABEL = regex.compile(
    rf"^[ \t>]*{TIME}[\p{{L}}]+(?:[ \t]+\d+)?[ \t]*\((?P<name>\p{{Lu}}\p{{Ll}}+(?:[ \t]+\p{{Lu}}\p{{Ll}}+)?)\)[ \t]*:",
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
    found = [(start, end, SCORE) for name in speakers for start, end in turns[name]]
    for match in (*ROLE_LABEL.finditer(text), *BRACKETED_LABEL.finditer(text)):
        if all(_may_speak(word) for word in match.group("name").split()):
            found.append((match.start("name"), match.end("name"), SCORE))
    return sorted(found + _capitals_speakers(text))


def _capitals_speakers(text: str) -> list[tuple[int, int, float]]:
    """Capitals labels that may be names, when they recur or another label starts a line too (a dialogue)."""
    turns: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for match in CAPITALS_LABEL.finditer(text):
        turns[match.group("name")].append(match.span("name"))
    if len(turns) < 2 and not any(len(spans) >= 2 for spans in turns.values()):
        return []
    names = [name for name, spans in turns.items() if all(_may_speak_in_capitals(word.capitalize(), len(spans)) for word in name.split())]
    return [(start, end, SCORE) for name in names for start, end in turns[name]]


def _may_speak_in_capitals(word: str, turns: int) -> bool:
    """A form's field labels in capitals are words ("REASON:"), so a name that is also a word must speak twice."""
    return is_unknown_word(word) or word in given_names() or (turns >= 2 and fold(word) in folded_word_names())


class SpeakerLabelRecognizer(FinderRecognizer):
    """Labels that start two or more lines, or a quoted line, before a colon."""

    find = staticmethod(find_speakers)
