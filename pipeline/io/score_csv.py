"""Disk access for scoring: the item CSV of ``python -m pipeline score`` and the reference tables.

The item CSV is read exactly as an export's CSV tables are (``docs/input-format.md``: ``;`` or ``,``,
decimal comma or point, UTF-8 with or without BOM or Windows-1252), by reusing the ingest
reader :func:`pipeline.io.export_readers.read_csv_table` rather than a second dialect sniffer.
The output CSV keeps the input's delimiter and decimal mark, so a Dutch spreadsheet opens it as
it opened the input.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.config import PACKAGE_REFERENCE
from pipeline.errors import PipelineError
from pipeline.io import atomic_path
from pipeline.io.export_readers import (
    FieldCountError,
    decode_csv_bytes,
    read_csv_table,
    sniff_delimiter,
)

_UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class ItemCsv:
    """An item-level CSV as read: text cells, source line numbers and its dialect.

    Attributes
    ----------
    frame
        Every cell as text (``""`` = empty), columns as in the header.
    lines
        Line number of each row as the user sees it (header = 1, first data row = 2).
    name
        The file name, for messages.
    delimiter, decimal
        ``;`` with decimal comma, or ``,`` with decimal point.
    bom
        Whether to write a UTF-8 byte-order mark (the input had one or was Windows-1252, so
        that Excel recognises the UTF-8 output).
    """

    frame: pd.DataFrame
    lines: np.ndarray
    name: str
    delimiter: str
    decimal: str
    bom: bool


def read_item_csv(path: Path) -> ItemCsv:
    """Read an item-level CSV in any of the export's CSV dialects.

    Raises
    ------
    pipeline.errors.PipelineError
        The file is missing, unreadable, empty or not a valid CSV (one line, no cell values).
    """
    path = Path(path)
    if not path.is_file():
        raise PipelineError(f"{path.name}: no such file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PipelineError(f"{path.name} cannot be read ({exc.__class__.__name__})") from exc
    text = decode_csv_bytes(data, path.name)
    delimiter = sniff_delimiter(text)
    utf8 = True
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError:
        utf8 = False
    try:
        table = read_csv_table(path)
    except FieldCountError as exc:
        raise PipelineError(
            f"{path.name} line {exc.line} has {exc.fields} fields where the header has "
            f"{exc.expected}: fix that line (nothing was scored)"
        ) from exc
    return ItemCsv(
        frame=table.frame.astype(object),  # text cells, as the scorer and writer expect
        lines=np.asarray(table.rows, dtype=np.int64),
        name=path.name,
        delimiter=delimiter,
        decimal="," if delimiter == ";" else ".",
        bom=data.startswith(_UTF8_BOM) or not utf8,
    )


def check_item_paths(input: Path, output: Path) -> None:
    """Refuse an OUT that is a folder or the input file itself (before anything is read).

    Raises
    ------
    pipeline.errors.PipelineError
        One line naming the problem.
    """
    input, output = Path(input), Path(output)
    if output.is_dir():
        raise PipelineError(f"{output.name or output} is a folder: give OUT as a file name")
    same = input.resolve() == output.resolve()
    if not same and input.exists() and output.exists():
        same = os.path.samefile(input, output)
    if same:
        raise PipelineError(
            f"IN and OUT are the same file ({input.name}): choose another OUT "
            "(the input is never overwritten)"
        )


def os_error_message(exc: OSError, what: str) -> str:
    """A one-line description of an operating-system error while writing ``what``."""
    reasons = {
        errno.ENOSPC: "no space left on the device",
        errno.EDQUOT: "disk quota exceeded",
        errno.EACCES: "permission denied (is the folder read-only?)",
        errno.EPERM: "permission denied (is the folder read-only?)",
        errno.EROFS: "the file system is read-only",
        errno.EISDIR: "it is a folder",
        errno.ENOENT: "the folder does not exist",
        errno.ENOTDIR: "a part of the path is not a folder",
    }
    reason = reasons.get(exc.errno or 0, exc.strerror or exc.__class__.__name__)
    return f"cannot write {what}: {reason}"


def write_item_csv(
    frame: pd.DataFrame, path: Path, *, delimiter: str, decimal: str, bom: bool
) -> None:
    """Write the scored table atomically in the input's dialect (UTF-8, empty = missing).

    Raises
    ------
    pipeline.errors.PipelineError
        The file cannot be written (disk full, read-only folder, ...): one line, and no partial
        file is left behind.
    """
    path = Path(path)
    try:
        with atomic_path(path) as tmp:
            frame.to_csv(
                tmp,
                sep=delimiter,
                decimal=decimal,
                index=False,
                lineterminator="\n",
                encoding="utf-8-sig" if bom else "utf-8",
            )
    except OSError as exc:
        raise PipelineError(os_error_message(exc, path.name)) from exc


def read_reference_csv(name: str, folder: Path = PACKAGE_REFERENCE) -> pd.DataFrame:
    """One reference table shipped with the package (coefficients, recoding keys)."""
    path = Path(folder) / name
    try:
        return pd.read_csv(path, dtype={"term": str, "value_set": str})
    except FileNotFoundError as exc:
        raise PipelineError(f"reference table {name} is missing from {path.parent.name}/") from exc
