"""STREET_ADDRESS: European-style streets, the street word before or inside the name and the number after.

"Rue de la Paix 12", "Via Roma 5", "Calle Mayor 10", "Hauptstraße 3a", "Puruntie 82",
"Storgatan 7". The street word is what makes "Word 12" an address rather than
"Chapter 12", so it is required, in the name's language.
"""

from __future__ import annotations

import regex
from presidio_analyzer import Pattern, PatternRecognizer

STREET_WORDS = (
    "Rue|Rua|Via|Viale|Vicolo|Corso|Calle|Avenida|Avda\\.|Paseo|Carrer|Carretera|Piazza|Plaza|Praça|Largo|Travessa|"
    "Estrada|Chemin|Allée|Quai|Impasse|Boulevard|Ulica|ul\\.|Aleja|Straße|Strasse|Stradă|Strada|Bulevardul"
)
STREET_ENDINGS = (
    "straße|strasse|str\\.|gasse|weg|platz|allee|ring|damm|ufer|steig|tie|katu|kuja|polku|väylä|"
    "vej|gade|straat|laan|gracht|plein|gatan|vägen|väg|gata|veien|vegen|utca|útja|ulica"
)
NUMBER = r"\d{1,5}(?:[ \t]?[a-zA-Z])?\b"
JOINER = r"(?:de|do|da|dos|das|del|della|delle|di|la|le|les|des|du|el|von|van|der|den)"
NAME = r"(?:\p{Lu}[\p{L}'.-]*)"
STREET_FIRST = rf"(?<![\w-])(?:{STREET_WORDS})(?:[ \t]+(?:{JOINER}|{NAME})){{1,4}},?[ \t]+{NUMBER}"
ENDING_FIRST = rf"(?<![\w-])(?:{NAME}[ \t]+){{0,2}}\p{{Lu}}\p{{Ll}}*(?:{STREET_ENDINGS})[ \t]+{NUMBER}"
NUMBER_FIRST = rf"(?<![\w-])\d{{1,5}}[a-zA-Z]?,?[ \t]+(?:{STREET_WORDS})(?:[ \t]+(?:{JOINER}|{NAME})){{1,4}}"


class InternationalStreetRecognizer(PatternRecognizer):
    """Street word plus name plus house number, in the orders European addresses use."""

    PATTERNS = [
        Pattern("street word, name, number", STREET_FIRST, 0.6),
        Pattern("name ending in a street word, number", ENDING_FIRST, 0.6),
        Pattern("number, street word, name", NUMBER_FIRST, 0.6),
    ]
    CONTEXT = ["address", "street", "live", "lives", "residence", "reside", "mail", "ship", "located"]

    def __init__(self) -> None:
        super().__init__(
            supported_entity="STREET_ADDRESS",
            patterns=self.PATTERNS,
            context=self.CONTEXT,
            global_regex_flags=regex.MULTILINE,  # case matters: capitals mark names
        )
