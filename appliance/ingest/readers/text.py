"""Plain text and Markdown: streamed, cut on paragraphs into chunks with character offsets."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from appliance.ingest.chunking import chunk_pieces
from appliance.ingest.readers.base import Blob, ParsedRow, ReaderContext, iter_text


def document_rows(pieces: str | Iterable[str], ctx: ReaderContext, kind: str = "document", prefix: str = "", metadata: dict | None = None) -> Iterator[ParsedRow]:
    """Chunk text (a string or streamed pieces) into rows located "PREFIX chars START-END"."""
    config = ctx.config
    for start, end, chunk in chunk_pieces([pieces] if isinstance(pieces, str) else pieces, config.max_chunk_chars, config.chunk_overlap_chars):
        # Each row its own metadata dict: records must not share a mutable value.
        yield ParsedRow(kind=kind, location=f"{prefix}chars {start}-{end}", text=chunk, metadata=dict(metadata or {}))


def read_plain_text(blob: Blob, ctx: ReaderContext) -> Iterator[ParsedRow]:
    yield from document_rows(iter_text(blob), ctx)
