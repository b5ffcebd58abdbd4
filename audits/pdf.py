"""report.pdf: the same sections and blocks as report.html (audits/document.py), drawn with fpdf2.

Pure Python, offline, deterministic apart from the creation date; content streams are left
uncompressed so a plain byte scan of the run directory covers the PDF too. Core PDF fonts cover Latin-1
only, so text is transliterated (epsilon for ε, '-' for dashes) rather than dropped.

Example:
    >>> render_pdf(report)[:5]
    b'%PDF-'
"""

from __future__ import annotations

import io
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from audits.blocks import STATUS_WORDS, Block, Section
from audits.document import document

STATUS_FILL = {"pass": (30, 123, 52), "fail": (179, 38, 30), "not_applicable": (107, 107, 107), "met": (30, 123, 52), "missed": (179, 38, 30), "not_measured": (107, 107, 107)}
TRANSLITERATE = {"ε": "epsilon", "δ": "delta", "–": "-", "—": "-", "…": "...", "≤": "<=", "≥": ">=", "→": "->", "‘": "'", "’": "'", "“": '"', "”": '"', "·": "|"}
LINE = 4.6


def latin1(text: str) -> str:
    """What the core fonts can draw: known symbols spelled out, anything else outside Latin-1 as '?'."""
    for symbol, spelled in TRANSLITERATE.items():
        text = text.replace(symbol, spelled)
    return text.encode("latin-1", "replace").decode("latin-1")


class ReportPDF(FPDF):
    def __init__(self, run_id: str) -> None:
        super().__init__(format="A4")
        self.run_id = run_id
        self.set_auto_page_break(auto=True, margin=14)
        self.set_margins(14, 12, 14)
        self.set_title(latin1(f"Compliance report: run {run_id}"))
        self.set_creator("appliance")
        # Uncompressed, so a byte-level scan of the run directory for leaked PII also reads the PDF.
        self.set_compression(False)

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font("Helvetica", size=7)
        self.set_text_color(110)
        self.cell(0, 4, latin1(f"run {self.run_id} | page {self.page_no()}"), align="R")
        self.set_text_color(0)


