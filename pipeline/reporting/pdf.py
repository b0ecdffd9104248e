"""Render a :class:`~pipeline.reporting.document.Document` as an A4 PDF with matplotlib.

Pure Python and deterministic: matplotlib's ``PdfPages`` with ``CreationDate`` removed, fonts
embedded as TrueType (``pdf.fonttype`` 42). A simple flow layout fills pages top to bottom:
headings, wrapped paragraphs, tables (text laid out in columns, rows split across pages, header
repeated) and figures (drawn by the same functions as in the HTML, in their own axes area).
"""

from __future__ import annotations

import functools
import io
import textwrap
from collections.abc import Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.textpath import TextToPath

from pipeline.reporting import figures
from pipeline.reporting.document import (
    BulletList,
    Document,
    FigureBlock,
    Heading,
    Paragraph,
    Table,
)

PAGE_W, PAGE_H = 8.27, 11.69  # A4, inches
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 0.75, 0.8, 0.8
TEXT_W = PAGE_W - 2 * MARGIN_X
LINE = 0.19  # inches per 9-pt line
_TEXT_TO_PATH = TextToPath()
CHAR_W = 0.068  # average width of a 9-pt DejaVu Sans character, inches


class _Pages:
    """The page flow: a current page and a cursor measured in inches from the top."""

    def __init__(self, pdf: PdfPages, footer: str) -> None:
        self.pdf = pdf
        self.footer = footer
        self.number = 0
        self.fig: Figure | None = None
        self.y = 0.0

    def new_page(self) -> Figure:
        self.finish()
        self.number += 1
        self.fig = Figure(figsize=(PAGE_W, PAGE_H))
        self.y = MARGIN_TOP
        return self.fig

    def page(self) -> Figure:
        return self.fig if self.fig is not None else self.new_page()

    def room(self) -> float:
        return PAGE_H - MARGIN_BOTTOM - self.y

    def need(self, height: float) -> Figure:
        if self.fig is None or height > self.room():
            return self.new_page()
        return self.fig

    def text(self, x: float, text: str, **kwargs: object) -> None:
        fig = self.page()
        fig.text(x / PAGE_W, 1 - self.y / PAGE_H, text, va="top", **kwargs)  # type: ignore[arg-type]

    def finish(self) -> None:
        if self.fig is None:
            return
        self.fig.text(
            0.5,
            0.35 / PAGE_H,
            f"{self.footer} \u2013 {self.number}",
            ha="center",
            fontsize=7,
            color="#555555",
        )
        self.pdf.savefig(self.fig)
        self.fig = None


def _wrap(text: str, size: float, width: float = TEXT_W) -> list[str]:
    chars = max(20, int(width / (CHAR_W * size / 9)))
    return textwrap.wrap(text, chars, break_on_hyphens=False) or [""]


def _char_w(size: float) -> float:
    return CHAR_W * size / 9


@functools.cache
def _text_w(text: str, size: float, bold: bool = False) -> float:
    """Width of ``text`` in inches at ``size`` points, measured on the font's glyph outlines
    (exact, deterministic; an average character width underestimated bold headers)."""
    prop = FontProperties(size=size, weight="bold" if bold else "normal")
    width, _, _ = _TEXT_TO_PATH.get_text_width_height_descent(text, prop, ismath=False)
    return float(width) / 72.0


#: Horizontal padding of a table cell, inches.
CELL_PAD = 0.14


def _layout(table: Table) -> tuple[float, list[float]]:
    """Font size and column widths (inches): natural (measured) widths, shrunk (font down to
    6.5 pt, then the widest columns capped so their text wraps) to fit the text width."""
    cols = len(table.header)

    def natural(size: float) -> list[float]:
        return [
            max(
                _text_w(table.header[i], size, bold=True),
                *(_text_w(r[i], size) for r in table.rows if i < len(r)),
                3 * _char_w(size),
            )
            + CELL_PAD
            for i in range(cols)
        ]

    for size in (8.0, 7.5, 7.0, 6.5):
        want = natural(size)
        if sum(want) <= TEXT_W:
            return size, want
    size = 6.5
    want = natural(size)
    # Cap the widest columns at a common width so that the total fits.
    cap = max(want)
    while sum(min(w, cap) for w in want) > TEXT_W and cap > 0.5:
        cap -= 0.05
    return size, [min(w, cap) for w in want]


def _cell_lines(text: str, width: float, size: float, bold: bool = False) -> list[str]:
    """``text`` wrapped at word boundaries (words longer than a line are cut) to ``width``."""
    room = width - CELL_PAD + 1e-6  # the natural width must not wrap by rounding
    if _text_w(text, size, bold) <= room:
        return [text]
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if _text_w(candidate, size, bold) <= room:
            current = candidate
            continue
        if current:
            lines.append(current)
        while _text_w(word, size, bold) > room and len(word) > 1:
            cut = len(word) - 1
            while cut > 1 and _text_w(word[:cut], size, bold) > room:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        lines.append(current)
    return lines or [""]


