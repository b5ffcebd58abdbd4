"""The report as a list of sections made of a few block types, rendered by both HTML and PDF.

One document model, two renderers (templates/report.html.j2 and audits/pdf.py): the HTML and the
PDF cannot drift apart. Cells are already formatted strings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

STATUS_WORDS = {"pass": "PASS", "fail": "FAIL", "not_applicable": "n/a", "met": "MET", "missed": "MISSED", "not_measured": "not measured"}


@dataclass(frozen=True)
class Paragraph:
    kind: ClassVar[str] = "paragraph"
    text: str
    tone: str = "plain"  # plain | note | warning


@dataclass(frozen=True)
class Heading:
    kind: ClassVar[str] = "heading"
    text: str
    level: int = 3


@dataclass(frozen=True)
class Table:
    kind: ClassVar[str] = "table"
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""
    status_column: int | None = None  # rendered as a coloured badge
    code_columns: tuple[int, ...] = ()  # hashes: monospace, breakable
    widths: tuple[float, ...] = ()  # relative column widths for the PDF; equal when empty


@dataclass(frozen=True)
class Chart:
    kind: ClassVar[str] = "chart"
    svg: str
    caption: str


@dataclass(frozen=True)
class Bullets:
    kind: ClassVar[str] = "bullets"
    items: tuple[str, ...]


@dataclass(frozen=True)
class Cards:
    kind: ClassVar[str] = "cards"
    items: tuple[tuple[str, str, str], ...]  # label, big value, small print


@dataclass(frozen=True)
class Code:
    kind: ClassVar[str] = "code"
    text: str


Block = Paragraph | Heading | Table | Chart | Bullets | Cards | Code


@dataclass
class Section:
    id: str
    title: str
    blocks: list[Block] = field(default_factory=list)


def fmt(value: Any, digits: int = 3) -> str:
    """A cell: None as an en dash, floats to `digits` significant places, booleans as yes/no."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "–"
        if value != 0 and abs(value) < 10 ** -digits:
            return f"{value:.1e}"
        text = f"{value:.{digits}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, (list, tuple)):
        return ", ".join(fmt(v, digits) for v in value) or "–"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {fmt(v, digits)}" for k, v in value.items()) or "–"
    return str(value)


def interval(value: Any, ci: list | None, digits: int = 3) -> str:
    """`0.12 (95% CI 0.05 to 0.2)`, or just the value when there is no interval."""
    if value is None:
        return "–"
    if ci and len(ci) == 2 and ci[0] is not None and ci[1] is not None:
        return f"{fmt(value, digits)} (95% CI {fmt(ci[0], digits)} to {fmt(ci[1], digits)})"
    return fmt(value, digits)


def mapping_table(mapping: dict[str, Any], columns: tuple[str, str], caption: str = "") -> Table:
    return Table(columns=columns, rows=tuple((str(k), fmt(v)) for k, v in mapping.items()), caption=caption)
