"""Email (.eml) and mailboxes (.mbox): body and text attachments become text, kind "email".

Sender and recipients are personal data: they go into header lines of the text, where the
scrubber sees them, never into metadata. Subject and date are metadata (scrubbed as strings).
"""

from __future__ import annotations

import email
import re
from collections.abc import Iterator
from email.header import decode_header, make_header
from email.message import Message
from email.utils import parsedate_to_datetime

from appliance.ingest.readers.base import Blob, ParsedRow, ReaderContext, Unreadable
from appliance.ingest.readers.html import html_to_text
from appliance.ingest.readers.text import document_rows

ADDRESS_HEADERS = ("From", "To", "Cc")
_ESCAPED_FROM = re.compile(rb"^>+From ")
MAX_NESTING = 3  # forwarded messages inside messages


def _header(message: Message, name: str) -> str:
    """A header as text, encoded words decoded; a malformed one is dropped, not fatal."""
    value = message.get(name)
    if value is None:
        return ""
    try:
        value = str(make_header(decode_header(value)))
    except Exception:
        value = str(value)
    return " ".join(value.split())


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True) or b""
    try:
        text = payload.decode(part.get_content_charset() or "utf-8", "replace")
    except LookupError:  # an unknown charset name: keep the text, mark what could not be decoded
        text = payload.decode("utf-8", "replace")
    return html_to_text(text) if part.get_content_subtype() == "html" else text


class _Parts:
    """Body texts, text attachments and a count of the rest, found walking one message."""

    def __init__(self) -> None:
        self.blocks: list[str] = []
        self.skipped = 0

    def walk(self, part: Message, depth: int) -> None:
        content_type = part.get_content_type()
        if content_type == "message/rfc822":
            inner = part.get_payload()
            if depth < MAX_NESTING and isinstance(inner, list) and inner:
                text, skipped = message_text(inner[0], depth + 1)
                self.blocks.append(f"Forwarded message:\n\n{text}")
                self.skipped += skipped
            else:
                self.skipped += 1
        elif content_type == "multipart/alternative":
            choices = part.get_payload()
            preferred = [p for kind in ("text/plain", "text/html") for p in choices if p.get_content_type() == kind]
            self.walk(preferred[0] if preferred else choices[-1], depth)
        elif part.is_multipart():
            for sub in part.get_payload():
                self.walk(sub, depth)
        elif part.get_content_maintype() != "text":
            self.skipped += 1
        elif (part.get("Content-Disposition") or "").split(";")[0].strip().lower() == "attachment":
            self.blocks.append(f"Attachment {part.get_filename() or 'unnamed'}:\n\n{_part_text(part)}")
        else:
            self.blocks.append(_part_text(part))


def message_text(message: Message, depth: int = 0) -> tuple[str, int]:
    """(header lines + body + text attachments, attachments skipped as not text)."""
    lines = [f"{name}: {value}" for name in (*ADDRESS_HEADERS, "Subject") if (value := _header(message, name))]
    parts = _Parts()
    parts.walk(message, depth)
    blocks = ["\n".join(lines), *parts.blocks]
    return "\n\n".join(block.strip() for block in blocks if block.strip()), parts.skipped


def message_rows(data: bytes, number: int, ctx: ReaderContext) -> Iterator[ParsedRow]:
    message = email.message_from_bytes(data)  # the compat32 policy: plain strings, several times faster
    try:
        text, skipped = message_text(message)
    except Exception as exc:  # a damaged MIME structure: say which message, never what it says
        raise Unreadable(f"message {number}: damaged MIME structure ({type(exc).__name__}); re-export it") from None
    metadata: dict[str, object] = {"subject": _header(message, "Subject")}
    date = _header(message, "Date")
    try:
        metadata["date"] = parsedate_to_datetime(date).isoformat() if date else ""
    except (TypeError, ValueError):
        metadata["date"] = date
    if skipped:
        metadata["attachments_skipped"] = skipped
    yield from document_rows(text, ctx, kind="email", prefix=f"message {number} ", metadata=metadata)


def read_eml(blob: Blob, ctx: ReaderContext) -> Iterator[ParsedRow]:
    yield from message_rows(blob.read_bytes(), 1, ctx)


def split_mbox(blob: Blob) -> Iterator[bytes]:
    """Messages of an mbox, one at a time: each starts at a 'From ' line after a blank line."""
    current: list[bytes] = []
    previous_blank = True
    with blob.open() as handle:
        for number, line in enumerate(handle):
            if line.startswith(b"From ") and previous_blank:
                if current:
                    yield b"".join(current)
                current = []
                previous_blank = False
                continue
            if number == 0:
                raise Unreadable("not an mbox file (it must start with a 'From ' line); export the mailbox as mbox or as .eml files")
            if _ESCAPED_FROM.match(line):
                line = line[1:]
            current.append(line)
            previous_blank = not line.strip()
    if current:
        yield b"".join(current)


def read_mbox(blob: Blob, ctx: ReaderContext) -> Iterator[ParsedRow]:
    for number, data in enumerate(split_mbox(blob), start=1):
        yield from message_rows(data, number, ctx)
