"""The near-duplicate index: MinHash signatures bucketed by band (LSH), consulted in input order.

It lives in the main process; the first record of a group of near-duplicates is kept, whatever
the number of workers. Signatures and band keys sit in SQLite tables (appliance.ingest.seen owns
the connection and its fixed page cache), so memory does not grow with the records kept.

Two helpers of capped size keep the disk off the common path:
- a presence bitmap (one bit per band key's top bits; doubled as keys arrive, up to BITMAP_BITS): a
  unique record's 16 keys are almost all absent, and an absent key needs no lookup. A set bit may be
  a false alarm (another key, or a rolled-back file), which only costs a lookup: decisions never
  depend on the bitmap;
- a pending buffer of band entries (PENDING_ROWS), inserted sorted by key when full: random
  inserts into a B-tree larger than the cache cost a page read and write each, sorted ones share pages.
  A record's candidates are looked up in both the table and the buffer (the buffer has a small
  bitmap of its own, so it is rarely scanned).
"""

from __future__ import annotations

import hashlib
import itertools
import sqlite3

import numpy as np

from appliance.ingest.quality import BANDS, PERMUTATIONS, ROWS

BITMAP_BITS = 1 << 27  # at most 16 MiB, reached at ~130k kept records: then a false alarm for ~3.5% of keys at 300k, ~11% at 1M
FIRST_BITMAP_BITS = 1 << 20  # 128 KiB, doubled (up to BITMAP_BITS) whenever the keys pass 1/64 of the bits
KEYS_PER_BIT = 1 / 64  # ~1.5% false alarms a key, so ~80% of unique records need no lookup at all
PENDING_ROWS = 1 << 16  # 1 MiB of (key, id) pairs, ~4,000 records
PENDING_BITMAP_BITS = 1 << 20  # 128 KiB: which keys may be in the buffer, so most lookups skip scanning it
CANDIDATE_BLOCK = 1024  # signatures compared at a time: memory stays bounded however many share a band

_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93], dtype=np.uint64)
_BAND_SALT = np.arange(1, BANDS + 1, dtype=np.uint64) * np.uint64(0xA24BAED4963EE407)

_TABLES = (
    "CREATE TABLE signatures (id INTEGER PRIMARY KEY, label INTEGER NOT NULL, signature BLOB NOT NULL)",
    "CREATE TABLE bands (key INTEGER NOT NULL, id INTEGER NOT NULL, PRIMARY KEY (key, id)) WITHOUT ROWID",
)


