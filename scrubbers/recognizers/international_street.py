"""STREET_ADDRESS: European-style streets, the street word before or inside the name and the number after.

"Rue de la Paix 12", "Via Roma 5", "Calle Mayor 10", "Hauptstraße 3a", "Puruntie 82",
"Storgatan 7", "Λεωφόρος Συγγρού 119", "Árpád fejedelem útja 3.", and the same in lower
case ("36 rue de pologne", "hersnapvej 18"). The street word is what makes "Word 12" an
address rather than "Chapter 12", so it is required, in the name's language.
"""

from __future__ import annotations

import regex
from presidio_analyzer import Pattern, PatternRecognizer

from scrubbers.recognizers.lone_name import english_words
from scrubbers.recognizers.name_lists import fold

STREET_WORDS = (
    "Rue|Rua|Rúa|Via|Viale|Vicolo|Corso|Calle|C/|Avenida|Avda\\.|Av\\.?|Avenue|Paseo|Carrer|Carretera|Piazza|Plaza|"
    "Praça|Largo|Travessa|Estrada|Chemin|Allée|Quai|Impasse|Boulevard|Bd\\.|Ulica|ul\\.|Aleja|al\\.|Straße|Strasse|"
    "Stradă|Strada|Bulevardul|Trg|Cesta|Náměstí|nám\\.|Οδός|Οδ\\.|Λεωφόρος|Λεωφ\\.|Λ\\.|Πλατεία|Πλ\\."
)
# The same words in any case, before a name in lower case ("36 rue de pologne", "31 Rue tachkent",
# "avenida praia 1"). "via" is left
# out: in English prose it is a preposition ("sent via email 3 times").
LOWERCASE_STREET_WORDS = (
    "rue|rua|rúa|viale|calle|c/|avenida|avda\\.|av\\.|avenue|paseo|carrer|piazza|plaza|praça|travessa|"
    "chemin|allée|quai|boulevard|bd\\.|ulica|ul\\.|aleja|straße|strasse|strada|trg|cesta|náměstí"
)
STREET_ENDINGS = (
    "straße|strasse|str\\.|gasse|weg|platz|allee|ring|damm|ufer|steig|tie|katu|kuja|polku|väylä|"
    "vej|gade|straat|laan|gracht|plein|gatan|vägen|väg|gata|veien|vegen|utca|útja|ulica"
)
# Endings that stay distinctive in lower case ("hersnapvej 18"); "ring", "tie", "damm" do not
# ("during 2019", "bowtie 3").
LOWERCASE_ENDINGS = "straße|strasse|gasse|allee|platz|vej|gade|straat|gracht|gatan|vägen|veien|vegen|katu|kuja|weg|utca|ulica"
NUMBER = r"\d{1,5}(?:[ \t]?[a-zA-Z])?\b"
JOINER = r"(?:de|do|da|dos|das|del|della|delle|di|la|le|les|des|du|el|von|van|der|den|e|y)"
# A capitalised word, also after an elided article ("d'Ouchy", "l'Église").
NAME = r"(?:(?:[dDlL]['’])?\p{Lu}[\p{L}'.-]*)"
# English function words never sit inside a street name, so "an avenue for growth in 2024" stays prose.
NOT_ENGLISH = r"(?!(?i:for|in|at|on|was|is|are|were|to|and|or|the|of|with|from|by|as|it|be|has|had|will|would|full|this|that|all|some|over|after|before)\b)"
LOWER_NAME = rf"{NOT_ENGLISH}(?:[dDlL]['’])?[\p{{L}}][\p{{L}}\p{{M}}'’-]*"
STREET_FIRST = rf"(?<![\w-])(?:{STREET_WORDS})(?:[ \t]+(?:{JOINER}|{NAME})){{1,5}},?[ \t]+{NUMBER}"
ENDING_FIRST = rf"(?<![\w-])(?:{NAME}[ \t]+){{0,2}}\p{{Lu}}\p{{Ll}}*(?:{STREET_ENDINGS})[ \t]+{NUMBER}"
NUMBER_FIRST = rf"(?<![\w-])\d{{1,5}}[a-zA-Z]?,?[ \t]+(?:{STREET_WORDS})(?:[ \t]+(?:{JOINER}|{NAME})){{1,5}}"
# Lower case: the street word and a house number on one side at least, and the name ends where
# an address part ends (comma, line break, number, end of text), so prose runs on unmatched.
LOWER_END = r"(?=[ \t]*(?:[,;\n]|$|\.(?!\w)|\d))"
NUMBER_END = r"(?=[ \t]*(?:[,;\n]|$|\.(?!\w)|(?i:apt|apartment|suite|ste|unit|flat|floor|fl|int)\b))"
LOWER_STREET_FIRST = rf"(?<![\w-])(?i:{LOWERCASE_STREET_WORDS})(?:[ \t]+{LOWER_NAME}){{1,4}},?[ \t]+{NUMBER}{NUMBER_END}"
LOWER_NUMBER_FIRST = rf"(?<![\w-])\d{{1,5}}[a-zA-Z]?,?[ \t]+(?i:{LOWERCASE_STREET_WORDS})(?:[ \t]+{LOWER_NAME}){{1,4}}{LOWER_END}"
# One compound word ("hersnapvej"); the lookahead for a number after the word is a cheap first test.
LOWER_ENDING_FIRST = rf"(?<![\w-])(?=\p{{L}}+[ \t]+\d){NOT_ENGLISH}\p{{L}}\p{{Ll}}*(?:{LOWERCASE_ENDINGS})[ \t]+{NUMBER}"
# Lower case with no street word at all, between a house number and a number ("2407 tawastintie 6,",
# "74678 midtvollen 130"): counted only where a name word is one SCOWL does not spell (see
# invalidate_result), and the second number ends an address part, so "2 kids aged 5, and" stays prose.
LOWER_BARE = rf"(?<![\w-])\d{{1,6}}[ \t]+(?:{NOT_ENGLISH}\p{{Ll}}[\p{{Ll}}\p{{M}}'’-]*[ \t]+){{1,3}}\d{{1,4}}[a-z]?{NUMBER_END}"
# Hungarian puts the street word after the name: "Árpád fejedelem útja 3.", "hegyalja út 98.".
HUNGARIAN_WORD = r"(?:út|útja|utca|u\.|tér|körút|köz|fasor)"
# The lookahead (plain word shapes, no word lists) rejects most word starts before the name is read.
HUNGARIAN = (
    rf"(?<![\w-])(?=(?:[\p{{L}}\p{{M}}'’-]+[ \t]+){{1,3}}{HUNGARIAN_WORD}[ \t]+\d)"
    rf"(?:{LOWER_NAME}[ \t]+){{1,3}}{HUNGARIAN_WORD}[ \t]+\d{{1,4}}\b\.?"
)
# Japanese addresses: block numbers (chōme-banchi-gō) and the district, then the ward or city
# ("2-4-9 Umeda, Kita-ku", "3-14-2 Shibuya, Shibuya-ku"); the ward suffix is what tells the
# numbers from a score or a range.
WARD = r"\p{Lu}\p{Ll}+-(?:ku|shi|cho|machi|gun)\b"
NOT_A_DAY = r"(?!(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|March|April|May|June|July|August|September|October|November|December)\b)"
JAPANESE = rf"(?<![\w-])\d{{1,4}}-\d{{1,4}}(?:-\d{{1,4}})?[ \t]+{NOT_A_DAY}\p{{Lu}}\p{{Ll}}+,[ \t]*{WARD}"


