"""Undo what hides PII from pattern recognizers in transcripts and pasted text, keeping offsets.

Speech-to-text writes "five five five, one two one two" and "john dot smith at gmail dot
com"; copy-paste and evasion leave zero-width and bidi control characters inside a number
or an address, or write it in look-alikes: full-width "５５５－１２３４", Arabic-Indic digits,
no-break spaces and en dashes. `normalise_for_detection` rewrites those to "555, 1212",
"john.smith@gmail.com", plain ASCII digits and separators, and the text without the
invisible characters, and keeps, for every character of the result, the span of the
original it came from, so findings map back to the text actually redacted.
"""

from __future__ import annotations

import dataclasses
import unicodedata

import regex

# Invisible characters: soft hyphen, Mongolian vowel separator, zero-width space, joiners,
# left-to-right and right-to-left marks, bidi embeddings, overrides and isolates, word
# joiner and invisible operators, byte order mark. Dropped for detection.
ZERO_WIDTH = regex.compile(r"[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
# Look-alikes rewritten one character for one: full-width ASCII, ideographic and no-break
# spaces, Unicode dashes and minus, and decimal digits of other scripts.
LOOKALIKE = regex.compile(r"[\uff01-\uff5e\u3000\u00a0\u2007\u202f\u2010-\u2015\u2212]|(?![0-9])\p{Nd}")
_SPACES = "\u3000\u00a0\u2007\u202f"


def _plain(character: str) -> str:
    """The ASCII character a look-alike stands for."""
    if "\uff01" <= character <= "\uff5e":
        return chr(ord(character) - 0xFEE0)
    if character in _SPACES:
        return " "
    if unicodedata.category(character) == "Nd":
        return str(unicodedata.digit(character))
    return "-"
DIGIT_WORDS = {"zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
               "six": "6", "seven": "7", "eight": "8", "nine": "9"}
_DIGIT = r"(?:zero|oh|one|two|three|four|five|six|seven|eight|nine|\d)"
# At least four spoken digits in a row ("five five five one two one two"), commas or dashes between.
SPOKEN_DIGITS = regex.compile(rf"(?i)\b{_DIGIT}(?:(?:[ \t]*[,-]?[ \t]+|[ \t]*-[ \t]*){_DIGIT}){{3,}}\b")
_DIGIT_TOKEN = regex.compile(rf"(?i)\b{_DIGIT}\b")
# "name dot name at host dot com": the words " at " and " dot " only inside an address shape.
_LABEL = r"[A-Za-z0-9][A-Za-z0-9_-]*"
SPOKEN_EMAIL = regex.compile(
    rf"(?i)\b{_LABEL}(?:[ \t]+dot[ \t]+{_LABEL})*[ \t]+at[ \t]+{_LABEL}(?:[ \t]+dot[ \t]+{_LABEL})*[ \t]+dot[ \t]+(?:com|org|net|edu|gov|io|co|uk|de|fr|info|biz)\b"
)
_SPOKEN_SEPARATOR = regex.compile(r"(?i)[ \t]+(dot|at)[ \t]+")


@dataclasses.dataclass(frozen=True)
class NormalisedText:
    text: str
    # For each character of `text`, the [start, end) of the original characters it stands for.
    origins: tuple[tuple[int, int], ...]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        return self.origins[start][0], self.origins[end - 1][1]


def _pieces_for_match(kind: str, match: regex.Match[str]) -> list[tuple[str, int, int]]:
    """(replacement text, original start, original end) pieces covering the match."""
    base = match.start()
    value = match.group()
    if kind == "digits":
        pieces, last = [], 0
        for token in _DIGIT_TOKEN.finditer(value):
            if last < token.start():
                gap = value[last : token.start()]
                # "five five five, one two" -> "555-12": a pause written as punctuation stays a separator.
                kept = "" if regex.fullmatch(r"[ \t]+", gap) else "-"
                if kept:
                    pieces.append((kept, base + last, base + token.start()))
            pieces.append((DIGIT_WORDS.get(token.group().lower(), token.group()), base + token.start(), base + token.end()))
            last = token.end()
        return pieces
    pieces, last = [], 0
    for separator in _SPOKEN_SEPARATOR.finditer(value):
        pieces.append((value[last : separator.start()], base + last, base + separator.start()))
        pieces.append(("." if separator.group(1).lower() == "dot" else "@", base + separator.start(), base + separator.end()))
        last = separator.end()
    pieces.append((value[last:], base + last, base + len(value)))
    return pieces


def normalise_for_detection(text: str) -> NormalisedText | None:
    """The rewritten text with its origins, or None when nothing needed rewriting (the common case)."""
    replacements: list[tuple[int, int, list[tuple[str, int, int]]]] = []
    for kind, pattern in (("email", SPOKEN_EMAIL), ("digits", SPOKEN_DIGITS)):
        for match in pattern.finditer(text):
            if any(start < match.end() and match.start() < end for start, end, _ in replacements):
                continue
            if kind == "digits" and not any(c.isalpha() for c in match.group()):
                continue  # already digits
            replacements.append((match.start(), match.end(), _pieces_for_match(kind, match)))
    if not replacements and not ZERO_WIDTH.search(text) and not LOOKALIKE.search(text):
        return None
    out: list[str] = []
    origins: list[tuple[int, int]] = []
    position = 0

    def copy(start: int, end: int) -> None:
        for index in range(start, end):
            if not ZERO_WIDTH.match(text, index):
                out.append(_plain(text[index]) if LOOKALIKE.match(text, index) else text[index])
                origins.append((index, index + 1))

    for start, end, pieces in sorted(replacements):
        copy(position, start)
        for piece, piece_start, piece_end in pieces:
            clean = ZERO_WIDTH.sub("", piece)
            out.extend(clean)
            origins.extend([(piece_start, piece_end)] * len(clean))
        position = end
    copy(position, len(text))
    return NormalisedText("".join(out), tuple(origins))
