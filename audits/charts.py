"""Self-contained SVG charts for the report: no scripts, no external assets, plain shapes and text.

The same SVG goes inline into report.html and, through fpdf2's SVG support, into report.pdf, so
only shapes fpdf2 draws are used (rect, line, polyline, circle, text; fill and stroke attributes).

Example:
    >>> svg = bar_chart_svg(["f", "m"], [("adapter", ADAPTER, [2.1, 2.3])], axis_label="loss")
    >>> svg.startswith("<svg")
    True
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

BASE = "#8c8c8c"
ADAPTER = "#1f5fa8"
DATA = "#2e7d4f"
THRESHOLD = "#b3261e"
FONT = 'font-family="Helvetica, Arial, sans-serif" font-size="11"'


def _text(x: float, y: float, content: str, anchor: str = "start", extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" {FONT} text-anchor="{anchor}" fill="#222"{extra}>{html.escape(content)}</text>'


def _open(width: int, height: int, label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{html.escape(label)}" width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>'
    )


def nice_ticks(low: float, high: float, count: int = 4) -> list[float]:
    """Round tick values covering [low, high]: 1, 2 or 5 times a power of ten apart."""
    if high <= low:
        high = low + 1.0
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    start = math.floor(low / step) * step
    ticks = []
    value = start
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < high:
        ticks.append(round(value, 10))
    return ticks


def _fmt(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def line_chart_svg(points: Sequence[tuple[float, float]], *, label: str, x_label: str, y_label: str, color: str = ADAPTER, width: int = 620, height: int = 220) -> str:
    """One series over steps, with ticked axes; fewer than two points gives a short note instead."""
    points = [(float(x), float(y)) for x, y in points if y is not None and math.isfinite(float(y))]
    if len(points) < 2:
        return '<p class="note">Not enough logged steps for a chart.</p>'
    left, right, top, bottom = 56, 16, 14, 38
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    y_ticks = nice_ticks(min(ys), max(ys))
    x0, x1 = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
    y0, y1 = y_ticks[0], y_ticks[-1]

    def sx(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * (width - left - right)

    def sy(y: float) -> float:
        return height - bottom - (y - y0) / ((y1 - y0) or 1) * (height - top - bottom)

    parts = [_open(width, height, label)]
    for tick in y_ticks:
        parts.append(f'<line x1="{left}" y1="{sy(tick):.1f}" x2="{width - right}" y2="{sy(tick):.1f}" stroke="#e3e3e3" stroke-width="1"/>')
        parts.append(_text(left - 6, sy(tick) + 4, _fmt(tick), "end"))
    for tick in nice_ticks(x0, x1):
        if x0 <= tick <= x1:
            parts.append(_text(sx(tick), height - bottom + 14, _fmt(tick), "middle"))
    parts.append(f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" stroke="#555555" stroke-width="1"/>')
    parts.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="#555555" stroke-width="1"/>')
    path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in points)
    parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{path}"/>')
    parts.append(_text((left + width - right) / 2, height - 6, x_label, "middle"))
    parts.append(_text(4, 10, y_label))
    parts.append("</svg>")
    return "".join(parts)


def bar_chart_svg(
    categories: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[float | None]]],
    *,
    axis_label: str,
    threshold: float | None = None,
    width: int = 620,
) -> str:
    """Horizontal bars, one row per category and one bar per series; None is drawn as 'n/a'.

    `series` is (name, colour, values in category order). A threshold draws a dashed line.
    """
    if not categories or not series:
        return '<p class="note">No groups to chart.</p>'
    bar, gap = 12, 10
    label_width = min(150, 12 + 7 * max(len(c) for c in categories))
    left, right, top = label_width, 60, 24
    row = bar * len(series) + gap
    height = top + row * len(categories) + 30
    values = [v for _, _, vals in series for v in vals if v is not None]
    ticks = nice_ticks(0.0, max([*values, threshold or 0.0, 1e-9]))
    high = ticks[-1]

    def sx(v: float) -> float:
        return left + v / high * (width - left - right)

    parts = [_open(width, height, axis_label)]
    for tick in ticks:
        parts.append(f'<line x1="{sx(tick):.1f}" y1="{top - 4}" x2="{sx(tick):.1f}" y2="{height - 26}" stroke="#e3e3e3" stroke-width="1"/>')
        parts.append(_text(sx(tick), height - 14, _fmt(tick), "middle"))
    legend_x = left
    for name, color, _ in series:
        parts.append(f'<rect x="{legend_x}" y="6" width="10" height="10" fill="{color}"/>')
        parts.append(_text(legend_x + 14, 15, name))
        legend_x += 22 + 7 * len(name)
    for index, category in enumerate(categories):
        y = top + index * row
        parts.append(_text(left - 6, y + row / 2, category, "end"))
        for offset, (_, color, vals) in enumerate(series):
            value = vals[index]
            by = y + offset * bar
            if value is None:
                parts.append(_text(left + 4, by + bar - 2, "n/a (group too small)", extra=' fill-opacity="0.7"'))
                continue
            parts.append(f'<rect x="{left}" y="{by:.1f}" width="{max(sx(value) - left, 0.5):.1f}" height="{bar - 2}" fill="{color}"/>')
            parts.append(_text(sx(value) + 4, by + bar - 3, _fmt(value)))
    if threshold is not None:
        parts.append(f'<line x1="{sx(threshold):.1f}" y1="{top - 4}" x2="{sx(threshold):.1f}" y2="{height - 26}" stroke="{THRESHOLD}" stroke-width="1.5" stroke-dasharray="4 3"/>')
    parts.append(_text((left + width - right) / 2, height - 2, axis_label, "middle"))
    parts.append("</svg>")
    return "".join(parts)


def interval_chart_svg(rows: Sequence[tuple[str, float | None, float | None, float | None]], *, axis_label: str, threshold: float | None = None, width: int = 620) -> str:
    """Point estimates with 95% interval whiskers, one row each: (label, value, low, high)."""
    rows = [r for r in rows if r[1] is not None]
    if not rows:
        return '<p class="note">No gap could be computed.</p>'
    left, right, top, row = 150, 60, 12, 26
    height = top + row * len(rows) + 30
    values = [v for r in rows for v in r[1:] if v is not None]
    ticks = nice_ticks(min(0.0, *values), max([*values, threshold or 0.0, 1e-9]))
    low_end, high_end = ticks[0], ticks[-1]

    def sx(v: float) -> float:
        return left + (v - low_end) / ((high_end - low_end) or 1) * (width - left - right)

    parts = [_open(width, height, axis_label)]
    for tick in ticks:
        parts.append(f'<line x1="{sx(tick):.1f}" y1="{top - 4}" x2="{sx(tick):.1f}" y2="{height - 26}" stroke="#e3e3e3" stroke-width="1"/>')
        parts.append(_text(sx(tick), height - 14, _fmt(tick), "middle"))
    for index, (label, value, low, high) in enumerate(rows):
        y = top + index * row + row / 2
        color = ADAPTER if "adapter" in label else BASE
        parts.append(_text(left - 8, y + 4, label, "end"))
        if low is not None and high is not None:
            parts.append(f'<line x1="{sx(low):.1f}" y1="{y:.1f}" x2="{sx(high):.1f}" y2="{y:.1f}" stroke="{color}" stroke-width="2"/>')
            for end in (low, high):
                parts.append(f'<line x1="{sx(end):.1f}" y1="{y - 5:.1f}" x2="{sx(end):.1f}" y2="{y + 5:.1f}" stroke="{color}" stroke-width="2"/>')
        parts.append(f'<circle cx="{sx(value):.1f}" cy="{y:.1f}" r="4" fill="{color}"/>')
        parts.append(_text(sx(max(value, high if high is not None else value)) + 8, y + 4, _fmt(value)))
    if threshold is not None:
        parts.append(f'<line x1="{sx(threshold):.1f}" y1="{top - 4}" x2="{sx(threshold):.1f}" y2="{height - 26}" stroke="{THRESHOLD}" stroke-width="1.5" stroke-dasharray="4 3"/>')
    parts.append(_text((left + width - right) / 2, height - 2, axis_label, "middle"))
    parts.append("</svg>")
    return "".join(parts)
