"""Read every input into records: each file (and archive member) ends as records, duplicate, filtered or quarantined.

Files are read by worker processes (appliance.ingest.pool); the results are merged here in input
order, so duplicate and near-duplicate decisions (and so the records) are the same whatever the
number of workers.

Memory: records stream from the readers through the checks into a sink (appliance.ingest.sink);
none is held here, and neither are the duplicate indexes: file hashes, exact-duplicate keys and
near-duplicate signatures live in a scratch SQLite file (appliance.ingest.seen, beside the sealed
records in the run's vault) behind fixed-size memory:
- SQLite's page cache, 8 MiB (seen.CACHE_MIB);
- the band-key presence bitmap, 128 KiB doubling to at most 16 MiB (~128 bytes a kept record until
  ~130,000 records), and the pending band entries with their own bitmap, 1.1 MiB (appliance.ingest.neardup);
so at most ~26 MiB in all, whatever the number of records (tests/test_ingest_scale.py, with the bitmap
capped at 512 KiB: +0.1 MiB from 16,000 to 44,000 kept records; the in-memory indexes they replace
took ~1 KB a record, +28 MiB).
What still grows is per input file, not per record: its outcome for the inventory (~0.5 KB).
Files below stream_above_bytes are read whole by a worker: each in-flight file costs up to ~8x its
size in Python objects, and the pool keeps at most 2 chunks (<= 8 MB of input each) per worker ahead.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from appliance.config import IngestConfig
from appliance.errors import ApplianceError
from appliance.ingest.pool import works_in_order
from appliance.ingest.quality import minhash
from appliance.ingest.readers import DoesNotFitTask, ReaderContext, Unreadable
from appliance.ingest.seen import SeenIndex, seen_index
from appliance.ingest.sink import ListSink, RecordSink
from appliance.ingest.task import TaskTally
from appliance.ingest.work import FileWork, InputFile, joined_text, misfit_reason, reader_failure
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
    # Filled only by ingest_files (a ListSink); a streaming caller's sink holds the records instead.
    records: list[Record] = field(default_factory=list)
    sidecar: list[dict] = field(default_factory=list)
    outcomes: list[FileOutcome] = field(default_factory=list)
    filtered: Counter = field(default_factory=Counter)
    duplicate_records: int = 0
    near_duplicate_records: int = 0
    archives: list[ArchiveOutcome] = field(default_factory=list)
    records_out: int = 0
    records_by_kind: Counter = field(default_factory=Counter)
    sidecar_rows: int = 0
    attributes_found: set[str] = field(default_factory=set)
    tally: TaskTally = field(default_factory=lambda: TaskTally("instruction"))

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
            "records_out": self.records_out,
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


def ingest_files(files: Sequence[InputFile], config: IngestConfig, sensitive_attributes: Sequence[str], task: str = "instruction") -> IngestResult:
    """Every input read, with the kept records and sidecar rows in the result (held in memory)."""
    sink = ListSink()
    result = ingest_into(sink, files, config, sensitive_attributes, task)
    result.records, result.sidecar = sink.records, sink.sidecar
    return result


def ingest_into(
    sink: RecordSink, files: Sequence[InputFile], config: IngestConfig, sensitive_attributes: Sequence[str], task: str = "instruction",
    *, erased: Callable[[str | None], bool] | None = None, index_dir: Path | None = None,
) -> IngestResult:
    """Every input read, its kept records streamed into `sink`; the result holds outcomes and counts only.

    `erased` names data subjects purged from this run: their records are filtered as `erased_subject`,
    so an erasure survives re-reading the original exports. `index_dir` is where the duplicate
    indexes live while ingest runs (appliance.ingest.seen); default: the sink's `scratch_dir` (the
    sealed sink's is the run's vault), else the system temp folder.
    """
    ctx = ReaderContext(config=config, sensitive_attributes=tuple(sensitive_attributes), task=task)
    with seen_index(config.near_duplicate_threshold, index_dir or getattr(sink, "scratch_dir", None)) as seen:
        merger = _Merger(config, sink, task, seen, erased)
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

    def __init__(self, config: IngestConfig, sink: RecordSink, task: str, seen: SeenIndex, erased: Callable[[str | None], bool] | None = None) -> None:
        self.result = IngestResult(tally=TaskTally(task))
        self.sink = sink
        self.erased = erased
        self.label_column = config.label_column
        self.seen = seen
        self.skipped_archives: set[str] = set()
        self.members: Counter = Counter()

    def add(self, work: FileWork) -> None:
        if work.container:
            if work.container in self.skipped_archives:
                return
            self.members[work.container] += 1
        if work.expanded:
            earlier = self.seen.earlier_file(work.sha256, work.display)
            if earlier is not None:
                self._outcome(work, "duplicate", reason=f"same bytes as {earlier}")
                self.skipped_archives.add(work.display)
            else:
                self.result.archives.append(ArchiveOutcome(work.display, work.sha256, work.bytes, work.format, 0))
            return
        if work.early:
            self._outcome(work, "quarantined", reason=work.early)
        elif (earlier := self.seen.earlier_file(work.sha256, work.display)) is not None:
            self._outcome(work, "duplicate", reason=f"same bytes as {earlier}")
        elif work.misfit:
            self._outcome(work, "filtered", reason=work.misfit)
        else:
            self._read(work)

    def finish(self) -> None:
        self.result.archives = [ArchiveOutcome(a.path, a.sha256, a.bytes, a.format, self.members[a.path]) for a in self.result.archives]

    def _outcome(self, work: FileWork, status: Status, records: int = 0, reason: str = "") -> None:
        self.result.outcomes.append(FileOutcome(work.display, work.sha256, work.bytes, work.format, status, records, reason))

    def _read(self, work: FileWork) -> None:
        result = self.result
        mark = self.sink.mark()
        self.seen.begin_file()  # this file's keys and signatures, forgotten again if it fails half-way
        near = self.seen.near
        kept_count = duplicates = near_duplicates = erased = 0
        by_kind: Counter = Counter()
        shapes = TaskTally(result.tally.task)
        attributes: set[str] = set()
        sidecar_rows = 0
        failure = work.failure
        try:
            for item in work.rows:
                if self.erased is not None and self.erased(item.record.subject_id):
                    erased += 1
                    continue
                if not self.seen.add_content(item.content_key):
                    duplicates += 1
                    continue
                if near is not None and not near.admit(item.signature or minhash(joined_text(item.record)), item.record.label or ""):
                    self.seen.forget_content(item.content_key)  # a near-duplicate is not kept, so neither is its key
                    near_duplicates += 1
                    continue
                self.sink.add(item.record, item.sidecar)
                kept_count += 1
                by_kind[item.record.kind] += 1
                shapes.add(item.record)
                if item.sidecar is not None:
                    sidecar_rows += 1
                    attributes.update(item.sidecar["attributes"])
        except Unreadable as exc:
            failure = str(exc)
        except DoesNotFitTask as exc:  # a streamed file found not to fit on its first rows
            work.misfit = str(exc)
        except Exception as exc:  # a streamed file's reader failing half-way: same rule as in a worker
            failure = reader_failure(exc)
        if failure or work.misfit:
            self.sink.roll_back(mark)  # a file gives all its records or none
            self.seen.drop_file()
            if failure:
                self._outcome(work, "quarantined", reason=failure)
            else:
                self._outcome(work, "filtered", reason=work.misfit)
            return
        self.seen.keep_file()
        result.filtered.update(work.filtered)
        if erased:
            result.filtered["erased_subject"] += erased
        result.duplicate_records += duplicates
        result.near_duplicate_records += near_duplicates
        result.records_out += kept_count
        result.records_by_kind.update(by_kind)
        result.tally.by_shape.update(shapes.by_shape)
        result.tally.conversations_as_text += shapes.conversations_as_text
        result.sidecar_rows += sidecar_rows
        result.attributes_found.update(attributes)
        if kept_count:
            self._outcome(work, "records", records=kept_count)
        elif reason := misfit_reason(work, self.label_column):
            self._outcome(work, "filtered", reason=reason)
        elif work.parsed:
            self._outcome(work, "filtered", reason="every record was filtered or a duplicate")
        else:
            self._outcome(work, "quarantined", reason="no usable content")
