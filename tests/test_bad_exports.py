"""Exports the project did not generate: one parametrised test over every bad-export case.

Each case is a small export (see ``tests/bad_exports/README.md``): either a hand-written folder
of ``tests/bad_exports/`` or the project's generator output (a small synthetic export, written
once per session) with one small mutation. Each case names its expected outcome: a one-line
error (a :class:`~pipeline.errors.PipelineError`, no value of the export in it) or a quarantine
reason for the mutated row (the rest of the export ingested).
"""

from __future__ import annotations

import csv
import dataclasses
import errno
import io
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from pipeline import cli, config
from pipeline.config import load_params
from pipeline.io import read_json
from pipeline.io.export_writers import write_export, write_file_set
from pipeline.stages import ingest as stage
from pipeline.stages.synth import manifest
from pipeline.synth import SynthParams, generate
from pipeline.synth.profiles import profile_files

CORPUS = Path(__file__).parent / "bad_exports"
KEY = "bad-export test key: 32 bytes or more, never a real one"
#: Values planted by the cases that must never appear in a message.
SECRETS = ("1234.56.782", "123 456 782", "111222333", "12 maart 1975", "19750312", "12-3-75",
           "12/03/1975", "12-03-1975", "C0001", "T0001")  # fmt: skip


# ------------------------------------------------------------------------------------------
# the generated export and its mutations
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small synthetic export (60 clients, no planted errors) from the project's generator."""
    params = dataclasses.replace(load_params("synth", SynthParams), clients=60, errors=0)
    out = tmp_path_factory.mktemp("generated") / "export"
    write_export(generate(params), out, "csv", manifest(params))
    return out


@pytest.fixture(scope="session")
def generated_layouts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same small export in the roqua and long layouts (60 clients, no planted errors)."""
    out = {}
    for profile in ("roqua", "long"):
        params = dataclasses.replace(
            load_params("synth", SynthParams), clients=60, errors=0, profile=profile
        )
        folder = tmp_path_factory.mktemp(profile) / "export"
        write_file_set(profile_files(generate(params), params, profile), folder, manifest(params))
        out[profile] = folder
    return out


def _rows(path: Path, encoding: str = "utf-8-sig") -> list[list[str]]:
    """A CSV file of any of the generated layouts as records (the csv module reads quotes)."""
    text = path.read_bytes().decode(encoding)
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def _rewrite(
    path: Path, rows: list[list[str]], *, quote_all: bool = False, encoding: str = "utf-8",
    eol: str = "\r\n",
) -> None:  # fmt: skip
    buffer = io.StringIO()
    quoting = csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL
    csv.writer(buffer, delimiter=";", quoting=quoting, lineterminator=eol).writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))


def drop_column(file: str, column: str, quote_all: bool = False, eol: str = "\r\n"):
    """A case builder: remove one column from a file of a generated layout."""

    def build(folder: Path) -> None:
        rows = _rows(folder / file)
        k = rows[0].index(column)
        _rewrite(folder / file, [r[:k] + r[k + 1 :] for r in rows], quote_all=quote_all,
                 eol=eol)  # fmt: skip

    return build


def epd_code(file: str, column: str, value: str):
    """A case builder: one EPD record's ``column`` set to a code the profile does not map (the
    record of a client with one trajectory); returns its line."""

    def build(folder: Path) -> tuple[str, int]:
        rows = _rows(folder / file, "cp1252")
        clients = [r[0] for r in rows[1:]]
        k = next(i for i, c in enumerate(clients, 1) if clients.count(c) == 1)
        rows[k][rows[0].index(column)] = value
        _rewrite(folder / file, rows, encoding="cp1252")
        return "trajectories", k + 1

    return build


def long_conflicting_item(folder: Path) -> tuple[str, int]:
    """The first item row of the long file repeated three rows on with another answer."""
    from pipeline.synth.profiles import LONG_KEYS

    rows = _rows(folder / "rom_antwoorden.csv")
    first = 1
    copy = list(rows[first])
    copy[-1] = "1" if copy[-1] != "1" else "2"
    rows.insert(first + 3, copy)
    table = next(name for name, key in LONG_KEYS.items() if key == copy[2])
    text = io.StringIO()
    csv.writer(text, delimiter=";", lineterminator="\r\n").writerows(rows)
    (folder / "rom_antwoorden.csv").write_bytes(b"\xef\xbb\xbf" + text.getvalue().encode())
    return table, first + 1


def long_codebook_one_based(folder: Path) -> None:
    """The long extract's codebook labels the SSD-12 answers 1..5 (a 1-based scale)."""
    rows = _rows(folder / "rom_codeboek.csv")
    for r in rows[1:]:
        if r[0].startswith("SSD12_") and r[1] != "-9":
            r[1] = str(int(r[1]) + 1)
    _rewrite(folder / "rom_codeboek.csv", rows)