# The compound whose ending made the match ("Kaiserring 5"), read off the match's first words.
ENDING_WORD = regex.compile(r"\p{L}+(?:" + STREET_ENDINGS.replace("str\\.|", "") + r")", regex.IGNORECASE)


LOWER_BARE_SHAPE = regex.compile(r"\d+[ \t]+[\p{Ll}\p{M}'’ \t-]+[ \t]+\d+[a-z]?")
STREET_EVIDENCE = regex.compile(rf"(?i:(?<![\w-])(?:{LOWERCASE_STREET_WORDS})(?![\w'-])|(?:{LOWERCASE_ENDINGS})(?![\w'-]))")
# A street word anywhere in a match: "During 1971" ends like a "-ring" street but names none.
STREET_WORD_ANYWHERE = regex.compile(rf"(?i:{STREET_WORDS})(?![\w'-])")


class InternationalStreetRecognizer(PatternRecognizer):
    """Street word plus name plus house number, in the orders European addresses use."""

    PATTERNS = [
        Pattern("street word, name, number", STREET_FIRST, 0.6),
        Pattern("name ending in a street word, number", ENDING_FIRST, 0.6),
        Pattern("number, street word, name", NUMBER_FIRST, 0.6),
        Pattern("lowercase street word, name, number", LOWER_STREET_FIRST, 0.55),
        Pattern("number, lowercase street word, name", LOWER_NUMBER_FIRST, 0.55),
        Pattern("lowercase name ending in a street word, number", LOWER_ENDING_FIRST, 0.55),
        Pattern("Hungarian name, street word, number", HUNGARIAN, 0.6),
        Pattern("lowercase number, unknown name, number", LOWER_BARE, 0.5),
        Pattern("Japanese block numbers, district and ward", JAPANESE, 0.6),
    ]
    CONTEXT = ["address", "street", "live", "lives", "residence", "reside", "mail", "ship", "located"]

    def __init__(self) -> None:
        super().__init__(
            supported_entity="STREET_ADDRESS",
            patterns=self.PATTERNS,
            context=self.CONTEXT,
            global_regex_flags=regex.MULTILINE,  # case matters: capitals mark names
        )

    def invalidate_result(self, pattern_text: str) -> bool:
        """An English word that only looks like a compound street is prose: "During 1971", "Spring 2024", "Hearing 3".

        A lowercase match with no street word or ending (LOWER_BARE) needs a name word of four
        letters or more that SCOWL does not spell.
        """
        words = pattern_text.split()
        if LOWER_BARE_SHAPE.fullmatch(pattern_text) and not STREET_EVIDENCE.search(pattern_text):
            return not any(len(word) >= 4 and word.isalpha() and fold(word) not in english_words() for word in words[1:-1])
        ending = ENDING_WORD.fullmatch(words[0]) or (len(words) > 1 and words[0][0].isdigit() and ENDING_WORD.fullmatch(words[1]))
        if not ending:
            return False
        return fold(ending.group()) in english_words() and not STREET_WORD_ANYWHERE.search(pattern_text)
