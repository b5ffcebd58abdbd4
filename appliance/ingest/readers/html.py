"""HTML: the visible text only; scripts, styles, navigation, headers and footers are dropped."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator

from bs4 import BeautifulSoup
from bs4.dammit import EncodingDetector

from appliance.ingest.readers.base import Blob, ParsedRow, ReaderContext, Unreadable, decode_text
from appliance.ingest.readers.text import document_rows

# Page furniture and code: never training text.
DROPPED = ["script", "style", "nav", "header", "footer", "noscript", "template", "svg", "head", "iframe", "object", "button"]
BLOCKS = [
    "p", "div", "section", "article", "main", "aside", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd",
    "table", "tr", "blockquote", "pre", "br", "hr", "figure", "figcaption", "address", "details", "summary",
]  # fmt: skip
CELLS = ["td", "th"]
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n\s*\n\s*")


def decode_html(data: bytes) -> str:
    """UTF-8, or the charset the document declares; never a guess that silently replaces bytes."""
    try:
        return decode_text(data)
    except Unreadable as utf8_problem:
        declared = EncodingDetector.find_declared_encoding(data, is_html=True)
        if not declared:
            raise utf8_problem from None
        try:
            return data.decode(declared)
        except (LookupError, UnicodeDecodeError):
            raise Unreadable(f"not valid in its declared charset '{declared[:40]}'; re-save the page as UTF-8") from None


def html_to_text(markup: str) -> str:
    """Visible text, a blank line between blocks, cells of a row on one line."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # some bs4 warnings quote the markup: content must never reach a log
        soup = BeautifulSoup(markup, "lxml")
    for tag in soup.find_all(DROPPED):
        tag.decompose()
    for tag in soup.find_all(attrs={"hidden": True}):
        tag.decompose()
    for tag in soup.find_all(CELLS):
        tag.insert_after(" | ")
    for tag in soup.find_all(BLOCKS):
        tag.insert_before("\n\n")
        tag.insert_after("\n\n")
    lines = (_SPACES.sub(" ", line).strip(" |") for line in soup.get_text().split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def read_html(blob: Blob, ctx: ReaderContext) -> Iterator[ParsedRow]:
    text = html_to_text(decode_html(blob.read_bytes()))
    yield from document_rows(text, ctx)
