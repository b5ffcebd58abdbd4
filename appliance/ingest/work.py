"""The per-file work: read, filter and fingerprint one input. Runs in worker processes or inline.

Nothing here depends on other files, so the work is the same in any process; what does depend on
order (duplicate files, duplicate and near-duplicate records) is decided by the caller, in order.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from appliance.files import sha256_file
from appliance.ingest.archives import ArchiveRefused, Member, iter_members
from appliance.ingest.quality import filter_reason, minhash
from appliance.ingest.readers import BytesBlob, DoesNotFitTask, ParsedRow, PathBlob, Reader, ReaderContext, Unreadable, archive_format, reader_for, suffix_of
from appliance.ingest.task import NO_LABEL, early_misfit, no_labelled_rows, shape_row
from appliance.records import Record, Source, record_id


@dataclass(frozen=True)
class InputFile:
    path: Path
    display: str  # relative to the source argument it came from; what the manifest shows


@dataclass(frozen=True)
class Prepared:
    """A record that passed the filters, with what the order-dependent checks need."""

    record: Record
    sidecar: dict | None
    content_key: bytes
    signature: bytes | None  # None: not computed yet (streamed files are signed only when not exact duplicates)


@dataclass
class FileWork:
    """One input's result before the order-dependent checks: a file, an archive member, or an archive."""

    display: str
    sha256: str = ""
    bytes: int = 0
    format: str = "unknown"
    early: str = ""  # quarantined before the duplicate check (unreadable, unsupported, empty)
    failure: str = ""  # reading failed; applies only if the file is not a duplicate
    misfit: str = ""  # readable, but cannot serve the run's task: filtered whole with this reason
    rows: Iterable[Prepared] = ()
    filtered: Counter = field(default_factory=Counter)
    parsed: int = 0
    container: str = ""  # the archive a member came from
    expanded: bool = False  # this is an archive whose members follow


def reader_failure(exc: Exception) -> str:
    """The one-line reason for an unexpected error: its type only, never its message (it may quote content)."""
    return f"could not be read ({type(exc).__name__}); check the file opens in its usual application, then report it"


def misfit_reason(work: FileWork, label_column: str | None) -> str:
    """Why a file that gave no records did not fit the task ('' when other filters are to blame)."""
    if work.misfit:
        return work.misfit
    if work.parsed and work.filtered[NO_LABEL] == work.parsed:
        return no_labelled_rows(work.parsed, label_column)
    return ""


def content_key(record: Record) -> bytes:
    """Exact-duplicate key: NFKC-normalised, whitespace-collapsed content plus label."""
    parts = [f"{m.role}:{m.content}" for m in record.messages] if record.messages is not None else [record.text or ""]
    normal = " ".join(unicodedata.normalize("NFKC", "\n".join(parts)).split())
    return hashlib.sha256(f"{normal}\x00{record.label}".encode()).digest()


def _to_record(row: ParsedRow, sha: str, display: str) -> Record:
    return Record(
        id=record_id(sha, row.location),
        kind=row.kind,  # type: ignore[arg-type]
        source=Source(path=display, sha256=sha, location=row.location),
        text=row.text,
        messages=row.messages,
        label=row.label,
        subject_id=row.subject_id,
        metadata=row.metadata,
    )


def joined_text(record: Record) -> str:
    return "\n".join(m.content for m in record.messages) if record.messages is not None else record.text or ""


def _prepare(work: FileWork, rows: Iterable[ParsedRow], ctx: ReaderContext, sign: bool) -> Iterator[Prepared]:
    """Filtered rows as records; `sign`: compute the MinHash here (in a worker) rather than when needed."""
    config = ctx.config
    for parsed in rows:
        work.parsed += 1
        row, misfit = shape_row(parsed, ctx.task)
        if row is None:
            work.filtered[misfit] += 1
            continue
        joined = "\n".join(m.content for m in row.messages) if row.messages is not None else row.text or ""
        reason = filter_reason(joined, config)
        if reason:
            work.filtered[reason] += 1
            continue
        record = _to_record(row, work.sha256, work.display)
        sidecar = {"record_id": record.id, "attributes": row.attributes, "label": row.label} if row.attributes else None
        signature = minhash(joined) if sign and config.near_duplicate_threshold is not None else None
        yield Prepared(record, sidecar, content_key(record), signature)


def _readable(work: FileWork, reader: Reader, blob, ctx: ReaderContext, lazy: bool) -> FileWork:
    rows = _prepare(work, reader(blob, ctx), ctx, sign=not lazy)
    if lazy:
        work.rows = rows  # the caller iterates, and handles a failure half-way
        return work
    try:
        work.rows = list(rows)
    except Unreadable as exc:
        work.rows, work.failure = [], str(exc)
    except DoesNotFitTask as exc:
        work.rows, work.misfit = [], str(exc)
    except Exception as exc:  # a reader bug or a library choking on a hostile file: quarantine, never a traceback
        work.rows, work.failure = [], reader_failure(exc)
    return work


