"""Render a :class:`~pipeline.reporting.document.Document` as one self-contained HTML page.

The page is the Jinja2 template ``templates/page.html.j2`` with the style sheet
``templates/report.css`` inlined (both package data); figures are drawn here and embedded as
base64 SVG data URIs, so the file needs nothing else. Autoescaping escapes every text. The
output depends only on the document: same document, same bytes.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import jinja2

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

#: Cells with text starting like this are styled as suppressed.
SUPPRESSED_PREFIX = "n < "

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("pipeline.reporting", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)


def _css() -> str:
    return (
        resources.files("pipeline.reporting")
        .joinpath("templates", "report.css")
        .read_text("utf-8")
        .rstrip("\n")
    )


def contents(document: Document, depth: int = 2) -> list[dict[str, Any]]:
    """The table of contents: every level-2 heading with an anchor, in order, each with its
    level-3 headings (``children``) when ``depth`` is 3."""
    out: list[dict[str, Any]] = []
    for b in document.blocks:
        if not isinstance(b, Heading) or not b.anchor:
            continue
        if b.level == 2:
            out.append({"anchor": b.anchor, "text": b.text, "children": []})
        elif b.level == 3 and depth >= 3 and out:
            out[-1]["children"].append({"anchor": b.anchor, "text": b.text})
    return out


def block_context(block: Block, document: Document | None = None) -> dict[str, Any]:
    """The template variables of one block (figures drawn to an SVG data URI here)."""
    if isinstance(block, Title):
        return {
            "kind": "title",
            "text": block.text,
            "subtitle": block.subtitle,
            "kicker": block.kicker,
            "anchor": block.anchor,
        }
    if isinstance(block, Contents):
        entries = contents(document, block.depth) if document is not None else []
        return {"kind": "contents", "title": block.title, "entries": entries}
    if isinstance(block, DefinitionList):
        return {"kind": "definitions", "entries": [list(i) for i in block.items]}
    if isinstance(block, PageBreak):
        return {"kind": "pagebreak"}
    if isinstance(block, Heading):
        return {"kind": "heading", "level": block.level, "text": block.text, "anchor": block.anchor}
    if isinstance(block, Paragraph):
        return {"kind": "paragraph", "text": block.text}
    if isinstance(block, BulletList):
        return {"kind": "list", "entries": list(block.items)}
    if isinstance(block, Table):
        links = [list(r) for r in block.links] or [["" for _ in row] for row in block.rows]
        return {
            "kind": "table",
            "caption": block.caption,
            "header": list(block.header),
            "rows": [
                [{"text": cell, "link": link} for cell, link in zip(row, lrow, strict=True)]
                for row, lrow in zip(block.rows, links, strict=True)
            ],
            "note": block.note,
            "anchor": block.anchor,
            "left": list(block.left),
        }
    if isinstance(block, FigureBlock):
        with figures.style():
            fig = figures.new_figure(block.width, block.height)
            block.draw(fig)
            uri = figures.to_svg_data_uri(fig)
        return {
            "kind": "figure",
            "uri": uri,
            "alt": block.alt or block.caption,
            "caption": block.caption,
            "width_px": int(block.width * 96),
            "anchor": block.anchor,
        }
    raise TypeError(f"unknown block {type(block).__name__}")


def render(document: Document) -> str:
    """The whole page as text (UTF-8 when written), ending in a newline."""
    page = _ENV.get_template("page.html.j2").render(
        lang=document.lang,
        title=document.title,
        css=jinja2.filters.Markup(_css()),
        blocks=[block_context(b, document) for b in document.blocks],
        suppressed_prefix=SUPPRESSED_PREFIX,
    )
    return page if page.endswith("\n") else page + "\n"
