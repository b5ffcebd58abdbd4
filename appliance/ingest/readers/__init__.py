"""One reader per format family, found by file suffix. A reader yields parsed rows or raises Unreadable(reason)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import PurePath

from appliance.ingest.chunking import chunk_text
from appliance.ingest.readers.base import Blob, BytesBlob, DoesNotFitTask, ParsedRow, PathBlob, ReaderContext, Unreadable, decode_text
from appliance.ingest.readers.html import read_html
from appliance.ingest.readers.mail import read_eml, read_mbox
from appliance.ingest.readers.office import read_docx
from appliance.ingest.readers.pdf import read_pdf
from appliance.ingest.readers.structured import read_csv, read_json, read_jsonl, read_tsv
from appliance.ingest.readers.text import read_plain_text
from appliance.ingest.readers.transcript import read_srt, read_vtt

Reader = Callable[[Blob, ReaderContext], Iterable[ParsedRow]]

READERS: dict[str, tuple[str, Reader]] = {
    ".txt": ("text", read_plain_text),
    ".md": ("markdown", read_plain_text),
    ".markdown": ("markdown", read_plain_text),
    ".jsonl": ("jsonl", read_jsonl),
    ".json": ("json", read_json),
    ".csv": ("csv", read_csv),
    ".tsv": ("tsv", read_tsv),
    ".html": ("html", read_html),
    ".htm": ("html", read_html),
    ".pdf": ("pdf", read_pdf),
    ".docx": ("docx", read_docx),
    ".eml": ("email", read_eml),
    ".mbox": ("mbox", read_mbox),
    ".vtt": ("webvtt", read_vtt),
    ".srt": ("srt", read_srt),
}

# Read in place by appliance.ingest.archives; members go through READERS.
ARCHIVES: dict[str, str] = {
    ".zip": "zip",
    ".tar": "tar",
    ".tar.gz": "tar",
    ".tgz": "tar",
    ".tar.bz2": "tar",
    ".tbz2": "tar",
    ".tar.xz": "tar",
    ".txz": "tar",
}


_COMPOUND = tuple(suffix for suffix in ARCHIVES if suffix.count(".") > 1)


def suffix_of(name: str) -> str:
    """The registered suffix a name ends with ('.tar.gz' before '.gz'), else its last suffix."""
    lower = name.lower()
    if lower.endswith(_COMPOUND):
        return next(suffix for suffix in _COMPOUND if lower.endswith(suffix))
    return PurePath(lower).suffix


def reader_for(name: str | PurePath) -> tuple[str, Reader] | None:
    return READERS.get(suffix_of(str(name)))


def archive_format(name: str | PurePath) -> str | None:
    return ARCHIVES.get(suffix_of(str(name)))


__all__ = [
    "ARCHIVES", "READERS", "Blob", "BytesBlob", "DoesNotFitTask", "ParsedRow", "PathBlob", "Reader", "ReaderContext", "Unreadable",
    "archive_format", "chunk_text", "decode_text", "reader_for", "suffix_of",
]  # fmt: skip
