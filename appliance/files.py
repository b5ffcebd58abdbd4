"""Atomic writes and hashing: the only way this project puts bytes on disk."""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import IO, Any

from appliance.errors import DISK_ERRNOS, ApplianceError, DiskError
from appliance.records import dumps

CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@contextlib.contextmanager
def atomic_writer(path: Path, mode: str = "w") -> Iterator[IO[Any]]:
    """Write to a temp file beside `path`, fsync, then rename over it: readers never see half a file.

    A full, read-only or forbidden disk raises DiskError naming `path` (never the temp file);
    the old file, if any, is left as it was, so the command can simply be re-run.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        remove_orphaned_temp_files(path)
        # The writer's pid is in the name, so a later write can tell an orphan from a write in progress.
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        if exc.errno in DISK_ERRNOS:
            raise DiskError.from_os_error(exc, path) from None
        raise
    try:
        with os.fdopen(fd, mode, **({"encoding": "utf-8"} if "b" not in mode else {})) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        # Only failures of this write: an error reading some other file (it has a filename) passes through.
        if exc.errno in DISK_ERRNOS and exc.filename in (None, tmp, str(path)):
            raise DiskError.from_os_error(exc, path) from None
        raise
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


# `.NAME.PID.RANDOM.tmp`: tempfile.mkstemp/mkdtemp with prefix `.NAME.PID.` (RANDOM is its 8 characters).
_TEMP_NAME = re.compile(r"\.(?P<name>.+)\.(?P<pid>[0-9]+)\.[a-z0-9_]{8}\.tmp")


def temp_writer(name: str) -> int | None:
    """The pid of the process that made a temp file or folder with this name; None for any other name."""
    found = _TEMP_NAME.fullmatch(name)
    return int(found["pid"]) if found else None


def _orphaned(name: str) -> bool:
    pid = temp_writer(name)
    return pid is not None and pid != os.getpid() and not process_alive(pid)


def remove_orphaned_temp_files(path: Path) -> int:
    """Delete temp files of earlier writes of `path` whose process died (SIGKILL, power loss); returns how many.

    A killed write never reaches its cleanup, and its temp file may hold a full copy of the data.
    """
    removed = 0
    for candidate in path.parent.glob(f"{glob.escape(f'.{path.name}.')}*.tmp"):
        found = _TEMP_NAME.fullmatch(candidate.name)
        if found is not None and found["name"] == path.name and _orphaned(candidate.name):
            with contextlib.suppress(FileNotFoundError):
                candidate.unlink()
                removed += 1
    return removed


def sweep_orphaned_temp_files(root: Path) -> int:
    """Delete, anywhere under `root`, temp files and scratch folders left by dead writers; returns how many.

    Only names in the temp pattern above whose pid is not a live process: a write in progress
    (ours or another process's) is never touched. Links are neither followed nor removed.
    """
    removed = 0
    for folder, folders, names in os.walk(root):
        for name in [*folders, *names]:
            path = Path(folder) / name
            if not _orphaned(name) or path.is_symlink():
                continue
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
                folders.remove(name)
            else:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
            removed += 1
    return removed


def process_alive(pid: int) -> bool:
    """Whether a process with this id exists (one we may not signal still counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def create_once(path: Path, data: bytes) -> bytes:
    """Write `data` to `path` only if nothing is there yet, atomically; returns what `path` holds.

    For keys and salts made on first use: two processes starting together must not each make
    one and overwrite the other's (data sealed with a lost key could never be opened again).
    """
    if path.exists():
        return path.read_bytes()
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        remove_orphaned_temp_files(path)
        fd, staged = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(staged, 0o600)
            with contextlib.suppress(FileExistsError):  # another process got there first: theirs is kept
                os.link(staged, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(staged)
    except OSError as exc:
        if exc.errno in DISK_ERRNOS:
            raise DiskError.from_os_error(exc, path) from None
        raise
    return path.read_bytes()


def write_text(path: Path, text: str) -> None:
    with atomic_writer(path) as handle:
        handle.write(text)


def write_bytes(path: Path, data: bytes) -> None:
    with atomic_writer(path, "wb") as handle:
        handle.write(data)


def json_document(data: Any) -> str:
    """The text write_json writes: sorted keys, indented, no NaN, one final newline."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


def write_json(path: Path, data: Any) -> None:
    write_text(path, json_document(data))


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> int:
    """Stream rows to a JSONL file atomically; returns how many were written."""
    count = 0
    with atomic_writer(path) as handle:
        for row in rows:
            handle.write(dumps(row))
            handle.write("\n")
            count += 1
    return count


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def relative_path_problem(value: str) -> str | None:
    """Why a path from a config or policy file may not name a place in the run directory; None if it may.

    Files are untrusted: only the command line may send output outside the run directory.
    """
    if not value.strip():
        return "is empty"
    if PurePosixPath(value).is_absolute() or PureWindowsPath(value).is_absolute() or value.startswith("~"):
        return "must be relative to the run directory (an absolute path may only be given on the command line)"
    if ".." in PurePosixPath(value.replace("\\", "/")).parts:
        return "must stay inside the run directory (no '..')"
    return None


def path_inside(root: Path, value: str | Path, *, key: str) -> Path:
    """`value` resolved under `root`; refuses a path that leaves it, also through a symbolic link.

    Example: path_inside(run.root, config.tracking.directory, key="tracking.directory")
    """
    problem = relative_path_problem(str(value))
    base = root.resolve()
    target = (base / value).resolve()
    if problem is None and not target.is_relative_to(base):
        problem = "leaves the run directory through a symbolic link"
    if problem:
        raise ApplianceError(f"{key} = {str(value)!r} {problem}; use a folder inside {base}")
    return target
