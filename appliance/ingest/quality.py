"""Quality filters and near-duplicate detection (MinHash over word shingles, banded LSH).

Filters and signatures look at one record alone, so workers compute them. Which record of a
near-duplicate group is kept depends on order: see appliance.ingest.neardup.
"""

from __future__ import annotations

import re
import string
import unicodedata
import zlib

import numpy as np

from appliance.config import IngestConfig

SHINGLE_WORDS = 5
PERMUTATIONS = 128
BANDS, ROWS = 16, 8  # candidate pairs from ~0.7 similarity; pairs at 0.9 are missed with p < 0.001
_BASE = np.uint64(0x100000001B3)  # the FNV prime: the rolling shingle hash wraps modulo 2**64
_rng = np.random.default_rng(20240611)  # fixed: signatures must be the same in every process and run
# Multiply-add-shift hashing (a*x + b mod 2**64, high 32 bits): a cheap universal family, one per permutation.
_A = (_rng.integers(0, 2**63, PERMUTATIONS, dtype=np.uint64) * np.uint64(2) + np.uint64(1))[:, None]
_B = _rng.integers(0, 2**63, PERMUTATIONS, dtype=np.uint64)[:, None]
_SHIFT = np.uint64(32)
_BLOCK = 2048  # shingles hashed at a time, to bound memory on long records

_WORD = re.compile(r"\w+")
_LETTER_RUN = re.compile(r"[^\W\d_]+")
_ASCII_LETTERS = string.ascii_letters.encode()
LONG_TOKEN = 64  # characters without a space: no word is this long, an encoded blob is


def filter_reason(text: str, config: IngestConfig) -> str:
    """Why a record's text is unusable ('' when it is fine): empty, too_short, too_long or non_text."""
    stripped = text.strip()
    if not stripped:
        return "empty"
    if len(stripped) < config.min_chars:
        return "too_short"
    if len(stripped) > config.max_chars:
        return "too_long"
    lengths = list(map(len, stripped.split()))
    visible = sum(lengths)
    if stripped.isascii():  # the common case, counted in C: delete the letters and see what is left
        raw = stripped.encode("ascii")
        letters = len(raw) - len(raw.translate(None, _ASCII_LETTERS))
    else:
        letters = len(stripped) - len(_LETTER_RUN.sub("", stripped))
    if letters < config.min_letter_fraction * visible:
        return "non_text"  # tables of numbers, symbol soup, binary turned into text
    if sum(n for n in lengths if n >= LONG_TOKEN) > visible / 2:
        return "non_text"  # base64 or hex blobs: letters, but no words
    return ""


def normal_words(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFKC", text).lower())


def minhash(text: str) -> bytes:
    """A 128 x uint32 MinHash signature of the text's 5-word shingles."""
    words = normal_words(text)
    hashes = np.fromiter(map(zlib.crc32, map(str.encode, words)), dtype=np.uint64, count=len(words))
    k = min(SHINGLE_WORDS, len(hashes))
    if k == 0:
        return np.full(PERMUTATIONS, 0xFFFFFFFF, dtype=np.uint32).tobytes()
    count = len(hashes) - k + 1
    shingles = hashes[:count].copy()
    for j in range(1, k):
        shingles = shingles * _BASE + hashes[j : j + count]
    signature = np.full(PERMUTATIONS, 0xFFFFFFFF, dtype=np.uint64)
    for start in range(0, count, _BLOCK):
        block = shingles[None, start : start + _BLOCK]
        signature = np.minimum(signature, ((_A * block + _B) >> _SHIFT).min(axis=1))
    return signature.astype(np.uint32).tobytes()


def similarity(first: bytes, second: bytes) -> float:
    """Estimated Jaccard similarity of the shingle sets behind two signatures."""
    return float(np.mean(np.frombuffer(first, dtype=np.uint32) == np.frombuffer(second, dtype=np.uint32)))
