"""Read a ROM export folder (CSV files, one xlsx workbook, or sav files) into raw tables.

The contract is ``docs/input-format.md``. Readers only get cells off disk: every value
is parsed, checked and normalised by the pure code in :mod:`pipeline.ingest`. CSV cells are read
as text by pyarrow's CSV reader straight into dictionary-encoded columns (each distinct text
once; a million rows in well under a second), and by a careful record-by-record reader (pandas'
C parser, the ``csv`` module for the field counts) when a file needs it; both give the same
cells and row numbers. Spreadsheet and SPSS cells keep the type the file gives them (numbers,
dates, text).

Row numbers are those the user sees in the source: the header is row 1 and the first data row is
row 2. In a CSV file a record's row is the file line on which it starts, so blank lines and
quoted line breaks inside a cell are counted as a text editor counts them; in a workbook it is
the sheet's row number; in a ``.sav`` file (no header row) it is the case number + 1, so row
numbers mean the same thing in every format. Rows whose cells are all empty (blank lines, a row
of bare delimiters, trailing empty spreadsheet rows) hold no data and are not table rows.

Anything that makes a file unreadable is an :class:`~pipeline.errors.ExportError`: one line
naming the file, never a cell value.
"""

from __future__ import annotations

import codecs
import csv as _csv
import hashlib
import io
import json
import re
import warnings
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from pipeline.errors import ExportError

#: The marker file of a synthetic export (written by ``python -m pipeline synth``).
SYNTHETIC_MARKER = "SYNTHETIC.json"

_FORMATS = ("csv", "xlsx", "sav")
_UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class CsvOptions:
    """How to read CSV files (the ``ingest.csv`` block of ``params.yaml``).

    Attributes
    ----------
    delimiter
        ``"auto"`` (``;`` or ``,``, whichever the header line uses more), ``";"`` or ``","``.
    decimal
        ``"auto"`` (decimal comma and decimal point both accepted), ``","`` or ``"."``.
    encoding
        ``"auto"`` (UTF-8 with or without BOM, else Windows-1252), ``"utf-8"``, ``"utf-8-sig"``
        or ``"cp1252"``.
    date_format
        ``"auto"`` (``dd-mm-yyyy``, ``dd-mm-yyyy hh:mm[:ss]`` or ISO 8601) or one strptime
        format such as ``"%d-%m-%Y"``.
    """

    delimiter: Literal["auto", ";", ","] = "auto"
    decimal: Literal["auto", ",", "."] = "auto"
    encoding: Literal["auto", "utf-8", "utf-8-sig", "cp1252"] = "auto"
    date_format: str = "auto"


@dataclass(frozen=True)
class RawTable:
    """One table of an export, as read from disk.

    Attributes
    ----------
    name
        Table name: the file stem or sheet name, trimmed and lower-cased (``trajectories``,
        ``ssd12`` ...).
    frame
        The cells, columns named as in the file header (unnamed columns become ``unnamed_<k>``,
        k the 1-based column position). CSV cells are text (``""`` = empty); workbook and SPSS
        cells keep their type (``None``/NaN = empty). The index is a plain range.
    rows
        Source row number of each frame row (int64, header = 1, first data row = 2).
    source
        Where the table comes from, for messages: ``"ssd12.csv"`` or
        ``"export.xlsx, sheet ssd12"``.
    fmt
        ``"csv"``, ``"xlsx"`` or ``"sav"``: the CSV dialect options (decimal mark, date format)
        apply to CSV text only.
    labels
        SPSS value labels per column (value -> label), empty for other formats; an export
        profile may add a codebook's labels (:mod:`pipeline.ingest.layout`).
    missing_codes
        SPSS user-missing codes per column (read as missing; kept for the codebook check).
    codings
        Recoding of item answers per canonical item column (an export profile's ``coding``),
        applied by ingest before the range check; empty: answers are read as they are.
    problems
        Quarantine reasons found before ingest (a long file's pivot): ``(mask, reason)``
        pairs over the rows.
    row_counts
        Source records per row when a row was built from several (a long file's
        administration), else ``None`` (one record per row).
    set_aside
        Source records that are not rows of this table, by reason (another respondent type,
        a test dossier, a non-response record ...): counted, never silently dropped.
    csv
        The CSV settings this file was read with when they differ from ``ingest.csv`` (an
        export profile's), so its decimal mark and date format are used to parse it.
    """

    name: str
    frame: pd.DataFrame
    rows: np.ndarray
    source: str
    fmt: str = "csv"
    labels: dict[str, dict[Any, str]] = field(default_factory=dict)
    missing_codes: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    codings: Mapping[str, Any] = field(default_factory=dict)
    problems: tuple[tuple[np.ndarray, str], ...] = ()
    row_counts: np.ndarray | None = None
    set_aside: Mapping[str, int] = field(default_factory=dict)
    csv: CsvOptions | None = None


def read_export(
    export_dir: Path, fmt: str = "auto", csv: CsvOptions | None = None
) -> dict[str, RawTable]:
    """Read every table of the export folder ``export_dir``.

    Parameters
    ----------
    export_dir
        The export folder.
    fmt
        ``"auto"`` (whichever of CSV, xlsx or sav files the folder holds), ``"csv"``,
        ``"xlsx"`` or ``"sav"``. Files of other types (``SYNTHETIC.json``, ``EXPORT.json``, a
        README) are ignored, except that their names are checked for identifiers by ingest.
    csv
        CSV dialect options; defaults detect everything.

    Returns
    -------
    dict
        Table name -> :class:`RawTable`, in file (or sheet) order.

    Raises
    ------
    ExportError
        The folder is missing or holds no (or mixed) table files, a file is empty, binary,
        undecodable or not parseable, two files give the same table name, or more than one
        workbook is present.
    """
    csv = csv or CsvOptions()
    export_dir = Path(export_dir)
    if not export_dir.is_dir():
        raise ExportError(f"export folder {export_dir} not found")
    by_format: dict[str, list[Path]] = {f: [] for f in _FORMATS}
    for path in sorted(export_dir.iterdir()):
        if not path.is_file() or path.name.startswith((".", "~$")):
            continue
        suffix = path.suffix.lower().lstrip(".")
        if suffix in by_format:
            by_format[suffix].append(path)
    fmt = _choose_format(fmt, by_format, export_dir)
    files = by_format[fmt]
    if fmt == "csv":
        tables = [read_csv_table(path, csv) for path in files]
    elif fmt == "xlsx":
        if len(files) > 1:
            names = ", ".join(p.name for p in files)
            raise ExportError(
                f"export folder {export_dir.name} holds more than one workbook ({names})"
            )
        tables = read_xlsx_tables(files[0])
    else:
        tables = [read_sav_table(path) for path in files]
    out: dict[str, RawTable] = {}
    for table in tables:
        if table.name in out:
            raise ExportError(
                f"table '{table.name}' appears twice in the export "
                f"({out[table.name].source} and {table.source})"
            )
        out[table.name] = table
    return out


