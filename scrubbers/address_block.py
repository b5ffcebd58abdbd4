"""Grow a found street address over the rest of its block: unit, city, region, postal code, country.

Recognizers find the street line ("6750 Main Street"); the lines or comma-separated parts
after it ("Apt. 864", "Springfield, IL 62704", "Uruguay 64677") identify the person just
as much and are too generic to find on their own. A part is taken only while each piece
looks like an address piece, and the block ends at a sentence end or a lowercase word
(in an address written all in lower case, at an English word instead).

The growth also runs backwards: a block the recognizers found only from its unit line
("Suite 621") takes the street line just above it when that line ends like a street
("0269 Stensås terrasse 38"), and a unit or building written before the street joins it
("Flat 3, Lindisfarne House"). A place found in prose takes the words that finish its name
("Villafranca del Cid", "Unionville (Orange)") and loses a leading "the".
"""

from __future__ import annotations

import dataclasses

import regex

from appliance.records import Finding
from scrubbers.recognizers.lone_name import english_words
from scrubbers.recognizers.name_lists import fold
from scrubbers.recognizers.place_name import is_listed_place

ADDRESS_TYPES = frozenset({"STREET_ADDRESS"})
# Units and floors in the languages whose layouts the recognizers know ("Apt. 864", "3. OG",
# "4º izquierda", "int. 7", "apto 1203", "2nd floor", "Bât. B").
UNIT_WORD = r"(?:apt|apartment|apto|suite|ste|unit|flat|floor|fl|room|rm|bldg|building|box|int|interno|piso|bât|bat|esc|puerta|pta|étage|etage|og|stock|lgh|#)"
UNIT = (
    rf"(?:(?i:{UNIT_WORD})\.?[ \t]*#?[ \t]*(?:(?=[\w-]{{0,5}}\d)[\w-]{{1,6}}|\p{{L}}(?![\w'-]))"
    r"|(?i:\d{1,3}(?:st|nd|rd|th|\.|º|°|ª)?|ground|first|second|third|fourth|fifth|top)[ \t]*(?i:floor|fl|og|etage|étage|stock|piso|planta|andar)\.?"
    r"|\d{1,2}[º°ª](?:[ \t]*[A-Da-d](?![\w]))?)"
    r"(?:[ \t]+(?i:links|rechts|left|right|izquierda|derecha|izq|dcha|izda|dta|esq)\.?)?"
)
POSTAL = r"(?:\d{3}[ \t]\d{2}(?![ \t]?\d)|\d{2}-\d{3}(?!\d)|\d{3,6}(?:-\d{3,4})?|\p{Lu}{1,2}\d[\p{Lu}\d]?[ \t]\d\p{Lu}{2}|\p{Lu}\d\p{Lu}[ \t]?\d\p{Lu}\d|\p{Lu}{1,2}-\d{4,5}|\p{Lu}\d\d[ \t]?[\p{Lu}\d]{4})"
# "∆" (the increment sign) stands in for a Greek capital delta in much exported Greek text ("ΧΑΝ∆ΡΙΑ").
PLACE_WORD = r"[\p{Lu}∆][\p{L}\p{M}'∆-]*"
PLACE = rf"(?:{PLACE_WORD}(?:[ \t]+(?:{PLACE_WORD}|de|do|da|del|la|le|sur|am|an|upon|on|u|v|na|nad|pod)){{0,3}})"
# A field a spreadsheet or dataframe export left empty ("Tujetsch\nnan\n7188").
EMPTY_FIELD = r"(?:nan|NaN|None|null|NULL|N/A|n/a)"
# Capitalised words followed by a colon are the label of the next field ("Mobile: 0490 39 07 81",
# "INCIDENT LOCATION: ..."), not an address piece.
PLACE_PIECE = rf"{PLACE}(?!(?:[ \t]+{PLACE_WORD}){{0,3}}[ \t]*:)"
# Also a second name in brackets ("ΑΓΛΑΝΤΖΙΑ (ΑΓΛΑΓΓΙΑ)", "Cyprus (Greek)") and a district number
# before a postal code ("Hania Bazid, 43 73313").
PIECE = rf"(?:{UNIT}|{POSTAL}|{PLACE_PIECE}|{EMPTY_FIELD}|\({PLACE}\)|\d{{1,2}}(?=(?:[ \t]*[,\n][ \t]*|[ \t]+){POSTAL}(?![\w'-])))"
# A line break may be followed by e-mail quote marks ("> ") or a list bullet ("• ", "- ", and
# "??? " where an export lost the bullet's encoding): the block is still one address.
LINE_BREAK = r"[ \t]*\n[ \t>]*(?:[*•·▪‣◦?-]{1,3}[ \t]+)?"
SEPARATOR = rf"(?:[ \t]*,[ \t]*(?:\n[ \t>]*(?:[*•·▪‣◦?-]{{1,3}}[ \t]+)?)?|{LINE_BREAK},?[ \t]*|[ \t]+-[ \t]+|[ \t]+)"
NEXT_PIECE = regex.compile(rf"{SEPARATOR}{PIECE}(?![\w'-]|[ \t]*:)")
# In an address written in lower case: a two-letter region code or a run of words, checked below.
NEXT_LOWER_PIECE = regex.compile(rf"{SEPARATOR}(?P<words>\p{{Ll}}[\p{{L}}\p{{M}}'∆-]*(?:[ \t]+\p{{Ll}}[\p{{L}}\p{{M}}'∆-]*){{0,3}})(?![\w'-])")
# A two-letter region code before a postal code or alone in its field ("delmas, mp 35739", "φλαμου∆ι\n, fa\n").
LOWER_REGION_CODE = regex.compile(rf"{SEPARATOR}\p{{Ll}}{{2}}(?:[ \t]+\d{{3,6}}(?:-\d{{3,4}})?(?![\w'-])|(?=[ \t]*\n))")
# Short words that join or end a lowercase place ("begunje na gorenjskem", "københavn k") but are not English.
LOWER_JOINERS = frozenset("de do da del la le sur u v na nad pod k n s e w".split())
# A house number written before a street the recognizers found without it ("28245 Puruntie 82").
HOUSE_NUMBER_BEFORE = regex.compile(r"(?<![\w.,-])\d{1,6}[A-Za-z]?[ \t]+$")
# The street line above a block found from its unit line: optional house number, a capitalised
# name of up to four words, the number, optional capitalised words after it ("Fuglie 41 Popović Dam").
STARTS_WITH_UNIT = regex.compile(rf"{UNIT}(?![\w'-])")
# Words of the sentence that introduces the address ("It's in", "I once lived in") are not part of it.
_NOT_STREET_WORD = r"(?!(?i:i|it's|its|it|is|in|at|on|to|the|of|and|my|our|your|we|you|me|he|she|they|here|there|once|lived?|lives|living|address|located|moved|send|sent|ship)(?![\w'-]))"
_CAPITALISED_TAIL = r"(?:[ \t]+(?:\p{Lu}[\p{L}\p{M}'.-]*|van|von|de|der|den|la|le|du|di|da|del))"
STREET_LINE_ABOVE = regex.compile(
    rf"(?<![^\s:])(?:(?:\d{{1,6}}[A-Za-z]?[ \t]+)?{_NOT_STREET_WORD}\p{{Lu}}[\p{{L}}\p{{M}}.'-]*(?:[ \t]+{_NOT_STREET_WORD}[\p{{L}}\p{{M}}.'-]+){{0,3}}?[ \t]+\d{{1,5}}[A-Za-z]?{_CAPITALISED_TAIL}{{0,4}}"
    rf"|\d{{1,6}}[A-Za-z]?[ \t]+\p{{Lu}}[\p{{L}}\p{{M}}.'-]*{_CAPITALISED_TAIL}{{0,4}})"
    r"[ \t,]*\n[ \t>]*(?:[*•·▪‣◦?-]{1,3}[ \t]+)?\Z"
)
# A unit or a building written before its street, on the same line after a comma or on the line
# above ("Flat 3, Lindisfarne House\n27 Quayside Walk", "Résidence Les Tilleuls, Bât. B, 14 rue des
# Lilas", "B-504 Sai Krupa Apartments, 12 Hill Road"). A building is capitalised words ending in a
# building word, or a building word of a language that puts it first.
BUILDING_WORD = (
    r"(?:House|Court|Building|Buildings|Apartments|Residency|Residences|Complex|Tower|Towers|Mansions|Lodge|"
    r"Chambers|Villas|Enclave|Plaza|Heights|Block)"
)
BUILDING = (
    rf"(?:(?:\p{{Lu}}[\p{{L}}\p{{M}}'-]*[ \t]+){{1,3}}{BUILDING_WORD}"
    r"|(?:Résidence|Residencia|Residenza|Edificio|Edifício|Immeuble|Bâtiment|Torre|Palazzo)(?:[ \t]+(?:\p{Lu}[\p{L}\p{M}'-]*|de|del|des|les|la|le|do|da|di)){1,3})"
)
FLAT_NUMBER = r"\p{Lu}-\d{1,4}"
PART_BEFORE = regex.compile(
    rf"(?<![\w'-])(?:{UNIT}|(?:{FLAT_NUMBER}[ \t]+)?{BUILDING}|{FLAT_NUMBER})(?:[ \t]*,[ \t]*\n?|[ \t]*\n)[ \t>]*\Z"
)
# The second street of a crossing ("Jesionowa 127 and Philip Bypass").
STREET_TYPE = (
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Drive|Court|Place|Terrace|Way|Circle|Parkway|Highway|Square|"
    r"Trail|Alley|Crescent|Plaza|Row|Loop|Pike|Close|Route|Bypass|Causeway|Cove|Creek|Crest|Dale|Ferry|Freeway|Gardens|"
    r"Glen|Green|Greens|Grove|Harbor|Haven|Heights|Hill|Hills|Hollow|Junction|Knoll|Landing|Manor|Meadows|Mews|Mill|Mall|"
    r"Orchard|Pass|Ridge|Shore|Shores|Trace|Turnpike|Valley|Viaduct|Vista|Rapids|Flats|Brook|Bluff|Canyon|Plains|Springs|"
    r"Summit|Forks|Forges|Bridge|Club|Radial|Harbour|Wharf|Quay|Parade|Esplanade|Promenade|Vale|Rise|View|Walk|Wynd)"
)
CROSSING_STREET = regex.compile(rf"[ \t]+(?:and|&)[ \t]+(?:\p{{Lu}}[\p{{L}}\p{{M}}'-]*[ \t]+){{1,3}}{STREET_TYPE}\.?(?![\w'-])")
MAX_PIECES = 8
MAX_GROWTH = 160

