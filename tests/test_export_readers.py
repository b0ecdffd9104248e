"""Export readers: CSV dialects and encodings, xlsx, sav, row numbers, unreadable files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyreadstat
import pytest

from pipeline.errors import ExportError
from pipeline.io.export_readers import (
    CsvOptions,
    RawTable,
    decode_csv_bytes,
    is_synthetic_export,
    read_csv_table,
    read_export,
    record_lines,
    sniff_delimiter,
)


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_semicolon_csv_with_decimal_comma_reads_text_cells(tmp_path: Path) -> None:
    path = _write(tmp_path / "Trajectories.csv", "client_id;score\nC1;3,5\nC2;\n")
    table = read_csv_table(path)
    assert isinstance(table, RawTable)
    assert table.name == "trajectories"
    assert table.source == "Trajectories.csv"
    assert list(table.frame.columns) == ["client_id", "score"]
    assert table.frame["score"].tolist() == ["3,5", ""]
    assert table.rows.tolist() == [2, 3]
    assert table.fmt == "csv"


def test_comma_csv_with_decimal_point(tmp_path: Path) -> None:
    path = _write(tmp_path / "ssd12.csv", 'client_id,score,note\nC1,3.5,"a, b"\n')
    table = read_csv_table(path)
    assert table.frame.iloc[0].tolist() == ["C1", "3.5", "a, b"]


def test_delimiter_from_params_overrides_sniffing(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.csv", "a,b;c\n1,2;3\n")
    table = read_csv_table(path, CsvOptions(delimiter=";"))
    assert list(table.frame.columns) == ["a,b", "c"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("a;b;c\n", ";"), ("a,b,c\n", ","), ('"x;y",b,c\n', ","), ("\n\na;b\n", ";"), ("a\n", ",")],
)
def test_sniff_delimiter(text: str, expected: str) -> None:
    assert sniff_delimiter(text) == expected


def test_utf8_bom_is_removed(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"\xef\xbb\xbfclient_id;team\nC1;Zo\xc3\xab\n")
    table = read_csv_table(path)
    assert list(table.frame.columns) == ["client_id", "team"]
    assert table.frame["team"].tolist() == ["Zoë"]


def test_windows_1252_is_detected(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.csv", "client_id;team\nC1;Zoë – café\n", encoding="cp1252")
    assert read_csv_table(path).frame["team"].tolist() == ["Zoë – café"]


def test_configured_encoding_that_does_not_fit_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.csv", "a;b\nC1;Zoë\n", encoding="cp1252")
    with pytest.raises(ExportError, match=r"t\.csv cannot be decoded as utf-8"):
        read_csv_table(path, CsvOptions(encoding="utf-8"))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("a;b\n1;2\n".encode("utf-16"), "UTF-16"),
        ("a;b\n1;2\n".encode("utf-16-le"), "UTF-16"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "not a text file"),
        (bytes(range(1, 32)) * 10, "not a text file"),
        (b"", "is empty"),
        (b"\n\n  \n", "is empty"),
        (b"a;b\n\x81\x8d;\x8f\x90\n", "cannot be decoded as UTF-8 or Windows-1252"),
    ],
)
def test_unreadable_csv_is_one_line_error(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "trajectories.csv"
    path.write_bytes(data)
    with pytest.raises(ExportError, match=message) as info:
        read_csv_table(path)
    assert "\n" not in str(info.value)
    assert "trajectories.csv" in str(info.value)


def test_decode_prefers_utf8() -> None:
    assert decode_csv_bytes("é".encode(), "x") == "é"
    assert decode_csv_bytes("é".encode("cp1252"), "x") == "é"


def test_more_fields_than_header_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.csv", "a;b\n1;2\n1;2;3\n")
    with pytest.raises(ExportError, match=r"t\.csv is not a valid CSV file: record \d+ has 3"):
        read_csv_table(path)


def test_row_numbers_count_blank_lines_and_quoted_line_breaks(tmp_path: Path) -> None:
    text = 'id;note\n\nC1;"two\nlines"\nC2;x\n\n\nC3;"a ""quoted""\r\nword"\r\nC4;y\n'
    table = read_csv_table(_write(tmp_path / "t.csv", text))
    assert table.frame["id"].tolist() == ["C1", "C2", "C3", "C4"]
    assert table.rows.tolist() == [3, 5, 8, 10]
    assert table.frame["note"].tolist()[0] == "two\nlines"


def test_rows_of_bare_delimiters_are_not_rows(tmp_path: Path) -> None:
    table = read_csv_table(_write(tmp_path / "t.csv", "a;b\n1;2\n;\n3;4\n;;\n".replace(";;", ";")))
    assert table.frame["a"].tolist() == ["1", "3"]
    assert table.rows.tolist() == [2, 4]


def test_header_only_file_is_an_empty_table(tmp_path: Path) -> None:
    table = read_csv_table(_write(tmp_path / "ssd12.csv", "client_id;completed_at\n"))
    assert len(table.frame) == 0
    assert list(table.frame.columns) == ["client_id", "completed_at"]
    assert table.rows.tolist() == []


def test_unnamed_and_trimmed_header_cells(tmp_path: Path) -> None:
    table = read_csv_table(_write(tmp_path / "t.csv", " Client_ID ;;x\n1;2;3\n"))
    assert list(table.frame.columns) == ["Client_ID", "unnamed_2", "x"]


def test_record_lines_without_quotes_and_with_unbalanced_quotes() -> None:
    plain = record_lines(b"a\nb\n\nc")
    windows = record_lines(b"a\r\nb\r\n\r\nc\r\n")
    assert plain is not None and plain.tolist() == [1, 2, 4]
    assert windows is not None and windows.tolist() == [1, 2, 4]
    assert record_lines(b'a\n"b\n') is None


def test_stray_quote_inside_a_cell_falls_back_to_exact_counting(tmp_path: Path) -> None:
    table = read_csv_table(_write(tmp_path / "t.csv", 'a;b\n1;5"\n\n2;3\n'))
    assert table.frame["a"].tolist() == ["1", "2"]
    assert table.rows.tolist() == [2, 4]


def test_read_export_ignores_other_files_and_names_tables(tmp_path: Path) -> None:
    _write(tmp_path / "trajectories.csv", "a;b\n1;2\n")
    _write(tmp_path / "SSD12.CSV", "a;b\n1;2\n")
    _write(tmp_path / "SYNTHETIC.json", '{"synthetic": true}')
    _write(tmp_path / "README.md", "notes")
    tables = read_export(tmp_path)
    assert sorted(tables) == ["ssd12", "trajectories"]
    # A bare marker without the generator's file digests no longer makes an export synthetic.
    assert not is_synthetic_export(tmp_path)


def test_synthetic_marker_must_say_true(tmp_path: Path) -> None:
    assert not is_synthetic_export(tmp_path)
    _write(tmp_path / "SYNTHETIC.json", '{"synthetic": "yes"}')
    assert not is_synthetic_export(tmp_path)
    _write(tmp_path / "SYNTHETIC.json", "not json")
    assert not is_synthetic_export(tmp_path)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "holds no table files"),
        ({"a.csv": "x\n1\n", "b.xlsx": "not a workbook"}, "mixes .csv and .xlsx"),
        ({"a.csv": "x\n1\n", " A.csv": "x\n1\n"}, "appears twice"),
    ],
)
def test_export_folder_problems(tmp_path: Path, files: dict[str, str], message: str) -> None:
    for name, text in files.items():
        _write(tmp_path / name, text)
    with pytest.raises(ExportError, match=message):
        read_export(tmp_path)


def test_missing_export_folder(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="not found"):
        read_export(tmp_path / "nope")


def test_explicit_format_without_files(tmp_path: Path) -> None:
    _write(tmp_path / "a.csv", "x\n1\n")
    with pytest.raises(ExportError, match=r"holds no \.sav files"):
        read_export(tmp_path, "sav")


def _workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


def test_xlsx_sheets_are_tables_with_sheet_row_numbers(tmp_path: Path) -> None:
    when = dt.datetime(2020, 3, 15, 10, 30)
    _workbook(
        tmp_path / "export.xlsx",
        {
            "Trajectories": [["client_id", "birth_year"], ["C1", 1980], [], ["C2", None]],
            "ssd12": [[], ["client_id", "completed_at"], ["C1", when], ["C1", "01-02-2020"]],
            "Leeg": [],
        },
    )
    tables = read_export(tmp_path)
    assert sorted(tables) == ["ssd12", "trajectories"]
    traj = tables["trajectories"]
    assert traj.rows.tolist() == [2, 4]
    assert traj.frame["birth_year"].tolist()[0] == 1980
    assert traj.source == "export.xlsx, sheet Trajectories"
    assert traj.fmt == "xlsx"
    ssd = tables["ssd12"]
    assert ssd.rows.tolist() == [3, 4]
    assert ssd.frame["completed_at"].tolist() == [when, "01-02-2020"]


def test_xlsx_cells_beyond_the_header_get_unnamed_columns(tmp_path: Path) -> None:
    _workbook(tmp_path / "e.xlsx", {"t": [["a"], [1, 2]]})
    table = read_export(tmp_path)["t"]
    assert list(table.frame.columns) == ["a", "unnamed_2"]


def test_two_workbooks_or_a_broken_one_are_errors(tmp_path: Path) -> None:
    _write(tmp_path / "a.xlsx", "not a zip")
    with pytest.raises(ExportError, match=r"a\.xlsx cannot be read as an xlsx workbook"):
        read_export(tmp_path)
    _workbook(tmp_path / "b.xlsx", {"t": [["a"], [1]]})
    with pytest.raises(ExportError, match="more than one workbook"):
        read_export(tmp_path)


def test_sav_keeps_types_labels_and_numbers_rows_from_two(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "client_id": ["C1", "C2", ""],
            "sex": [1.0, 2.0, np.nan],
            "start_date": pd.to_datetime(pd.Series(["2020-01-02", "2021-03-04", None])),
        }
    )
    pyreadstat.write_sav(
        frame,
        tmp_path / "trajectories.sav",
        variable_value_labels={"sex": {1.0: "man", 2.0: "vrouw"}},
    )
    table = read_export(tmp_path)["trajectories"]
    assert table.fmt == "sav"
    assert table.rows.tolist() == [2, 3]  # the all-empty third case is no row
    assert table.labels == {"sex": {1.0: "man", 2.0: "vrouw"}}
    assert pd.api.types.is_datetime64_dtype(table.frame["start_date"])
    assert table.frame["sex"].tolist() == [1.0, 2.0]


def test_broken_sav_is_an_error(tmp_path: Path) -> None:
    _write(tmp_path / "trajectories.sav", "not spss")
    with pytest.raises(ExportError, match=r"trajectories\.sav cannot be read"):
        read_export(tmp_path)
    (tmp_path / "trajectories.sav").write_bytes(b"")
    with pytest.raises(ExportError, match=r"trajectories\.sav is empty"):
        read_export(tmp_path)