def is_synthetic_export(export_dir: Path) -> bool:
    """Whether ``export_dir`` is a synthetic export exactly as the generator wrote it.

    ``SYNTHETIC.json`` must say ``"synthetic": true`` and carry, under ``"sha256"``, the
    SHA-256 of every file of the folder and its subfolders (hidden files aside; keys are
    paths relative to the folder, ``epd/trajecten.csv``) as written; a file added, removed or
    changed afterwards makes the export an ordinary one (that needs a real pseudonym key).
    """
    export_dir = Path(export_dir)
    data = _read_manifest(export_dir / SYNTHETIC_MARKER)
    if data is None or data.get("synthetic") is not True:
        return False
    digests = data.get("sha256")
    if not isinstance(digests, dict) or not digests:
        return False
    present = set(export_files(export_dir)) - {SYNTHETIC_MARKER}
    if present != set(digests):
        return False
    for name, digest in digests.items():
        try:
            actual = hashlib.sha256((export_dir / name).read_bytes()).hexdigest()
        except OSError:
            return False
        if actual != digest:
            return False
    return True


#: An optional manifest a real export may carry: ``{"written_on": "YYYY-MM-DD"}``.
EXPORT_MANIFEST = "EXPORT.json"


def export_files(export_dir: Path) -> list[str]:
    """Every file of the export folder and its subfolders, as sorted relative POSIX paths.

    Hidden files and folders (``.name``) and Office lock files (``~$name``) are left out.
    """
    export_dir = Path(export_dir)
    found = []
    for path in export_dir.rglob("*"):
        rel = path.relative_to(export_dir)
        if any(part.startswith((".", "~$")) for part in rel.parts) or not path.is_file():
            continue
        found.append(rel.as_posix())
    return sorted(found)


def export_written_on(export_dir: Path) -> str | None:
    """The day the export files were written, from the export's metadata, or ``None``.

    The metadata is ``EXPORT.json`` (a real export's optional manifest) or ``SYNTHETIC.json``
    (the generator's), first found wins, key ``"written_on"`` (ISO ``YYYY-MM-DD``). File
    modification times are not used: they change when files are copied.

    Raises
    ------
    ExportError
        The manifest exists but is not JSON, or its ``written_on`` is not a date.
    """
    for name in (EXPORT_MANIFEST, SYNTHETIC_MARKER):
        path = Path(export_dir) / name
        if not path.is_file():
            continue
        data = _read_manifest(path)
        if data is None:
            raise ExportError(f"{name} in the export folder is not a JSON object")
        value = data.get("written_on")
        if value is None:
            continue
        try:
            return str(np.datetime64(str(value), "D"))
        except ValueError as exc:
            raise ExportError(f"{name}: written_on is not a date YYYY-MM-DD") from exc
    return None


def _read_manifest(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _choose_format(fmt: str, by_format: dict[str, list[Path]], export_dir: Path) -> str:
    if fmt != "auto":
        if fmt not in by_format:
            raise ExportError(f"unknown export format '{fmt}' (use auto, csv, xlsx or sav)")
        if not by_format[fmt]:
            raise ExportError(f"export folder {export_dir.name} holds no .{fmt} files")
        return fmt
    present = [f for f in _FORMATS if by_format[f]]
    if not present:
        raise ExportError(
            f"export folder {export_dir.name} holds no table files (.csv, .xlsx or .sav)"
        )
    if len(present) > 1:
        raise ExportError(
            f"export folder {export_dir.name} mixes {' and '.join('.' + f for f in present)} "
            "files: keep one format or set ingest.format in params.yaml"
        )
    return present[0]


def _table_name(stem: str) -> str:
    return stem.strip().lower()


# --------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------


def read_csv_table(path: Path, options: CsvOptions | None = None) -> RawTable:
    """Read one CSV file of an export.

    The cells are read by pyarrow's CSV reader straight into dictionary-encoded columns
    (:func:`_arrow_frame`); a file that reader cannot take exactly as the careful reader does
    (unbalanced quotes, a record with another number of fields, blank lines before the header,
    a lone carriage return inside a line, a one-column file) is read by the careful reader,
    which refuses it with its one-line error or reads it cell by cell with pandas' C parser
    (:func:`_careful_frame`). Both give the same cells and row numbers.

    Parameters
    ----------
    path
        The file; its stem names the table.
    options
        Delimiter and encoding (``decimal`` and ``date_format`` are used by the parsers).

    Returns
    -------
    RawTable
        Cells as text in categorical columns (``""`` = empty), with each record's source line.

    Raises
    ------
    ExportError
        Empty, binary, UTF-16 or undecodable file, or a malformed CSV (more fields than the
        header, an unclosed quote).
    """
    options = options or CsvOptions()
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ExportError(f"{path.name} cannot be read ({exc.__class__.__name__})") from exc
    text, encoding = _decode_csv(data, path.name, options.encoding)
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
    if not text or text.isspace():  # ``not text.strip()`` without a copy of the text
        raise ExportError(f"{path.name} is empty")
    delimiter = options.delimiter if options.delimiter != "auto" else sniff_delimiter(text)
    header = _first_record(text, delimiter, path.name)
    name = _table_name(path.stem)
    utf8 = encoding in ("utf-8", "utf-8-sig")
    fast = _arrow_frame(data if utf8 else text.encode("utf-8"), data, delimiter, header)
    if fast is None:
        frame, rows = _careful_frame(data, text, delimiter, header, path.name, name)
    else:
        frame, rows = fast
    return RawTable(name=name, frame=frame, rows=rows, source=path.name)


def _careful_frame(
    data: bytes, text: str, delimiter: str, header: list[str], file: str, table: str
) -> tuple[pd.DataFrame, np.ndarray]:
    """The cells (categorical text) and source lines of a CSV file, read record by record.

    The field count of every record is checked first (a vectorised scan of the bytes, or the
    ``csv`` module when quoting fools it); then pandas' C parser reads the cells as text.
    """
    fast_lines = check_field_counts(data, text, delimiter, len(header), file, table)
    # A file whose lines end in a carriage return only: pandas' C parser, left to find the
    # line ends itself, takes the header for a data row when the next line starts with a space.
    cr_only = "\n" not in text and "\r" in text
    try:
        # pandas warns ("Length of header or names does not match length of data") when
        # quoting fooled the byte scan and a record has another field count; such a file is
        # refused below (by the csv module's field check, or else as ambiguous), never read.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            frame = pd.read_csv(
                io.StringIO(text),
                sep=delimiter,
                lineterminator="\r" if cr_only else None,
                header=0,
                names=list(range(len(header))),
                index_col=False,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                engine="c",
                skip_blank_lines=True,
                quotechar='"',
                doublequote=True,
            )
    except pd.errors.EmptyDataError as exc:
        raise ExportError(f"{file} is empty") from exc
    except pd.errors.ParserError as exc:
        raise ExportError(f"{file} is not a valid CSV file: {_parser_problem(exc)}") from exc
    frame.columns = pd.Index(_name_columns(header), dtype=object)
    lines = fast_lines
    if lines is None or len(lines) != len(frame) + 1:
        # The byte-level scan was fooled by quoting: the csv module decides (and refuses a
        # record whose field count differs from the header's).
        _slow_field_check(text, delimiter, len(header), file, table)
        lines = _record_lines_slow(text, delimiter)
    if any(issubclass(w.category, pd.errors.ParserWarning) for w in caught):
        _slow_field_check(text, delimiter, len(header), file, table)
        raise ExportError(  # pragma: no cover - defensive: the check above refuses these
            f"{file} is not a valid CSV file: its quoting cannot be read unambiguously (table "
            f"{table}; quote cells that hold the delimiter, a quote or a line break)"
        )
    for w in caught:  # pragma: no cover - pandas gives no other warnings with dtype=str
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if lines is None or len(lines) != len(frame) + 1:  # pragma: no cover - defensive
        lines = np.arange(1, len(frame) + 2, dtype=np.int64)
    rows = np.asarray(lines[1:], dtype=np.int64)
    keep = _non_empty_text_rows(frame)
    if not keep.all():
        frame = frame.loc[keep].reset_index(drop=True)
        rows = rows[keep]
    out = pd.DataFrame(
        {k: pd.Categorical(frame.iloc[:, k].to_numpy(dtype=object)) for k in range(len(header))},
        copy=False,
    )
    out.columns = frame.columns
    return out, rows


