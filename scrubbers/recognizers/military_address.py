"""STREET_ADDRESS: US military mail addresses ("PSC 3294, Box 9168 / APO AA 61487", "USNS Kent / FPO AE 09499").

The USPS format has no street, so the street recognizers never see it; the unit line and
the APO/FPO/DPO line are each distinctive enough on their own.
"""

from __future__ import annotations

import regex
from presidio_analyzer import Pattern, PatternRecognizer

# Any case: lowercased exports ("psc 5420, box 2708\napo aa 33879") are as identifying, and the
# shapes (a 3-5 digit unit with a box, a post line with AA/AE/AP and a ZIP) are specific enough.
UNIT_LINE = r"\b(?i:PSC|CMR|Unit)[ \t]+\d{3,5},?[ \t]+(?i:Box)[ \t]+\d{1,5}\b"
SHIP_LINE = (
    r"\b(?:USNS|USNV|USS|USCGC|usns|usnv|uscgc)[ \t]+\p{L}[\p{L}'-]*(?:[ \t]+\p{L}[\p{L}'-]*){0,2}"
    r"(?=[ \t]*\n[ \t]*(?i:[FD]PO)\b)"
)
POST_LINE = r"\b(?i:APO|FPO|DPO)[ \t]+(?i:AA|AE|AP)[ \t]+\d{5}(?:-\d{4})?\b"


class MilitaryAddressRecognizer(PatternRecognizer):
    """PSC/CMR/Unit ... Box lines, ship names before an FPO line, and APO/FPO/DPO lines."""

    PATTERNS = [
        Pattern("military unit and box", UNIT_LINE, 0.7),
        Pattern("ship before fleet post office", SHIP_LINE, 0.6),
        Pattern("APO/FPO/DPO line", POST_LINE, 0.7),
    ]

    def __init__(self) -> None:
        super().__init__(
            supported_entity="STREET_ADDRESS",
            patterns=self.PATTERNS,
            global_regex_flags=regex.MULTILINE,  # case-sensitive but for the (?i:) keywords
        )
