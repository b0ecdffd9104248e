"""The pyarrow CSV reader gives exactly what the careful reader gives, or leaves the file to it.

:func:`pipeline.io.export_readers.read_csv_table` reads a file with pyarrow's CSV reader when it
can (issue 16) and with the careful, record-by-record reader otherwise. These tests read the
same bytes both ways (the careful way by switching the pyarrow path off) and require the same
outcome: the same one-line error, or the same header, cells (as text) and row numbers, and the
same :class:`~pipeline.ingest.normalise.Coded` columns for ingest. The bytes are drawn by
hypothesis from the characters that make CSV hard: delimiters, quotes (also inside cells and
unbalanced), line breaks of every kind (also inside quotes), blank lines, spaces, non-ASCII
text, rows of bare delimiters; in UTF-8 with and without a BOM and in Windows-1252.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.errors import ExportError
from pipeline.ingest.normalise import code_cells
from pipeline.io import export_readers
from pipeline.io.export_readers import CsvOptions, read_csv_coded, read_csv_table

TOKENS = ["a", "b7", "Zoë", " ", "  x ", ";", ",", '"', '""', '"q"', "\n", "\r\n", "\r", "", "12,5"]


def _outcome(path: Path, options: CsvOptions, careful: bool) -> Any:
    saved = export_readers._arrow_frame
    if careful:
        export_readers._arrow_frame = lambda *args: None  # type: ignore[assignment]
    try:
        table = read_csv_table(path, options)
    except ExportError as exc:
        return ("error", str(exc))
    finally:
        export_readers._arrow_frame = saved
    cells = [table.frame.iloc[:, k].astype(object).tolist() for k in range(table.frame.shape[1])]
    coded = []
    for k in range(table.frame.shape[1]):
        c = code_cells(table.frame.iloc[:, k])
        coded.append((c.codes.tolist(), c.texts.tolist()))
    return (list(table.frame.columns), cells, table.rows.tolist(), coded)


def _coded_outcome(path: Path, options: CsvOptions, careful: bool, chunk: int) -> Any:
    saved = export_readers._arrow_read_coded
    if careful:
        export_readers._arrow_read_coded = lambda *args: None  # type: ignore[assignment]
    try:
        coded = read_csv_coded(path, options, chunk_bytes=chunk)
    except ExportError as exc:
        return ("error", str(exc))
    finally:
        export_readers._arrow_read_coded = saved
    return (
        coded.name,
        coded.columns,
        coded.rows.tolist(),
        {c: (coded.codes[c].tolist(), coded.codes[c].dtype.str) for c in coded.columns},
        {c: coded.uniques[c].tolist() for c in coded.columns},
    )


def _check(tmp_path: Path, data: bytes, options: CsvOptions | None = None) -> Any:
    """Both readers of whole tables, and both readers of long files (read as codes, the
    careful one piece by piece), give the same outcome."""
    path = tmp_path / "table.csv"
    path.write_bytes(data)
    options = options or CsvOptions()
    fast = _outcome(path, options, careful=False)
    careful = _outcome(path, options, careful=True)
    assert fast == careful, data
    chunk = export_readers.CODED_CHUNK_BYTES
    coded = _coded_outcome(path, options, careful=False, chunk=chunk)
    assert coded == _coded_outcome(path, options, careful=True, chunk=chunk), data
    return fast


@st.composite
def csv_bytes(draw: st.DrawFn) -> tuple[bytes, CsvOptions]:
    delimiter = draw(st.sampled_from([";", ","]))
    width = draw(st.sampled_from([1, 2, 2, 3, 3, 4, 4, 4]))
    header = delimiter.join(f"col{k}" for k in range(width))
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    rows = []
    for _ in range(draw(st.integers(0, 6))):
        if draw(st.integers(0, 12)) == 0:  # a free-form line: anything may happen
            rows.append("".join(draw(st.lists(st.sampled_from(TOKENS), max_size=8))))
            continue
        cells = []
        for _ in range(width + draw(st.sampled_from([0] * 12 + [1, -1]))):
            cell = "".join(draw(st.lists(st.sampled_from(TOKENS), max_size=3)))
            if draw(st.booleans()):  # quoted (a quote inside is doubled)
                cell = '"' + cell.replace('"', '""') + '"'
            elif draw(st.integers(0, 3)):  # unquoted: as a writer would, mostly
                cell = cell.replace('"', "").replace(delimiter, "").replace("\r", "")
                cell = cell.replace("\n", "")
            cells.append(cell)
        rows.append(delimiter.join(cells))
    text = eol.join([header, *rows]) + draw(st.sampled_from(["", eol, eol + eol]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    data = text.encode(encoding)
    return data, CsvOptions(delimiter=draw(st.sampled_from(["auto", delimiter])))


@settings(
    max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=csv_bytes())
def test_pyarrow_reader_equals_careful_reader(
    tmp_path: Path, case: tuple[bytes, CsvOptions]
) -> None:
    data, options = case
    _check(tmp_path, data, options)


@pytest.mark.parametrize(
    "data",
    [
        b"a;b\r\n1;2\r\n3;4\r\n",  # plain
        b"\xef\xbb\xbfa;b\r\n1;2\r\n\r\n3;4\r\n\r\n",  # BOM, blank lines
        b'a;b\n"x;y";"1\n2"\n3;""\n',  # quotes, a line break inside quotes, quoted empty
        b"a;b\n1;2\n;\n3;4\n",  # a row of bare delimiters is no row
        b"a;b\r1;2\r3;4\r",  # CR line ends
        b'a;b\n1;"2\n',  # an unclosed quote
        b"a;b\n1;2;3\n",  # a surplus field
        b"a;b\n1\n",  # a missing field
        b"a;b\n1;2\r3;4\n",  # a lone CR inside a LF file
        b"\n\na;b\n1;2\n",  # blank lines before the header
        b"a;b",  # a header only, no line end
        b"a;b\n",  # a header only
        "a;b\nZoë;café\n".encode("cp1252"),  # Windows-1252
        b'a;b\nx"y;2\n',  # a quote inside an unquoted cell (odd number of quotes)
        b'a;b\n"x"y;2\n',  # text after a closing quote
        b"a;a;A\n1;2;3\n",  # duplicate headers (refused later by ingest)
        b"a;;b\n1;2;3\n",  # an unnamed column
    ],
)
def test_awkward_files_read_alike(tmp_path: Path, data: bytes) -> None:
    _check(tmp_path, data)


def test_large_file_reads_alike_and_in_blocks(tmp_path: Path) -> None:
    """More than one block of the pyarrow reader (dictionaries unified across blocks)."""
    rng = np.random.default_rng(7)
    lines = ["client_id;completed_at;item"]
    for k in range(60_000):
        lines.append(f"C{rng.integers(0, 5000):05d};0{k % 9 + 1}-02-2024 10:{k % 60:02d};{k % 5}")
    data = ("\r\n".join(lines) + "\r\n").encode()
    saved = export_readers.ARROW_BLOCK_BYTES
    export_readers.ARROW_BLOCK_BYTES = 64 * 1024
    try:
        outcome = _check(tmp_path, data)
    finally:
        export_readers.ARROW_BLOCK_BYTES = saved
    assert outcome[2][:3] == [2, 3, 4] and len(outcome[2]) == 60_000
    # a long file read by the careful reader in many pieces, by pyarrow in one go
    path = tmp_path / "table.csv"
    pieces = _coded_outcome(path, CsvOptions(), careful=True, chunk=64 * 1024)
    assert pieces == _coded_outcome(path, CsvOptions(), careful=False, chunk=64 * 1024)


@settings(max_examples=300, deadline=None)
@given(
    cells=st.lists(st.sampled_from(["a", " a", "a ", "", "  ", "b", "Zoë", None]), max_size=30),
    extra=st.lists(st.sampled_from(["unused", "z", " b"]), max_size=2, unique=True),
    shuffle=st.randoms(use_true_random=False),
)
def test_code_cells_of_categorical_equals_of_text(
    cells: list[str | None], extra: list[str], shuffle: Any
) -> None:
    """A categorical column codes as its cells as text do, whatever the order of its
    categories, unused categories and missing cells (the order of first appearance)."""
    import pandas as pd

    present = list(dict.fromkeys(c for c in cells if c is not None))
    categories = [*present, *(e for e in extra if e not in present)]
    shuffle.shuffle(categories)
    categorical = pd.Series(pd.Categorical(cells, categories=categories))
    as_text = pd.Series(np.asarray(cells, dtype=object))
    got, want = code_cells(categorical), code_cells(as_text)
    assert got.codes.tolist() == want.codes.tolist()
    assert got.texts.tolist() == want.texts.tolist()