#: A carriage return that does not end a line (in a file with line feeds).
_LONE_CR = re.compile(rb"\r(?!\n)")


def _text_categories(texts: np.ndarray) -> pd.CategoricalDtype:
    """The dtype of a categorical column with these distinct texts (a pyarrow dictionary) as
    categories.

    A pyarrow dictionary holds each text once and no null, so pandas' checks of the categories
    (a hash of every distinct text, repeated whenever a categorical is made) are answered
    beforehand in the index's cache, where pandas keeps them.
    """
    index = pd.Index(texts, dtype=object)
    cache = getattr(index, "_cache", None)
    if isinstance(cache, dict):
        cache.setdefault("is_unique", True)
        cache.setdefault("hasnans", False)
    return pd.CategoricalDtype(index)


def _plain_quoting(data: bytes, delimiter: str) -> bool:
    """Whether every quote of ``data`` is plain RFC 4180 quoting (vectorised over the quotes).

    A quote opens a cell right after a delimiter, a line break or the start of the file; inside
    the cell a quote is doubled; the closing quote is followed by a delimiter, a line break or
    the end of the file; and no quote appears in an unquoted cell. Counting quotes from the
    start, an even count before a quote means it opens a cell (or is the second of a doubled
    pair, right after the first), an odd count that it closes one (or is the first of a pair,
    right before the second).
    """
    buf = np.frombuffer(data, dtype=np.uint8)
    at = np.flatnonzero(buf == ord('"'))
    if len(at) % 2:
        return False
    bounds = np.array([ord(delimiter), ord("\n"), ord("\r")], dtype=np.uint8)
    opening = at[0::2]
    closing = at[1::2]
    before = np.where(opening > 0, buf[np.maximum(opening - 1, 0)], ord("\n"))
    after_pos = closing + 1
    after = np.where(after_pos < len(buf), buf[np.minimum(after_pos, len(buf) - 1)], ord("\n"))
    opens_cell = np.isin(before, bounds)
    doubled_second = before == ord('"')  # the second quote of a pair ("")
    closes_cell = np.isin(after, bounds)
    doubled_first = after == ord('"')  # the first quote of a pair
    return bool((opens_cell | doubled_second).all() and (closes_cell | doubled_first).all())


#: Bytes per block of pyarrow's CSV reader (a record must fit in one block).
ARROW_BLOCK_BYTES = 16 * 1024 * 1024


def _arrow_frame(
    body: bytes, data: bytes, delimiter: str, header: list[str]
) -> tuple[pd.DataFrame, np.ndarray] | None:
    """The cells (categorical text) and source lines of a CSV file read by pyarrow
    (:func:`_arrow_columns`), or ``None`` when the file needs the careful reader
    (:func:`_careful_frame`)."""
    found = _arrow_columns(body, data, delimiter, len(header))
    if found is None:
        return None
    codes, categories, rows = found
    columns = {
        k: pd.Categorical.from_codes(
            codes[k], dtype=_text_categories(categories[k]), validate=False
        )
        for k in range(len(header))
    }
    frame = pd.DataFrame(columns, copy=False)
    frame.columns = pd.Index(_name_columns(header), dtype=object)
    return frame, rows


def _arrow_columns(
    body: bytes, data: bytes, delimiter: str, width: int, threads: bool = True
) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray] | None:
    """The cells and source lines of a CSV file read by pyarrow (:func:`_arrow_table`, then
    :func:`_arrow_codes`), or ``None`` when the file needs the careful reader."""
    found = _arrow_table(body, data, delimiter, width, threads)
    return None if found is None else _arrow_codes(*found)


def _arrow_table(
    body: bytes, data: bytes, delimiter: str, width: int, threads: bool = True
) -> tuple[Any, np.ndarray] | None:
    """A CSV file read by pyarrow into dictionary-encoded columns, and the source line of
    every record, or ``None`` when the file needs the careful reader.

    Every column is read as dictionary-encoded text (one code per cell, each distinct text
    once), so no Python string is made per cell. pyarrow's reader takes quotes, doubled quotes
    and line breaks inside quotes as pandas' C parser and the ``csv`` module do; the cases
    where they could differ are left to the careful reader: quotes that are not plain RFC 4180
    quoting (:func:`_plain_quoting`: an unclosed quote, a quote inside an unquoted cell, text
    after a closing quote), blank lines before the header, a carriage return that is not part
    of a line end, a header of one column (pandas skips lines of spaces there), and any record
    pyarrow refuses (a field count other than the header's, which the careful reader then
    reports with its record and line).

    Parameters
    ----------
    body
        The file's content as UTF-8 (without a BOM).
    data
        The file's bytes without a BOM (for the line numbers: line breaks and quotes are the
        same single bytes in UTF-8 and Windows-1252).
    delimiter
        ``;`` or ``,``.
    width
        The header's number of fields.
    threads
        Let pyarrow parse blocks on several threads (faster in wall time for a table of an
        export; a long file of a gigabyte is read on one, which takes less memory and CPU).

    Returns
    -------
    table, rows
        The pyarrow table (one dictionary column per field, one chunk per block) and the
        source line of every record; the table holds its own copy of the texts.
    """
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    if width < 2 or len(delimiter) != 1 or not body or body[:1] in (b"\r", b"\n"):
        return None
    newline = b"\n" if b"\n" in data else b"\r"
    if newline == b"\n" and b"\r" in data and _LONE_CR.search(data):
        return None  # a carriage return inside a line: the parsers split records differently
    quotes = data.count(b'"')
    if quotes and not _plain_quoting(data, delimiter):
        return None
    names = [f"f{k}" for k in range(width)]
    text_type = pa.dictionary(pa.int32(), pa.string())
    try:
        table = pa_csv.read_csv(
            pa.py_buffer(body),
            read_options=pa_csv.ReadOptions(
                column_names=names, skip_rows_after_names=1, use_threads=threads,
                block_size=ARROW_BLOCK_BYTES,
            ),
            parse_options=pa_csv.ParseOptions(
                delimiter=delimiter, quote_char='"', double_quote=True, escape_char=False,
                newlines_in_values=quotes > 0, ignore_empty_lines=True,
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types={n: text_type for n in names}, strings_can_be_null=False,
                quoted_strings_can_be_null=False, check_utf8=False,
            ),
        )  # fmt: skip
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    n = table.num_rows
    line_count = data.count(newline) + (not data.endswith(newline))
    if quotes == 0 and line_count == n + 1:
        # every line a record (no blank line, no quoted line break): record k is on line k + 2
        rows = np.arange(2, n + 2, dtype=np.int64)
    else:
        lines = record_lines(data)
        if lines is None or len(lines) != n + 1 or lines[0] != 1:
            return None
        rows = np.asarray(lines[1:], dtype=np.int64)
    return table, rows


