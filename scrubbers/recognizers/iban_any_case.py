"""IBAN_CODE: IBANs in any letter case ("gb82 west 1234 5698 7654 32"), checked by their ISO 7064 mod-97 digits.

Presidio's IbanRecognizer expects capitals; chat and speech-to-text write them in lower
case. The check digits make a random match about one in a hundred, and the shape (country
letters, two digits, 11-30 letters and digits) rarer still, so a valid one is taken at face value.
"""

from __future__ import annotations

from presidio_analyzer import Pattern, PatternRecognizer

IBAN = r"(?<![\w-])[A-Za-z]{2}\d{2}(?:[ ]?[A-Za-z0-9]{4}){2,7}(?:[ ]?[A-Za-z0-9]{1,3})?(?![\w-])"


def iban_valid(candidate: str) -> bool:
    compact = candidate.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34 or not compact[:2].isalpha():
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(character, 36)) for character in rearranged)
    return int(number) % 97 == 1


class IbanAnyCaseRecognizer(PatternRecognizer):
    """Country code, check digits and account in any case, valid under mod 97."""

    PATTERNS = [Pattern("iban in any case", IBAN, 0.7)]
    CONTEXT = ["iban", "bank", "account", "transfer", "wire"]

    def __init__(self) -> None:
        super().__init__(supported_entity="IBAN_CODE", patterns=self.PATTERNS, context=self.CONTEXT)

    def validate_result(self, pattern_text: str) -> bool | None:
        # None keeps the pattern's score; False discards a match whose check digits fail.
        return None if iban_valid(pattern_text) else False
