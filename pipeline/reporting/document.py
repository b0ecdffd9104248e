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
    """A table of text cells; the first column is the row label.

    ``links``, when given, has one tuple per row with one anchor per cell (``""``: no link):
    the cell links to the heading, table or figure with that anchor, in the HTML and the PDF.
    """

    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    note: str = ""
    anchor: str = ""
    links: tuple[tuple[str, ...], ...] = ()
    #: Relative column widths for print (the PDF); empty: the template's default rule.
    widths: tuple[float, ...] = ()
    #: Columns of text aligned left like the first (the others are right-aligned figures).
    left: tuple[int, ...] = ()


@dataclass(frozen=True)
class FigureBlock:
    """A figure: ``draw(fig)`` fills a figure of ``width`` x ``height`` inches."""

    caption: str
    width: float
    height: float
    draw: Callable[[Figure], None] = field(compare=False)
    alt: str = ""
    anchor: str = ""


@dataclass(frozen=True)
class Title:
    """The title block of a report: a kicker line above, the title, a subtitle below."""

    text: str
    subtitle: str = ""
    kicker: str = ""
    anchor: str = ""


@dataclass(frozen=True)
class DefinitionList:
    """Term -> description pairs (a glossary, the centre's details)."""

    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Contents:
    """A table of contents of the level-2 headings (to level ``depth``)."""

    title: str
    depth: int = 2


@dataclass(frozen=True)
class PageBreak:
    """A page break in print (nothing on screen)."""


Block = (
    Heading
    | Paragraph
    | BulletList
    | Table
    | FigureBlock
    | Title
    | DefinitionList
    | Contents
    | PageBreak
)


@dataclass(frozen=True)
class Document:
    """A whole report: language, title and blocks."""

    lang: str
    title: str
    blocks: Sequence[Block]
    #: Printed in the page footer of the PDF.
    footer: str = ""
    #: ISO date of the document (PDF metadata; never the clock).
    date: str = "2000-01-01"
    author: str = ""
