"""Typed records shared by every stage. Plain dataclasses: JSON in, JSON out."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

RecordKind = Literal["document", "chat", "transcript", "email", "qa"]
ROLES = ("system", "user", "assistant")


@dataclass(frozen=True)
class Message:
    role: str
    content: str


@dataclass(frozen=True)
class Source:
    """Where a record came from: the input file's hash and relative path, and the place inside it."""

    path: str
    sha256: str
    location: str = ""


@dataclass(frozen=True)
class Record:
    """One training example: either `text` (documents) or `messages` (conversations)."""

    id: str
    kind: RecordKind
    source: Source
    text: str | None = None
    messages: tuple[Message, ...] | None = None
    # The label of a classification-style row (e.g. a loan decision); trained as the answer.
    label: str | None = None
    # Data-subject id captured before redaction (customer id), for subject-level splits and erasure.
    subject_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def texts(self) -> list[str]:
        """Every piece of free text the record holds, in order."""
        if self.messages is not None:
            return [m.content for m in self.messages]
        return [self.text or ""]

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        if self.messages is None:
            del data["messages"]
        else:
            del data["text"]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Record:
        messages = data.get("messages")
        return cls(
            id=data["id"],
            kind=data["kind"],
            source=Source(**data["source"]),
            text=data.get("text"),
            messages=tuple(Message(**m) for m in messages) if messages is not None else None,
            label=data.get("label"),
            subject_id=data.get("subject_id"),
            metadata=dict(data.get("metadata") or {}),
        )


def record_id(source_sha256: str, location: str) -> str:
    """A stable id: the same file and place always give the same id, whatever the run."""
    return hashlib.sha256(f"{source_sha256}:{location}".encode()).hexdigest()[:20]


@dataclass(frozen=True)
class Finding:
    """A detected PII span: type, offsets and score, never the matched text."""

    entity_type: str
    start: int
    end: int
    score: float
    recognizer: str = ""
    field: str = "text"  # "text" or "messages[i]"


@dataclass(frozen=True)
class FileEntry:
    """A file a stage read or wrote: path relative to the run directory, sha256, size."""

    path: str
    sha256: str
    bytes: int


@dataclass
class StageRecord:
    """What a stage did, as written to the manifest: enough to verify and reproduce it."""

    stage: str
    fingerprint: str
    started: str
    finished: str
    params: dict[str, Any]
    inputs: list[FileEntry]
    outputs: list[FileEntry]
    counts: dict[str, int]
    summary: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StageRecord:
        return cls(
            stage=data["stage"],
            fingerprint=data["fingerprint"],
            started=data["started"],
            finished=data["finished"],
            params=data["params"],
            inputs=[FileEntry(**f) for f in data["inputs"]],
            outputs=[FileEntry(**f) for f in data["outputs"]],
            counts=data["counts"],
            summary=data["summary"],
        )


def dumps(data: Any) -> str:
    """Canonical JSON for hashing and for files: sorted keys, no NaN surprises."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, allow_nan=False)
