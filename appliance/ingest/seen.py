"""What ingest has kept so far, on disk: file hashes, exact-duplicate keys and near-duplicate signatures.

Held in memory these grew with every kept record (~1 KB each). Here they live in one SQLite file
(standard library) read through a fixed page cache, so this process's memory is the same for a
thousand records or ten million; the operating system's file cache, which it can always reclaim,
holds the rest. The file holds digests and MinHash signatures only, never text.

The index is scratch: made fresh in its own private folder (0700, the file 0600) for each ingest
and removed when it ends. The stage keeps it in the run's vault beside the sealed records (the
sealed sink's scratch_dir): digests of short records could be guessed back, so they stay with the
data they come from, outside the run directory. Ingest is all-or-nothing (the sealed records
appear only on success), so a crashed ingest starts again from nothing and so does its index; the
folder a killed process leaves behind carries the atomic-write temp name
(`.ingest-index.<pid>.<random>.tmp`), so the next lock on the run sweeps it (appliance.rundir).

Nothing is ever committed: everything happens in one open transaction (pages spill to the file
when the cache is full), and each input file is a savepoint, so a file failing half-way is rolled
back out of every index at once.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

from appliance.errors import DISK_ERRNOS, DiskError
from appliance.ingest.neardup import NearDuplicateIndex

CACHE_MIB = 8  # SQLite's page cache: the whole of the indexes' memory, whatever their size on disk
INDEX_PREFIX = ".ingest-index."

_TABLES = (
    "CREATE TABLE files (sha256 TEXT PRIMARY KEY, display TEXT NOT NULL) WITHOUT ROWID",
    "CREATE TABLE content (key BLOB PRIMARY KEY) WITHOUT ROWID",
)


class SeenIndex:
    """The order-dependent memory of one ingest: which file bytes and record contents came before."""

    def __init__(self, db: sqlite3.Connection, near_threshold: float | None) -> None:
        self.db = db
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
        return self.db.execute("INSERT OR IGNORE INTO content VALUES (?)", (key,)).rowcount == 1

    def forget_content(self, key: bytes) -> None:
        self.db.execute("DELETE FROM content WHERE key = ?", (key,))

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


def _connect(path: Path) -> sqlite3.Connection:
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))  # SQLite gives its journal the same mode
    db = sqlite3.connect(path, isolation_level=None)  # transactions are managed here, explicitly
    for pragma in (
        f"cache_size = -{CACHE_MIB * 1024}",
        "synchronous = OFF",  # scratch: a crash throws it away, so there is nothing to make durable
        "locking_mode = EXCLUSIVE",  # one connection, one process: no lock calls per statement
        "temp_store = FILE",  # savepoint journals spill to disk past 64 KiB instead of growing in memory
        "mmap_size = 0",  # pages read into the cache, never mapped: mapped pages would count as ours
    ):
        db.execute(f"PRAGMA {pragma}")
    for statement in _TABLES:
        db.execute(statement)
    NearDuplicateIndex.create_tables(db)
    db.execute("BEGIN")
    return db


@contextlib.contextmanager
def seen_index(near_threshold: float | None, folder: Path | None = None) -> Iterator[SeenIndex]:
    """A fresh, empty index in a private folder under `folder` (default: the system temp folder), removed at the end.

    Example: with seen_index(0.9, run.vault) as seen: seen.add_content(key)
    """
    try:
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        # The writer's pid in the name: a later lock on the run directory tells an orphan from a live index.
        scratch = Path(tempfile.mkdtemp(prefix=f"{INDEX_PREFIX}{os.getpid()}.", suffix=".tmp", dir=folder))
    except OSError as exc:
        if exc.errno in DISK_ERRNOS:
            raise DiskError.from_os_error(exc, folder) from None
        raise
    try:
        db = _connect(scratch / "index.sqlite")
        try:
            yield SeenIndex(db, near_threshold)
        finally:
            db.close()  # the open transaction is discarded: the file is about to go
    except sqlite3.OperationalError as exc:
        if "disk is full" in str(exc) or "readonly" in str(exc):
            raise DiskError(f"no space left (or no write access) for the ingest index in {scratch.parent}; free some space there, then re-run the same command") from None
        raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
