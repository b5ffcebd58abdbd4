"""ACCOUNT_NUMBER: 8-17 digit account numbers introduced by a word such as "account" or "acct"."""

from __future__ import annotations

from presidio_analyzer import Pattern, PatternRecognizer

# A bare 8-17 digit run is as likely an order id or a timestamp, so the keyword is part of
# the pattern (a variable-width lookbehind, which Presidio's `regex` engine allows): the
# span is only the number, and "account number is", "acct #:", "account ending in" all fit.
KEYWORD = r"(?<=\b(?:account|acct|a/c)[^\d\n]{0,25})"
DIGITS = r"(?<![\w-])(?:\d{8,17}|\d{2,8}(?:-\d{2,8}){1,3}|\d{4}(?: \d{4}){1,3})(?![\w-])"


class AccountNumberRecognizer(PatternRecognizer):
    """Account numbers next to an account keyword; grouped forms (1234-5678-90) count their digits."""

    PATTERNS = [Pattern("account number after keyword", KEYWORD + DIGITS, 0.8)]
    CONTEXT = ["account", "acct", "bank", "checking", "savings", "deposit"]

    def __init__(self) -> None:
        super().__init__(supported_entity="ACCOUNT_NUMBER", patterns=self.PATTERNS, context=self.CONTEXT)

    def invalidate_result(self, pattern_text: str) -> bool:
        digits = sum(character.isdigit() for character in pattern_text)
        return not 8 <= digits <= 17
