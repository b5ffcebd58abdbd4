"""LOCATION: a town named after a travel or residence phrase ("grew up in Kvaløysletta", "flew to ARENDAL").

No gazetteer lists every village, and spaCy's small model misses most of those it has
not seen, above all in capitals. The words before a place are a better clue than the
place itself: after "moved to", "born in", "originally from" or "lives in", capitalised
words are a place far more often than anything else. Only capitalised (or all-caps)
words are taken, so "moved to tears" and "lives in fear" stay as they are.
"""

from __future__ import annotations

import regex
from presidio_analyzer import Pattern, PatternRecognizer

_VERB_PHRASE = (
    r"(?:flew|fly|flying|flies|drove|drive|driving|moved|move|moving|moves|relocated|relocating|travell?ed|travell?ing|"
    r"went|headed|returned|returning|commutes?|commuted|emigrated|immigrated|came|comes|coming|arrived|arriving|"
    r"deployed|stationed)(?:\s+(?:here|there|back|over|away|home|out|up|down))?\s+(?:to|from|in|into|at)"
    r"|(?:grew|grow|growing)\s+up\s+(?:in|near|around)"
    r"|(?:born|raised|based|located|situated|stationed|settled|residing|resides|reside|resident|living|lives|lived|live|"
    r"staying|stays|stayed|stay|studied|studying|vacationing|holidaying|stranded)\s+(?:in|at|near|outside|around)"
    r"|originally\s+(?:from|of)|native\s+of|hails\s+from|hailing\s+from|visit(?:ed|ing|s)?|trip\s+to|way\s+to"
    r"|(?:city|town|village|municipality|county|province|region|district|suburb|borough|parish|outskirts|University)\s+of"
    r"|home\s*town|home\s+city|native\s+city|birthplace|place\s+of\s+birth:?"
    r"|(?:where|city|town|location|hometown|venue|country|state|province|county|region|place):"
)
CUE = rf"(?<=\b(?i:{_VERB_PHRASE})[ \t]+)"
# Words that follow a cue but are not places: articles, days, months, titles, pronouns.
NOT_A_PLACE = (
    r"(?!(?:The|A|An|My|Our|Your|His|Her|Their|This|That|These|Those|It|I|We|You|He|She|They|Me|Us|Him|Them|"
    r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|Today|Tomorrow|Yesterday|"
    r"January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Mr|Mrs|Ms|Dr|Prof|Home|Work|School|Church|Hospital|Office|Bed|Town|Here|There|Christmas|Easter)\b)"
)
PLACE_WORD = r"\p{Lu}[\p{L}\p{M}'’-]*(?<!['’-])"
JOINER = r"(?:de|del|della|di|da|do|dos|das|du|des|la|le|les|el|al|am|an|im|upon|on|sur|u|v|y|i|and|of)"
PLACE = rf"{NOT_A_PLACE}{PLACE_WORD}(?:[ \t]+(?:{JOINER}[ \t]+)?{NOT_A_PLACE}{PLACE_WORD}){{0,3}}"


# "in Acquapendente 1021", "in ÖVERTURINGEN 840 24": a place written with its postal code after
# "in"; a year is not a postal code ("in Windows 2000" stays).
POSTAL = r"(?!(?:19|20)\d\d\b)(?:\d{4,6}|\d{3}[ \t]\d{2}|\d{4}-\d{3}|\d{4}[ \t]\p{Lu}{2})"
PLACE_WITH_POSTAL = rf"(?<=\b(?i:in|at|near|from|to)[ \t]+){PLACE}[ \t]+{POSTAL}(?![\w-])"


class PlacePhraseRecognizer(PatternRecognizer):
    """Capitalised words after "moved to", "grew up in", "originally from", "lives in", "city of", ..."""

    PATTERNS = [
        Pattern("place after travel or residence phrase", CUE + PLACE, 0.55),
        Pattern("place and postal code", PLACE_WITH_POSTAL, 0.55),
    ]

    def __init__(self) -> None:
        super().__init__(
            supported_entity="LOCATION",
            patterns=self.PATTERNS,
            global_regex_flags=regex.MULTILINE,  # case matters: capitals mark the place
        )