def _without_ssd12_coding(profile: dict[str, Any]) -> None:
    profile["questionnaires"]["ssd12"].pop("coding")


def _read(folder: Path, table: str) -> list[list[str]]:
    text = (folder / f"{table}.csv").read_bytes().decode("utf-8-sig")
    return [line.split(";") for line in text.split("\r\n") if line]


def _write(folder: Path, table: str, records: list[list[str]]) -> None:
    text = "\r\n".join(";".join(r) for r in records) + "\r\n"
    (folder / f"{table}.csv").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))


def set_cell(folder: Path, table: str, record: int, column: str, value: str) -> int:
    """Set one cell (record 1 = first data row); returns its source row (line)."""
    records = _read(folder, table)
    records[record][records[0].index(column)] = value
    _write(folder, table, records)
    return record + 1


def _quiet_record(folder: Path) -> int:
    """A trajectories record whose client has one trajectory and few EQ-5D-3L or CQI rows, so
    that quarantining it moves few administrations (the share rule stays out of the way): the
    first of those with the fewest rows in the two small tables."""
    traj = _read(folder, "trajectories")
    clients = [r[0] for r in traj[1:]]
    small = [r[0] for t in ("eq5d3l", "cqi") for r in _read(folder, t)[1:]]
    single = [k for k, c in enumerate(clients, 1) if clients.count(c) == 1]
    return min(single, key=lambda k: (small.count(clients[k - 1]), k))


def mutate(table: str, column: str, value: str | Callable[[list[str], list[str]], str]):
    """A case builder: set ``column`` of a quiet record of ``table`` to ``value``."""

    def build(folder: Path) -> tuple[str, int]:
        records = _read(folder, table)
        k = _quiet_record(folder) if table == "trajectories" else 3
        cell = value(records[0], records[k]) if callable(value) else value
        return table, set_cell(folder, table, k, column, cell)

    return build


def _age(age: int) -> Callable[[list[str], list[str]], str]:
    def birth_year(header: list[str], record: list[str]) -> str:
        start = record[header.index("start_date")]
        return str(int(start[-4:]) - age)

    return birth_year


def _referral_after_start(header: list[str], record: list[str]) -> str:
    start = record[header.index("start_date")]
    end = record[header.index("end_date")]
    day = pd.Timestamp(pd.to_datetime(start, format="%d-%m-%Y")) + pd.Timedelta(days=1)
    if end and day > pd.to_datetime(end, format="%d-%m-%Y"):
        day = pd.to_datetime(start, format="%d-%m-%Y")
    return day.strftime("%d-%m-%Y")


def _end_before_start(header: list[str], record: list[str]) -> str:
    start = pd.to_datetime(record[header.index("start_date")], format="%d-%m-%Y")
    return (start - pd.Timedelta(days=1)).strftime("%d-%m-%Y")


def add_column(
    table: str, name: str, value: str, record: int = 2, other: Callable[[int], str] | None = None
):
    """A case builder: a column ``name`` outside the contract, ``value`` in one record and
    ``other(k)`` (default empty) in every other record ``k``."""

    def build(folder: Path) -> None:
        records = _read(folder, table)
        records[0].append(name)
        for k, r in enumerate(records[1:], 1):
            r.append(value if k == record else (other(k) if other else ""))
        _write(folder, table, records)

    return build


