"""Shared pieces for the name recognizers: what a name word looks like, and what is never one.

Kept apart so the context, list, shape and any-case recognizers agree on the same words.
"""

from __future__ import annotations

import functools

import regex

from scrubbers.recognizers.name_lists import SHORTEST_NAME_ALONE, fold, folded_places, folded_unambiguous_names, is_listed

# One capitalised name word: Sipho, O'Neil, D'Arcy, McKenzie, MacLeod, Jean-Luc, Hyun-woo, Ó.
CAPITALISED_NAME_WORD = r"(?:[OD]['’])?\p{Lu}[\p{Ll}\p{M}]+(?:\p{Lu}[\p{Ll}\p{M}]+)?(?:-\p{Lu}?[\p{Ll}\p{M}]+)*"
# Any-case word of letters (lower-case chat, capitals in forms): checked against the lists.
ANY_WORD = r"[\p{L}\p{M}][\p{L}\p{M}'’]*(?:-[\p{L}\p{M}]+)*"
# Particles inside a name ("Pieter van der Berg", "Yusuf bin Abdullah", "Seán Ó Briain").
PARTICLE = (
    r"(?:van|von|de|del|della|der|den|di|da|du|dos|das|do|la|le|ten|ter|bin|binti|bint|ibn|ben|abu|al|el|y|"
    r"Van|Von|De|Del|Della|Der|Den|Di|Da|Du|Dos|Das|La|Le|Bin|Ibn|Ben|Abu|Al|El|Ó|Ní|Nic|Mac|Ua|Mc)"
)
PARTICLE_WORD = regex.compile(rf"{PARTICLE}")
# Words and single marks, for the recognizers that walk a text word by word.
TOKEN = regex.compile(rf"{ANY_WORD}|[^\s\p{{L}}\p{{M}}]")

# Capitalised words that follow a role, a greeting or a sign-off without being a name:
# days and months, titles (left to TitledNameRecognizer), teams and departments, pronouns.
NOT_A_NAME = frozenset(
    """monday tuesday wednesday thursday friday saturday sunday january february march april may june july
    august september october november december today tomorrow yesterday tonight
    mr mrs ms mx miss dr prof sir madam madame mister doctor nurse
    team all everyone everybody there here friends colleagues folks guys again back soon later
    customer customers client clients support service services operations care success relations experience
    department dept desk office portal center centre unit ward clinic hospital bank group inc ltd llc plc corp
    company management admin billing accounts account claims helpdesk hr it finance sales marketing legal
    manager director assistant practitioner specialist officer lead leader supervisor coordinator consultant
    representative agent adviser advisor executive president head chief
    the a an and or but i we you he she they it this that my your our his her their
    yes no ok okay please thanks thank regards best cheers sincerely kind warm many
    re fw fwd subject attachment attached note notes update
    name names number no id details info information data record records file files form profile status history
    satisfaction feedback review onboarding loyalty benefits agreement education portal world aboard
    valued hiring colleague parent parents guardian applicant applicants member members patient patients user users
    partner partners friend neighbour neighbor resident residents shareholder shareholders employee employees staff
    student students candidate candidates supplier vendor sirs god lord
    hi hello hey dear then also however later meanwhile finally first next after before when while since because
    although though if so thus hence still yet maybe perhaps only just even both either neither each every some
    any most few several other another such what which who whom whose where why how now with without from for
    about by at in on of to into onto upon as like unlike is are was were be been has have had do does did will
    would can could shall should must might not me him them us these those last one two
    america americas europe asia africa oceania antarctica arctic central south north east west eastern western
    northern southern latin middle""".split()
)

# Surname endings that mark a word as a family name in many traditions (Slavic, Nordic,
# Baltic, Georgian, Armenian, Greek, Turkish, Romanian, Persian, Finnish, Japanese, Italian).
SURNAME_ENDINGS = (
    r"ović|ovic|ević|evic|vić|ić|ski|ska|sky|skaya|wicz|czyk|czak|enko|chuk|chyk|ovich|evich|ovna|evna|"
    r"ova|eva|ov|ev|ová|ský|ská|sson|dóttir|dottir|sdóttir|sen|nen|inen|lainen|auskas|avičius|evičius|aitė|ytė|"
    r"ienė|adze|idze|shvili|yan|ian|oğlu|oglu|escu|poulos|opoulos|akis|idis|zadeh|pour|nejad|moto|mura|yama|"
    r"kawa|gawa|shima|hashi|uchi|saki|naka|ucci|etti|otti|elli|ini"
)
SURNAME_ENDING_TUPLE = tuple(SURNAME_ENDINGS.split("|"))
# Words ending like surnames that are not ("Italian", "Russian", "Canadian", "Christian").
NOT_SURNAME_ENDING = frozenset(
    """italian russian canadian christian indian asian australian brazilian egyptian iranian persian armenian
    ukrainian nigerian korean european american african hungarian norwegian indonesian malaysian
    civilian guardian librarian physician technician pediatrician musician politician magician historian
    veterinarian vegetarian median meridian comedian custodian guardian ovarian
    seven eleven even oven given driven heaven raven haven sen ten arsenic""".split()
)


CAPITALISED_NAME_WORD_PATTERN = regex.compile(CAPITALISED_NAME_WORD)


def is_name_word(word: str) -> bool:
    """A capitalised word that is not a stop word ("Sipho", "Okonjo-Iweala"; not "Team" or "Monday")."""
    return word[:1].isupper() and fold(word) not in NOT_A_NAME and CAPITALISED_NAME_WORD_PATTERN.fullmatch(word) is not None


def has_surname_ending(word: str) -> bool:
    key = fold(word)
    return len(word) >= 5 and key not in NOT_SURNAME_ENDING and key not in folded_places() and word.casefold().endswith(SURNAME_ENDING_TUPLE)


@functools.cache
def _name_keys() -> frozenset[str]:
    return folded_unambiguous_names() - NOT_A_NAME


@functools.lru_cache(maxsize=1 << 16)  # the any-case and list walks ask about every word of every text
def listed_word(word: str) -> bool:
    """A listed name in any case; a hyphenated word counts when one of its parts is ("owusu-ansah")."""
    if len(word) < SHORTEST_NAME_ALONE:
        return False
    if fold(word) in _name_keys():
        return True
    return "-" in word and any(len(part) >= SHORTEST_NAME_ALONE and fold(part) in _name_keys() for part in word.split("-"))


def is_particle(word: str) -> bool:
    return PARTICLE_WORD.fullmatch(word) is not None


__all__ = [
    "ANY_WORD",
    "CAPITALISED_NAME_WORD",
    "NOT_A_NAME",
    "PARTICLE",
    "SURNAME_ENDING_TUPLE",
    "has_surname_ending",
    "is_listed",
    "is_name_word",
    "TOKEN",
    "is_particle",
    "listed_word",
]
