"""STREET_ADDRESS: US military mail addresses ("PSC 3294, Box 9168 / APO AA 61487", "USNS Kent / FPO AE 09499").

The USPS format has no street, so the street recognizers never see it; the unit line and
the APO/FPO/DPO line are each distinctive enough on their own.
"""

from __future__ import annotations

import regex
from presidio_analyzer import Pattern, PatternRecognizer

UNIT_LINE = r"\b(?:PSC|CMR|Unit)[ \t]+\d{3,5},?[ \t]+Box[ \t]+\d{1,5}\b"
SHIP_LINE = r"\b(?:USNS|USNV|USS|USCGC)[ \t]+\p{Lu}[\p{L}'-]*(?:[ \t]+\p{Lu}[\p{L}'-]*){0,2}(?=[ \t]*\n[ \t]*[FD]PO\b)"
POST_LINE = r"\b(?:APO|FPO|DPO)[ \t]+(?:AA|AE|AP)[ \t]+\d{5}(?:-\d{4})?\b"


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
            global_regex_flags=regex.MULTILINE,  # the abbreviations are written in capitals
        )