def _arrow_codes(
    table: Any, rows: np.ndarray
) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
    """Per column of a table :func:`_arrow_table` read: the code of every data record (rows of
    bare delimiters left out, with their lines) and the distinct texts (in order of first
    appearance in the file: each block's dictionary holds its texts in that order, and the
    blocks' dictionaries are joined in file order); and the records' lines.

    Column by column, so that a file of tens of millions of rows never holds more than one
    extra copy of one column's codes.
    """
    n, width = table.num_rows, table.num_columns
    pending = [table.column(k) for k in range(width)]
    del table
    codes: list[np.ndarray] = []
    dictionaries: list[np.ndarray] = []
    empty = np.ones(n, dtype=bool)
    for k in range(width):
        column, pending[k] = pending[k], None
        indices, dictionary = _joined_blocks(column.chunks, n)
        del column
        codes.append(indices)
        dictionaries.append(dictionary)
        if empty.any():
            blank = np.flatnonzero(dictionary == "")
            empty &= indices == (blank[0] if len(blank) else -1)
    if empty.any():  # rows of bare delimiters hold no data and are no rows
        keep = ~empty
        codes = [c[keep] for c in codes]
        rows = rows[keep]
    return codes, dictionaries, rows


def _joined_blocks(chunks: list[Any], n: int) -> tuple[np.ndarray, np.ndarray]:
    """One column's dictionary-encoded blocks as one array of codes (int32) into one array of
    distinct texts: the blocks' dictionaries concatenated in order and factorised, each
    block's codes mapped through its part."""
    if len(chunks) == 1:
        chunk = chunks[0]
        return (
            chunk.indices.to_numpy(zero_copy_only=False),
            chunk.dictionary.to_numpy(zero_copy_only=False),
        )
    parts = [c.dictionary.to_numpy(zero_copy_only=False) for c in chunks]
    if not parts:
        return np.empty(0, dtype=np.int32), np.empty(0, dtype=object)
    joined, texts = pd.factorize(np.concatenate(parts))
    out = np.empty(n, dtype=np.int32)
    at = start = 0
    for chunk, part in zip(chunks, parts, strict=True):
        remap = np.asarray(joined[start : start + len(part)], dtype=np.int32)
        start += len(part)
        indices = chunk.indices.to_numpy(zero_copy_only=False)
        np.take(remap, indices, out=out[at : at + len(indices)])
        at += len(indices)
    return out, np.asarray(texts, dtype=object)


def in_order_of_appearance(codes: np.ndarray, n_categories: int) -> bool:
    """Whether codes number their categories in order of first appearance, each used, none
    missing (-1): the first code is 0 and every code is at most one above all codes before it.

    Then the codes are what :func:`pandas.factorize` gives for the cells they stand for.
    """
    if not len(codes):
        return n_categories == 0
    if codes[0] != 0 or codes.min() < 0:
        return False
    running = np.maximum.accumulate(codes)
    return bool(running[-1] == n_categories - 1 and (codes[1:] <= running[:-1] + 1).all())


class FieldCountError(ExportError):
    """A CSV record whose number of fields differs from the header's.

    Attributes
    ----------
    file, table
        The file name and its table name.
    record
        The data record's number (1 = the first record after the header).
    line
        The file line on which the record starts (header = line 1 when it is the first line).
    fields, expected
        Fields in the record and in the header.
    """

    def __init__(
        self, file: str, table: str, record: int, line: int, fields: int, expected: int
    ) -> None:
        self.file, self.table, self.record, self.line = file, table, record, line
        self.fields, self.expected = fields, expected
        super().__init__(
            f"{file} is not a valid CSV file: record {record} has {fields} fields where the "
            f"header has {expected} (table {table}, line {line}; the export is refused rather "
            "than cells shifted, dropped or padded)"
        )


def check_field_counts(
    data: bytes, text: str, delimiter: str, expected: int, file: str, table: str
) -> np.ndarray | None:
    """Refuse a CSV file in which a record has another number of fields than the header.

    A vectorised scan of the bytes counts the delimiters outside quotes per record; when it
    finds a mismatch, or the quotes do not balance, the ``csv`` module (which reads quotes as
    the CSV parser does) re-reads the file record by record and decides. Blank lines are no
    records. A record of bare delimiters (all cells empty) must still have the header's width.

    Parameters
    ----------
    data
        The file's bytes without a BOM.
    text
        The decoded text.
    delimiter
        ``;`` or ``,``.
    expected
        The header's number of fields.
    file, table
        For the message.

    Returns
    -------
    numpy.ndarray or None
        The start line of the header and every data record (as :func:`record_lines`), or
        ``None`` when only the slow check could be used.

    Raises
    ------
    FieldCountError
        The first record with another number of fields (record number and line, no value).
    """
    counted = _fast_field_counts(data, delimiter)
    if counted is not None:
        lines, fields = counted
        if len(fields) and (fields[1:] == expected).all():
            return lines
    _slow_field_check(text, delimiter, expected, file, table)
    return None


def _fast_field_counts(data: bytes, delimiter: str) -> tuple[np.ndarray, np.ndarray] | None:
    """Start line and field count of every non-blank record, from the bytes (vectorised)."""
    if len(delimiter.encode("utf-8")) != 1:
        return None
    buf = np.frombuffer(data, dtype=np.uint8)
    newline = ord("\n") if b"\n" in data else ord("\r")
    quotes = np.flatnonzero(buf == ord('"'))
    if len(quotes) % 2:
        return None
    nl = np.flatnonzero(buf == newline)
    seps = nl[np.searchsorted(quotes, nl) % 2 == 0]
    starts = np.concatenate(([0], seps + 1))
    ends = np.concatenate((seps, [len(buf)]))
    length = ends - starts
    carriage = np.zeros(len(starts), dtype=bool)
    one = np.flatnonzero(length == 1)
    if len(one):
        carriage[one] = buf[starts[one]] == ord("\r")
    blank = (length == 0) | carriage
    delims = np.flatnonzero(buf == ord(delimiter))
    if len(quotes):
        delims = delims[np.searchsorted(quotes, delims) % 2 == 0]
    # delimiters between one record's start and the next record's start (1M searches into
    # the sorted delimiter positions, rather than every delimiter into the records)
    bounds = np.searchsorted(delims, np.append(starts, len(buf) + 1))
    fields = np.diff(bounds).astype(np.int64) + 1
    lines = np.searchsorted(nl, starts) + 1
    return np.asarray(lines[~blank], dtype=np.int64), fields[~blank]


def _slow_field_check(
    text: str,
    delimiter: str,
    expected: int,
    file: str,
    table: str,
    *,
    header: bool = True,
    first_line: int = 1,
    first_record: int = 1,
) -> None:
    """The field-count check with the ``csv`` module; raises on the first bad record.

    ``header`` false: ``text`` is a later piece of a file (no header in it) whose first line
    is file line ``first_line`` and whose first record is data record ``first_record``.
    """
    reader = _csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    previous_end = 0
    seen_header = not header
    record = first_record - 1
    try:
        for cells in reader:
            start = previous_end + first_line
            previous_end = reader.line_num
            if not cells:
                continue
            if not seen_header:
                if any(cell.strip() for cell in cells):
                    seen_header = True
                continue
            record += 1
            if len(cells) != expected:
                raise FieldCountError(file, table, record, start, len(cells), expected)
    except _csv.Error as exc:
        raise ExportError(
            f"{file}: table {table} is not a valid CSV file (record {record + 1} cannot be read)"
        ) from exc


