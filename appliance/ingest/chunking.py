"""Cut long text into chunks of at most max_chars, keeping character offsets, optionally overlapping.

Works on a stream of pieces so a huge file is never held whole; the chunks do not depend on how the
text was split into pieces (a streamed file and the same text in one string give the same chunks).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

_SPACE = re.compile(r"\s*")
_SENTENCE_END = re.compile(r"[.!?]\s|\n")
_WHITESPACE = re.compile(r"\s")


def chunk_pieces(pieces: Iterable[str], max_chars: int, overlap: int = 0) -> Iterator[tuple[int, int, str]]:
    """Yield (start, end, chunk) with chunk == text[start:end].strip() and len(chunk) <= max_chars.

    Cuts prefer a paragraph break, then a sentence end, then a space, then a hard cut.
    """
    overlap = max(0, min(overlap, max_chars // 2))
    buf, base, pos, passed = "", 0, 0, 0  # base: offset of buf[0]; a cut must land beyond `passed`
    for piece in pieces:
        buf = buf[pos:] + piece
        base, passed, pos = base + pos, max(0, passed - pos), 0
        while True:
            pos = _SPACE.match(buf, pos).end()
            # +2: a paragraph break right at the budget must be visible whatever the piece boundaries.
            if len(buf) - pos < max_chars + 2:
                break
            cut = _cut(buf, pos, max(passed, pos), max_chars)
            yield base + pos, base + cut, buf[pos:cut].strip()
            pos, passed = _next_start(buf, pos, cut, overlap), cut
    while True:
        pos = _SPACE.match(buf, pos).end()
        if len(buf) - pos <= max_chars:
            if buf[max(passed, pos) :].strip():
                yield base + pos, base + len(buf), buf[pos:].strip()
            return
        cut = _cut(buf, pos, max(passed, pos), max_chars)
        yield base + pos, base + cut, buf[pos:cut].strip()
        pos, passed = _next_start(buf, pos, cut, overlap), cut


def _cut(buf: str, pos: int, passed: int, max_chars: int) -> int:
    """Where the chunk starting at pos ends: the last good break in budget, beyond `passed`."""
    limit = pos + max_chars
    paragraph = buf.rfind("\n\n", passed + 1, limit + 2)
    if paragraph > passed and buf[pos:paragraph].strip():
        return paragraph
    floor = max(passed + 1, pos + max_chars // 4)
    best = -1
    for match in _SENTENCE_END.finditer(buf, floor - 1, limit):
        best = match.start() + 1
    if best >= floor:
        return best
    space = max(buf.rfind(" ", floor, limit), buf.rfind("\n", floor, limit), buf.rfind("\t", floor, limit))
    return space if space >= floor else limit


def _next_start(buf: str, pos: int, cut: int, overlap: int) -> int:
    """The next chunk repeats up to `overlap` characters (at most half this chunk), starting at a word."""
    if overlap <= 0:
        return cut
    start = cut - min(overlap, (cut - pos) // 2)
    space = _WHITESPACE.search(buf, start, cut)
    return cut if space is None else space.start()


def chunk_text(text: str, max_chars: int, overlap: int = 0) -> list[tuple[str, str]]:
    """(location "chars START-END", chunk) pairs for one string."""
    return [(f"chars {start}-{end}", chunk) for start, end, chunk in chunk_pieces([text], max_chars, overlap)]
