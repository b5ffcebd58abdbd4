"""Read every input into records: each file (and archive member) ends as records, duplicate, filtered or quarantined.

Files are read by worker processes (appliance.ingest.pool); the results are merged here in input
order, so duplicate and near-duplicate decisions (and so the records) are the same whatever the
number of workers.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from appliance.config import IngestConfig
from appliance.errors import ApplianceError
from appliance.ingest.neardup import NearDuplicateIndex
from appliance.ingest.pool import works_in_order
from appliance.ingest.quality import minhash
from appliance.ingest.readers import ReaderContext, Unreadable
from appliance.ingest.work import FileWork, InputFile, content_key, joined_text, reader_failure
from appliance.records import Record

Status = Literal["records", "duplicate", "filtered", "quarantined"]


@dataclass(frozen=True)
class FileOutcome:
    path: str
    sha256: str
    bytes: int
    format: str
    status: Status
    records: int = 0
    reason: str = ""


@dataclass(frozen=True)
class ArchiveOutcome:
    """An archive read in place: it has no outcome of its own, its members each have one."""

    path: str
    sha256: str
    bytes: int
    format: str
    members: int


@dataclass
class IngestResult:
    records: list[Record] = field(default_factory=list)
    sidecar: list[dict] = field(default_factory=list)
    outcomes: list[FileOutcome] = field(default_factory=list)
    filtered: Counter = field(default_factory=Counter)
    duplicate_records: int = 0
    near_duplicate_records: int = 0
    archives: list[ArchiveOutcome] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        by_status = Counter(o.status for o in self.outcomes)
        return {
            "files_in": len(self.outcomes),
            "files_with_records": by_status["records"],
            "files_duplicate": by_status["duplicate"],
            "files_filtered": by_status["filtered"],
            "files_quarantined": by_status["quarantined"],
            "archives_expanded": len(self.archives),
            "archive_members": sum(a.members for a in self.archives),
            "records_out": len(self.records),
            "records_duplicate": self.duplicate_records,
            "records_near_duplicate": self.near_duplicate_records,
            "records_filtered": sum(self.filtered.values()),
        }


def discover(sources: Sequence[Path]) -> list[InputFile]:
    """Every file under the given files and folders, sorted, each once."""
    found: dict[Path, InputFile] = {}
    for source in sources:
        if not source.exists():
            raise ApplianceError(f"source {source} does not exist; give files or folders to ingest")
        if not source.is_dir():
            found.setdefault(source.resolve(), InputFile(source, source.name))
            continue
        base = source.name or source.resolve().name  # "." names the folder it is
        for path in sorted(_entries(source)):
            display = f"{base}/{path.relative_to(source).as_posix()}"
            # A link is its own input (quarantined); keyed by its target it would hide that file.
            found.setdefault(path.absolute() if path.is_symlink() else path.resolve(), InputFile(path, display))
    return sorted(found.values(), key=lambda f: f.display)


def _entries(folder: Path) -> Iterator[Path]:
    """Everything under a folder that is an input: files, links (never followed), pipes, unlistable folders."""
    unlistable: list[Path] = []
    for root, folders, names in os.walk(folder, onerror=lambda error: unlistable.append(Path(error.filename))):
        here = Path(root)
        yield from (here / name for name in folders if (here / name).is_symlink())
        yield from (here / name for name in names)
    yield from (path for path in unlistable if path != folder)
    if folder in unlistable:
        raise ApplianceError(f"cannot list source folder {folder}; check its permissions")


def ingest_files(files: Sequence[InputFile], config: IngestConfig, sensitive_attributes: Sequence[str]) -> IngestResult:
    ctx = ReaderContext(config=config, sensitive_attributes=tuple(sensitive_attributes))
    merger = _Merger(config)
    for work in works_in_order(files, ctx):
        merger.add(work)
    merger.finish()
    return merger.result


def quarantine_is_fatal(result: IngestResult) -> str | None:
    """The `--strict` verdict: a one-line message when any input was quarantined, else None."""
    quarantined = [o for o in result.outcomes if o.status == "quarantined"]
    if not quarantined:
        return None
    first = quarantined[0]
    return f"{len(quarantined)} input(s) quarantined (first: {first.path}: {first.reason}); fix or remove them, or run without --strict"


class _Merger:
    """Applies, in input order, the checks that depend on what came before."""

    def __init__(self, config: IngestConfig) -> None:
        self.result = IngestResult()
        self.seen_files: dict[str, str] = {}
        self.seen_content: set[bytes] = set()
        threshold = config.near_duplicate_threshold
        self.near = NearDuplicateIndex(threshold) if threshold is not None else None
        self.skipped_archives: set[str] = set()
        self.members: Counter = Counter()

    def add(self, work: FileWork) -> None:
        if work.container:
            if work.container in self.skipped_archives:
                return
            self.members[work.container] += 1
        if work.expanded:
            if work.sha256 in self.seen_files:
                self._outcome(work, "duplicate", reason=f"same bytes as {self.seen_files[work.sha256]}")
                self.skipped_archives.add(work.display)
            else:
                self.seen_files[work.sha256] = work.display
                self.result.archives.append(ArchiveOutcome(work.display, work.sha256, work.bytes, work.format, 0))
            return
        if work.early:
            self._outcome(work, "quarantined", reason=work.early)
        elif work.sha256 in self.seen_files:
            self._outcome(work, "duplicate", reason=f"same bytes as {self.seen_files[work.sha256]}")
        else:
            self.seen_files[work.sha256] = work.display
            self._read(work)

    def finish(self) -> None:
        self.result.archives = [ArchiveOutcome(a.path, a.sha256, a.bytes, a.format, self.members[a.path]) for a in self.result.archives]

    def _outcome(self, work: FileWork, status: Status, records: int = 0, reason: str = "") -> None:
        self.result.outcomes.append(FileOutcome(work.display, work.sha256, work.bytes, work.format, status, records, reason))

    def _read(self, work: FileWork) -> None:
        result = self.result
        marks = len(result.records), len(result.sidecar), len(self.near or ())
        duplicates = near_duplicates = 0
        failure = work.failure
        try:
            for item in work.rows:
                if item.content_key in self.seen_content:
                    duplicates += 1
                    continue
                if self.near is not None:
                    label = item.record.label or ""
                    signature = item.signature or minhash(joined_text(item.record))
                    if self.near.is_near_duplicate(signature, label):
                        near_duplicates += 1
                        continue
                    self.near.add(signature, label)
                self.seen_content.add(item.content_key)
                result.records.append(item.record)
                if item.sidecar is not None:
                    result.sidecar.append(item.sidecar)
        except Unreadable as exc:
            failure = str(exc)
        except Exception as exc:  # a streamed file's reader failing half-way: same rule as in a worker
            failure = reader_failure(exc)
        if failure:
            self._roll_back(*marks)
            self._outcome(work, "quarantined", reason=failure)
            return
        kept = len(result.records) - marks[0]
        result.filtered.update(work.filtered)
        result.duplicate_records += duplicates
        result.near_duplicate_records += near_duplicates
        if kept:
            self._outcome(work, "records", records=kept)
        elif work.parsed:
            self._outcome(work, "filtered", reason="every record was filtered or a duplicate")
        else:
            self._outcome(work, "quarantined", reason="no usable content")

    def _roll_back(self, records: int, sidecar: int, near: int) -> None:
        """Undo a file that failed half-way: a file gives all its records or none."""
        for record in self.result.records[records:]:
            self.seen_content.discard(content_key(record))
        del self.result.records[records:]
        del self.result.sidecar[sidecar:]
        if self.near is not None:
            self.near.truncate(near)
