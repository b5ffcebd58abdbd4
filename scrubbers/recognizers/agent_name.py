"""PERSON: the people a record says did something, and the people a form line lists.

"prepared by Oyelaran", "reviewed by Kovalenko-Shaw", "seen by Thistlewood", "Signed:
Hallvardsen", "Attendees: Waweru, Ilunga", "Attn: Radebe", "according to Nwachukwu". Clinical notes, minutes, claim files and HR
records name who wrote, saw, approved or witnessed them, and whom they are for or from, and a name there is often a lone
surname that no list holds and spaCy does not know. After such a participle and "by", or
after a field label that only people fill, a capitalised word is a person if it is a
name: a listed name of any kind or a word no dictionary spells. "approved by Finance",
"sent by Amazon", "reviewed by Monday" and "Present: Management" stay: those are words.
"""

from __future__ import annotations

import regex

from scrubbers.recognizers.finder import FinderRecognizer
from scrubbers.recognizers.lone_name import is_unknown_word
from scrubbers.recognizers.name_words import has_surname_ending
from scrubbers.recognizers.word_name import is_name_in_context, load_lists

SCORE = 0.5
# What a named person did to a record: wrote, saw, signed, approved, witnessed it.
_PARTICIPLE = (
    r"prepared|reviewed|approved|signed|countersigned|co-signed|written|authored|seen|examined|assessed|"
    r"taken|sent|referred|authorised|authorized|witnessed|completed|checked|verified|interviewed|reported|"
    r"raised|submitted|requested|handled|attended|accompanied|collected|treated|supervised|translated|"
    r"interpreted|filed|logged|issued|chaired|minuted|audited|visited|contacted|conducted|performed|"
    r"dictated|transcribed|recorded|assigned|acknowledged|prescribed|discharged|admitted|triaged"
)
_NAME = r"\p{Lu}[\p{Ll}\p{M}]+(?:['’]\p{Lu}[\p{Ll}\p{M}]+)?(?:-\p{Lu}?[\p{Ll}\p{M}]+)*"
_INITIAL = r"\p{Lu}\."
_PERSON = rf"(?:{_INITIAL}[ \t]*){{0,2}}{_NAME}(?:[ \t]+{_NAME}){{0,2}}"
AFTER_BY = regex.compile(rf"\b(?i:{_PARTICIPLE})[ \t]+by[ \t]+(?P<name>{_PERSON})")
# Phrases that hand a record to a person, or take their words: "Attn: Radebe", "c/o Mbatha",
# "a conversation with Oduya". Firms are addressed and quoted too ("according to Gartner",
# "a call from Vodafone"), so after the phrases both take (MIXED_CUE) a single word no list
# holds is not enough: it must be a listed name, end like a family name, or have a first name.
_PERSON_CUE = r"c/o|care\s+of|attn\.?:?|attention:|f\.?a\.?o\.?:?|(?:conversation|discussion|chat|interview)\s+with"
_MIXED_CUE = r"according\s+to|on\s+behalf\s+of|(?:meeting|call)\s+with|" r"(?:message|e-?mail|letter|call|note|complaint|request|referral|text)\s+from"
AFTER_CUE = regex.compile(rf"(?<![\w/])(?i:{_PERSON_CUE})[ \t]+(?P<name>{_PERSON})")
AFTER_MIXED_CUE = regex.compile(rf"(?<![\w/])(?i:{_MIXED_CUE})[ \t]+(?P<name>{_PERSON})")
# "per" only with a possessive: "per Lindqvist's instructions", not "per Annum".
AFTER_PER = regex.compile(rf"(?<![\w/])(?i:per)[ \t]+(?P<name>{_PERSON})(?=['’]s\b)")
# Field labels only people fill, at a line start: "Signed: Hallvardsen", "Attendees: A, B and C".
_PERSON_FIELD = (
    r"signed|signature|signed\s+by|witness|witnessed\s+by|author|reviewer|reviewed\s+by|approver|approved\s+by|"
    r"prepared\s+by|requested\s+by|reported\s+by|assigned\s+to|attendees|present|apologies|interpreter|carer|"
    r"next\s+of\s+kin|nok|referrer|referred\s+by|seen\s+by|chair|minutes|cc|participants|panel|interviewer|"
    r"interviewee|consultant|registrar|gp|key\s+worker|case\s+worker|caseworker|social\s+worker|assessor"
)
PERSON_FIELD = regex.compile(rf"^[ \t>*-]*(?i:{_PERSON_FIELD})[ \t]*:[ \t]*(?P<value>[^\n]+)", regex.MULTILINE)
PERSON_IN_LIST = regex.compile(rf"(?<![\w'’.-]){_PERSON}(?=[ \t]*(?:$|[,;()]|[ \t]and[ \t]|[ \t]&[ \t]|\.[ \t]*$))")
WORD = regex.compile(_NAME)


def _is_a_name(words: list[str]) -> bool:
    """Every word a name in some list or no dictionary word; one plain word or institution makes it a thing."""
    return bool(words) and all(is_name_in_context(word) or is_unknown_word(word) for word in words)


def find_agents(text: str) -> list[tuple[int, int, float]]:
    """(start, end, score) of names after "<participle> by" or a cue phrase, and in the values of fields only people fill."""
    found = []
    for match in (*AFTER_BY.finditer(text), *AFTER_CUE.finditer(text), *AFTER_PER.finditer(text)):
        if _is_a_name(WORD.findall(match.group("name"))):
            found.append((match.start("name"), match.end("name"), SCORE))
    for match in AFTER_MIXED_CUE.finditer(text):
        words = WORD.findall(match.group("name"))
        if _is_a_name(words) and (len(words) >= 2 or is_name_in_context(words[0]) or has_surname_ending(words[0])):
            found.append((match.start("name"), match.end("name"), SCORE))
    for field in PERSON_FIELD.finditer(text):
        for match in PERSON_IN_LIST.finditer(text, field.start("value"), field.end("value")):
            if _is_a_name(WORD.findall(match.group())):
                found.append((match.start(), match.end(), SCORE))
    return sorted(set(found))


class AgentNameRecognizer(FinderRecognizer):
    """Names after "prepared/reviewed/signed ... by", and names listed in fields only people fill (Signed:, Attendees:)."""

    find = staticmethod(find_agents)
    load_lists = staticmethod(load_lists)
