"""PERSON: a capitalised word followed by a listed surname ("Homero Portillo", "Vilmer Holmberg").

spaCy's small model misses many names it has not seen, above all outside the English-
speaking world, and no given-name list is complete. A frequent surname (scrubbers/data/
census_surnames.txt, English words removed) after any capitalised word is strong
evidence of a full name even when the given name is unknown. Sentence openers and
function words before the surname ("The", "Yesterday") are not taken as given names.
"""

from __future__ import annotations

import functools
from pathlib import Path

import regex
from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from scrubbers.recognizers.given_name import given_names

SURNAMES_FILE = Path(__file__).resolve().parent.parent / "data" / "census_surnames.txt"
SCORE = 0.5
# "Given [M.] Surname" with capitals where names have them; the surname is looked up.
CANDIDATE = regex.compile(
    r"(?<![\w-])(?P<given>\p{Lu}[\p{Ll}\p{M}'’]+(?:-\p{Lu}[\p{Ll}\p{M}'’]+)?)(?:[ \t]+\p{Lu}\.?)?[ \t]+"
    r"(?P<surname>\p{Lu}[\p{L}\p{M}'’]+(?:-\p{Lu}[\p{Ll}\p{M}'’]+)?)(?![\w-])"
)
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


@functools.cache
def surnames() -> frozenset[str]:
    lines = SURNAMES_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().casefold() for line in lines if line.strip() and not line.startswith("#"))


def find_full_names(text: str) -> list[tuple[int, int]]:
    """(start, end) of "Given Surname" pairs whose surname is listed."""
    listed, given = surnames(), given_names()
    found = []
    for match in CANDIDATE.finditer(text, overlapped=True):
        first, last = match.group("given"), match.group("surname")
        # "Customer Maria": a listed given name in second place after an unlisted word starts the name.
        if last.casefold() in listed and first.casefold() not in NOT_GIVEN and (last not in given or first in given):
            found.append(match.span())
    return found


class SurnameRecognizer(EntityRecognizer):
    """A capitalised word, an optional initial, then a listed surname."""

    def __init__(self) -> None:
        super().__init__(supported_entities=["PERSON"], name="SurnameRecognizer")

    def load(self) -> None:
        surnames()

    def analyze(self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None) -> list[RecognizerResult]:
        if "PERSON" not in entities:
            return []
        return [RecognizerResult("PERSON", start, end, SCORE) for start, end in find_full_names(text)]
