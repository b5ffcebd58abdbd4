"""CREDIT_CARD: any 12-19 digit card number that passes the Luhn check, whatever the issuer prefix.

Presidio's CreditCardRecognizer only knows the big issuers' prefixes, so a valid private
label or regional card number slips through. The Luhn check (1 in 10 random digit runs
pass) keeps the score moderate; a card word nearby lifts it.
"""

from __future__ import annotations

from presidio_analyzer import Pattern, PatternRecognizer

CARD = r"(?<![\w.-])\d{4}(?:[ -]?\d){8,15}(?![\w-]|\.\d)"


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, character in enumerate(reversed(digits)):
        value = int(character)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


class LuhnCardRecognizer(PatternRecognizer):
    """12-19 digits, optionally grouped by spaces or dashes, Luhn-valid."""

    PATTERNS = [Pattern("luhn-valid card number", CARD, 0.5)]
    CONTEXT = ["card", "credit", "debit", "visa", "mastercard", "amex", "cc", "pay", "payment", "charge"]

    def __init__(self) -> None:
        super().__init__(supported_entity="CREDIT_CARD", patterns=self.PATTERNS, context=self.CONTEXT)

    def validate_result(self, pattern_text: str) -> bool | None:
        digits = "".join(character for character in pattern_text if character.isdigit())
        # A run of one repeated digit passes Luhn sometimes and is never a card.
        # None keeps the pattern's score; True would raise it to 1.0, too sure for a checksum alone.
        return None if 12 <= len(digits) <= 19 and len(set(digits)) > 1 and luhn_valid(digits) else False
