"""``python -m pipeline score IN.csv OUT.csv``: dialects, invalid answers, sex, columns."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from pipeline.cli import main as cli_main
from pipeline.errors import PipelineError
from pipeline.stages.score import score_file_cli

SSD_HEADER = [f"ssd12_{i:02d}" for i in range(1, 13)]


def _run(tmp_path: Path, content: bytes) -> tuple[int, str, str, Path]:
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_bytes(content)
    out, err = io.StringIO(), io.StringIO()
    status = score_file_cli(source, target, stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue(), target


def test_semicolon_decimal_comma_cp1252(tmp_path: Path) -> None:
    lines = [
        ";".join(["client", "opmerking", *SSD_HEADER, "eq5d_vas"]),
        ";".join(["a", "café", *["2"] * 12, "72,0"]),
        ";".join(["b", "", "1", "", "1", "1", "2", *["1"] * 7, "55"]),
    ]
    status, out, err, target = _run(tmp_path, ("\r\n".join(lines) + "\r\n").encode("cp1252"))
    assert status == 0 and err == ""
    text = target.read_bytes()
    assert text.startswith(b"\xef\xbb\xbf")  # cp1252 in -> UTF-8 with BOM out
    table = pd.read_csv(target, sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(table.columns) == ["client", "opmerking", *SSD_HEADER, "eq5d_vas", "ssd12_total", "ssd12_cognitive", "ssd12_affective", "ssd12_behavioural"]  # fmt: skip
    assert table["opmerking"].tolist() == ["café", ""]
    # row b: item 2 missing; affective (2+1+1)/3 x 4 = 5.3; total 4 + 5.3 + 4 = 13.3
    assert table["ssd12_affective"].tolist() == ["8", "5,3"]
    assert table["ssd12_total"].tolist() == ["24", "13,3"]
    assert table["eq5d_vas"].tolist() == ["72", "55"]
    assert "scored 2 row(s) of in.csv" in out and "ssd12: max_missing_per_subscale=1" in out


def test_comma_utf8_bom_and_invalid_answers_on_stderr(tmp_path: Path) -> None:
    header = ",".join([*SSD_HEADER, "phq15_01", "cqi_grade"])
    rows = [
        ",".join([*["1"] * 6, "5", *["1"] * 5, "2", "8"]),
        ",".join([*["1"] * 12, "x", "11"]),
        ",".join([*["1"] * 12, "1.5", "7"]),
    ]
    status, _, err, target = _run(tmp_path, b"\xef\xbb\xbf" + "\n".join([header, *rows]).encode())
    assert status == 0
    assert err.splitlines() == [
        "in.csv line 2: item ssd12_07 out of range 0–4",
        "in.csv line 3: item phq15_01 not a number (allowed 0–2)",
        "in.csv line 3: item cqi_grade out of range 0–10",
        "in.csv line 4: item phq15_01 not a whole number (allowed 0–2)",
    ]
    # the messages above are exact: they name line, item and allowed range, never the value
    table = pd.read_csv(target, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert table["ssd12_total"].tolist() == ["", "12", "12"]
    assert table["ssd12_cognitive"].tolist() == ["", "4", "4"]  # item 7 is cognitive
    assert table["ssd12_affective"].tolist() == ["4", "4", "4"]
    assert table["cqi_grade"].tolist() == ["8", "", "7"]  # the grade is its own score
    assert "phq15_total" not in table.columns  # one PHQ-15 item cannot give a total


def test_phq15_uses_the_optional_sex_column(tmp_path: Path) -> None:
    header = ";".join(["Sex", *[f"phq15_{i:02d}" for i in range(1, 16)]])
    rows = [
        ";".join(["man", *["2"] * 15]),
        ";".join(["V", *["2"] * 3, "", *["2"] * 11]),
        ";".join(["?", *["1"] * 15]),
    ]
    status, _, err, target = _run(tmp_path, "\n".join([header, *rows]).encode())
    assert status == 0
    assert err.splitlines() == [
        "in.csv line 4: sex not recognised (allowed m/f/x, man/vrouw/anders); treated as unknown"
    ]
    table = pd.read_csv(target, sep=";", dtype=str, keep_default_na=False)
    assert table["phq15_total"].tolist() == ["28", "30", "15"]
    assert table["phq15_severity"].tolist() == ["high", "high", "high"]


def test_no_item_columns_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "in.csv").write_text("a;b\n1;2\n", encoding="utf-8")
    with pytest.raises(PipelineError, match="no item columns"):
        score_file_cli(tmp_path / "in.csv", tmp_path / "out.csv")
    assert not (tmp_path / "out.csv").exists()
    assert cli_main(["score", str(tmp_path / "in.csv"), str(tmp_path / "out.csv")]) == 2


def test_command_line_entry_point(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "in.csv").write_text(
        "eq5d5l_mo,eq5d5l_sc,eq5d5l_ua,eq5d5l_pd,eq5d5l_ad,eq5d_vas\n3,3,3,3,3,60\n",
        encoding="utf-8",
    )
    assert cli_main(["score", str(tmp_path / "in.csv"), str(tmp_path / "out.csv")]) == 0
    table = pd.read_csv(tmp_path / "out.csv", dtype=str)
    assert table["eq5d5l_index"].tolist() == ["0.511"]
    assert "eq5d5l: coefficients=published" in capsys.readouterr().out
