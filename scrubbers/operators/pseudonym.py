"""Replace a value with a realistic surrogate of its type, the same one wherever it recurs.

A keyed HMAC of the normalised value picks the surrogate, so "Jane Doe" becomes the same
made-up name in every record of the corpus (and of this installation's runs) while the
mapping cannot be recomputed without the key. Names come from shipped lists, emails and
phone numbers keep a valid shape, and dates move by an offset fixed per data subject so
intervals between one person's dates survive. Other types get a typed token.

>>> pseudonym("Jane Doe", "PERSON", salt=key) == pseudonym("jane  doe", "PERSON", salt=key)
True
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
from pathlib import Path

from scrubbers.operators.hash import hash_token, normalise

DATA = Path(__file__).resolve().parent.parent / "data"
DATE_TYPES = frozenset({"DATE_TIME", "DATE_OF_BIRTH"})
# Offsets of at most half a year, never zero, so a shifted date never equals the original.
MAX_SHIFT_DAYS = 180
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y", "%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y", "%B %d %Y")


@functools.cache
def _names(file: str) -> tuple[str, ...]:
    lines = (DATA / file).read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def _digest(key: bytes, *parts: str) -> bytes:
    return hmac.new(b"pseudonym:" + key, "\0".join(parts).encode("utf-8"), hashlib.sha256).digest()


def _pick(options: tuple[str, ...], digest: bytes, index: int) -> str:
    return options[int.from_bytes(digest[index * 4 : index * 4 + 4], "big") % len(options)]


def _person(value: str, digest: bytes) -> str:
    given, surname = _pick(_names("given_names.txt"), digest, 0), _pick(_names("surnames.txt"), digest, 1)
    name = given if len(value.split()) == 1 else f"{given} {surname}"
    return name.upper() if value.isupper() else name


def _email(digest: bytes) -> str:
    given, surname = _pick(_names("given_names.txt"), digest, 0), _pick(_names("surnames.txt"), digest, 1)
    return f"{given.lower()}.{surname.lower()}{digest[8] % 100}@example.com"


def _digits(value: str, digest: bytes) -> str:
    """Same layout, new digits; the first digit is never 0 so the number stays dialable in shape."""
    stream = iter(digest * 4)
    out = []
    for character in value:
        if character.isdigit():
            digit = next(stream) % 10
            out.append(str(digit or 5) if not any(c.isdigit() for c in out) else str(digit))
        else:
            out.append(character)
    return "".join(out)


def shift_days(key: bytes, subject: str) -> int:
    """The subject's date offset in days: in [-MAX_SHIFT_DAYS, MAX_SHIFT_DAYS], never 0."""
    span = int.from_bytes(_digest(key, "date-shift", subject)[:4], "big") % (2 * MAX_SHIFT_DAYS)
    return span - MAX_SHIFT_DAYS if span < MAX_SHIFT_DAYS else span - MAX_SHIFT_DAYS + 1


def _date(value: str, key: bytes, subject: str) -> str | None:
    text = " ".join(value.split())
    for pattern in DATE_FORMATS:
        try:
            parsed = dt.datetime.strptime(text, pattern)
        except ValueError:
            continue
        shifted = parsed + dt.timedelta(days=shift_days(key, subject))
        return shifted.strftime(pattern)
    return None


def pseudonym(value: str, entity_type: str, *, keep_last: int = 0, salt: bytes = b"", subject: str = "") -> str:
    """A surrogate of the same type chosen by HMAC(salt, type, value); dates shifted per `subject`."""
    if entity_type in DATE_TYPES:
        return _date(value, salt, subject) or hash_token(value, entity_type, salt=salt)
    digest = _digest(salt, entity_type, normalise(value, entity_type))
    if entity_type == "PERSON":
        return _person(value, digest)
    if entity_type == "EMAIL_ADDRESS":
        return _email(digest)
    if not any(character.isalpha() for character in value) and any(character.isdigit() for character in value):
        return _digits(value, digest)  # phone, card, SSN, account: same layout, made-up digits
    return hash_token(value, entity_type, salt=salt)
