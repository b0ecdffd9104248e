"""Numbering of the assembled research report: tables, figures and references in order of
appearance.

Sections write ``{table:<anchor>}`` and ``{figure:<anchor>}`` where they refer to a table or
figure, and ``[@key]`` or ``[@key1; @key2]`` where they cite; a table or figure caption starts
without its number. :func:`number` walks the finished blocks once: every table and figure with an
anchor gets the next number ("Table 3. ..." / "Figure 2. ..."), every reference to it is
replaced by "Table 3", and citations become "[4]" or "[4, 7]" in order of first citation.
:func:`reference_list` lists the cited references in that order. A reference to a table or
figure that the document does not hold is an error, so text never points at nothing.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence

from pipeline.reporting.document import (
    Block,
    BulletList,
    DefinitionList,
    FigureBlock,
    Heading,
    Paragraph,
    Table,
)

_REF = re.compile(r"\{(table|figure):([A-Za-z0-9_.\-]+)\}")
#: "Tables {table:a} to {table:b}": a range of tables (or figures).
_SPAN = re.compile(
    r"(Tables|Figures) \{(table|figure):([A-Za-z0-9_.\-]+)\} to \{(table|figure):([A-Za-z0-9_.\-]+)\}"
)
_CITE = re.compile(r"\[(@[A-Za-z0-9_]+(?:;\s*@[A-Za-z0-9_]+)*)\]")


@dataclasses.dataclass
class Numbers:
    """Table, figure and reference numbers as assigned."""

    tables: dict[str, int] = dataclasses.field(default_factory=dict)
    figures: dict[str, int] = dataclasses.field(default_factory=dict)
    citations: dict[str, int] = dataclasses.field(default_factory=dict)


def _texts(block: Block) -> list[str]:
    if isinstance(block, Paragraph | Heading):
        return [block.text]
    if isinstance(block, BulletList):
        return list(block.items)
    if isinstance(block, DefinitionList):
        return [t for pair in block.items for t in pair]
    if isinstance(block, Table):
        return [block.caption, block.note, *(c for row in block.rows for c in row)]
    if isinstance(block, FigureBlock):
        return [block.caption, block.alt]
    return []


def _cite_keys(text: str) -> list[str]:
    return [k.strip().lstrip("@") for m in _CITE.finditer(text) for k in m.group(1).split(";")]


def assign(blocks: Sequence[Block], references: Mapping[str, str]) -> Numbers:
    """Numbers of every anchored table and figure and of every cited reference."""
    numbers = Numbers()
    for block in blocks:
        if isinstance(block, Table) and block.anchor and block.caption:
            numbers.tables.setdefault(block.anchor, len(numbers.tables) + 1)
        if isinstance(block, FigureBlock) and block.anchor:
            numbers.figures.setdefault(block.anchor, len(numbers.figures) + 1)
        for text in _texts(block):
            for key in _cite_keys(text):
                if key not in references:
                    raise KeyError(f"unknown reference [@{key}]")
                numbers.citations.setdefault(key, len(numbers.citations) + 1)
    return numbers


def _resolve(text: str, numbers: Numbers) -> str:
    def number_of(kind: str, anchor: str) -> int:
        table = numbers.tables if kind == "table" else numbers.figures
        if anchor not in table:
            raise KeyError(f"reference to a missing {kind} '{anchor}'")
        return table[anchor]

    def span(match: re.Match[str]) -> str:
        first = number_of(match.group(2), match.group(3))
        last = number_of(match.group(4), match.group(5))
        return f"{match.group(1)} {first} to {last}"

    def ref(match: re.Match[str]) -> str:
        kind = match.group(1)
        return f"{'Table' if kind == 'table' else 'Figure'} {number_of(kind, match.group(2))}"

    def cite(match: re.Match[str]) -> str:
        keys = [k.strip().lstrip("@") for k in match.group(1).split(";")]
        return "[" + ", ".join(str(n) for n in sorted({numbers.citations[k] for k in keys})) + "]"

    text = _SPAN.sub(span, text)
    return _CITE.sub(cite, _REF.sub(ref, text))


def number(blocks: Sequence[Block], references: Mapping[str, str]) -> tuple[list[Block], Numbers]:
    """The blocks with numbered captions and resolved references and citations."""
    numbers = assign(blocks, references)
    out: list[Block] = []
    for block in blocks:
        if isinstance(block, Paragraph):
            out.append(Paragraph(_resolve(block.text, numbers)))
        elif isinstance(block, Heading):
            out.append(dataclasses.replace(block, text=_resolve(block.text, numbers)))
        elif isinstance(block, BulletList):
            out.append(BulletList(tuple(_resolve(t, numbers) for t in block.items)))
        elif isinstance(block, DefinitionList):
            out.append(
                DefinitionList(
                    tuple((_resolve(a, numbers), _resolve(b, numbers)) for a, b in block.items)
                )
            )
        elif isinstance(block, Table):
            caption = _resolve(block.caption, numbers)
            if block.anchor in numbers.tables and block.caption:
                caption = f"Table {numbers.tables[block.anchor]}. {caption}"
            out.append(
                dataclasses.replace(
                    block,
                    caption=caption,
                    note=_resolve(block.note, numbers),
                    rows=tuple(tuple(_resolve(c, numbers) for c in row) for row in block.rows),
                )
            )
        elif isinstance(block, FigureBlock):
            caption = _resolve(block.caption, numbers)
            if block.anchor in numbers.figures:
                caption = f"Figure {numbers.figures[block.anchor]}. {caption}"
            out.append(
                dataclasses.replace(block, caption=caption, alt=_resolve(block.alt, numbers))
            )
        else:
            out.append(block)
    return out, numbers


def reference_list(numbers: Numbers, references: Mapping[str, str]) -> DefinitionList:
    """The cited references in order of first citation: ("1.", text) pairs."""
    ordered = sorted(numbers.citations.items(), key=lambda kv: kv[1])
    return DefinitionList(tuple((f"{n}.", references[key]) for key, n in ordered))


def column_widths(table: Table) -> tuple[float, ...]:
    """Relative print widths of a table's columns from its text: each column as wide as its
    longest cell (capped, so that prose wraps), at least as wide as the longest word of its
    header; the label column a little wider."""
    columns = len(table.header)
    widths = []
    for i in range(columns):
        cells = [row[i] for row in table.rows if i < len(row)]
        longest = max((len(c.strip()) for c in cells), default=0)
        header = table.header[i]
        word = max((len(w) for w in header.split()), default=1)
        cap = 34 if i == 0 else 24
        widths.append(
            (max(min(longest, cap), min(len(header), 16), 1.25 * word, 4) + 2)
            * (1.15 if i == 0 else 1.0)
        )
    return tuple(widths)


def with_widths(blocks: Sequence[Block]) -> list[Block]:
    """Every table given its print widths (:func:`column_widths`) unless it has them."""
    return [
        dataclasses.replace(b, widths=column_widths(b))
        if isinstance(b, Table) and not b.widths
        else b
        for b in blocks
    ]
