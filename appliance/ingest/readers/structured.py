"""JSONL, JSON and CSV/TSV: one record per object or row; sensitive columns go to the sidecar."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any

from appliance.ingest.readers.base import Blob, DoesNotFitTask, ParsedRow, ReaderContext, Unreadable, decode_text, iter_lines, scalars
from appliance.records import ROLES, Message

# Large CSV cells (long notes) are legitimate; the default 128 KiB cap is not a safety limit we need.
csv.field_size_limit(16 * 1024 * 1024)
# Python's parser recurses per nesting level; a hostile file nests until the interpreter's limit.
TOO_DEEP = "JSON nested too deeply to parse (thousands of levels); records are flat objects, export them as JSONL"


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


def object_row(obj: Any, where: str, ctx: ReaderContext) -> ParsedRow:
    """A chat (OpenAI `messages`), a prompt/completion pair, or a `text` document."""
    if not isinstance(obj, dict):
        raise Unreadable(f"{where} is not a JSON object")
    obj = dict(obj)
    subject_key = ctx.config.subject_column
    attributes = {k: str(obj.pop(k)) for k in ctx.sensitive_attributes if k in obj and obj[k] is not None}
    subject = str(obj.pop(subject_key)) if subject_key and obj.get(subject_key) is not None else None
    if "messages" in obj:
        messages = _messages(obj.pop("messages"), where)
        return ParsedRow(kind="chat", location=where, messages=messages, subject_id=subject, metadata=scalars(obj), attributes=attributes)
    if "prompt" in obj and "completion" in obj:
        messages = (Message("user", str(obj.pop("prompt"))), Message("assistant", str(obj.pop("completion"))))
        return ParsedRow(kind="qa", location=where, messages=messages, subject_id=subject, metadata=scalars(obj), attributes=attributes)
    if isinstance(obj.get("text"), str):
        text = obj.pop("text")
        label = obj.pop(ctx.config.label_column, None) if ctx.config.label_column else None
        return ParsedRow(
            kind="document", location=where, text=text, label=None if label is None else str(label), subject_id=subject, metadata=scalars(obj), attributes=attributes
        )
    raise Unreadable(f"{where} has none of 'messages', 'prompt'+'completion' or 'text'; found keys: {sorted(obj)[:8]}")


def read_jsonl(blob: Blob, ctx: ReaderContext) -> Iterator[ParsedRow]:
    """One object per line; streamed, so a large export is never held whole."""
    for number, line in enumerate(iter_lines(blob), start=1):
        if not line.strip():
            continue
        where = f"line {number}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise Unreadable(f"{where} is not valid JSON ({exc.msg}); fix or remove that line") from None
        except RecursionError:
            raise Unreadable(f"{where}: {TOO_DEEP}") from None
        yield object_row(obj, where, ctx)


def read_json(blob: Blob, ctx: ReaderContext) -> Iterator[ParsedRow]:
    """A top-level list of the same objects JSONL holds one per line."""
    try:
        data = json.loads(decode_text(blob.read_bytes()))
    except json.JSONDecodeError as exc:
        raise Unreadable(f"not valid JSON ({exc.msg} at line {exc.lineno}); fix the file or export it as JSONL") from None
    except RecursionError:
        raise Unreadable(TOO_DEEP) from None
    if not isinstance(data, list):
        found = "an object" if isinstance(data, dict) else f"a {type(data).__name__}"
        raise Unreadable(f"top-level JSON is {found}, not a list of objects; wrap the objects in [ ] or export JSONL")
    for number, obj in enumerate(data, start=1):
        yield object_row(obj, f"item {number}", ctx)


def read_csv(blob: Blob, ctx: ReaderContext, delimiter: str = ",") -> Iterator[ParsedRow]:
    reader = csv.DictReader(iter_lines(blob), delimiter=delimiter)
    config = ctx.config
    try:
        columns = reader.fieldnames or []
        if config.text_column not in columns:
            raise Unreadable(f"no text column '{config.text_column}' (found columns: {', '.join(columns)}); set ingest.text_column in the run config")
        if ctx.task == "classification" and (config.label_column is None or config.label_column not in columns):
            # Checked on the header, so a large export without labels is not read for nothing.
            raise DoesNotFitTask(label_column_missing(config.label_column, columns))
        for number, row in enumerate(reader, start=2):
            if None in row:
                raise Unreadable(f"row {number} has more fields than the header")
            attributes = {k: row.pop(k) for k in ctx.sensitive_attributes if k in row and row[k] not in (None, "")}
            text = row.pop(config.text_column) or ""
            label = row.pop(config.label_column, None) if config.label_column else None
            subject = row.pop(config.subject_column, None) if config.subject_column else None
            yield ParsedRow(kind="document", location=f"row {number}", text=text, label=label or None, subject_id=subject or None, metadata=scalars(row), attributes=attributes)
    except csv.Error as exc:
        raise Unreadable(f"malformed CSV ({exc}); check quoting and delimiters") from None


def label_column_missing(label_column: str | None, columns: list[str]) -> str:
    wanted = f"a label column '{label_column}'" if label_column else "a label column"
    return f"classification needs {wanted} (set ingest.label_column in the run config); found columns: {', '.join(columns)}"


def read_tsv(blob: Blob, ctx: ReaderContext) -> Iterator[ParsedRow]:
    return read_csv(blob, ctx, delimiter="\t")
