"""EMAIL_ADDRESS: every address-shaped string, whether or not its domain is on the public suffix list.

Presidio's EmailRecognizer drops addresses whose top-level domain tldextract does not
know, which on premises is exactly the dangerous case: intranet domains (`.corp`,
`.local`, `.internal`) and reserved test domains (`.example`) are still someone's address.
"""

from __future__ import annotations

import tldextract
from presidio_analyzer import Pattern
from presidio_analyzer.predefined_recognizers import EmailRecognizer

UNLISTED_DOMAIN_SCORE = 0.7


class EmailAddressRecognizer(EmailRecognizer):
    """Presidio's email pattern; a public domain scores 1.0, any other domain 0.7 instead of nothing."""

    PATTERNS = [Pattern("email address", EmailRecognizer.PATTERNS[0].regex, UNLISTED_DOMAIN_SCORE)]

    def __init__(self) -> None:
        super().__init__(patterns=self.PATTERNS)

    def validate_result(self, pattern_text: str) -> bool | None:
        # None keeps the pattern score; False would discard the match, which is what we avoid.
        return True if tldextract.extract(pattern_text).fqdn else None
