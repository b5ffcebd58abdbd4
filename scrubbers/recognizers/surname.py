"""PERSON: a capitalised word followed by a listed surname ("Homero Portillo", "Vilmer Holmberg").

spaCy's small model misses many names it has not seen, above all outside the English-
speaking world, and no given-name list is complete. A listed surname (scrubbers/data/
census_surnames.txt and world_surnames.txt, English words removed) after any capitalised word is strong
evidence of a full name even when the given name is unknown. Sentence openers and
function words before the surname ("The", "Yesterday") are not taken as given names.
"""

from __future__ import annotations

import regex

from scrubbers.recognizers.finder import FinderRecognizer
from scrubbers.recognizers.name_lists import fold, folded_also_words, folded_surnames, given_names

SCORE = 0.5
# "Given [M.] Surname" with capitals where names have them; the surname is looked up.
CANDIDATE = regex.compile(
    r"(?<![\w-])(?P<given>\p{Lu}[\p{Ll}\p{M}'’]+(?:-\p{Lu}[\p{Ll}\p{M}'’]+)?)(?:[ \t]+\p{Lu}\.?)?[ \t]+"
    r"(?P<surname>\p{Lu}[\p{L}\p{M}'’]+(?:-\p{Lu}[\p{Ll}\p{M}'’]+)?)(?![\w-])"
)
POSSESSIVE = regex.compile(r"['’]s$")
NOT_GIVEN = frozenset(
    """the a an and or but if in on at by for from of to with without into onto as than then when while where who
    what which this that these those my your his her our their its i we you he she they me him us them
    dear hi hello hey thanks thank yesterday today tomorrow monday tuesday wednesday thursday friday saturday sunday
    january february march april may june july august september october november december
    mr mrs ms mx dr prof sir madam st saint mount fort port lake new old north south east west upper lower
    great little big san santa los las el la le de van von der den du des
    attn re fw fwd cc per via ask call tell see meet contact please email
    customer patient client applicant borrower guarantor member employee cardholder policyholder tenant
    beneficiary claimant caller insured doctor nurse agent officer manager director professor captain
    judge coach uncle aunt cousin brother sister mother father son daughter grandma grandpa""".split()
)


def find_full_names(text: str) -> list[tuple[int, int, float]]:
    """(start, end, score) of "Given Surname" pairs whose surname is listed; a possessive "'s" stays outside."""
    listed, given = folded_surnames(), given_names()
    found = []
    for match in CANDIDATE.finditer(text, overlapped=True):
        first, last = match.group("given"), match.group("surname")
        end = match.end()
        bare = POSSESSIVE.sub("", last)
        if bare != last and fold(last) not in listed:
            last, end = bare, end - (len(last) - len(bare))
        # "Customer Maria": a listed given name in second place after an unlisted word starts the name.
        key = fold(last)
        if key not in listed or first.casefold() in NOT_GIVEN or (last in given and first not in given):
            continue
        # "Chronic Kidney", "Bone Marrow": a surname that is also a word needs a listed given name.
        if key in folded_also_words() and first not in given:
            continue
        found.append((match.start(), end, SCORE))
    return found


class SurnameRecognizer(FinderRecognizer):
    """A capitalised word, an optional initial, then a listed surname."""

    find = staticmethod(find_full_names)
    load_lists = staticmethod(folded_surnames)
