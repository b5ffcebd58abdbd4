"""Read a shipped word list (scrubbers/data/NAME.txt) once per process.

Every list has the same shape: one entry a line, `#` lines for the header (source and
licence) and section notes, blank lines ignored. Recognizers share this one reader so a
list is parsed once however many recognizers look it up.
"""

from __future__ import annotations

import functools
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"


@functools.cache
def read_list(name: str) -> tuple[str, ...]:
    """The entries of scrubbers/data/`name`, stripped, in file order, without comments or blanks."""
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#"))