def decode_csv_bytes(data: bytes, name: str, encoding: str = "auto") -> str:
    """Decode a CSV file's bytes: UTF-8 (with or without BOM), else Windows-1252.

    Parameters
    ----------
    data
        The file content.
    name
        File name, for messages.
    encoding
        ``"auto"`` or an explicit codec (``utf-8``, ``utf-8-sig``, ``cp1252``).

    Raises
    ------
    ExportError
        UTF-16/32 content, binary content (NUL or many control bytes) or bytes that the
        encoding cannot decode.
    """
    return _decode_csv(data, name, encoding)[0]


def _decode_csv(data: bytes, name: str, encoding: str = "auto") -> tuple[str, str]:
    """:func:`decode_csv_bytes`, also returning the codec that decoded the text."""
    check_text_bytes(data, name)
    if encoding == "auto":
        if data.startswith(_UTF8_BOM):
            return _decode(data, "utf-8-sig", name), "utf-8-sig"
        try:
            return data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
        try:
            return data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError as exc:
            raise ExportError(
                f"{name} cannot be decoded as UTF-8 or Windows-1252 (byte {exc.start + 1})"
            ) from exc
    if encoding == "utf-8" and data.startswith(_UTF8_BOM):
        encoding = "utf-8-sig"
    return _decode(data, encoding, name), encoding


