"""What every reader shares: the row it returns, the error it raises, and text decoding that never guesses."""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from appliance.config import IngestConfig
from appliance.records import Message

BLOCK = 1 << 18  # bytes read at a time when streaming


class Unreadable(Exception):
    """The file cannot be used; the message is the one-line quarantine reason (no content)."""


class DoesNotFitTask(Exception):
    """The file is fine but cannot serve the run's task (e.g. no label column for classification).

    The message is the one-line reason the file is filtered with; it names the config key to set.
    """


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
    # The run's training task (RunConfig.task): decides which rows fit and how they are shaped.
    task: str = "instruction"


class Blob(Protocol):
    """The bytes of one input: a file on disk (streamable) or an archive member (already in memory)."""

    size: int

    def read_bytes(self) -> bytes: ...

    def open(self) -> BinaryIO: ...


@dataclass(frozen=True)
class PathBlob:
    path: Path
    size: int

    def read_bytes(self) -> bytes:
        return self.path.read_bytes()

    def open(self) -> BinaryIO:
        return self.path.open("rb")


@dataclass(frozen=True)
class BytesBlob:
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)

    def read_bytes(self) -> bytes:
        return self.data

    def open(self) -> BinaryIO:
        return io.BytesIO(self.data)


def _check_not_binary(head: bytes) -> None:
    if b"\x00" in head[:8192]:
        raise Unreadable("binary content (NUL bytes), not text; export it as text or leave it out")


def _utf8_error(offset: int) -> Unreadable:
    return Unreadable(f"not valid UTF-8 (byte offset {offset}); re-export the file as UTF-8")


def decode_text(data: bytes) -> str:
    """Strict UTF-8 (BOM allowed). Undecodable bytes are never silently replaced."""
    _check_not_binary(data)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bom = 3 if data.startswith(codecs.BOM_UTF8) else 0
        raise _utf8_error(exc.start + bom) from None


def iter_text(blob: Blob) -> Iterator[str]:
    """The text of a blob in pieces, strict UTF-8, newlines made '\\n'; never the whole file at once.

    Offsets into the concatenated pieces are what provenance records ("chars 10-900").
    """
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    consumed = 0
    held = ""  # a trailing '\r' waits for the next piece: it may be half of '\r\n'
    with blob.open() as handle:
        while True:
            block = handle.read(BLOCK)
            eof = not block
            if consumed == 0:
                _check_not_binary(block)
                if block.startswith(codecs.BOM_UTF8):
                    block, consumed = block[3:], 3
            pending = len(decoder.getstate()[0])
            try:
                piece = held + decoder.decode(block, final=eof)
            except UnicodeDecodeError as exc:
                raise _utf8_error(consumed - pending + exc.start) from None
            consumed += len(block)
            held = ""
            if piece.endswith("\r") and not eof:
                piece, held = piece[:-1], "\r"
            if piece:
                yield piece.replace("\r\n", "\n").replace("\r", "\n")
            if eof:
                return


def iter_lines(blob: Blob) -> Iterator[str]:
    """Lines (with their '\\n') of a streamed text blob."""
    rest = ""
    for piece in iter_text(blob):
        lines = (rest + piece).split("\n")
        rest = lines.pop()
        for line in lines:
            yield line + "\n"
    if rest:
        yield rest


def scalars(obj: dict[str, Any]) -> dict[str, Any]:
    """Metadata keeps scalar fields only; nested structures would smuggle text past the scrubber's view."""
    return {str(k): v for k, v in obj.items() if isinstance(v, (str, int, float, bool)) or v is None}