def _not_bsn(k: int) -> str:
    """A distinct nine-digit record number that fails the elevens test."""
    from pipeline.ingest.identifiers import elevens_test

    number = 300000000 + 10 * k
    while elevens_test([f"{number:09d}"])[0]:
        number += 1
    return f"{number:09d}"


def fingerprint_of_another_key(folder: Path) -> None:
    from pipeline.io import write_json

    other = stage.key_fingerprint(b"another key, also at least thirty-two bytes")
    write_json({"fingerprint": other, "source": "key"}, folder.parent / "fingerprint.json")


def conflicting_duplicate(folder: Path) -> tuple[str, int]:
    records = _read(folder, "ssd12")
    copy = list(records[3])
    answer = records[0].index("ssd12_01")
    copy[answer] = "4" if copy[answer] != "4" else "3"
    records.insert(4, copy)
    _write(folder, "ssd12", records)
    return "ssd12", 5


def xlsx_boolean_item(folder: Path) -> tuple[str, int]:
    params = dataclasses.replace(load_params("synth", SynthParams), clients=60, errors=0)
    for path in list(folder.iterdir()):
        path.unlink()
    folder.rmdir()
    write_export(generate(params), folder, "xlsx", dict(manifest(params), format="xlsx"))
    path = folder / "export.xlsx"
    book = openpyxl.load_workbook(path)
    sheet = book["ssd12"]
    header = [c.value for c in sheet[1]]
    sheet.cell(row=4, column=header.index("ssd12_01") + 1, value=True)
    book.save(path)
    return "ssd12", 4


def rename(old: str, new: str) -> Callable[[Path], None]:
    def build(folder: Path) -> None:
        (folder / old).rename(folder / new)

    return build


