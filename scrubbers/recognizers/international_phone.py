"""PHONE_NUMBER: phone numbers in the many national layouts libphonenumber's region list misses.

Digit groups like "699 956 915", "(37) 788-063" or "+44 7700 921916" are too common in
other roles (amounts, ids) to trust on shape alone, so the bare shape scores below the
policy threshold and a phone word nearby ("call", "phone", "tel") lifts it over. A
leading "+" country code is evidence enough on its own.
"""

from __future__ import annotations

from presidio_analyzer import Pattern, PatternRecognizer

# 2-5 groups of 2-4 digits (the first optionally in brackets), 7-15 digits in total.
GROUPED = r"(?<![\w+.,/-])(?:\(\d{1,4}\)[ .-]?|\d{2,4}[ .-])(?:\d{2,4}[ .-]){0,3}\d{2,4}(?!\w|[-.,/]\d)"
# "+1" numbers are left to UsPhoneRecognizer: two recognizers scoring one span equally would let
# Presidio's de-duplication pick the reported recognizer by set order.
INTERNATIONAL = r"(?<![\w+])\+(?!1[ .(-]*\d{3}\b)\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{2,5}(?:[ .-]?\d{2,5}){1,4}(?!\w|[-.]\d)"


# A phone label right after the number ("22 498317 office", "92 34 70-Office", "(69) 948-538 fax",
# "3660170548-Fax")
# is as strong as a phone word before it, but Presidio's context window only looks back.
LABELLED_AFTER = (
    r"(?<![\w+.,/-])(?:(?:\(\d{1,4}\)[ .-]?|\d{2,4}[ .-])(?:\d{2,6}[ .-]){0,3}\d{2,6}|\d{7,15})"
    r"(?=[ \t]*[-,]?[ \t]*(?i:office|fax|mobile|cell|home|work|tel|phone|landline)\b)"
)


# A phone verb or noun shortly before the digits ("call me on 9472 7916", "text 99 668472",
# "stop receiving messages to 699 956 915", "my registered 668 5702"). Presidio's
# context enhancer cannot see "call": it matches against non-stopword tokens and spaCy lists "call"
# as a stop word. Up to 20 characters may stand between, without digits, a line break or a
# sentence or clause break ("call our office, ref 2024 118830" is not a phone number).
PHONE_CUE = (
    r"(?<=\b(?i:call|ring|text|texts|texting|messages?|messaging|phone|dial|fax|tel|mobile|cell|whatsapp|sms|answering|"
    r"registered|reach\s+(?:me|us|him|her))\b\.?[^\d\n.,;]{0,20})"
)
CUED = rf"{PHONE_CUE}(?<![\w+.,/-])(?:\(\d{{1,4}}\)[ .-]?|\d{{2,4}}[ .-])(?:\d{{2,6}}[ .-]){{0,3}}\d{{2,6}}(?!\w|[-.,/]\d)"


class InternationalPhoneRecognizer(PatternRecognizer):
    """Grouped digits with a phone word nearby or a phone label after, or anything written with a +country code."""

    PATTERNS = [
        Pattern("international +code", INTERNATIONAL, 0.6),
        Pattern("grouped digits", GROUPED, 0.2),
        Pattern("grouped digits before a phone label", LABELLED_AFTER, 0.6),
        Pattern("grouped digits after a phone word", CUED, 0.6),
    ]
    CONTEXT = ["phone", "call", "called", "calling", "cell", "mobile", "tel", "telephone", "fax", "number", "text", "reach", "contact", "dial", "whatsapp", "office", "home", "work", "answering", "ring"]

    def __init__(self) -> None:
        super().__init__(supported_entity="PHONE_NUMBER", patterns=self.PATTERNS, context=self.CONTEXT)

    def validate_result(self, pattern_text: str) -> bool | None:
        digits = sum(character.isdigit() for character in pattern_text)
        return None if 7 <= digits <= 15 else False
