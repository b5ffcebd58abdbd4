"""One reader per format family. A reader returns parsed rows or raises Unreadable(reason)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from appliance.config import IngestConfig
from appliance.records import ROLES, Message

# Large CSV cells (long notes) are legitimate; the default 128 KiB cap is not a safety limit we need.
csv.field_size_limit(16 * 1024 * 1024)


class Unreadable(Exception):
    """The file cannot be used; the message is the one-line quarantine reason (no content)."""


@dataclass(frozen=True)
class ParsedRow:
    """One unit read from a file, before it becomes a Record."""

    kind: str
    location: str
    text: str | None = None
    messages: tuple[Message, ...] | None = None
    label: str | None = None
    subject_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    # Sensitive attributes: go to the sealed sidecar, never into training text or metadata.
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ReaderContext:
    config: IngestConfig
    sensitive_attributes: tuple[str, ...]


def decode_text(data: bytes) -> str:
    """Strict UTF-8 (BOM allowed). Undecodable bytes are never silently replaced."""
    if b"\x00" in data[:8192]:
        raise Unreadable("binary content (NUL bytes), not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Unreadable(f"not valid UTF-8 (byte offset {exc.start}); re-export the file as UTF-8") from None


def read_plain_text(data: bytes, ctx: ReaderContext) -> list[ParsedRow]:
    text = decode_text(data)
    return [ParsedRow(kind="document", location=location, text=chunk) for location, chunk in chunk_text(text, ctx.config.max_chunk_chars)]


def chunk_text(text: str, max_chars: int) -> list[tuple[str, str]]:
    """Split on paragraph boundaries into chunks of at most max_chars; provenance keeps char offsets."""
    chunks: list[tuple[str, str]] = []
    start = None
    end = 0
    position = 0
    for paragraph in text.split("\n\n"):
        p_start = text.index(paragraph, position) if paragraph else position
        p_end = p_start + len(paragraph)
        position = p_end
        if not paragraph.strip():
            continue
        if start is not None and p_end - start > max_chars:
            chunks.append((f"chars {start}-{end}", text[start:end].strip()))
            start = None
        if start is None:
            start = p_start
        end = p_end
        # A single paragraph longer than the budget is cut on the last sentence end that fits.
        while end - start > max_chars:
            window = text[start : start + max_chars]
            cut = max(window.rfind(". "), window.rfind("\n"))
            cut = cut + 1 if cut > max_chars // 4 else max_chars
            chunks.append((f"chars {start}-{start + cut}", text[start : start + cut].strip()))
            start += cut
    if start is not None and text[start:end].strip():
        chunks.append((f"chars {start}-{end}", text[start:end].strip()))
    return chunks


def _messages(raw: Any, where: str) -> tuple[Message, ...]:
    if not isinstance(raw, list) or not raw:
        raise Unreadable(f"{where}: 'messages' must be a non-empty list")
    messages = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or item.get("role") not in ROLES or not isinstance(item.get("content"), str):
            raise Unreadable(f"{where}: messages[{i}] needs role (system, user or assistant) and string content")
        messages.append(Message(role=item["role"], content=item["content"]))
    if not any(m.role == "assistant" for m in messages):
        raise Unreadable(f"{where}: a conversation needs at least one assistant message")
    return tuple(messages)


def read_jsonl(data: bytes, ctx: ReaderContext) -> list[ParsedRow]:
    """Chat transcripts (OpenAI `messages`), prompt/completion pairs, or `text` documents; one per line."""
    rows = []
    subject_key = ctx.config.subject_column
    for number, line in enumerate(decode_text(data).splitlines(), start=1):
        if not line.strip():
            continue
        where = f"line {number}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise Unreadable(f"{where} is not valid JSON ({exc.msg}); fix or remove that line") from None
        if not isinstance(obj, dict):
            raise Unreadable(f"{where} is not a JSON object")
        attributes = {k: str(obj.pop(k)) for k in ctx.sensitive_attributes if k in obj and obj[k] is not None}
        subject = str(obj.pop(subject_key)) if subject_key and obj.get(subject_key) is not None else None
        if "messages" in obj:
            messages = _messages(obj.pop("messages"), where)
            rows.append(ParsedRow(kind="chat", location=where, messages=messages, subject_id=subject, metadata=_scalars(obj), attributes=attributes))
        elif "prompt" in obj and "completion" in obj:
            messages = (Message("user", str(obj.pop("prompt"))), Message("assistant", str(obj.pop("completion"))))
            rows.append(ParsedRow(kind="qa", location=where, messages=messages, subject_id=subject, metadata=_scalars(obj), attributes=attributes))
        elif isinstance(obj.get("text"), str):
            text = obj.pop("text")
            label = obj.pop(ctx.config.label_column, None) if ctx.config.label_column else None
            rows.append(ParsedRow(kind="document", location=where, text=text, label=None if label is None else str(label), subject_id=subject, metadata=_scalars(obj), attributes=attributes))
        else:
            raise Unreadable(f"{where} has none of 'messages', 'prompt'+'completion' or 'text'; found keys: {sorted(obj)[:8]}")
    return rows


def read_csv(data: bytes, ctx: ReaderContext, delimiter: str = ",") -> list[ParsedRow]:
    text = decode_text(data)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    columns = reader.fieldnames or []
    config = ctx.config
    if config.text_column not in columns:
        raise Unreadable(f"no text column '{config.text_column}' (found columns: {', '.join(columns)}); set ingest.text_column in the run config")
    rows = []
    try:
        for number, row in enumerate(reader, start=2):
            if None in row:
                raise Unreadable(f"row {number} has more fields than the header")
            attributes = {k: row.pop(k) for k in ctx.sensitive_attributes if k in row and row[k] not in (None, "")}
            text = row.pop(config.text_column) or ""
            label = row.pop(config.label_column, None) if config.label_column else None
            subject = row.pop(config.subject_column, None) if config.subject_column else None
            rows.append(ParsedRow(kind="document", location=f"row {number}", text=text, label=label or None, subject_id=subject or None, metadata=_scalars(row), attributes=attributes))
    except csv.Error as exc:
        raise Unreadable(f"malformed CSV ({exc}); check quoting and delimiters") from None
    return rows


def read_tsv(data: bytes, ctx: ReaderContext) -> list[ParsedRow]:
    return read_csv(data, ctx, delimiter="\t")


def _scalars(obj: dict[str, Any]) -> dict[str, Any]:
    """Metadata keeps scalar fields only; nested structures would smuggle text past the scrubber's view."""
    return {str(k): v for k, v in obj.items() if isinstance(v, (str, int, float, bool)) or v is None}


Reader = Callable[[bytes, ReaderContext], list[ParsedRow]]

READERS: dict[str, tuple[str, Reader]] = {
    ".txt": ("text", read_plain_text),
    ".md": ("markdown", read_plain_text),
    ".markdown": ("markdown", read_plain_text),
    ".jsonl": ("jsonl", read_jsonl),
    ".csv": ("csv", read_csv),
    ".tsv": ("tsv", read_tsv),
}


def reader_for(path: Path) -> tuple[str, Reader] | None:
    return READERS.get(path.suffix.lower())