def too_many_quarantined(folder: Path) -> None:
    records = _read(folder, "cqi")
    column = records[0].index("cqi_grade")
    for r in records[1 : 1 + len(records) // 3]:
        r[column] = "11"
    _write(folder, "cqi", records)


def rare_team(folder: Path) -> tuple[str, int]:
    return "trajectories", set_cell(folder, "trajectories", _quiet_record(folder), "team", "Oost")


def header_map(folder: Path) -> None:
    records = _read(folder, "ssd12")
    records[0][records[0].index("completed_at")] = "Datum"
    _write(folder, "ssd12", records)


def centre_codes(folder: Path) -> None:
    records = _read(folder, "trajectories")
    column = records[0].index("end_reason")
    for r in records[1:]:
        r[column] = {"regulier": "Afgerond"}.get(r[column], r[column])
    _write(folder, "trajectories", records)


# ------------------------------------------------------------------------------------------
# the cases
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One bad export.

    Attributes
    ----------
    name
        Case id (a folder of ``tests/bad_exports/`` when ``folder`` is true).
    expect
        Text of the one-line error, or of the quarantine reason of the mutated row.
    build
        Mutation of a copy of the generated export; returns ``(table, row)`` of the row that
        must be quarantined, or ``None`` for an error case.
    folder
        The export is the hand-written folder ``tests/bad_exports/<name>``.
    params
        ``ingest`` parameters of the run.
    key
        ``ROM_PSEUDONYM_KEY`` (``None``: unset).
    run
        ``ingest`` (the stage), ``validate`` or ``score`` (the command lines).
    quarantine
        The row ``build`` returns is quarantined with ``expect`` in its reason and the run
        succeeds; otherwise the run stops with the one-line error ``expect``.
    profile
        The export profile: the generated export is written in its layout and ingested with
        it (``alk``: the project's own).
    profile_edit
        A change to the shipped profile, run with the changed copy (a bad profile).
    """

    name: str
    expect: str
    build: Callable[[Path], Any] | None = None
    folder: bool = False
    params: dict[str, Any] = field(default_factory=dict)
    key: str | None = KEY
    run: str = "ingest"
    quarantine: bool = False
    profile: str = "alk"
    profile_edit: Callable[[dict[str, Any]], None] | None = None


CASES: list[Case] = [
    # 1. structure of the CSV files
    Case("csv_surplus_field", "record 2 has 25 fields where the header has 24 (table "
         "trajectories, line 3", folder=True),
    Case("csv_too_few_fields", "record 3 has 14 fields where the header has 15 (table ssd12, "
         "line 4", folder=True),
    Case("csv_trailing_delimiter", "record 1 has 16 fields where the header has 15",
         folder=True),
    Case("duplicate_columns", "table ssd12 has column ssd12_03 more than once", folder=True),
    Case("score_surplus_field", "line 3 has 25 fields where the header has 24", run="score"),
    # 2. plausibility (quarantine, with the reason)
    Case("end_date_2099", "end_date after the export date",
         mutate("trajectories", "end_date", "31-12-2099"), quarantine=True),
    Case("referral_before_1990", "referral_date before 1990",
         mutate("trajectories", "referral_date", "01-06-1989"), quarantine=True),
    Case("referral_after_start", "referral_date after start_date",
         mutate("trajectories", "referral_date", _referral_after_start), quarantine=True),
    Case("end_before_start", "end_date before start_date",
         mutate("trajectories", "end_date", _end_before_start), quarantine=True),
    Case("age_12_at_start", "age at start outside 16–110",
         mutate("trajectories", "birth_year", _age(12)), quarantine=True),
    Case("age_111_at_start", "age at start outside 16–110",
         mutate("trajectories", "birth_year", _age(111)), quarantine=True),
    Case("sessions_overflow", "sessions too large (integer overflow)",
         mutate("trajectories", "sessions", "99999999999999999999"), quarantine=True),
    Case("sessions_huge_negative", "sessions too large (integer overflow)",
         mutate("trajectories", "sessions", "-9223372036854775808"), quarantine=True),
    Case("sessions_negative", "sessions out of range ≥ 0",
         mutate("trajectories", "sessions", "-3"), quarantine=True),
    Case("prior_treatments_negative", "prior_treatments out of range ≥ 0",
         mutate("trajectories", "prior_treatments", "-1"), quarantine=True),
    Case("completed_at_future", "completed_at after the export date",
         mutate("ssd12", "completed_at", "01-01-2099 10:00"), quarantine=True),
    Case("completed_at_before_1990", "completed_at before 1990",
         mutate("ssd12", "completed_at", "01-01-1989 10:00"), quarantine=True),
    # 3. identifiers (the export is refused)
    Case("identifier_bsn_grouped", "column team: 1 cell with a BSN", folder=True),
    Case("bsn_with_spaces", "column opmerking: 1 cell with a BSN",
         add_column("trajectories", "opmerking", "bsn 123 456 782")),
    Case("bsn_single_among_numbers", "column notitie: 1 cell with a BSN",
         add_column("ssd12", "notitie", "111222333", other=_not_bsn)),
    Case("identifier_birth_date_dutch", "column opmerking: 1 cell with a full date",
         folder=True),
    Case("birth_date_short_year", "column geb: 1 cell with a full date",
         add_column("trajectories", "geb", "12-3-75")),
    Case("birth_date_slashes", "column geb: 1 cell with a full date",
         add_column("trajectories", "geb", "12/03/1975")),
    Case("birth_date_compact", "column birth_year: 1 cell with a full date",
         mutate("trajectories", "birth_year", "19750312")),
    Case("identifier_header", "table ssd12: a column header holds a BSN", folder=True),
    Case("file_name_date", "error: the export holds direct identifiers, refused before "
         "anything is written: a file name holds a full date (date of birth?)",
         lambda f: shutil.copy(f / "cqi.csv", f / "cqi 12-03-1975.csv")),
    # 4. the pseudonym key
    Case("key_too_short", "is 9 bytes; at least 32 are needed",
         mutate("ssd12", "ssd12_01", "1"), key="short key"),
    Case("no_key", "no pseudonym key", mutate("ssd12", "ssd12_01", "1"), key=None),
    Case("synthetic_modified_no_key", "only a synthetic export may use the demo key",
         mutate("ssd12", "ssd12_01", "2"), key=None),
    Case("fingerprint_other_key", "differs from the one fingerprinted",
         fingerprint_of_another_key),
    # 5. smaller items
    Case("xlsx_boolean_item", "item ssd12_01 not a number", xlsx_boolean_item,
         quarantine=True),
    Case("conflicting_duplicate", "conflicting duplicate of row 4", conflicting_duplicate,
         quarantine=True),
    Case("score_out_is_folder", "is a folder: give OUT as a file name", run="score"),
    Case("score_in_is_out", "IN and OUT are the same file", run="score"),
    Case("score_disk_full", "cannot write out.csv: no space left on the device", run="score"),
    Case("disk_full", "cannot write ingested/: no space left on the device"),
    Case("read_only_output", "cannot write ingested/: the file system is read-only"),
    # 6. real folders
    Case("validate_column_map", "usable", header_map,
         params={"column_map": {"ssd12": {"Datum": "completed_at"}}}, run="validate"),
    Case("validate_without_column_map", "table ssd12 is missing column completed_at",
         header_map, run="validate"),
    Case("file_map", "usable", rename("trajectories.csv", "Trajecten 2025.csv"),
         params={"file_map": {"Trajecten 2025.csv": "trajectories"}}, run="validate"),
    Case("file_not_mapped", "no trajectories table", rename("trajectories.csv", "Trajecten.csv")),
    Case("value_map", "usable", centre_codes,
         params={"value_map": {"end_reason": {"Afgerond": "regular"}}}, run="validate"),
    Case("value_not_mapped", "more than ingest.max_quarantine_share (0.2); most common "
         "reason: unknown end_reason value", centre_codes),
    Case("too_many_quarantined", "table cqi: 10 of 29 rows quarantined (34%), more than "
         "ingest.max_quarantine_share (0.2); most common reason: item cqi_grade out of range "
         "0–10 (10 rows)", too_many_quarantined),
    Case("rare_team", "overig", rare_team, quarantine=True),
    # 7. export profiles (docs/profiles.md): per profile, a missing mapped column, an unmapped
    #    value, a 1-based scale declared 0-based, a duplicated item in a long file, bad profiles
    Case("roqua_missing_mapped_column", "ssd12.csv: column 'ssd12_3' of profile roqua "
         "questionnaires.ssd12.items.ssd12_03 is missing",
         drop_column("ssd12.csv", "ssd12_3", quote_all=True, eol="\n"), profile="roqua"),
    Case("roqua_unmapped_value", "unknown sex value", epd_code("epd/trajecten.csv", "geslacht",
         "4"), profile="roqua", quarantine=True),
    Case("roqua_one_based_declared_zero_based", "ssd12.csv: table ssd12, item ssd12_01: the "
         "codes the codebook labels (1–5) give answers 1–5 with the profile's coding (no "
         "recoding), outside the item's answers 0–4: a 1-based scale read as 0-based? (give "
         "the item a coding with offset -1)", profile="roqua",
         profile_edit=_without_ssd12_coding),
    Case("roqua_profile_unknown_key", "profile roqua: questionnaires.ssd12: unknown key(s) "
         "colums", profile="roqua",
         profile_edit=lambda p: p["questionnaires"]["ssd12"].update(colums={})),
    Case("long_missing_mapped_column", "rom_antwoorden.csv: column 'antwoord' of profile long "
         "long.columns.value is missing", drop_column("rom_antwoorden.csv", "antwoord"),
         profile="long"),
    Case("long_unmapped_value", "unknown end_reason value", epd_code("epd_trajecten.csv",
         "reden_einde", "Onbekend"), profile="long", quarantine=True),
    Case("long_conflicting_item", "given twice with different values (long file rows 2 and 5)",
         long_conflicting_item, profile="long", quarantine=True),
    Case("long_one_based_declared_zero_based", "rom_antwoorden.csv: table ssd12, item "
         "ssd12_01: the codes the codebook labels (1–5) give answers 1–5", long_codebook_one_based,
         profile="long"),
    Case("long_profile_incomplete_recoding", "profile long: questionnaires.phq15.coding[1]."
         "values: incomplete recoding of item phq15_01: no code maps to answer(s) 2",
         profile="long", profile_edit=lambda p: p["questionnaires"]["phq15"].update(
             coding=[{"items": "all", "values": {0: 0, 1: 1}, "missing": [-9]}])),
    Case("long_profile_item_not_in_instrument", "profile long: questionnaires.cqi.items: "
         "'cqi_mark' is not an item of cqi", profile="long",
         profile_edit=lambda p: p["questionnaires"]["cqi"].update(items={"cqi_mark": "CQI_2"})),
    Case("alk_one_based_sav", "ssd12.sav: table ssd12, item ssd12_01: the codes the codebook "
         "labels (1–5) give answers 1–5 with the profile's coding (no recoding), outside the "
         "item's answers 0–4: a 1-based scale read as 0-based?", lambda f: sav_one_based(f)),
]  # fmt: skip


def sav_one_based(folder: Path) -> None:
    """The export as sav files, the SSD-12 answers 1..5 with value labels (1-based)."""
    import pyreadstat

    params = dataclasses.replace(load_params("synth", SynthParams), clients=60, errors=0)
    for path in list(folder.iterdir()):
        path.unlink()
    folder.rmdir()
    write_export(generate(params), folder, "sav", dict(manifest(params), format="sav"))
    path = folder / "ssd12.sav"
    frame, meta = pyreadstat.read_sav(str(path))
    items = [c for c in frame.columns if c.startswith("ssd12_")]
    frame[items] = frame[items] + 1
    labels = {1.0: "nooit", 2.0: "zelden", 3.0: "soms", 4.0: "vaak", 5.0: "heel vaak"}
    pyreadstat.write_sav(
        frame, str(path), variable_value_labels={c: labels for c in items},
        variable_format={c: f for c, f in meta.original_variable_types.items() if c in frame},
    )  # fmt: skip


def _prepare(
    case: Case, generated: Path, tmp_path: Path, layouts: dict[str, Path] | None = None
) -> tuple[Path, Any]:
    export = tmp_path / "export"
    if case.folder:
        shutil.copytree(CORPUS / case.name, export)
        return export, None
    source = generated if case.profile == "alk" or layouts is None else layouts[case.profile]
    shutil.copytree(source, export)
    return export, case.build(export) if case.build is not None else None


def _profile_param(case: Case, tmp_path: Path) -> dict[str, Any]:
    """``ingest.profile`` of the case: the shipped profile, or a changed copy of it."""
    if case.profile_edit is None:
        return {} if case.profile == "alk" else {"profile": case.profile}
    import yaml

    data = yaml.safe_load((config.ROOT / "profiles" / f"{case.profile}.yaml").read_text("utf-8"))
    case.profile_edit(data)
    path = tmp_path / f"{case.profile}_changed.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return {"profile": str(path)}


def _params_file(tmp_path: Path, export: Path, params: dict[str, Any]) -> Path:
    import yaml

    block = {"export_dir": str(export), **params}
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump({"ingest": block, "reporting": {"min_n": 10}}), "utf-8")
    return path


def _score(
    case: Case,
    export: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> str:
    source = export / "trajectories.csv"
    if case.name == "score_surplus_field":
        shutil.copy(CORPUS / "csv_surplus_field" / "trajectories.csv", tmp_path / "in.csv")
        argv = [str(tmp_path / "in.csv"), str(tmp_path / "out.csv")]
    elif case.name == "score_out_is_folder":
        argv = [str(source), str(tmp_path)]
    elif case.name == "score_disk_full":
        real = pd.DataFrame.to_csv

        def full(frame: pd.DataFrame, path: Any = None, *args: Any, **kwargs: Any) -> Any:
            if path is not None and Path(str(path)).name.startswith(".out.csv."):
                raise OSError(errno.ENOSPC, "simulated")
            return real(frame, path, *args, **kwargs)

        monkeypatch.setattr(pd.DataFrame, "to_csv", full)
        argv = [str(export / "ssd12.csv"), str(tmp_path / "out.csv")]
    else:
        argv = [str(source), str(export / "." / "trajectories.csv")]
    code = cli.main(["score", *argv])
    err = capsys.readouterr().err
    assert code == 2, err
    assert not (tmp_path / "out.csv").exists()
    assert not list(tmp_path.glob(".out.csv.*"))  # no partial file left
    return err


def _assert_one_line(err: str, expected: str) -> None:
    assert err.startswith("error: ") and err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err
    assert expected in err, err
    for secret in SECRETS:
        assert secret not in err, err


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_export(
    case: Case,
    generated: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    request: pytest.FixtureRequest,
) -> None:
    layouts = request.getfixturevalue("generated_layouts") if case.profile != "alk" else None
    export, target = _prepare(case, generated, tmp_path, layouts)
    if case.run == "score":
        _assert_one_line(_score(case, export, tmp_path, capsys, monkeypatch), case.expect)
        return
    params_path = _params_file(tmp_path, export, {**case.params, **_profile_param(case, tmp_path)})
    monkeypatch.setattr(config, "PARAMS_PATH", params_path)
    if case.key is None:
        monkeypatch.delenv("ROM_PSEUDONYM_KEY", raising=False)
    else:
        monkeypatch.setenv("ROM_PSEUDONYM_KEY", case.key)
    if case.run == "validate":
        code = cli.main(["validate", str(export)])
        out, err = capsys.readouterr()
        if case.expect == "usable":
            assert code == 0, err
            assert "usable" in out
            for line in out.splitlines():
                if line.startswith(("trajectories ", "ssd12 ")):
                    assert line.split()[3] == "0", line  # nothing quarantined
        else:
            _assert_one_line(err, case.expect)
        return
    out_dir = tmp_path / "data" / "ingested"
    if case.name in ("disk_full", "read_only_output"):
        code = errno.ENOSPC if case.name == "disk_full" else errno.EROFS

        def fail(*args: object, **kwargs: object) -> None:
            raise OSError(code, "simulated")

        monkeypatch.setattr(pd.DataFrame, "to_parquet", fail)
    argv = ["stage", "ingest", "--params", str(params_path), "--out", str(out_dir)]
    argv += ["--fingerprint-file", str(tmp_path / "fingerprint.json")]
    status = cli.main(argv)
    err = capsys.readouterr().err
    if not case.quarantine:
        assert status == 2, err
        _assert_one_line(err, case.expect)
        assert not out_dir.exists()
        assert not list(out_dir.parent.glob(".ingested.*")) if out_dir.parent.exists() else True
        return
    assert status == 0, err
    table, row = target
    quarantine = pd.read_csv(out_dir / "quarantine.csv", keep_default_na=False)
    if case.name == "rare_team":
        accounting = read_json(out_dir / "accounting.json")
        assert accounting["trajectories"]["free_text_grouped"] == {"team": 1}
        teams = pd.read_parquet(out_dir / "trajectories.parquet")["team"]
        assert "Oost" not in set(teams) and (teams == "overig").sum() == 1
        return
    mine = quarantine[(quarantine["table"] == table) & (quarantine["row"] == row)]
    assert len(mine) == 1, quarantine
    assert case.expect in mine["reason"].iloc[0]
    ingest_rows = quarantine[quarantine["table"] == table]
    # only the mutated row, and (for a conflicting set) its partner
    assert len(ingest_rows) == (2 if case.name == "conflicting_duplicate" else 1), ingest_rows


def test_every_corpus_folder_is_a_case_or_documented() -> None:
    folders = {p.name for p in CORPUS.iterdir() if p.is_dir()}
    readme = (CORPUS / "README.md").read_text(encoding="utf-8")
    names = {c.name for c in CASES}
    for folder in folders:
        assert f"`{folder}/`" in readme, folder
    for name in names:
        assert f"`{name}" in readme, name