def check_text_bytes(data: bytes, name: str) -> None:
    """Refuse UTF-16/32 and binary content (NUL bytes, many control bytes) with one line.

    Raises
    ------
    ExportError
        Naming the file.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ExportError(f"{name} is UTF-16 encoded: save it as UTF-8 or Windows-1252 CSV")
    if b"\x00" in data:
        sample = data[:4096]
        even, odd = sample[0::2], sample[1::2]
        if even.count(0) > 0.4 * len(even) or odd.count(0) > 0.4 * len(odd):
            raise ExportError(f"{name} is UTF-16 encoded: save it as UTF-8 or Windows-1252 CSV")
        raise ExportError(f"{name} is not a text file (binary content)")
    sample = data[:65536]
    control = sum(sample.count(bytes([b])) for b in (*range(1, 9), 11, 12, *range(14, 32)))
    if sample and control > 0.01 * len(sample):
        raise ExportError(f"{name} is not a text file (binary content)")


def _decode(data: bytes, encoding: str, name: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ExportError(f"{name} cannot be decoded as {encoding} (byte {exc.start + 1})") from exc
    except LookupError as exc:
        raise ExportError(f"unknown CSV encoding '{encoding}'") from exc


#: Characters of a CSV text in which :func:`_first_record` looks for the header first.
_HEAD_CHARS = 1 << 16


def _first_record(text: str, delimiter: str, name: str) -> list[str]:
    """The header: the first non-blank record, cells trimmed.

    The complete lines of the text's first :data:`_HEAD_CHARS` characters are read first (a
    header ends there in any real export); only when the first record does not end among them
    is the whole text read.
    """
    if len(text) > _HEAD_CHARS:
        head = text[:_HEAD_CHARS]
        cut = max(head.rfind("\n"), head.rfind("\r"))
        try:
            found = _first_record_in(head[: cut + 1], delimiter, before_end=True)
        except _csv.Error:
            found = None
        if found is not None:
            return found
    try:
        found = _first_record_in(text, delimiter)
    except _csv.Error as exc:
        raise ExportError(f"{name} is not a valid CSV file: the header cannot be read") from exc
    if found is None:
        raise ExportError(f"{name} is empty")
    return found


def _first_record_in(text: str, delimiter: str, before_end: bool = False) -> list[str] | None:
    """The first non-blank record of ``text`` (cells trimmed), ``None`` when it has none.

    ``before_end``: ``None`` also when the record reaches the end of ``text`` (``text`` is the
    head of a longer text, whose record may go on: the ``csv`` module ends an open quoted cell
    at the end of its input).

    Raises
    ------
    csv.Error
        The record cannot be read.
    """
    source = io.StringIO(text, newline="")
    reader = _csv.reader(source, delimiter=delimiter)
    for record in reader:
        if any(cell.strip() for cell in record):
            if before_end and source.tell() >= len(text):
                return None
            return [cell.strip() for cell in record]
    return None


_LEADING_BREAKS = re.compile(r"[\r\n]*")


def sniff_delimiter(text: str) -> str:
    """``;`` or ``,``: whichever occurs more often in the first line outside quotes."""
    start = _LEADING_BREAKS.match(text)
    begin = start.end() if start else 0
    end = text.find("\n", begin)
    first = text[begin:end] if end >= 0 else text[begin:]
    outside = re.sub(r'"[^"]*"', "", first)
    return ";" if outside.count(";") >= outside.count(",") and ";" in outside else ","


def _parser_problem(exc: Exception) -> str:
    message = str(exc)
    match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
    if match:
        expected, line, saw = match.groups()
        return f"record {line} has {saw} fields where the header has {expected}"
    if "EOF inside string" in message or "EOF" in message:
        return "a quoted cell is never closed"
    return "the CSV parser failed"


def _name_columns(header: list[str]) -> list[str]:
    return [name if name else f"unnamed_{k}" for k, name in enumerate(header, start=1)]


def _non_empty_text_rows(frame: pd.DataFrame) -> np.ndarray:
    """True for rows with at least one non-empty text cell (vectorised, narrowing per column).

    A row whose cells are all ``""`` (a line of bare delimiters) is no row; a cell of spaces
    counts as content here, so such a row is read (and then quarantined for its missing ids).
    """
    empty = np.ones(len(frame), dtype=bool)
    for column in range(frame.shape[1]):
        candidates = np.flatnonzero(empty)
        if not len(candidates):
            break
        cells = frame.iloc[:, column].to_numpy(dtype=object)[candidates]
        empty[candidates] = cells == ""
    return ~empty


def record_lines(data: bytes) -> np.ndarray | None:
    """The line on which each non-blank CSV record starts (1-based), from the raw bytes.

    A line break inside a quoted cell does not end a record (quotes are counted: an even number
    before a line break means it is outside quotes; ``""`` escapes count twice). Blank lines
    are skipped, as the CSV parser skips them. Vectorised over the bytes.

    Parameters
    ----------
    data
        The file content without a BOM (UTF-8 or Windows-1252: line breaks and quotes are single
        bytes in both).

    Returns
    -------
    numpy.ndarray or None
        int64 line numbers of the header and every data record, or ``None`` when quotes are
        unbalanced (the caller then falls back to a record-by-record count).
    """
    buf = np.frombuffer(data, dtype=np.uint8)
    newline = ord("\n") if b"\n" in data else ord("\r")
    nl = np.flatnonzero(buf == newline)
    quotes = np.flatnonzero(buf == ord('"'))
    if len(quotes) % 2:
        return None
    outside = np.searchsorted(quotes, nl) % 2 == 0
    seps = nl[outside]
    starts = np.concatenate(([0], seps + 1))
    ends = np.concatenate((seps, [len(buf)]))
    length = ends - starts
    carriage = np.zeros(len(starts), dtype=bool)
    one = np.flatnonzero(length == 1)
    if len(one):
        carriage[one] = buf[starts[one]] == ord("\r")
    blank = (length == 0) | carriage
    line_of_start = np.searchsorted(nl, starts) + 1
    return np.asarray(line_of_start[~blank], dtype=np.int64)


def _record_lines_slow(text: str, delimiter: str) -> np.ndarray | None:
    """Record start lines with the ``csv`` module (fallback for unusual quoting)."""
    reader = _csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    lines: list[int] = []
    previous_end = 0
    try:
        for record in reader:
            start = previous_end + 1
            previous_end = reader.line_num
            if record:
                lines.append(start)
    except _csv.Error:
        return None
    return np.asarray(lines, dtype=np.int64)


# --------------------------------------------------------------------------------------------
# xlsx
# --------------------------------------------------------------------------------------------


def read_xlsx_tables(path: Path) -> list[RawTable]:
    """Read every sheet of one workbook; sheet names name the tables.

    Parameters
    ----------
    path
        The ``.xlsx`` workbook.

    Returns
    -------
    list of RawTable
        One per non-empty sheet; the first non-empty row of a sheet is its header; cells keep
        their type (text, number, date-time).

    Raises
    ------
    ExportError
        The file is not a readable workbook.
    """
    import openpyxl

    path = Path(path)
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise ExportError(f"{path.name} cannot be read as an xlsx workbook") from exc
    try:
        tables = []
        for sheet in workbook.worksheets:
            table = _sheet_table(sheet, path.name)
            if table is not None:
                tables.append(table)
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError) as exc:
        raise ExportError(f"{path.name} cannot be read as an xlsx workbook") from exc
    finally:
        workbook.close()
    return tables


def _sheet_table(sheet: Any, file_name: str) -> RawTable | None:
    header: list[str] | None = None
    header_width = 0
    records: list[tuple[Any, ...]] = []
    rows: list[int] = []
    width = 0
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = tuple(_xlsx_cell(v) for v in values)
        if not any(c is not None for c in cells):
            continue
        if header is None:
            header = [("" if c is None else str(c)).strip() for c in cells]
            while header and not header[-1]:
                header.pop()
            header_width = len(header)
            continue
        last = max(i for i, c in enumerate(cells) if c is not None) + 1
        width = max(width, last)
        records.append(cells)
        rows.append(number)
    if header is None:
        return None
    width = max(width, header_width)
    names = _name_columns(header + [""] * (width - header_width))
    padded = [tuple(r[:width]) + (None,) * (width - len(r[:width])) for r in records]
    frame = pd.DataFrame.from_records(padded, columns=range(width)) if padded else None
    if frame is None:
        frame = pd.DataFrame({k: pd.Series([], dtype=object) for k in range(width)})
    frame = frame.astype(object)
    frame.columns = pd.Index(names, dtype=object)
    return RawTable(
        name=_table_name(str(sheet.title)),
        frame=frame,
        rows=np.asarray(rows, dtype=np.int64),
        source=f"{file_name}, sheet {sheet.title}",
        fmt="xlsx",
    )


def _xlsx_cell(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


# --------------------------------------------------------------------------------------------
# sav
# --------------------------------------------------------------------------------------------


def read_sav_table(path: Path) -> RawTable:
    """Read one SPSS ``.sav`` file; its stem names the table.

    Numeric variables stay numbers, date variables become datetime64, string variables text.
    SPSS system-missing values and the user-missing codes a variable declares (``9`` =
    "weet niet") are missing; the user-missing codes are read first (pyreadstat
    ``user_missing=True``) and kept in :attr:`RawTable.missing_codes` for the codebook check.
    Value labels are kept in :attr:`RawTable.labels`, applied by the category parsers and
    used by the codebook check of item columns. Row numbers are case number + 1.

    Raises
    ------
    ExportError
        The file is empty or not a readable ``.sav`` file.
    """
    import pyreadstat

    path = Path(path)
    try:
        if path.stat().st_size == 0:
            raise ExportError(f"{path.name} is empty")
        frame, meta = pyreadstat.read_sav(
            str(path), apply_value_formats=False, dates_as_pandas_datetime=True, user_missing=True
        )
    except ExportError:
        raise
    except Exception as exc:  # pyreadstat raises its own ReadstatError and others
        raise ExportError(f"{path.name} cannot be read as an SPSS .sav file") from exc
    frame = frame.reset_index(drop=True)
    missing_codes = _user_missing(frame, meta)
    header = [str(c).strip() for c in frame.columns]
    frame.columns = pd.Index(_name_columns(header), dtype=object)
    rows = np.arange(2, len(frame) + 2, dtype=np.int64)
    keep = _non_empty_mixed_rows(frame)
    if not keep.all():
        frame = frame.loc[keep].reset_index(drop=True)
        rows = rows[keep]
    labels = {
        str(k).strip(): {value: str(label) for value, label in v.items()}
        for k, v in (meta.variable_value_labels or {}).items()
    }
    return RawTable(
        name=_table_name(path.stem),
        frame=frame,
        rows=rows,
        source=path.name,
        fmt="sav",
        labels=labels,
        missing_codes=missing_codes,
    )


def _user_missing(frame: pd.DataFrame, meta: Any) -> dict[str, tuple[Any, ...]]:
    """Set the user-missing codes of every variable to missing (in place); return them.

    Codes are the discrete values (``missing_user_values``) and the ranges
    (``missing_ranges``, each ``lo``..``hi``) SPSS declares; only codes that occur in the file
    or carry a value label are returned (a range of 99..999 is not listed value by value).
    """
    ranges: dict[str, list[dict[str, Any]]] = dict(getattr(meta, "missing_ranges", None) or {})
    discrete: dict[str, list[Any]] = dict(getattr(meta, "missing_user_values", None) or {})
    labelled = getattr(meta, "variable_value_labels", None) or {}
    found: dict[str, tuple[Any, ...]] = {}
    for column in sorted(set(ranges) | set(discrete)):
        if column not in frame.columns:
            continue
        values = frame[column]
        mask = np.zeros(len(values), dtype=bool)
        codes: list[Any] = list(discrete.get(column, []))
        for bounds in ranges.get(column, []):
            low, high = bounds["lo"], bounds["hi"]
            if values.dtype == object:
                hit = values.map(lambda v, lo=low, hi=high: isinstance(v, str) and lo <= v <= hi)
                mask |= hit.to_numpy(dtype=bool)
            else:
                numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
                mask |= (numbers >= float(low)) & (numbers <= float(high))
            codes.extend(
                v
                for v in [*pd.unique(values[mask]).tolist(), *labelled.get(column, {})]
                if _in_range(v, low, high)
            )
        if discrete.get(column):
            mask |= values.isin(discrete[column]).to_numpy(dtype=bool)
        if mask.any():
            frame.loc[mask, column] = np.nan if values.dtype != object else ""
        found[str(column).strip()] = tuple(dict.fromkeys(codes))
    return found


def _in_range(value: Any, low: Any, high: Any) -> bool:
    try:
        return bool(low <= value <= high)
    except TypeError:
        return False


def _non_empty_mixed_rows(frame: pd.DataFrame) -> np.ndarray:
    """True for rows with at least one cell that is neither missing nor blank text."""
    keep = np.zeros(len(frame), dtype=bool)
    for column in frame.columns:
        values = frame[column]
        present = values.notna().to_numpy()
        if values.dtype == object:
            blank = values.map(lambda v: isinstance(v, str) and not v.strip()).to_numpy(bool)
            present &= ~blank
        keep |= present
    return keep


# --------------------------------------------------------------------------------------------
# Files named by an export profile: any format, JSON records, long CSV files read as codes
# --------------------------------------------------------------------------------------------

#: File types an export profile may name (``.json`` only for non-response records).
PROFILE_SUFFIXES: tuple[str, ...] = ("csv", "xlsx", "sav", "json")


def read_table_file(path: Path, csv: CsvOptions | None = None) -> list[RawTable]:
    """Read one file an export profile names: a CSV or sav file (one table), a workbook (one
    table per sheet) or a JSON file of records (:func:`read_json_table`).

    Raises
    ------
    ExportError
        An unreadable file, or a type the readers do not know.
    """
    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    if suffix == "csv":
        return [read_csv_table(path, csv)]
    if suffix == "xlsx":
        return read_xlsx_tables(path)
    if suffix == "sav":
        return [read_sav_table(path)]
    if suffix == "json":
        return [read_json_table(path)]
    raise ExportError(f"{path.name}: not a file type the readers know (.csv, .xlsx, .sav or .json)")


def read_json_table(path: Path) -> RawTable:
    """Read a JSON file of records (a list of objects, or an object holding one such list).

    Columns are the keys of the records in order of first appearance; values keep their JSON
    type (text, number, true/false, null = empty); a nested list or object becomes its JSON
    text. Record k (1-based) is row k + 1, as if the list were a table under a header row.

    Raises
    ------
    ExportError
        The file is empty, not JSON, or holds no list of objects.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ExportError(f"{path.name} cannot be read ({exc.__class__.__name__})") from exc
    if not raw.strip():
        raise ExportError(f"{path.name} is empty")
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ExportError(f"{path.name} is not a valid JSON file") from exc
    if isinstance(data, dict):
        lists = [v for v in data.values() if isinstance(v, list)]
        if len(lists) != 1:
            raise ExportError(f"{path.name}: expected a list of records (JSON objects)")
        data = lists[0]
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise ExportError(f"{path.name}: expected a list of records (JSON objects)")
    names: dict[str, None] = {}
    for record in data:
        names.update((str(k).strip(), None) for k in record)
    columns = list(names)

    def cell(value: Any) -> Any:
        if isinstance(value, list | dict):
            return json.dumps(value, sort_keys=True, ensure_ascii=False)
        if isinstance(value, str) and not value.strip():
            return None
        return value

    records = [
        [cell(next((v for k, v in r.items() if str(k).strip() == c), None)) for c in columns]
        for r in data
    ]
    frame = pd.DataFrame.from_records(records, columns=range(len(columns))).astype(object)
    if not len(records):
        frame = pd.DataFrame({k: pd.Series([], dtype=object) for k in range(len(columns))})
    frame.columns = pd.Index(_name_columns(columns), dtype=object)
    frame = frame.where(frame.notna(), None)
    return RawTable(
        name=_table_name(path.stem),
        frame=frame,
        rows=np.arange(2, len(frame) + 2, dtype=np.int64),
        source=path.name,
        fmt="json",
    )