# After a place name only a postal code or unit is taken ("Uruguay 64677", "Denver, CO 80202").
NEXT_CODE = regex.compile(rf"(?:[ \t]*,?[ \t]*)(?:{POSTAL}|\p{{Lu}}{{2}}[ \t]+{POSTAL})(?![\w'-])")
# The rest of a place's name: a joiner and a capitalised word ("Villafranca del Cid", "Turkovice u Prelouce"),
# or a second name in brackets ("Unionville (Orange)").
PLACE_TAIL = regex.compile(
    rf"(?:∆[\p{{L}}∆]*|[ \t]+(?:del|de|di|da|do|dos|das|du|la|le|les|sur|upon|u|v|na|nad|pod|im|bei)[ \t]+{PLACE_WORD}|[ \t]+\({PLACE_WORD}\))(?![\w'-])"
)
LEADING_ARTICLE = regex.compile(r"(?i:the)[ \t]+(?=\p{Lu})")


def extend_addresses(findings: list[Finding], text: str) -> list[Finding]:
    """Findings with every address span grown over the address pieces around it, and place names completed."""
    extended = []
    for finding in findings:
        if finding.entity_type in ADDRESS_TYPES:
            finding = _extend_address(finding, text)
        elif finding.entity_type == "LOCATION":
            article = LEADING_ARTICLE.match(text, finding.start, finding.end)
            if article:
                finding = dataclasses.replace(finding, start=article.end())
            finding = _extend(finding, text, PLACE_TAIL, 2)
            finding = _extend(finding, text, NEXT_CODE, 1)
        extended.append(finding)
    return extended


