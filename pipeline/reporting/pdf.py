"""Render a :class:`~pipeline.reporting.document.Document` as a tagged A4 PDF with Typst.

One Typst template (``templates/report.typ``, package data) lays out every report; the
document arrives as JSON in ``sys.inputs`` and each figure as SVG text (vector, drawn by the
same functions as in the HTML), so nothing is escaped into Typst markup by hand.

- Tagged PDF conforming to PDF/UA-1 (:data:`PDF_STANDARDS`): headings, tables with header
  rows, figures with alternative text, document language and title.
- Fonts: only DejaVu Sans as shipped inside the pinned matplotlib wheel
  (``matplotlib/mpl-data/fonts/ttf``; Bitstream Vera / DejaVu licence, free to embed and
  redistribute); system fonts are ignored, so the output does not depend on the machine.
  Typst embeds the subset it uses.
- Deterministic: the creation time stamp is the document's own date (the publication date,
  never the clock), so the same document gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import json
from importlib import resources
from pathlib import Path
from typing import Any

import matplotlib
import typst

from pipeline.reporting import figures
from pipeline.reporting.document import (
    Block,
    BulletList,
    Contents,
    DefinitionList,
    Document,
    FigureBlock,
    Heading,
    PageBreak,
    Paragraph,
    Table,
    Title,
)

#: PDF profile: PDF/UA-1 (accessible, tagged).
PDF_STANDARDS: list[str] = ["ua-1"]


def font_dir() -> Path:
    """The folder of the DejaVu fonts inside the installed matplotlib package."""
    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def _template() -> bytes:
    return resources.files("pipeline.reporting").joinpath("templates", "report.typ").read_bytes()


def _svg(block: FigureBlock) -> str:
    with figures.style():
        fig = figures.new_figure(block.width, block.height)
        block.draw(fig)
        return figures.to_svg_text(fig)


def block_data(block: Block, inputs: dict[str, str]) -> dict[str, Any]:
    """The JSON of one block; a figure's SVG goes into ``inputs`` under a new key."""
    if isinstance(block, Heading):
        return {"kind": "heading", "level": block.level, "text": block.text, "anchor": block.anchor}
    if isinstance(block, Paragraph):
        return {"kind": "paragraph", "text": block.text}
    if isinstance(block, BulletList):
        return {"kind": "list", "entries": list(block.items)}
    if isinstance(block, DefinitionList):
        return {"kind": "definitions", "entries": [list(i) for i in block.items]}
    if isinstance(block, Contents):
        return {"kind": "contents", "title": block.title, "depth": block.depth}
    if isinstance(block, PageBreak):
        return {"kind": "pagebreak"}
    if isinstance(block, Title):
        return {
            "kind": "title",
            "text": block.text,
            "subtitle": block.subtitle,
            "kicker": block.kicker,
            "anchor": block.anchor,
        }
    if isinstance(block, Table):
        cols = len(block.header)
        return {
            "kind": "table",
            "caption": block.caption,
            "header": list(block.header),
            "rows": [list(r) for r in block.rows],
            "note": block.note,
            "size": 8.5 if cols <= 6 else 7.5,
            "anchor": block.anchor,
            "links": [list(r) for r in block.links],
            "widths": [round(float(w), 3) for w in block.widths],
            "left": list(block.left),
        }
    if isinstance(block, FigureBlock):
        key = f"fig{len(inputs)}"
        inputs[key] = _svg(block)
        return {
            "kind": "figure",
            "input": key,
            "caption": block.caption,
            "alt": block.alt or block.caption,
            "width": round(block.width * 2.54, 3),
            "anchor": block.anchor,
        }
    raise TypeError(f"unknown block {type(block).__name__}")


def render(document: Document) -> bytes:
    """The document as PDF bytes (A4 portrait, tagged PDF/UA-1), identical for identical
    documents."""
    inputs: dict[str, str] = {}
    blocks = [block_data(b, inputs) for b in document.blocks]
    day = dt.date.fromisoformat(document.date)
    payload = {
        "title": document.title,
        "lang": document.lang,
        "meta": {
            "footer": document.footer,
            "author": document.author,
            "date": [day.year, day.month, day.day],
        },
        "blocks": blocks,
    }
    inputs["doc"] = json.dumps(payload, ensure_ascii=False, sort_keys=True)
    fonts = typst.Fonts(
        include_system_fonts=False, include_embedded_fonts=False, font_paths=[str(font_dir())]
    )
    compiler = typst.Compiler(font_paths=fonts, ignore_system_fonts=True)
    stamp = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    out = compiler.compile(
        input=_template(),
        format="pdf",
        sys_inputs=inputs,
        pdf_standards=PDF_STANDARDS,  # type: ignore[arg-type]
        timestamp=stamp,
    )
    if not isinstance(out, bytes):
        raise TypeError("typst returned no PDF")
    return out