def _paragraph(pdf: ReportPDF, text: str, tone: str = "plain") -> None:
    pdf.set_font("Helvetica", "B" if tone == "warning" else ("I" if tone == "note" else ""), 9)
    if tone == "warning":
        pdf.set_text_color(150, 25, 20)
    pdf.multi_cell(0, LINE, latin1(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0)
    pdf.ln(1.5)


def _table(pdf: ReportPDF, block: Any) -> None:
    size = 7 if len(block.columns) > 5 else 8
    pdf.set_font("Helvetica", size=size)
    widths = block.widths or tuple(1 for _ in block.columns)
    heading = FontFace(emphasis="BOLD", fill_color=(238, 240, 243))
    with pdf.table(col_widths=widths, headings_style=heading, line_height=size * 0.45, text_align="LEFT", padding=0.8, first_row_as_headings=True) as table:
        header = table.row()
        for column in block.columns:
            header.cell(latin1(column))
        for values in block.rows:
            row = table.row()
            for index, value in enumerate(values):
                if index == block.status_column:
                    row.cell(STATUS_WORDS.get(value, value), style=FontFace(emphasis="BOLD", color=(255, 255, 255), fill_color=STATUS_FILL.get(value, (107, 107, 107))))
                elif index in block.code_columns:
                    row.cell(latin1(value), style=FontFace(family="Courier", size_pt=size - 1))
                else:
                    row.cell(latin1(value))
    if block.caption:
        pdf.set_font("Helvetica", "I", 7.5)
        pdf.multi_cell(0, 3.8, latin1(block.caption), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)


def _cards(pdf: ReportPDF, items: tuple[tuple[str, str, str], ...]) -> None:
    width = (pdf.w - pdf.l_margin - pdf.r_margin) / len(items)
    top = pdf.get_y()
    for index, (label, value, small) in enumerate(items):
        x = pdf.l_margin + index * width
        pdf.rect(x + 0.5, top, width - 1, 15)
        pdf.set_xy(x + 1.5, top + 1)
        pdf.set_font("Helvetica", size=7)
        pdf.cell(width - 3, 3.5, latin1(label))
        pdf.set_xy(x + 1.5, top + 4.8)
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(width - 3, 5, latin1(value))
        pdf.set_xy(x + 1.5, top + 10.2)
        pdf.set_font("Helvetica", size=6.5)
        pdf.cell(width - 3, 3.5, latin1(small))
    pdf.set_xy(pdf.l_margin, top + 17)


def _chart(pdf: ReportPDF, svg: str, caption: str) -> None:
    if not svg.startswith("<svg"):
        _paragraph(pdf, svg.replace('<p class="note">', "").replace("</p>", ""), "note")
        return
    width = pdf.w - pdf.l_margin - pdf.r_margin
    pdf.image(io.BytesIO(latin1(svg).encode("latin-1")), x=pdf.l_margin, w=min(width, 150))
    pdf.set_font("Helvetica", "I", 7.5)
    pdf.multi_cell(0, 3.8, latin1(caption), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)


def _block(pdf: ReportPDF, block: Block) -> None:
    if block.kind == "paragraph":
        _paragraph(pdf, block.text, block.tone)
    elif block.kind == "heading":
        pdf.set_font("Helvetica", "B", 11 if block.level == 3 else 10)
        pdf.multi_cell(0, 6, latin1(block.text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    elif block.kind == "cards":
        _cards(pdf, block.items)
    elif block.kind == "table":
        _table(pdf, block)
    elif block.kind == "chart":
        _chart(pdf, block.svg, block.caption)
    elif block.kind == "bullets":
        pdf.set_font("Helvetica", size=9)
        for item in block.items:
            pdf.multi_cell(0, LINE, latin1(f"-  {item}"), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1.5)
    elif block.kind == "code":
        pdf.set_font("Courier", size=7.5)
        pdf.multi_cell(0, 3.6, latin1(block.text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1.5)


def _header(pdf: ReportPDF, report: dict[str, Any], sections: list[Section]) -> dict[str, int]:
    pdf.set_font("Helvetica", "B", 15)
    pdf.cell(130, 8, latin1(f"Compliance report: run {report['run_id']}"))
    verdict = report["verdict"]
    pdf.set_fill_color(*STATUS_FILL.get(verdict, (107, 107, 107)))
    pdf.set_text_color(255)
    pdf.cell(0, 8, "PASS: all gates passed" if verdict == "pass" else "FAIL: gates failed", align="C", fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0)
    pdf.set_fill_color(255)
    pdf.set_font("Helvetica", size=8)
    key = (report.get("evidence", {}).get("signing_key") or {}).get("fingerprint", "-")
    pdf.multi_cell(0, 4, latin1(f"policy {report['policy'].get('name')} | appliance {report['appliance_version']} | generated {report['generated']} | signing key {key}"), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    links = {section.id: pdf.add_link() for section in sections}
    pdf.set_font("Helvetica", size=8)
    pdf.set_text_color(31, 95, 168)
    pdf.write(4, "Contents: ")
    for number, section in enumerate(sections, 1):
        pdf.write(4, latin1(f"{number}. {section.title}   "), link=links[section.id])
    pdf.set_text_color(0)
    pdf.ln(6)
    return links


def render_pdf(report: dict[str, Any]) -> bytes:
    """The whole report as PDF bytes, with a linked table of contents."""
    sections = document(report)
    pdf = ReportPDF(report["run_id"])
    pdf.add_page()
    links = _header(pdf, report, sections)
    for number, section in enumerate(sections, 1):
        if number > 1 and pdf.get_y() > pdf.h * 0.75:
            pdf.add_page()
        pdf.set_link(links[section.id], y=pdf.get_y(), page=pdf.page_no())
        pdf.set_font("Helvetica", "B", 13)
        pdf.cell(0, 8, latin1(f"{number}. {section.title}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_draw_color(200)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
        pdf.set_draw_color(0)
        pdf.ln(1.5)
        for block in section.blocks:
            _block(pdf, block)
    return bytes(pdf.output())