@dataclass(frozen=True)
class CodedCsv:
    """A CSV file read as integer codes per column (for files of tens of millions of records).

    Attributes
    ----------
    name
        Table name (the file stem, trimmed and lower-cased).
    source
        The file name, for messages.
    columns
        Column names as in the header (``unnamed_<k>`` for unnamed ones).
    codes
        Per column, int32 per record: index into ``uniques``.
    uniques
        Per column, the distinct raw cell texts (``""`` = empty), as an object array.
    rows
        The file line on which each record starts (header = 1), int64.
    """

    name: str
    source: str
    columns: tuple[str, ...]
    codes: dict[str, np.ndarray]
    uniques: dict[str, np.ndarray]
    rows: np.ndarray

    def __len__(self) -> int:
        return len(self.rows)


#: Bytes per piece of a long CSV file read by :func:`read_csv_coded`.
CODED_CHUNK_BYTES = 64 * 1024 * 1024


def read_csv_coded(
    path: Path, options: CsvOptions | None = None, chunk_bytes: int = CODED_CHUNK_BYTES
) -> CodedCsv:
    """Read a (long) CSV file into integer codes per column.

    The same checks as :func:`read_csv_table` (encoding, binary content, every record with the
    header's number of fields, row numbers as file lines, rows of empty cells skipped), but
    the cells never exist all at once as Python strings, so a file of 30 million item rows
    needs memory for its codes, not its text. A UTF-8 file is read by pyarrow in one go into
    dictionary-encoded columns (:func:`_arrow_coded`); any other file, or one pyarrow's reader
    cannot take exactly, is read piece by piece: each piece of about ``chunk_bytes`` (cut at a
    line break outside quotes) is parsed and factorised against the distinct texts seen so far.
    Both give the same codes (distinct texts in order of first appearance).

    Raises
    ------
    ExportError
        As :func:`read_csv_table`.
    """
    options = options or CsvOptions()
    path = Path(path)
    try:
        # unbuffered: the rest of the file is read into one buffer of its size; a BOM is
        # skipped, not cut off a copy of the file
        with path.open("rb", buffering=0) as handle:
            bom = handle.read(len(_UTF8_BOM)) == _UTF8_BOM
            if not bom:
                handle.seek(0)
            data = handle.readall()
    except OSError as exc:
        raise ExportError(f"{path.name} cannot be read ({exc.__class__.__name__})") from exc
    encoding: str = options.encoding
    if bom:
        encoding = "utf-8" if encoding in ("auto", "utf-8-sig") else encoding
    check_text_bytes(data, path.name)
    if not data or data.isspace():  # ``not data.strip()`` without a copy of the file
        raise ExportError(f"{path.name} is empty")
    encoding = _detect_encoding(data, encoding, path.name)
    name = _table_name(path.stem)
    fast = _arrow_read_coded(data, encoding, options.delimiter)
    if fast is not None:
        del data  # pyarrow's table holds its own copy of every text: the bytes can go
        return _arrow_coded(*fast, name, path.name)
    newline = b"\n" if b"\n" in data else b"\r"
    state: dict[str, Any] = {"header": None, "record": 0}
    lookup: list[dict[str, int]] = []
    code_parts: list[list[np.ndarray]] = []
    row_parts: list[np.ndarray] = []
    delimiter: str = options.delimiter
    for start, end, first_line in _pieces(data, newline, chunk_bytes):
        piece = data[start:end]
        text = _decode(piece, encoding, path.name)
        header = state["header"]
        if header is None:
            if not text.strip():
                continue
            if delimiter == "auto":
                delimiter = sniff_delimiter(text)
            header = _first_record(text, delimiter, path.name)
            state["header"] = header
            lookup = [{} for _ in header]
            code_parts = [[] for _ in header]
        frame, lines = _parse_piece(
            piece, text, delimiter, len(header), path.name, name, first_line, state
        )
        if not len(frame):
            continue
        row_parts.append(lines)
        for k in range(len(header)):
            codes, uniques = pd.factorize(frame.iloc[:, k].to_numpy(dtype=object))
            known = lookup[k]
            remap = np.fromiter(
                (known.setdefault(t, len(known)) for t in uniques.tolist()),
                dtype=np.int32,
                count=len(uniques),
            )
            code_parts[k].append(remap[codes])
    if state["header"] is None:
        raise ExportError(f"{path.name} is empty")
    columns = tuple(_name_columns(state["header"]))
    codes_by = {
        c: (np.concatenate(code_parts[k]) if code_parts[k] else np.empty(0, np.int32))
        for k, c in enumerate(columns)
    }
    uniques_by = {c: np.asarray(list(lookup[k]), dtype=object) for k, c in enumerate(columns)}
    rows = np.concatenate(row_parts) if row_parts else np.empty(0, dtype=np.int64)
    return CodedCsv(name, path.name, columns, codes_by, uniques_by, rows)


