"""The ingest stage and ``python -m pipeline validate`` on a corpus of bad and good exports.

The hand-made corpus is ``tests/bad_exports/`` (see its README); exports that need binary files
(xlsx, sav, UTF-16, binary) are built in ``tmp_path`` from the good CSV export.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pyreadstat
import pytest

from pipeline import cli, config
from pipeline.errors import ExportError, ParamsError
from pipeline.ingest import IngestParams
from pipeline.ingest.params import PseudonymParams
from pipeline.ingest.pseudonym import DEMO_KEY, pseudonym
from pipeline.io import read_json, read_parquet
from pipeline.stages import ingest as stage

CORPUS = Path(__file__).parent / "bad_exports"
GOOD = CORPUS / "good_minimal"
#: A pseudonym key of the required length (>= 32 bytes) for the stage tests.
STAGE_KEY = "stage test key, long enough for HMAC-SHA256"
#: good_minimal's export manifest: the day its files were written (caps the export date).
WRITTEN = '{"written_on": "2021-01-15"}'


def _synthetic_marker(folder: Path) -> None:
    """Mark ``folder`` as an unmodified synthetic export (digests of its files)."""
    from pipeline.io.export_writers import file_digests

    digests = file_digests(folder)
    marker = {"synthetic": True, "sha256": digests, "written_on": "2021-01-15"}
    (folder / "SYNTHETIC.json").write_text(json.dumps(marker), encoding="utf-8")


#: Cell values of the corpus that must never appear in a message.
SECRETS = ("111222333", "example.org", "06-12345678", "12-03-1980", "C0001", "T0001")


def validate(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(["validate", str(path)])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, err: str, *expected: str) -> None:
    assert code == 2
    assert err.startswith("error: ") and err.endswith("\n")
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    for secret in SECRETS:
        assert secret not in err
    for text in expected:
        assert text in err, err


@pytest.fixture(autouse=True)
def _project_params(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory):
    """validate reads params.yaml: use a default ingest block, independent of the project's."""
    params = tmp_path_factory.mktemp("params") / "params.yaml"
    params.write_text("ingest:\n  export_dir: data/raw/synthetic\n", encoding="utf-8")
    monkeypatch.setattr(config, "PARAMS_PATH", params)
    monkeypatch.delenv("ROM_PSEUDONYM_KEY", raising=False)
    return params


