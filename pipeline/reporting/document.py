"""A small document model shared by the HTML and the PDF renderer.

A report is a list of blocks (headings, paragraphs, bullet lists, tables, figures); the annual
report's content is written once and rendered to both formats, so the HTML and the PDF cannot
disagree. Figures are drawing functions, called by each renderer on its own canvas.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from matplotlib.figure import Figure


@dataclass(frozen=True)
class Heading:
    """A section heading; ``level`` 1 (title), 2 or 3; ``anchor`` an HTML id."""

    text: str
    level: int = 2
    anchor: str = ""


@dataclass(frozen=True)
class Paragraph:
    """Plain text (no markup)."""

    text: str


@dataclass(frozen=True)
class BulletList:
    """Plain-text items."""

    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """A table of text cells; the first column is the row label."""

    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    note: str = ""
    anchor: str = ""


@dataclass(frozen=True)
class FigureBlock:
    """A figure: ``draw(fig)`` fills a figure of ``width`` x ``height`` inches."""

    caption: str
    width: float
    height: float
    draw: Callable[[Figure], None] = field(compare=False)
    alt: str = ""


Block = Heading | Paragraph | BulletList | Table | FigureBlock


@dataclass(frozen=True)
class Document:
    """A whole report: language, title and blocks."""

    lang: str
    title: str
    blocks: Sequence[Block]
