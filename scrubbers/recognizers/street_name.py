"""STREET_ADDRESS: a street named without a house number ("lives on Maple Avenue", "Rue Oberkampf", "Biltstraat").

A street alone narrows a person down to a few hundred doors, and notes, transcripts and
incident reports name it without a number ("the client lives on Maple Avenue", "stopped on
Rua Augusta", "the street is Biltstraat"). The other street recognizers need the number to
tell "Word 12" from prose; here the street's own shape has to:

- an English street type after capitalised words counts after a word that puts a street
  next ("on", "along", "off", "down", "corner of"), so "Wall Street Journal" as a title or
  "a Main Street business" is left alone;
- a street word that only ever names streets ("Rue", "Rua", "Calle", "Avenida", "Praça",
  "ul.", "Λεωφόρος") before capitalised words counts anywhere ("Via" and "Avenue" only
  after such a word: "Via Amazon" is a preposition);
- one capitalised compound ending in a street word ("Hauptstraße", "Biltstraat",
  "Storgatan") counts anywhere when SCOWL does not spell it.
"""

from __future__ import annotations

import regex

from scrubbers.recognizers.finder import FinderRecognizer
from scrubbers.recognizers.international_street import JOINER
from scrubbers.recognizers.lone_name import english_words
from scrubbers.recognizers.name_lists import fold

SCORE = 0.5
# Words that put a street next: "lives on", "walked along", "just off", "the corner of".
STREET_CUE = r"(?<![\w-])(?i:on|along|off|onto|down|up|past|opposite|near|via|into|from|at|(?:corner|end|top|bottom)[ \t]+of)[ \t]+"
# A capitalised word of a street's name; days, months and pronouns are not.
NAME_WORD = (
    r"(?!(?:The|A|An|My|Our|Your|His|Her|Their|This|That|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|"
    r"January|February|March|April|May|June|July|August|September|October|November|December)\b)"
    r"(?:\p{Lu}[\p{L}\p{M}'’-]*|\d{1,3}(?:st|nd|rd|th))"
)
# Not "Court" ("appeared at Southwark Crown Court"), "Row" ("on Death Row") or "Dr" (a doctor's title).
ENGLISH_TYPE = (
    r"(?:Street|Avenue|Road|Boulevard|Lane|Drive|Terrace|Crescent|Parkway|Highway|Close|Grove|Mews|Gardens|Walk|"
    r"Place|Square|Way|Hill|Parade|Esplanade|Promenade|Wynd|Rise|Vale|Quay|Wharf|"
    r"St|Rd|Ave|Blvd|Ln|Cres|Pkwy|Hwy)(?![\w'-])\.?"
)
AFTER_CUE = regex.compile(rf"{STREET_CUE}(?P<street>{NAME_WORD}(?:[ \t]+{NAME_WORD}){{0,2}}[ \t]+{ENGLISH_TYPE})")
# Street words that name nothing else, before the street's name; "Via", "Avenue", "Boulevard" and
# "Corso" need a cue ("on Via Roma"), since they are English words or a preposition.
OWN_STREET_WORD = (
    r"(?:Rue|Rua|Rúa|Calle|Carrer|Avenida|Avda\.|Praça|Piazza|Piazzale|Viale|Vicolo|Largo|Travessa|Estrada|"
    r"Chemin|Allée|Quai|Impasse|Ulica|ul\.|Aleja|al\.|Strada|Stradă|Bulevardul|Calea|Trg|Náměstí|nám\.|"
    r"Οδός|Λεωφόρος|Πλατεία|Jalan|Jl\.)"
)
CUED_STREET_WORD = r"(?:Via|Avenue|Boulevard|Corso|Plaza|Paseo)"
NAME_AFTER_WORD = rf"(?:[ \t]+{JOINER})*[ \t]+{NAME_WORD}(?:(?:[ \t]+{JOINER})*[ \t]+{NAME_WORD}){{0,3}}"
STREET_WORD_FIRST = regex.compile(
    rf"(?<![\w-])(?P<street>{OWN_STREET_WORD}{NAME_AFTER_WORD})|{STREET_CUE}(?P<street>{CUED_STREET_WORD}{NAME_AFTER_WORD})"
)
COMPOUND_ENDINGS = (
    r"(?:straße|strasse|gasse|allee|platz|damm|ufer|straat|gracht|laan|plein|kade|steeg|vej|gade|gatan|vägen|gata|"
    r"veien|vegen|katu|kuja|utca|ulica|gatve|iela|tänav)"
)
COMPOUND = regex.compile(rf"(?<![\w-])(?P<street>\p{{Lu}}[\p{{Ll}}\p{{M}}]+{COMPOUND_ENDINGS}(?:[ \t]+(?:utca|út|tér|körút))?)(?![\w'-])")


def find_street_names(text: str) -> list[tuple[int, int, float]]:
    """(start, end, score) of streets named without a house number."""
    found = [(match.start("street"), match.end("street"), SCORE) for pattern in (AFTER_CUE, STREET_WORD_FIRST) for match in pattern.finditer(text)]
    for match in COMPOUND.finditer(text):
        word = match.group("street").split()[0]
        if fold(word) not in english_words():
            found.append((match.start("street"), match.end("street"), SCORE))
    return found


class StreetNameRecognizer(FinderRecognizer):
    """Streets named without a number: after "on"/"along", behind a street word, or as a compound."""

    ENTITY = "STREET_ADDRESS"
    find = staticmethod(find_street_names)
    load_lists = staticmethod(english_words)