# ------------------------------------------------------------------------------------------
# the corpus: one-line errors
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("missing_trajectories", ["no trajectories table", "tables found: ssd12"]),
        ("missing_column", ["trajectories.csv", "table trajectories is missing column start_date"]),
        ("identifier_column", ["direct identifiers", "table trajectories column client_email"]),
        ("identifier_bsn", ["column opmerking: 1 cell with a BSN"]),
        ("identifier_email", ["column team: 1 cell with an e-mail address"]),
        ("identifier_phone", ["column notitie: 1 cell with a phone number"]),
        ("identifier_birth_date", ["column birth_year: 1 cell with a full date"]),
        ("empty_file", ["trajectories.csv is empty"]),
    ],
)
def test_bad_corpus_gives_one_line_errors(
    case: str, expected: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = validate(CORPUS / case, capsys)
    assert out == ""
    assert_one_line_error(code, err, *expected)


def _copy_good(tmp_path: Path, name: str = "export") -> Path:
    target = tmp_path / name
    shutil.copytree(GOOD, target)
    return target


def _frames() -> dict[str, pd.DataFrame]:
    return {
        name: pd.read_csv(GOOD / f"{name}.csv", sep=";", dtype=str, keep_default_na=False)
        for name in ("trajectories", "ssd12")
    }


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("client_id;x\nC1;1\n".encode("utf-16"), "trajectories.csv is UTF-16 encoded"),
        (b"PK\x03\x04\x00\x00binary\x00\xff", "trajectories.csv is not a text file"),
        (b"client_id;x\n\x81;\x8d\x8f\n", "cannot be decoded as UTF-8 or Windows-1252"),
    ],
)
def test_unreadable_files(
    tmp_path: Path, data: bytes, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    export = _copy_good(tmp_path)
    (export / "trajectories.csv").write_bytes(data)
    code, _, err = validate(export, capsys)
    assert_one_line_error(code, err, expected)


def _workbook(path: Path, sheets: dict[str, pd.DataFrame], native: bool = True) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, frame in sheets.items():
        sheet = workbook.create_sheet(name)
        sheet.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            cells: list[object] = []
            for column, value in zip(frame.columns, row, strict=True):
                if value == "":
                    cells.append(None)
                elif native and column in ("start_date", "end_date", "referral_date"):
                    cells.append(dt.datetime.strptime(value, "%d-%m-%Y"))
                elif native and (column.startswith("ssd12_") or column == "birth_year"):
                    cells.append(int(value))
                else:
                    cells.append(value)
            sheet.append(cells)
    workbook.save(path)
    return path


def test_xlsx_without_a_matching_sheet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frames = _frames()
    _workbook(tmp_path / "export.xlsx", {"Blad1": frames["trajectories"], "ssd12": frames["ssd12"]})
    code, _, err = validate(tmp_path, capsys)
    assert_one_line_error(code, err, "no trajectories table", "tables found: blad1, ssd12")


def test_broken_workbook(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "export.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    code, _, err = validate(tmp_path, capsys)
    assert_one_line_error(code, err, "export.xlsx cannot be read as an xlsx workbook")


def test_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = validate(tmp_path / "nope", capsys)
    assert_one_line_error(code, err, "not found")


# ------------------------------------------------------------------------------------------
# good variants
# ------------------------------------------------------------------------------------------


def assert_usable(code: int, out: str, err: str, kept: dict[str, int]) -> None:
    assert code == 0, err
    assert err == ""
    assert "usable" in out
    for table, n in kept.items():
        line = next(line for line in out.splitlines() if line.startswith(table + " "))
        assert line.split()[1:4] == [str(n), str(n), "0"], line


def test_good_csv_export(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = validate(GOOD, capsys)
    assert_usable(code, out, err, {"trajectories": 3, "ssd12": 4})
    assert "pseudonym key: none configured" in out


def test_good_xlsx_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _workbook(tmp_path / "export.xlsx", _frames())
    _synthetic_marker(tmp_path)
    code, out, err = validate(tmp_path, capsys)
    assert_usable(code, out, err, {"trajectories": 3, "ssd12": 4})
    assert "demo key" in out


def test_good_sav_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frames = _frames()
    traj = frames["trajectories"]
    traj["start_date"] = pd.to_datetime(traj["start_date"], format="%d-%m-%Y")
    traj["birth_year"] = traj["birth_year"].astype(float)
    traj["sex"] = traj["sex"].map({"vrouw": 2.0, "M": 1.0, "X": 3.0})
    labels = {"sex": {1.0: "man", 2.0: "vrouw", 3.0: "anders"}}
    pyreadstat.write_sav(traj, str(tmp_path / "trajectories.sav"), variable_value_labels=labels)
    ssd = frames["ssd12"]
    for column in ssd.columns:
        if column.startswith("ssd12_"):
            ssd[column] = ssd[column].astype(float)
    pyreadstat.write_sav(ssd, str(tmp_path / "ssd12.sav"))
    (tmp_path / "EXPORT.json").write_text(WRITTEN, encoding="utf-8")
    code, out, err = validate(tmp_path, capsys)
    assert_usable(code, out, err, {"trajectories": 3, "ssd12": 4})


def test_windows_1252_and_extra_columns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    export = _copy_good(tmp_path)
    lines = (export / "trajectories.csv").read_text(encoding="utf-8").splitlines()
    lines = [lines[0] + ";Opmerking"] + [line + ";Zoë’s café" for line in lines[1:]]
    (export / "trajectories.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    code, out, err = validate(export, capsys)
    assert_usable(code, out, err, {"trajectories": 3, "ssd12": 4})
    assert "ignored columns: trajectories (1)" in out
    assert "Opmerking" not in out  # headers of ignored columns are counted, never written


def test_comma_delimiter_with_decimal_points(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "export"
    export.mkdir()
    for name, frame in _frames().items():
        frame = frame.replace({",": "."}, regex=True)
        frame.to_csv(export / f"{name}.csv", index=False, sep=",")
    (export / "EXPORT.json").write_text(WRITTEN, encoding="utf-8")
    code, out, err = validate(export, capsys)
    assert_usable(code, out, err, {"trajectories": 3, "ssd12": 4})


def test_column_map_renames_real_export_columns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], _project_params: Path
) -> None:
    export = _copy_good(tmp_path)
    path = export / "ssd12.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("completed_at", "Datum"), "utf-8")
    code, _, err = validate(export, capsys)
    assert_one_line_error(code, err, "table ssd12 is missing column completed_at")
    _project_params.write_text(
        "ingest:\n  column_map: {ssd12: {datum: completed_at}}\n", encoding="utf-8"
    )
    code, out, err = validate(export, capsys)
    assert_usable(code, out, err, {"ssd12": 4})


def test_quarantine_is_summarised(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    export = _copy_good(tmp_path)
    path = export / "ssd12.csv"
    path.write_text(
        path.read_text(encoding="utf-8") + "C0009;;01-01-2021;9;0;0;0;0;0;0;0;0;0;0;0\n"
    )
    code, out, _ = validate(export, capsys)
    assert code == 0
    assert "ssd12: item ssd12_01 out of range 0–4; unknown client" in out
    assert "C0009" not in out


def test_real_command_line_error_has_no_traceback() -> None:
    env = dict(os.environ)
    env.pop("ROM_PSEUDONYM_KEY", None)
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "validate", str(CORPUS / "identifier_bsn")],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).parent.parent,
        timeout=120,
        check=False,
    )
    assert_one_line_error(proc.returncode, proc.stderr, "BSN")
    assert proc.stdout == ""


# ------------------------------------------------------------------------------------------
# the DVC stage
# ------------------------------------------------------------------------------------------


def _no_fingerprint(tmp_path: Path) -> list[str]:
    """Stage arguments pointing the key-fingerprint check at a file that does not exist, so the
    test never reads the project's own ``data/interim/pseudonym_key.json`` (present after
    ``make repro``)."""
    return ["--fingerprint-file", str(tmp_path / "no-fingerprint.json")]


def _params_file(tmp_path: Path, export: Path, **pseudonym: str) -> Path:
    lines = ["ingest:", f"  export_dir: {export}"]
    if pseudonym:
        lines.append("  pseudonym:")
        lines += [f"    {k}: {v}" for k, v in pseudonym.items()]
    path = tmp_path / "params.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_stage_writes_tables_quarantine_and_accounting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROM_PSEUDONYM_KEY", STAGE_KEY)
    export = _copy_good(tmp_path)
    out = tmp_path / "data" / "interim" / "ingested"
    stage.main(
        [
            "--params",
            str(_params_file(tmp_path, export)),
            "--out",
            str(out),
            *_no_fingerprint(tmp_path),
        ]
    )
    assert sorted(p.name for p in out.iterdir()) == [
        "accounting.json", "export.json", "quarantine.csv", "ssd12.parquet",
        "trajectories.parquet",
    ]  # fmt: skip
    accounting = read_json(out / "accounting.json")
    assert accounting["trajectories"] == {
        "rows_read": 3, "rows_kept": 3, "rows_quarantined": 0, "ignored_columns": 0,
        "free_text_grouped": {"team": 3},
    }  # fmt: skip
    assert read_json(out / "export.json") == {
        "export_date": "2020-12-01",
        "export_date_source": "data, capped by metadata",
    }
    traj = read_parquet(out / "trajectories.parquet")
    assert traj["client_key"].iloc[0] == pseudonym(STAGE_KEY.encode(), "client", "C0001")
    assert traj["team"].tolist() == ["overig"] * 3  # fewer than reporting.min_n (10) each
    assert traj["birth_year"].dtype == "Int64" and traj["cfs"].dtype == "Int8"
    ssd = read_parquet(out / "ssd12.parquet")
    assert ssd["ssd12_01"].dtype == "float32"
    assert ssd["trajectory_key"].isna().tolist() == [False, False, True, False]
    quarantine = pd.read_csv(out / "quarantine.csv")
    assert list(quarantine.columns) == ["table", "row", "client_key", "reason"]
    text = "".join(p.read_bytes().decode("latin-1") for p in out.iterdir())
    assert "C0001" not in text and "T0001" not in text


