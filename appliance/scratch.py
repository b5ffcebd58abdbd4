"""Private on-disk scratch for a stage: a 0700 folder, a SQLite file behind a fixed page cache, and a set of digests.

A stage that must remember what it has already seen (ingest's duplicate keys, scrub's sealed
pseudonym pairs) would otherwise hold a set that grows with the corpus. Here it lives in one SQLite
file (standard library) read through a fixed page cache, so the process's memory is the same for a
thousand entries or ten million; the operating system's file cache, which it can always reclaim,
holds the rest.

The scratch folder is named like an atomic-write temp file (`.NAME.<pid>.<random>.tmp`): a stage
killed half-way never reaches its cleanup, and the next lock on the run sweeps the folder of a dead
writer (appliance.rundir, appliance.files.sweep_orphaned_temp_files). Callers keep it beside the data
the digests come from (the run's vault), never in the run directory.

Nothing is ever committed: everything happens in one open transaction (pages spill to the file when
the cache is full) that is thrown away with the file.
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

CACHE_MIB = 8  # SQLite's page cache: the whole of the scratch's memory, whatever its size on disk


class DigestSet:
    """A set of short byte keys (digests, never text) in one table of a scratch database."""

    def __init__(self, db: sqlite3.Connection, table: str) -> None:
        if not table.isidentifier():
            raise ValueError(f"table name {table!r} is not an identifier")
        self.db = db
        self._insert = f"INSERT OR IGNORE INTO {table} VALUES (?)"
        self._delete = f"DELETE FROM {table} WHERE key = ?"
        db.execute(f"CREATE TABLE IF NOT EXISTS {table} (key BLOB PRIMARY KEY) WITHOUT ROWID")

    def add(self, key: bytes) -> bool:
        """Remember `key`; True when it is new, False when it was already there."""
        return self.db.execute(self._insert, (key,)).rowcount == 1

    def discard(self, key: bytes) -> None:
        self.db.execute(self._delete, (key,))


@contextlib.contextmanager
def scratch_folder(name: str, folder: Path | None = None) -> Iterator[Path]:
    """A fresh private folder (0700) `.NAME.<pid>.<random>.tmp` under `folder` (default: the system temp folder), removed at the end.

    Example: with scratch_folder("scrub-pairs", run.vault) as scratch: ...
    """
    try:
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        # The writer's pid in the name: a later lock on the run directory tells an orphan from a live scratch.
        scratch = Path(tempfile.mkdtemp(prefix=f".{name}.{os.getpid()}.", suffix=".tmp", dir=folder))
    except OSError as exc:
        if exc.errno in DISK_ERRNOS:
            raise DiskError.from_os_error(exc, folder) from None
        raise
    try:
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def connect(path: Path, cache_mib: int = CACHE_MIB) -> sqlite3.Connection:
    """A new SQLite file (0600) tuned as throw-away scratch, inside one open transaction."""
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))  # SQLite gives its journal the same mode
    db = sqlite3.connect(path, isolation_level=None)  # transactions are managed here, explicitly
    for pragma in (
        f"cache_size = -{cache_mib * 1024}",
        "synchronous = OFF",  # scratch: a crash throws it away, so there is nothing to make durable
        "locking_mode = EXCLUSIVE",  # one connection, one process: no lock calls per statement
        "temp_store = FILE",  # savepoint journals spill to disk past 64 KiB instead of growing in memory
        "mmap_size = 0",  # pages read into the cache, never mapped: mapped pages would count as ours
    ):
        db.execute(f"PRAGMA {pragma}")
    db.execute("BEGIN")
    return db


@contextlib.contextmanager
def scratch_database(name: str, folder: Path | None = None, *, what: str = "scratch index") -> Iterator[sqlite3.Connection]:
    """An empty scratch database in a private folder under `folder`, removed at the end; a full disk is a DiskError.

    `what` names the scratch in that error ("the ingest index").

    Example: with scratch_database("scrub-pairs", run.vault) as db: seen = DigestSet(db, "pairs")
    """
    with scratch_folder(name, folder) as scratch:
        try:
            db = connect(scratch / "index.sqlite")
            try:
                yield db
            finally:
                db.close()  # the open transaction is discarded: the file is about to go
        except sqlite3.OperationalError as exc:
            if "disk is full" in str(exc) or "readonly" in str(exc):
                raise DiskError(f"no space left (or no write access) for {what} in {scratch.parent}; free some space there, then re-run the same command") from None
            raise
