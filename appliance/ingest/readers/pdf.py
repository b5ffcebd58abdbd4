"""PDF: the text layer, page by page (provenance "page 3"); no OCR, so a scan is quarantined."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

from appliance.ingest.chunking import chunk_pieces
from appliance.ingest.readers.base import Blob, ParsedRow, ReaderContext, Unreadable

NO_TEXT_LAYER = "no text layer (OCR not enabled)"
PASSWORD_PROTECTED = "password-protected PDF; save a copy without a password and ingest that"

# pypdf logs recoverable oddities of malformed files; the outcome already says what matters.
logging.getLogger("pypdf").setLevel(logging.ERROR)


def read_pdf(blob: Blob, ctx: ReaderContext) -> Iterator[ParsedRow]:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, PdfReadError

    try:
        reader = PdfReader(io.BytesIO(blob.read_bytes()), strict=False)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")  # an owner password alone still lets anyone read the text
            except (DependencyError, NotImplementedError, PdfReadError):
                opened = 0
            if not opened:
                raise Unreadable(PASSWORD_PROTECTED)
        pages = [page.extract_text() or "" for page in reader.pages]
    except Unreadable:
        raise
    except Exception as exc:  # pypdf raises many types for damaged files; none may escape as a traceback
        raise Unreadable(f"damaged or unsupported PDF ({type(exc).__name__}); re-export it as PDF") from None
    if not any(page.strip() for page in pages):
        raise Unreadable(NO_TEXT_LAYER)
    config = ctx.config
    for number, text in enumerate(pages, start=1):
        chunks = list(chunk_pieces([text], config.max_chunk_chars, config.chunk_overlap_chars))
        for start, end, chunk in chunks:
            location = f"page {number}" if len(chunks) == 1 else f"page {number} chars {start}-{end}"
            yield ParsedRow(kind="document", location=location, text=chunk, metadata={"page": number})