def _arrow_read_coded(
    data: bytes, encoding: str, delimiter: str
) -> tuple[list[str], Any, np.ndarray] | None:
    """A long file read by pyarrow's reader in one go (:func:`_arrow_table`, on one thread):
    its header, the table and the records' lines; or ``None`` when the file needs the careful,
    piecewise reader (a file that is not UTF-8, a header the first lines do not hold, or any
    case :func:`_arrow_table` leaves to it)."""
    if encoding != "utf-8":
        return None
    head = codecs.getincrementaldecoder("utf-8")().decode(data[: 4 * _HEAD_CHARS], final=False)
    start = _LEADING_BREAKS.match(head)
    if "\n" not in head[start.end() if start else 0 :]:
        return None  # the first line does not end in the head: let the careful reader sniff
    if delimiter == "auto":
        delimiter = sniff_delimiter(head)
    cut = max(head.rfind("\n"), head.rfind("\r"))
    try:
        header = _first_record_in(head[: cut + 1], delimiter, before_end=True)
    except _csv.Error:
        return None
    if header is None:
        return None
    found = _arrow_table(data, data, delimiter, len(header), threads=False)
    return None if found is None else (header, *found)


def _arrow_coded(header: list[str], table: Any, rows: np.ndarray, name: str, file: str) -> CodedCsv:
    """:func:`read_csv_coded` from the table :func:`_arrow_read_coded` read: per column the
    codes (int32) and distinct raw texts, in order of first appearance."""
    codes, dictionaries, rows = _arrow_codes(table, rows)
    del table
    columns = tuple(_name_columns(header))
    codes_by: dict[str, np.ndarray] = {}
    uniques_by: dict[str, np.ndarray] = {}
    for column, indices, dictionary in zip(columns, codes, dictionaries, strict=True):
        if in_order_of_appearance(indices, len(dictionary)):
            codes_by[column] = np.asarray(indices, dtype=np.int32)
            uniques_by[column] = np.asarray(dictionary, dtype=object)
        else:  # a text only in rows of bare delimiters, or pyarrow's order: as factorize gives
            first, seen = pd.factorize(np.asarray(indices, dtype=np.int64))
            codes_by[column] = np.asarray(first, dtype=np.int32)
            uniques_by[column] = np.asarray(dictionary, dtype=object)[np.asarray(seen)]
    return CodedCsv(name, file, columns, codes_by, uniques_by, rows)


def _detect_encoding(data: bytes, encoding: str, name: str) -> str:
    """``utf-8`` when the whole file decodes as UTF-8, else ``cp1252`` (``auto``); checked
    piece by piece, so no copy of the whole text is made."""
    if encoding != "auto":
        return "utf-8" if encoding == "utf-8-sig" else encoding
    decoder: codecs.IncrementalDecoder = codecs.getincrementaldecoder("utf-8")()
    step = 16 * 1024 * 1024
    try:
        for start in range(0, len(data), step):
            decoder.decode(data[start : start + step], final=start + step >= len(data))
        return "utf-8"
    except UnicodeDecodeError:
        pass
    decoder = codecs.getincrementaldecoder("cp1252")()
    try:
        for start in range(0, len(data), step):
            decoder.decode(data[start : start + step], final=start + step >= len(data))
    except UnicodeDecodeError as exc:
        raise ExportError(f"{name} cannot be decoded as UTF-8 or Windows-1252") from exc
    return "cp1252"


def _pieces(data: bytes, newline: bytes, size: int) -> Iterator[tuple[int, int, int]]:
    """``(start, end, first_line)`` of consecutive pieces of ``data`` of about ``size`` bytes,
    each ending at a line break outside quotes (an even number of quotes before it)."""
    start, line = 0, 1
    total = len(data)
    while start < total:
        end = min(start + max(size, 1), total)
        if end < total:
            cut = data.find(newline, end)
            end = total if cut < 0 else cut + 1
            while end < total and data.count(b'"', start, end) % 2:
                cut = data.find(newline, end)
                end = total if cut < 0 else cut + 1
        yield start, end, line
        line += data.count(newline, start, end)
        start = end


def _parse_piece(
    piece: bytes,
    text: str,
    delimiter: str,
    width: int,
    file: str,
    table: str,
    first_line: int,
    state: dict[str, Any],
) -> tuple[pd.DataFrame, np.ndarray]:
    """Check and parse one piece of a CSV file: its records (the header dropped from the first
    piece, rows of empty cells dropped) and their file lines; ``state["record"]`` counts data
    records across pieces."""
    has_header = state.get("seen_header") is None
    counted = _fast_field_counts(piece, delimiter)
    lines: np.ndarray | None = None
    if counted is not None:
        local, fields = counted
        data_fields = fields[1:] if has_header else fields
        if (data_fields == width).all():
            lines = local + (first_line - 1)
    if lines is None:
        _slow_field_check(
            text, delimiter, width, file, table, header=has_header, first_line=first_line,
            first_record=state["record"] + 1,
        )  # fmt: skip
        slow = _record_lines_slow(text, delimiter)
        lines = None if slow is None else slow + (first_line - 1)
    try:
        frame = pd.read_csv(
            io.StringIO(text), sep=delimiter, header=None, names=list(range(width)),
            index_col=False, dtype=str, keep_default_na=False, na_filter=False, engine="c",
            skip_blank_lines=True, quotechar='"', doublequote=True,
        )  # fmt: skip
    except pd.errors.EmptyDataError:
        frame = pd.DataFrame({k: pd.Series([], dtype=object) for k in range(width)})
    except pd.errors.ParserError as exc:
        raise ExportError(f"{file} is not a valid CSV file: {_parser_problem(exc)}") from exc
    if lines is None or len(lines) != len(frame):  # pragma: no cover - defensive
        raise ExportError(f"{file}: table {table}: the records cannot be counted")
    if has_header and len(frame):
        state["seen_header"] = True
        frame, lines = frame.iloc[1:].reset_index(drop=True), lines[1:]
    state["record"] += len(frame)
    keep = _non_empty_text_rows(frame)
    if not keep.all():
        frame, lines = frame.loc[keep].reset_index(drop=True), lines[keep]
    return frame, np.asarray(lines, dtype=np.int64)
