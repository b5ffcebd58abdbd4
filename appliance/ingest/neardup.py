"""The near-duplicate index: MinHash signatures bucketed by band (LSH), consulted in input order.

It lives in the main process; the first record of a group of near-duplicates is kept, whatever
the number of workers. Signatures and band keys sit in SQLite tables (appliance.ingest.seen owns
the connection and its fixed page cache), so memory does not grow with the records kept: a query
reads the 16 band keys' entries and the candidates' signatures, nothing else.
"""

from __future__ import annotations

import hashlib
import sqlite3

import numpy as np

from appliance.ingest.quality import BANDS, PERMUTATIONS, ROWS

_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93], dtype=np.uint64)
_BAND_SALT = np.arange(1, BANDS + 1, dtype=np.uint64) * np.uint64(0xA24BAED4963EE407)

_TABLES = (
    "CREATE TABLE signatures (id INTEGER PRIMARY KEY, label INTEGER NOT NULL, signature BLOB NOT NULL)",
    "CREATE TABLE bands (key INTEGER NOT NULL, id INTEGER NOT NULL, PRIMARY KEY (key, id)) WITHOUT ROWID",
)
_CANDIDATES = (
    "SELECT signature FROM signatures WHERE label = ? AND id IN (SELECT id FROM bands WHERE key IN ("
    + ", ".join("?" * BANDS)
    + "))"
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


class NearDuplicateIndex:
    """Kept signatures; records with different labels are never near-duplicates."""

    def __init__(self, db: sqlite3.Connection, threshold: float) -> None:
        self.db = db
        self.threshold = threshold

    @staticmethod
    def create_tables(db: sqlite3.Connection) -> None:
        for statement in _TABLES:
            db.execute(statement)

    def admit(self, signature: bytes, label: str) -> bool:
        """Keep `signature` unless a kept one with the same label is at least `threshold` similar; True when kept."""
        vector = np.frombuffer(signature, dtype=np.uint32)
        salt = label_key(label)
        keys = bucket_keys(vector, salt).view(np.int64).tolist()
        found = self.db.execute(_CANDIDATES, (_signed(salt), *keys)).fetchall()
        if found:
            kept = np.frombuffer(b"".join(row[0] for row in found), dtype=np.uint32).reshape(len(found), PERMUTATIONS)
            if ((kept == vector).mean(axis=1) >= self.threshold).any():
                return False
        index = self.db.execute("INSERT INTO signatures (label, signature) VALUES (?, ?)", (_signed(salt), signature)).lastrowid
        self.db.executemany("INSERT OR IGNORE INTO bands VALUES (?, ?)", ((key, index) for key in keys))
        return True
