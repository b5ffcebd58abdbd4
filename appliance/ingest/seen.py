"""What ingest has kept so far, on disk: file hashes, exact-duplicate keys and near-duplicate signatures.

Held in memory these grew with every kept record (~1 KB each). Here they live in one scratch SQLite
file behind a fixed page cache (appliance.scratch), so this process's memory is the same for a
thousand records or ten million. The file holds digests and MinHash signatures only, never text.

The index is made fresh in its own private folder for each ingest and removed when it ends. The
stage keeps it in the run's vault beside the sealed records (the sealed sink's scratch_dir): digests
of short records could be guessed back, so they stay with the data they come from, outside the run
directory. Ingest is all-or-nothing (the sealed records appear only on success), so a crashed ingest
starts again from nothing and so does its index; the folder a killed process leaves behind carries
the atomic-write temp name (`.ingest-index.<pid>.<random>.tmp`), so the next lock on the run sweeps it.

Each input file is a savepoint, so a file failing half-way is rolled back out of every index at once.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from appliance.ingest.neardup import NearDuplicateIndex
from appliance.scratch import CACHE_MIB, DigestSet, scratch_database

__all__ = ["CACHE_MIB", "INDEX_PREFIX", "SeenIndex", "seen_index"]  # CACHE_MIB: the page cache, documented in ingest.core

INDEX_PREFIX = ".ingest-index."


class SeenIndex:
    """The order-dependent memory of one ingest: which file bytes and record contents came before."""

    def __init__(self, db: sqlite3.Connection, near_threshold: float | None) -> None:
        self.db = db
        self.content = DigestSet(db, "content")
        self.near = NearDuplicateIndex(db, near_threshold) if near_threshold is not None else None

    def earlier_file(self, sha256: str, display: str) -> str | None:
        """The input that had these bytes first, or None (and this one is remembered as the first)."""
        found = self.db.execute("SELECT display FROM files WHERE sha256 = ?", (sha256,)).fetchone()
        if found is not None:
            return str(found[0])
        self.db.execute("INSERT INTO files VALUES (?, ?)", (sha256, display))
        return None

    def add_content(self, key: bytes) -> bool:
        """Remember a record's exact-duplicate key; False when it was already there."""
        return self.content.add(key)

    def forget_content(self, key: bytes) -> None:
        self.content.discard(key)

    # One input's additions are a savepoint: all of them kept, or all rolled back when the file fails half-way.
    def begin_file(self) -> None:
        if self.near is not None:
            self.near.begin_file()
        self.db.execute("SAVEPOINT input_file")

    def keep_file(self) -> None:
        self.db.execute("RELEASE input_file")

    def drop_file(self) -> None:
        if self.near is not None:
            self.near.drop_file()
        self.db.execute("ROLLBACK TO input_file")
        self.db.execute("RELEASE input_file")


@contextlib.contextmanager
def seen_index(near_threshold: float | None, folder: Path | None = None) -> Iterator[SeenIndex]:
    """A fresh, empty index in a private folder under `folder` (default: the system temp folder), removed at the end.

    Example: with seen_index(0.9, run.vault) as seen: seen.add_content(key)
    """
    with scratch_database(INDEX_PREFIX.strip("."), folder, what="the ingest index") as db:
        db.execute("CREATE TABLE files (sha256 TEXT PRIMARY KEY, display TEXT NOT NULL) WITHOUT ROWID")
        NearDuplicateIndex.create_tables(db)
        yield SeenIndex(db, near_threshold)
