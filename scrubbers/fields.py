"""The free-text fields of a record, by name, and a copy of a record with some of them rewritten.

Field names: "text", "messages[i]" and "metadata[key]" (string metadata values only:
CSV metadata columns can hold names and emails, so they are scrubbed like text).
Labels and subject_id are left alone: the label is the training answer, and subject_id
is the pre-redaction subject key that splits and erasure depend on.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from appliance.records import Message, Record

METADATA_PREFIX = "metadata["


def record_fields(record: Record) -> list[tuple[str, str]]:
    """(field name, text) for every string a detector should read, in a stable order."""
    fields: list[tuple[str, str]] = []
    if record.messages is not None:
        fields.extend((f"messages[{index}]", message.content) for index, message in enumerate(record.messages))
    elif record.text is not None:
        fields.append(("text", record.text))
    fields.extend((metadata_field(key), value) for key, value in record.metadata.items() if isinstance(value, str))
    return fields


def metadata_field(key: str) -> str:
    return f"{METADATA_PREFIX}{key}]"


def rewrite_record(record: Record, texts: Mapping[str, str]) -> Record:
    """A new Record whose named fields hold the given texts; the input record is not touched."""
    changes: dict[str, object] = {}
    if "text" in texts:
        changes["text"] = texts["text"]
    if record.messages is not None:
        changes["messages"] = tuple(
            Message(message.role, texts.get(f"messages[{index}]", message.content))
            for index, message in enumerate(record.messages)
        )
    metadata = dict(record.metadata)
    for key in record.metadata:
        if metadata_field(key) in texts:
            metadata[key] = texts[metadata_field(key)]
    changes["metadata"] = metadata
    return dataclasses.replace(record, **changes)
