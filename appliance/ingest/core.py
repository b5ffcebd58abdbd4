"""Read every input file into records: each file ends as records, duplicate, filtered or quarantined."""

from __future__ import annotations

import hashlib
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from appliance.config import IngestConfig
from appliance.errors import ApplianceError
from appliance.ingest.readers import ParsedRow, ReaderContext, Unreadable, reader_for
from appliance.records import Record, Source, record_id

Status = Literal["records", "duplicate", "filtered", "quarantined"]


@dataclass(frozen=True)
class InputFile:
    path: Path
    display: str  # relative to the source argument it came from; what the manifest shows


@dataclass(frozen=True)
class FileOutcome:
    path: str
    sha256: str
    bytes: int
    format: str
    status: Status
    records: int = 0
    reason: str = ""


@dataclass
class IngestResult:
    records: list[Record] = field(default_factory=list)
    sidecar: list[dict] = field(default_factory=list)
    outcomes: list[FileOutcome] = field(default_factory=list)
    filtered: Counter = field(default_factory=Counter)
    duplicate_records: int = 0

    def counts(self) -> dict[str, int]:
        by_status = Counter(o.status for o in self.outcomes)
        return {
            "files_in": len(self.outcomes),
            "files_with_records": by_status["records"],
            "files_duplicate": by_status["duplicate"],
            "files_filtered": by_status["filtered"],
            "files_quarantined": by_status["quarantined"],
            "records_out": len(self.records),
            "records_duplicate": self.duplicate_records,
            "records_filtered": sum(self.filtered.values()),
        }


def discover(sources: Sequence[Path]) -> list[InputFile]:
    """Every file under the given files and folders, sorted, each once."""
    found: dict[Path, InputFile] = {}
    for source in sources:
        if not source.exists():
            raise ApplianceError(f"source {source} does not exist; give files or folders to ingest")
        if source.is_file():
            found.setdefault(source.resolve(), InputFile(source, source.name))
            continue
        for path in sorted(p for p in source.rglob("*") if p.is_file() or p.is_symlink()):
            display = f"{source.name}/{path.relative_to(source).as_posix()}"
            found.setdefault(path.resolve(), InputFile(path, display))
    return sorted(found.values(), key=lambda f: f.display)


def ingest_files(files: Sequence[InputFile], config: IngestConfig, sensitive_attributes: Sequence[str]) -> IngestResult:
    ctx = ReaderContext(config=config, sensitive_attributes=tuple(sensitive_attributes))
    result = IngestResult()
    seen_files: dict[str, str] = {}
    seen_content: set[str] = set()
    for item in files:
        result.outcomes.append(_ingest_one(item, ctx, result, seen_files, seen_content))
    return result


def _ingest_one(item: InputFile, ctx: ReaderContext, result: IngestResult, seen_files: dict[str, str], seen_content: set[str]) -> FileOutcome:
    def outcome(status: Status, fmt: str, records: int = 0, reason: str = "") -> FileOutcome:
        return FileOutcome(item.display, sha, size, fmt, status, records, reason)

    sha, size = "", 0
    if item.path.is_symlink():
        return outcome("quarantined", "unknown", reason="symbolic link refused (could point outside the source)")
    try:
        data = item.path.read_bytes()
    except OSError as exc:
        return outcome("quarantined", "unknown", reason=f"cannot read ({exc.strerror}); check permissions")
    sha, size = hashlib.sha256(data).hexdigest(), len(data)
    found = reader_for(item.path)
    if found is None:
        return outcome("quarantined", item.path.suffix.lower() or "none", reason=f"unsupported file type '{item.path.suffix or '(none)'}'")
    fmt, reader = found
    if size == 0:
        return outcome("quarantined", fmt, reason="empty file (0 bytes)")
    if sha in seen_files:
        return outcome("duplicate", fmt, reason=f"same bytes as {seen_files[sha]}")
    seen_files[sha] = item.display
    try:
        rows = reader(data, ctx)
    except Unreadable as exc:
        return outcome("quarantined", fmt, reason=str(exc))
    kept = 0
    for row in rows:
        verdict = _filter(row, ctx.config)
        if verdict:
            result.filtered[verdict] += 1
            continue
        content = _content_key(row)
        if content in seen_content:
            result.duplicate_records += 1
            continue
        seen_content.add(content)
        record = _to_record(row, sha, item.display)
        result.records.append(record)
        if row.attributes:
            result.sidecar.append({"record_id": record.id, "attributes": row.attributes, "label": row.label})
        kept += 1
    if kept:
        return outcome("records", fmt, records=kept)
    if rows:
        return outcome("filtered", fmt, reason="every record was filtered or a duplicate")
    return outcome("quarantined", fmt, reason="no usable content")


def _filter(row: ParsedRow, config: IngestConfig) -> str:
    texts = [m.content for m in row.messages] if row.messages else [row.text or ""]
    joined = "".join(texts)
    if not joined.strip():
        return "empty"
    if len(joined.strip()) < config.min_chars:
        return "too_short"
    return ""


def _content_key(row: ParsedRow) -> str:
    """Exact-duplicate key: NFKC-normalised, whitespace-collapsed content plus label."""
    parts = [f"{m.role}:{m.content}" for m in row.messages] if row.messages else [row.text or ""]
    normal = " ".join(unicodedata.normalize("NFKC", "\n".join(parts)).split())
    return hashlib.sha256(f"{normal}\x00{row.label}".encode()).hexdigest()


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