def bucket_keys(signature: np.ndarray, label_key: int) -> np.ndarray:
    """One 64-bit key per band (a collision only adds a candidate, which is then checked)."""
    pairs = signature.view(np.uint64).reshape(BANDS, ROWS // 2)
    return (pairs * _MIX).sum(axis=1, dtype=np.uint64) ^ _BAND_SALT ^ np.uint64(label_key)


def label_key(label: str) -> int:
    """A label as a 64-bit number: the index never holds the label's text, and needs no table of labels."""
    digest = hashlib.blake2b(label.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value  # SQLite integers are signed 64-bit


def _set_bits(bits: np.ndarray, slots: np.ndarray) -> None:
    np.bitwise_or.at(bits, slots >> np.uint64(3), np.left_shift(1, (slots & np.uint64(7)).astype(np.uint8)).astype(np.uint8))


def _test_bits(bits: np.ndarray, slots: np.ndarray) -> np.ndarray:
    return ((bits[slots >> np.uint64(3)] >> (slots & np.uint64(7)).astype(np.uint8)) & 1).astype(bool)


def _marks(count: int) -> str:
    return ", ".join("?" * count)


class NearDuplicateIndex:
    """Kept signatures; records with different labels are never near-duplicates."""

    def __init__(self, db: sqlite3.Connection, threshold: float) -> None:
        self.db = db
        self.threshold = threshold
        # Made on the first signature, so an ingest that keeps nothing (or only reads archives) pays nothing;
        # the bitmap then grows with the records up to its cap, so a small corpus pays little.
        self._bits = np.zeros(0, dtype=np.uint8)
        self._bit_shift = np.uint64(64)  # a key's top bits pick its bit
        self._keys_added = 0
        self._pending = np.empty((0, 2), dtype=np.int64)  # (key, id), in insertion order
        self._pending_bits = np.zeros(0, dtype=np.uint8)
        self._pending_shift = np.uint64(64 - (PENDING_BITMAP_BITS.bit_length() - 1))
        self._pending_count = 0
        self._pending_mark = 0  # pending entries of earlier files, never flushed inside a later file's savepoint

    @staticmethod
    def create_tables(db: sqlite3.Connection) -> None:
        for statement in _TABLES:
            db.execute(statement)

    def admit(self, signature: bytes, label: str) -> bool:
        """Keep `signature` unless a kept one with the same label is at least `threshold` similar; True when kept."""
        if not len(self._pending):
            self._pending = np.empty((PENDING_ROWS, 2), dtype=np.int64)
            self._pending_bits = np.zeros(PENDING_BITMAP_BITS // 8, dtype=np.uint8)
            self._resize_bitmap(min(FIRST_BITMAP_BITS, BITMAP_BITS))
        vector = np.frombuffer(signature, dtype=np.uint32)
        salt = label_key(label)
        keys = bucket_keys(vector, salt)
        present = _test_bits(self._bits, keys >> self._bit_shift)
        if present.any() and self._has_near_duplicate(vector, _signed(salt), keys[present].view(np.int64)):
            return False
        index = self.db.execute("INSERT INTO signatures (label, signature) VALUES (?, ?)", (_signed(salt), signature)).lastrowid
        _set_bits(self._bits, keys >> self._bit_shift)
        self._keys_added += BANDS
        if self._keys_added > KEYS_PER_BIT * len(self._bits) * 8 and len(self._bits) * 8 < BITMAP_BITS:
            self._resize_bitmap(len(self._bits) * 16)
        if self._pending_count + BANDS > PENDING_ROWS:
            self._flush(self._pending_mark)  # this file's entries only: they belong in its savepoint
        rows = self._pending[self._pending_count : self._pending_count + BANDS]
        rows[:, 0], rows[:, 1] = keys.view(np.int64), index
        self._pending_count += BANDS
        _set_bits(self._pending_bits, keys >> self._pending_shift)
        return True

    def _resize_bitmap(self, bits: int) -> None:
        """A bitmap of `bits` bits, set again from every band key in the table and the buffer (amortised: sizes double)."""
        self._bits = np.zeros(0, dtype=np.uint8)  # the old one freed first: never both at once
        self._bits = np.zeros(bits // 8, dtype=np.uint8)
        self._bit_shift = np.uint64(64 - (bits.bit_length() - 1))
        _set_bits(self._bits, self._pending[: self._pending_count, 0].view(np.uint64) >> self._bit_shift)
        cursor = self.db.execute("SELECT key FROM bands")
        while block := cursor.fetchmany(1 << 16):
            keys = np.fromiter(itertools.chain.from_iterable(block), dtype=np.int64, count=len(block)).view(np.uint64)
            _set_bits(self._bits, keys >> self._bit_shift)

    def _has_near_duplicate(self, vector: np.ndarray, label: int, keys: np.ndarray) -> bool:
        in_buffer = keys[_test_bits(self._pending_bits, keys.view(np.uint64) >> self._pending_shift)]
        pending = self._pending[: self._pending_count]
        ids = pending[np.isin(pending[:, 0], in_buffer), 1].tolist() if len(in_buffer) else []
        queries = [(f"SELECT s.signature FROM bands b JOIN signatures s ON s.id = b.id WHERE b.key IN ({_marks(len(keys))}) AND s.label = ?", (*keys.tolist(), label))]
        if ids:
            queries.append((f"SELECT signature FROM signatures WHERE id IN ({_marks(len(ids))}) AND label = ?", (*ids, label)))
        for sql, parameters in queries:
            cursor = self.db.execute(sql, parameters)
            while block := cursor.fetchmany(CANDIDATE_BLOCK):
                kept = np.frombuffer(b"".join(row[0] for row in block), dtype=np.uint32).reshape(len(block), PERMUTATIONS)
                if ((kept == vector).mean(axis=1) >= self.threshold).any():
                    cursor.close()
                    return True
        return False

    def _flush(self, start: int) -> None:
        """Pending entries from `start` on into the table, sorted by key so neighbouring inserts share pages."""
        pending = self._pending[start : self._pending_count]
        pending = pending[np.argsort(pending[:, 0], kind="stable")]
        self.db.executemany("INSERT OR IGNORE INTO bands VALUES (?, ?)", pending.tolist())
        self._pending_count = start
        self._pending_bits[:] = 0
        _set_bits(self._pending_bits, self._pending[:start, 0].view(np.uint64) >> self._pending_shift)

    def begin_file(self) -> None:
        """Called before the file's savepoint opens: earlier files' entries never go into it.

        Flushed here when half full, so a file always has at least half the buffer; when it fills
        that, only its own entries are flushed (inside its savepoint, rolled back with it).
        """
        if self._pending_count >= PENDING_ROWS // 2:
            self._flush(0)
        self._pending_mark = self._pending_count

    def drop_file(self) -> None:
        """Forget the current file's pending entries (its savepoint's rollback takes the flushed ones).

        Its bits stay set: a stale bit only costs a lookup that finds nothing.
        """
        self._pending_count = self._pending_mark
