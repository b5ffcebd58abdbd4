"""DOCX: paragraphs and tables in document order (python-docx); a bomb inside the zip is refused first."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

from appliance.ingest.archives import RATIO_FLOOR
from appliance.ingest.readers.base import Blob, ParsedRow, ReaderContext, Unreadable
from appliance.ingest.readers.text import document_rows

NOT_DOCX = "not a valid DOCX (could not open it); re-save it from Word as .docx"


def check_zip_bounds(data: bytes, ctx: ReaderContext) -> None:
    """A DOCX is a zip; refuse one that would expand past the archive bounds before any library opens it."""
    config = ctx.config
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise Unreadable(NOT_DOCX) from None
    if expanded > config.archive_max_bytes or expanded > max(RATIO_FLOOR, config.archive_max_ratio * len(data)):
        raise Unreadable(f"DOCX would expand to {expanded} bytes from {len(data)} (a zip bomb?); check ingest.archive_max_bytes and archive_max_ratio")


def docx_text(data: bytes) -> str:
    import docx
    from docx.table import Table

    document = docx.Document(io.BytesIO(data))
    blocks = []
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            rows = []
            for row in item.rows:
                cells, seen = [], set()
                for cell in row.cells:  # a merged cell appears once per grid column it spans
                    if id(cell._tc) not in seen:
                        seen.add(id(cell._tc))
                        cells.append(" ".join(cell.text.split()))
                rows.append(" | ".join(cells))
            blocks.append("\n".join(rows))
        else:
            blocks.append(item.text)
    return "\n\n".join(block.strip() for block in blocks if block.strip())


def read_docx(blob: Blob, ctx: ReaderContext) -> Iterator[ParsedRow]:
    data = blob.read_bytes()
    check_zip_bounds(data, ctx)
    try:
        text = docx_text(data)
    except Exception as exc:  # python-docx and lxml raise many types for damaged packages
        raise Unreadable(f"not a valid DOCX ({type(exc).__name__} while opening it); re-save it from Word as .docx") from None
    yield from document_rows(text, ctx)