def _table(pages: _Pages, table: Table) -> None:
    size, widths = _layout(table)
    line_h = LINE * size / 9 * 1.05
    caption = _wrap(table.caption, 9)
    pages.need(len(caption) * LINE + 3 * line_h)
    for line in caption:
        pages.text(MARGIN_X, line, fontsize=9, fontweight="bold")
        pages.y += LINE

    def draw_row(cells: tuple[str, ...], bold: bool) -> None:
        wrapped = [_cell_lines(c, w, size, bold) for c, w in zip(cells, widths, strict=True)]
        height = max(len(w) for w in wrapped) * line_h
        if height > pages.room():
            pages.new_page()
            if not bold:
                draw_row(table.header, True)
        fig = pages.page()
        x = MARGIN_X
        for i, (lines, w) in enumerate(zip(wrapped, widths, strict=True)):
            ha = "left" if i == 0 or len(lines) > 1 else "right"
            xx = x if ha == "left" else x + w - 0.06
            style = "italic" if cells[i].startswith("n < ") else "normal"
            for j, line in enumerate(lines):
                fig.text(
                    xx / PAGE_W,
                    1 - (pages.y + j * line_h) / PAGE_H,
                    line,
                    va="top",
                    ha=ha,
                    fontsize=size,
                    fontweight="bold" if bold else "normal",
                    fontstyle=style,
                )
            x += w
        pages.y += height
        if bold:
            fig.add_artist(_hline(1 - (pages.y - 0.03) / PAGE_H))

    draw_row(table.header, True)
    for row in table.rows:
        draw_row(row, False)
    pages.y += 0.05
    if table.note:
        for line in _wrap(table.note, 7.5):
            if LINE > pages.room():
                pages.new_page()
            pages.text(MARGIN_X, line, fontsize=7.5, color="#333333")
            pages.y += LINE * 0.85
    pages.y += LINE * 0.8


def _hline(y: float) -> Line2D:
    return Line2D(
        [MARGIN_X / PAGE_W, 1 - MARGIN_X / PAGE_W], [y, y], color="#888888", linewidth=0.5
    )


def _figure(pages: _Pages, block: FigureBlock) -> None:
    """Draw the figure on its own canvas (constrained layout), raster it at :data:`DPI` and
    place it on the page: the same drawing code and layout as the HTML's SVG."""
    scale = min(1.0, TEXT_W / block.width)
    width, height = block.width * scale, block.height * scale
    caption = _wrap(block.caption, 8)
    page = pages.need(height + len(caption) * LINE + 0.1)
    own = figures.new_figure(block.width, block.height)
    block.draw(own)
    canvas = FigureCanvasAgg(own)
    canvas.draw()
    image = np.asarray(canvas.buffer_rgba())
    top = 1 - pages.y / PAGE_H
    ax = page.add_axes((MARGIN_X / PAGE_W, top - height / PAGE_H, width / PAGE_W, height / PAGE_H))
    ax.imshow(image, interpolation="lanczos")
    ax.set_axis_off()
    pages.y += height + 0.05
    for line in caption:
        pages.text(MARGIN_X, line, fontsize=8, color="#333333")
        pages.y += LINE * 0.9
    pages.y += LINE * 0.6


def render(document: Document, footer: str) -> bytes:
    """The document as PDF bytes (A4 portrait), identical for identical documents."""
    buffer = io.BytesIO()
    with figures.style():
        with PdfPages(
            buffer,
            metadata={
                "CreationDate": None,
                "Creator": None,
                "Producer": None,
                "Title": document.title,
            },
        ) as pdf:
            pages = _Pages(pdf, footer)
            _flow(pages, document.blocks)
            pages.finish()
    return buffer.getvalue()


def _flow(pages: _Pages, blocks: Sequence[object]) -> None:
    for block in blocks:
        if isinstance(block, Heading):
            size = {1: 16, 2: 12.5, 3: 10.5}.get(block.level, 10)
            lines = _wrap(block.text, size)
            if block.level <= 2 and pages.fig is not None and pages.y > MARGIN_TOP:
                pages.y += LINE * 0.6
            pages.need(len(lines) * LINE * size / 9 + 4 * LINE)
            for line in lines:
                pages.text(MARGIN_X, line, fontsize=size, fontweight="bold", color="#0b3a63")
                pages.y += LINE * size / 9 * 1.15
            pages.y += LINE * 0.3
        elif isinstance(block, Paragraph):
            for line in _wrap(block.text, 9):
                if LINE > pages.room():
                    pages.new_page()
                pages.text(MARGIN_X, line, fontsize=9)
                pages.y += LINE
            pages.y += LINE * 0.5
        elif isinstance(block, BulletList):
            for item in block.items:
                lines = _wrap(item, 9, TEXT_W - 0.25)
                for i, line in enumerate(lines):
                    if LINE > pages.room():
                        pages.new_page()
                    if i == 0:
                        pages.text(MARGIN_X + 0.05, "\u2022", fontsize=9)
                    pages.text(MARGIN_X + 0.25, line, fontsize=9)
                    pages.y += LINE
            pages.y += LINE * 0.5
        elif isinstance(block, Table):
            _table(pages, block)
        elif isinstance(block, FigureBlock):
            _figure(pages, block)
        else:
            raise TypeError(f"unknown block {type(block).__name__}")