def _format_name(name: str) -> str:
    found = reader_for(name)
    return found[0] if found else archive_format(name) or suffix_of(name) or "none"


def _member_work(member: Member, archive: str, ctx: ReaderContext) -> FileWork:
    display = f"{archive}!{''.join(ch if ch.isprintable() else '?' for ch in member.name)}"  # one line in every listing
    work = FileWork(display, format=_format_name(member.name), container=archive)
    if member.data is None:
        work.early = member.reason
        return work
    work.sha256, work.bytes = hashlib.sha256(member.data).hexdigest(), len(member.data)
    found = reader_for(member.name)
    if archive_format(member.name):
        work.early = "archive inside an archive is not expanded; extract the inner archive and ingest it directly"
    elif found is None:
        work.early = f"unsupported file type '{suffix_of(member.name) or '(none)'}'"
    elif not member.data:
        work.early = "empty file (0 bytes)"
    elif early_misfit(ctx.task, found[0]):
        work.misfit = early_misfit(ctx.task, found[0])
    else:
        return _readable(work, found[1], BytesBlob(member.data), ctx, lazy=False)
    return work


def _archive_works(item: InputFile, fmt: str, ctx: ReaderContext) -> Iterator[FileWork]:
    archive = FileWork(item.display, sha256_file(item.path), item.path.stat().st_size, fmt)
    members = iter_members(item.path, fmt, ctx.config)
    try:
        first = next(members, None)
    except ArchiveRefused as exc:
        archive.early = str(exc)
        yield archive
        return
    if first is None:
        archive.early = "archive holds no files; check it was created correctly"
        yield archive
        return
    archive.expanded = True
    yield archive
    yield _member_work(first, item.display, ctx)
    for member in members:
        yield _member_work(member, item.display, ctx)


def _file_works(item: InputFile, ctx: ReaderContext, lazy: bool) -> Iterator[FileWork]:
    work = FileWork(item.display, format=_format_name(item.path.name))
    if item.path.is_symlink():
        work.early = "symbolic link refused (could point outside the source)"
        yield work
        return
    if item.path.is_dir():
        work.early = "folder could not be listed; check its permissions, then ingest again"
        yield work
        return
    if not item.path.is_file():
        work.early = "not a regular file (a pipe, socket or device); copy the data into a file"
        yield work
        return
    fmt = archive_format(item.path.name)
    if fmt:
        yield from _archive_works(item, fmt, ctx)
        return
    size = item.path.stat().st_size
    if size >= ctx.config.stream_above_bytes:
        work.sha256, blob = sha256_file(item.path), PathBlob(item.path, size)
    else:
        data = item.path.read_bytes()
        work.sha256, blob = hashlib.sha256(data).hexdigest(), BytesBlob(data)
    work.bytes = size
    found = reader_for(item.path.name)
    if found is None:
        work.early = f"unsupported file type '{item.path.suffix or '(none)'}'"
    elif size == 0:
        work.early = "empty file (0 bytes)"
    elif early_misfit(ctx.task, found[0]):
        work.misfit = early_misfit(ctx.task, found[0])  # not read at all: it could not give a usable row
    else:
        work = _readable(work, found[1], blob, ctx, lazy)
    yield work


def run_task(item: InputFile, ctx: ReaderContext) -> list[FileWork]:
    """Every outcome-to-be of one input, fully read. Never raises for a bad file."""
    try:
        return list(_file_works(item, ctx, lazy=False))
    except OSError as exc:
        return [FileWork(item.display, format=_format_name(item.path.name), early=f"cannot read ({exc.strerror or type(exc).__name__}); check permissions")]
    except Exception as exc:
        return [FileWork(item.display, format=_format_name(item.path.name), early=reader_failure(exc))]


def stream_task(item: InputFile, ctx: ReaderContext) -> FileWork:
    """One large plain file with its rows left lazy: the caller consumes them as they are read."""
    try:
        return next(_file_works(item, ctx, lazy=True))
    except OSError as exc:
        return FileWork(item.display, format=_format_name(item.path.name), early=f"cannot read ({exc.strerror or type(exc).__name__}); check permissions")


def should_stream(item: InputFile, ctx: ReaderContext) -> bool:
    try:
        regular = item.path.is_file() and not item.path.is_symlink()
        return regular and not archive_format(item.path.name) and item.path.stat().st_size >= ctx.config.stream_above_bytes
    except OSError:
        return False