def _extend_address(finding: Finding, text: str) -> Finding:
    lowercase = not any(character.isupper() for character in text[finding.start : finding.end])
    end = finding.end
    limit = min(len(text), finding.end + MAX_GROWTH)
    for _ in range(MAX_PIECES):
        match = NEXT_PIECE.match(text, end, limit)
        if match is None and lowercase:
            match = _lowercase_piece(text, end, limit)
        if match is None:
            break
        end = match.end()
    crossing = CROSSING_STREET.match(text, end, limit)
    if crossing:
        end = crossing.end()
    start = finding.start
    before = HOUSE_NUMBER_BEFORE.search(text, max(0, start - 10), start)
    if before:
        start = before.start()
    elif STARTS_WITH_UNIT.match(text, start):
        above = STREET_LINE_ABOVE.search(text, max(0, start - 80), start)
        if above:
            start = above.start()
    for _ in range(3):
        part = PART_BEFORE.search(text, max(0, start - 60), start)
        if part is None:
            break
        start = part.start()
    if (start, end) == (finding.start, finding.end):
        return finding
    return dataclasses.replace(finding, start=start, end=end)


def _lowercase_piece(text: str, position: int, limit: int) -> regex.Match[str] | None:
    """The next lowercase piece when each word could be a place: listed, unknown to SCOWL, or a short joiner.

    The run is cut back to its longest acceptable prefix, so "mohács hungary thanks" takes two words.
    """
    code = LOWER_REGION_CODE.match(text, position, limit)
    if code is not None:
        return code
    match = NEXT_LOWER_PIECE.match(text, position, limit)
    if match is None:
        return None
    words = list(regex.finditer(r"\S+", match.group("words")))
    taken = 0
    for index, word in enumerate(words):
        if not _could_be_place(word.group(), first=index == 0):
            break
        taken = index + 1
    # A run may not end on a joiner unless it is a district letter ("københavn k").
    while taken > 1 and words[taken - 1].group() in LOWER_JOINERS and len(words[taken - 1].group()) > 1:
        taken -= 1
    if taken == 0:
        return None
    end = match.start("words") + words[taken - 1].end()
    return NEXT_LOWER_PIECE.match(text, position, end)


def _could_be_place(word: str, *, first: bool) -> bool:
    if is_listed_place(word):
        return True
    if not first and word in LOWER_JOINERS:
        return True
    return len(word) >= 3 and fold(word) not in english_words()


def _extend(finding: Finding, text: str, piece: regex.Pattern[str], pieces: int) -> Finding:
    end = finding.end
    limit = min(len(text), finding.end + MAX_GROWTH)
    for _ in range(pieces):
        match = piece.match(text, end, limit)
        if not match:
            break
        end = match.end()
    return finding if end == finding.end else dataclasses.replace(finding, end=end)
