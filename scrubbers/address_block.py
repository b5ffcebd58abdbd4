"""Grow a found street address over the rest of its block: unit, city, region, postal code, country.

Recognizers find the street line ("6750 Main Street"); the lines or comma-separated parts
after it ("Apt. 864", "Springfield, IL 62704", "Uruguay 64677") identify the person just
as much and are too generic to find on their own. A part is taken only while each piece
looks like an address piece, and the block ends at a sentence end or a lowercase word.
"""

from __future__ import annotations

import dataclasses

import regex

from appliance.records import Finding

ADDRESS_TYPES = frozenset({"STREET_ADDRESS"})
UNIT = r"(?i:apt|apartment|suite|ste|unit|flat|floor|fl|room|rm|bldg|building|box|#)\.?[ \t]*#?[ \t]*[\w-]{1,6}"
POSTAL = r"(?:\d{3,6}(?:-\d{3,4})?|\p{Lu}{1,2}\d[\p{Lu}\d]?[ \t]\d\p{Lu}{2}|\p{Lu}\d\p{Lu}[ \t]?\d\p{Lu}\d|\p{Lu}{1,2}-\d{4,5})"
PLACE = r"(?:\p{Lu}[\p{L}'-]*(?:[ \t]+(?:\p{Lu}[\p{L}'-]*|de|do|da|del|la|le|sur|am|an|upon|on)){0,3})"
PIECE = rf"(?:{UNIT}|{POSTAL}|{PLACE})"
# Separator, then one piece; pieces on one line may follow each other ("CO 80301", "Uruguay 64677").
# A line break may be followed by e-mail quote marks ("> "): a quoted address block is still one address.
NEXT_PIECE = regex.compile(rf"(?:[ \t]*,[ \t]*\n?[ \t>]*|[ \t]*\n[ \t>]*,?[ \t]*|[ \t]+){PIECE}(?![\w'-])")
# A house number written before a street the recognizers found without it ("28245 Puruntie 82").
HOUSE_NUMBER_BEFORE = regex.compile(r"(?<![\w.,-])\d{1,6}[A-Za-z]?[ \t]+$")
MAX_PIECES = 8
MAX_GROWTH = 160


# After a place name only a postal code or unit is taken ("Uruguay 64677", "Denver, CO 80202").
NEXT_CODE = regex.compile(rf"(?:[ \t]*,?[ \t]*)(?:{POSTAL}|\p{{Lu}}{{2}}[ \t]+{POSTAL})(?![\w'-])")


def extend_addresses(findings: list[Finding], text: str) -> list[Finding]:
    """Findings with every address span grown over the address pieces that follow it."""
    extended = []
    for finding in findings:
        if finding.entity_type in ADDRESS_TYPES:
            finding = _extend(finding, text, NEXT_PIECE, MAX_PIECES)
            before = HOUSE_NUMBER_BEFORE.search(text, max(0, finding.start - 10), finding.start)
            if before:
                finding = dataclasses.replace(finding, start=before.start())
        elif finding.entity_type == "LOCATION":
            finding = _extend(finding, text, NEXT_CODE, 1)
        extended.append(finding)
    return extended


def _extend(finding: Finding, text: str, piece: regex.Pattern[str], pieces: int) -> Finding:
    end = finding.end
    limit = min(len(text), finding.end + MAX_GROWTH)
    for _ in range(pieces):
        match = piece.match(text, end, limit)
        if not match:
            break
        end = match.end()
    return finding if end == finding.end else dataclasses.replace(finding, end=end)
