"""Documents for residents and managers (letters, the annual report) as HTML and as PDF.

One small block model renders both ways, so a letter's HTML preview and its PDF always say the
same thing. Everything a resident or officer typed is escaped here, once. Large print follows the
RNIB's clear print guidance: at least 16 pt (we use 18 pt), left aligned, plain sans-serif.
"""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from dataclasses import dataclass, field

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import ListFlowable, ListItem, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Para:
    """A paragraph; line breaks inside it are kept."""

    text: str


@dataclass(frozen=True)
class Bullets:
    items: Sequence[str]


@dataclass(frozen=True)
class Grid:
    """A table: a header row and rows of cells (already formatted as text)."""

    header: Sequence[str]
    rows: Sequence[Sequence[str]]


Block = Heading | Para | Bullets | Grid


@dataclass(frozen=True)
class Document:
    title: str
    blocks: Sequence[Block] = field(default_factory=list)
    large_print: bool = False


def _lines(text: str) -> str:
    return "<br>".join(html.escape(line) for line in text.split("\n"))


def _html_block(b: Block) -> str:
    match b:
        case Heading(text):
            return f"<h2>{html.escape(text)}</h2>"
        case Para(text):
            return f"<p>{_lines(text)}</p>"
        case Bullets(items):
            return "<ul>" + "".join(f"<li>{_lines(i)}</li>" for i in items) + "</ul>"
        case Grid(header, rows):
            head = "".join(f'<th scope="col">{html.escape(h)}</th>' for h in header)
            body = "".join("<tr>" + "".join(f"<td>{_lines(c)}</td>" for c in row) + "</tr>" for row in rows)
            return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    raise TypeError(f"not a block: {b!r}")


def _css(large: bool) -> str:
    size = "18pt" if large else "11pt"
    return (
        f"body{{font-family:Arial,Helvetica,sans-serif;font-size:{size};line-height:1.5;max-width:46em;margin:2em auto;padding:0 1em;color:#111}}"
        "h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.4em}"
        "table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #888;padding:.3em .6em;text-align:left;vertical-align:top}"
    )


def to_html(doc: Document) -> str:
    """A standalone page with inline styles only (no scripts), safe to show in the staff console."""
    body = "".join(_html_block(b) for b in doc.blocks)
    cls = ' class="large-print"' if doc.large_print else ""
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(doc.title)}</title>'
        f"<style>{_css(doc.large_print)}</style></head><body{cls}><h1>{html.escape(doc.title)}</h1>{body}</body></html>"
    )


def _styles(large: bool) -> dict[str, ParagraphStyle]:
    size = 18 if large else 11
    body = ParagraphStyle("body", fontName="Helvetica", fontSize=size, leading=size * 1.45, spaceAfter=size * 0.6)
    return {
        "body": body,
        "title": ParagraphStyle("title", parent=body, fontName="Helvetica-Bold", fontSize=size * 1.5, leading=size * 1.9, spaceAfter=size),
        "heading": ParagraphStyle("heading", parent=body, fontName="Helvetica-Bold", fontSize=size * 1.2, leading=size * 1.6, spaceBefore=size * 0.6),
        "cell": ParagraphStyle("cell", parent=body, spaceAfter=0),
    }


def _pdf_text(text: str) -> str:
    # reportlab's paragraphs take a small markup language: escape it, keep line breaks
    return "<br/>".join(html.escape(line, quote=False) for line in text.split("\n"))


def _pdf_block(b: Block, st: dict[str, ParagraphStyle], width: float) -> list[Flowable]:
    match b:
        case Heading(text):
            return [Paragraph(_pdf_text(text), st["heading"])]
        case Para(text):
            return [Paragraph(_pdf_text(text), st["body"])]
        case Bullets(items):
            return [ListFlowable([ListItem(Paragraph(_pdf_text(i), st["body"])) for i in items], bulletType="bullet", start="•")]
        case Grid(header, rows):
            data = [[Paragraph(f"<b>{_pdf_text(h)}</b>", st["cell"]) for h in header]]
            data += [[Paragraph(_pdf_text(c), st["cell"]) for c in row] for row in rows]
            t = Table(data, colWidths=[width / max(1, len(header))] * len(header), repeatRows=1)
            t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
            return [t, Spacer(1, 4 * mm)]
    raise TypeError(f"not a block: {b!r}")


def to_pdf(doc: Document) -> bytes:
    buf = io.BytesIO()
    margin = 20 * mm
    pdf = SimpleDocTemplate(buf, pagesize=A4, leftMargin=margin, rightMargin=margin, topMargin=margin, bottomMargin=margin, title=doc.title)
    st = _styles(doc.large_print)
    width = A4[0] - 2 * margin
    flow: list[Flowable] = [Paragraph(_pdf_text(doc.title), st["title"])]
    for b in doc.blocks:
        flow += _pdf_block(b, st, width)
    pdf.build(flow)
    return buf.getvalue()