def test_stage_writes_nothing_when_the_export_is_bad(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROM_PSEUDONYM_KEY", STAGE_KEY)
    out = tmp_path / "data" / "interim" / "ingested"
    params = _params_file(tmp_path, CORPUS / "identifier_email")
    with pytest.raises(ExportError, match="direct identifiers"):
        stage.main(["--params", str(params), "--out", str(out), *_no_fingerprint(tmp_path)])
    assert not (tmp_path / "data").exists()


def test_stage_keeps_the_previous_output_when_a_rerun_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROM_PSEUDONYM_KEY", STAGE_KEY)
    export = _copy_good(tmp_path)
    out = tmp_path / "out"
    params = _params_file(tmp_path, export)
    stage.main(["--params", str(params), "--out", str(out), *_no_fingerprint(tmp_path)])
    before = (out / "accounting.json").read_bytes()
    (export / "trajectories.csv").write_bytes(b"")
    with pytest.raises(ExportError):
        stage.main(["--params", str(params), "--out", str(out), *_no_fingerprint(tmp_path)])
    assert (out / "accounting.json").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export", "out", "params.yaml"]


def test_stage_without_key_stops(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    export = _copy_good(tmp_path)
    params = IngestParams(export_dir=export)
    with pytest.raises(ExportError, match="no pseudonym key: set the environment variable"):
        stage.run(params, out_dir=tmp_path / "out", environ={})
    assert not (tmp_path / "out").exists()


def test_synthetic_export_uses_the_demo_key_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = _copy_good(tmp_path)
    (export / "EXPORT.json").unlink()
    _synthetic_marker(export)
    stage.run(IngestParams(export_dir=export), out_dir=tmp_path / "out", environ={})
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "demo key" in err
    traj = read_parquet(tmp_path / "out" / "trajectories.parquet")
    assert traj["client_key"].iloc[0] == pseudonym(DEMO_KEY, "client", "C0001")


def test_key_sources(tmp_path: Path) -> None:
    export = _copy_good(tmp_path)
    root = tmp_path / "project"
    root.mkdir()
    outside = tmp_path / "secret.key"
    file_key = b"file key " + b"f" * 32
    outside.write_bytes(file_key + b"\n")
    env = {"ROM_PSEUDONYM_KEY": STAGE_KEY}
    from_file = PseudonymParams(key_file=outside)
    assert stage.resolve_key(from_file, export, env, root) == (STAGE_KEY.encode(), "env")
    assert stage.resolve_key(from_file, export, {}, root) == (file_key, "file")
    relative = PseudonymParams(key_file=Path("../secret.key"))
    assert stage.resolve_key(relative, export, {}, root) == (file_key, "file")
    assert stage.resolve_key(PseudonymParams(), export, {}, root) == (None, "none")
    inside = root / "keys" / "k.key"
    inside.parent.mkdir()
    inside.write_bytes(b"k")
    with pytest.raises(ParamsError, match="outside the project folder"):
        stage.resolve_key(PseudonymParams(key_file=inside), export, {}, root)
    with pytest.raises(ParamsError, match="cannot be read"):
        stage.resolve_key(PseudonymParams(key_file=tmp_path / "none.key"), export, {}, root)
    outside.write_bytes(b"\n")
    with pytest.raises(ParamsError, match="is empty"):
        stage.resolve_key(from_file, export, {}, root)
