"""Unit and property tests of the input checks: CSV field counts, plausibility rules, the export
date, identifiers in names and grouped forms, free-text grouping, keys and their fingerprint."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.errors import ExportError, ParamsError
from pipeline.ingest import IngestParams, ingest_tables
from pipeline.ingest.identifiers import elevens_test, scan_names, text_flags
from pipeline.ingest.params import PseudonymParams
from pipeline.ingest.tables import SHARE_STOP_MIN_ROWS, conflicting_duplicates, group_rare_texts
from pipeline.io.export_readers import (
    CsvOptions,
    FieldCountError,
    RawTable,
    export_written_on,
    is_synthetic_export,
    read_csv_table,
)
from pipeline.io.export_writers import file_digests
from pipeline.stages import ingest as stage

KEY = b"unit test key of at least thirty-two bytes"

# ------------------------------------------------------------------------------------------
# field counts
# ------------------------------------------------------------------------------------------

cell = st.text(alphabet=st.sampled_from(list('ab1 ;"\n,')), max_size=5)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    width=st.integers(1, 5),
    rows=st.lists(st.lists(cell, min_size=1, max_size=7), min_size=1, max_size=6),
)
def test_field_count_check_agrees_with_the_csv_module(
    width: int, rows: list[list[str]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Any file: refused exactly when a non-blank record's field count differs from the
    header's; the error names the first such record; otherwise every cell is read in place."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([f"h{k}" for k in range(width)])
    for row in rows:
        writer.writerow(row)
    text = buffer.getvalue()
    path = tmp_path_factory.mktemp("fc") / "t.csv"
    path.write_bytes(text.encode("utf-8"))
    records = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=";") if r][1:]
    bad = [k for k, r in enumerate(records, 1) if len(r) != width]
    options = CsvOptions(delimiter=";")
    if bad:
        with pytest.raises(FieldCountError) as info:
            read_csv_table(path, options)
        assert info.value.record == bad[0]
        assert info.value.fields == len(records[bad[0] - 1])
        assert info.value.expected == width
        assert "\n" not in str(info.value)
        return
    try:
        table = read_csv_table(path, options)
    except ExportError:  # pragma: no cover - only a quoting problem may stop a good width
        pytest.fail("a file whose records all have the header's width was refused")
    # no table rows: records whose cells are all empty, and a lone field of spaces (a blank
    # line to the CSV parser; only possible when the header has one column)
    kept = [r for r in records if any(r) and not (len(r) == 1 and not r[0].strip(" \t"))]
    assert table.frame.shape == (len(kept), width)
    assert table.frame.index.tolist() == list(range(len(kept)))  # never an inferred index
    assert [list(r) for r in table.frame.itertuples(index=False)] == kept


def test_surplus_fields_are_never_an_index(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a;b\n1;2;3\n4;5;6\n", encoding="utf-8")
    with pytest.raises(FieldCountError, match="record 1 has 3 fields where the header has 2"):
        read_csv_table(path)


def test_too_few_fields_are_never_padded(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a;b;c\n1;2;3\n\n4;5\n", encoding="utf-8")
    with pytest.raises(FieldCountError) as info:
        read_csv_table(path)
    assert (info.value.record, info.value.line, info.value.fields) == (2, 4, 2)


def test_quoted_delimiters_and_line_breaks_count_as_one_field(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text('a;b\n"x;y";"1\n2"\n3;4\n', encoding="utf-8")
    table = read_csv_table(path)
    assert table.frame["a"].tolist() == ["x;y", "3"]
    assert table.rows.tolist() == [2, 4]


# ------------------------------------------------------------------------------------------
# plausibility rules and the export date
# ------------------------------------------------------------------------------------------

TRAJ = {
    "client_id": "C1", "trajectory_id": "T1", "birth_year": "1980", "sex": "vrouw",
    "referral_date": "01-12-2019", "start_date": "15-01-2020", "end_date": "20-10-2020",
    "end_reason": "regulier", "diagnosis": "ssd", "cfs": "0", "comorbid_asd": "0",
    "comorbid_ptsd": "0", "comorbid_personality": "0", "comorbid_mild_id": "0",
    "comorbid_opioid": "0", "comorbid_childhood_trauma": "0", "comorbid_depression": "0",
    "comorbid_anxiety": "0", "symptom_duration_years": "3", "prior_treatments": "2",
    "treatments": "cbt", "sessions": "14", "research_consent": "ja", "team": "Noord",
}  # fmt: skip


def _raw(rows: list[dict[str, str]], ssd: list[dict[str, str]] | None = None):
    tables = {"trajectories": rows}
    if ssd is not None:
        tables["ssd12"] = ssd
    return {
        name: RawTable(
            name=name,
            frame=pd.DataFrame(r, dtype=object),
            rows=np.arange(2, len(r) + 2, dtype=np.int64),
            source=f"{name}.csv",
        )
        for name, r in tables.items()
    }


def _ssd(when: str, client: str = "C1") -> dict[str, str]:
    row = {"client_id": client, "completed_at": when}
    row.update({f"ssd12_{k:02d}": "1" for k in range(1, 13)})
    return row


PARAMS = IngestParams(export_date="2024-12-31", max_quarantine_share=1.0)

day = st.dates(
    min_value=pd.Timestamp("1980-01-01").date(), max_value=pd.Timestamp("2030-12-31").date()
)


@settings(max_examples=60, deadline=None)
@given(referral=day, start=day, end=st.one_of(st.none(), day), birth=st.integers(1880, 2030))
def test_plausibility_rules_match_their_definition(referral, start, end, birth) -> None:
    row = dict(TRAJ, birth_year=str(birth), referral_date=referral.strftime("%d-%m-%Y"),
               start_date=start.strftime("%d-%m-%Y"),
               end_date="" if end is None else end.strftime("%d-%m-%Y"),
               end_reason="" if end is None else "regulier")  # fmt: skip
    result = ingest_tables(_raw([row]), PARAMS, KEY, min_free_text_n=1)
    export, earliest = pd.Timestamp("2024-12-31").date(), pd.Timestamp("1990-01-01").date()
    expected = set()
    for name, value in (("referral_date", referral), ("start_date", start), ("end_date", end)):
        if value is not None and value > export:
            expected.add(f"{name} after the export date")
        if value is not None and value < earliest:
            expected.add(f"{name} before 1990")
    if referral > start:
        expected.add("referral_date after start_date")
    if end is not None and end < start:
        expected.add("end_date before start_date")
    if not 1900 <= birth <= 2100:
        expected.add("birth_year out of range 1900–2100")
    elif not 16 <= start.year - birth <= 110:
        expected.add("age at start outside 16–110")
    reasons = set()
    for text in result.quarantine["reason"]:
        reasons.update(text.split("; "))
    assert reasons == expected
    assert len(result.tables["trajectories"]) == (0 if expected else 1)


@settings(max_examples=60, deadline=None)
# (a nine-digit count would be scanned as a possible BSN: a separate rule)
@given(
    value=st.one_of(st.integers(-(2**70), 2**70), st.integers(-5, 5)).filter(
        lambda v: len(str(abs(v))) != 9
    )
)
def test_counts_overflow_or_negative_are_quarantined(value: int) -> None:
    result = ingest_tables(_raw([dict(TRAJ, sessions=str(value))]), PARAMS, KEY, min_free_text_n=1)
    reasons = result.quarantine["reason"].tolist()
    if abs(value) > 2**31 - 1:
        assert reasons == ["sessions too large (integer overflow)"]
    elif value < 0:
        assert reasons == ["sessions out of range ≥ 0"]
    else:
        assert reasons == []
        assert result.tables["trajectories"]["sessions"].iloc[0] == value


def test_export_date_sources() -> None:
    raw = _raw([TRAJ], [_ssd("01-02-2020 10:00"), _ssd("15-03-2020 10:00")])
    free = IngestParams(max_quarantine_share=1.0)
    by_data = ingest_tables(raw, free, KEY, min_free_text_n=1)
    assert (by_data.export_date, by_data.export_date_source) == ("2020-03-15", "data")
    # the trajectory's end (20-10-2020) is after the last administration: quarantined
    assert by_data.quarantine["reason"].tolist()[0] == "end_date after the export date"
    capped = ingest_tables(raw, free, KEY, written_on="2021-01-01", min_free_text_n=1)
    assert (capped.export_date, capped.export_date_source) == (
        "2020-10-20",
        "data, capped by metadata",
    )
    assert capped.quarantine.empty
    explicit = ingest_tables(raw, PARAMS, KEY, written_on="2021-01-01", min_free_text_n=1)
    assert (explicit.export_date, explicit.export_date_source) == ("2024-12-31", "params")
    only_meta = ingest_tables(_raw([TRAJ]), free, KEY, min_free_text_n=1, written_on="2021-01-01")
    assert only_meta.export_date == "2020-10-20"
    with pytest.raises(ExportError, match="no export date"):
        ingest_tables(_raw([TRAJ]), free, KEY)
    with pytest.raises(ExportError, match="ingest.export_date is not a date"):
        ingest_tables(raw, IngestParams(export_date="31-12-2024"), KEY)


def test_export_manifest(tmp_path: Path) -> None:
    assert export_written_on(tmp_path) is None
    (tmp_path / "EXPORT.json").write_text(json.dumps({"written_on": "2025-03-01"}), "utf-8")
    assert export_written_on(tmp_path) == "2025-03-01"
    (tmp_path / "EXPORT.json").write_text("[1]", "utf-8")
    with pytest.raises(ExportError, match="EXPORT.json"):
        export_written_on(tmp_path)


# ------------------------------------------------------------------------------------------
# identifiers
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "bsn"),
    [("1234.56.782", True), ("123 456 782", True), ("123-45-6782", True), ("bsn: 123.456.782", True),
     ("1234.56.789", False), ("06-12345678", False), ("12-03-1980", False), ("0612 345 678", False),
     ("v1.2.3", False)],
)  # fmt: skip
def test_grouped_bsn(text: str, bsn: bool) -> None:
    assert bool(text_flags(text) & 2) is bsn


@pytest.mark.parametrize(
    "text", ["12 maart 1975", "12-mrt-1975", "1 jan. 1980", "12-3-75", "12/03/1975", "19750312",
             "12031975", "3 October 1999"],
)  # fmt: skip
def test_dutch_birth_date_forms(text: str) -> None:
    assert text_flags(text) & (16 | 32 | 64)


@pytest.mark.parametrize("text", ["Noord", "cbt|pmt", "3,5", "2019", "C0001234", "ssd12_05"])
def test_ordinary_values_are_no_identifiers(text: str) -> None:
    assert text_flags(text) == 0


def test_names_are_scanned_without_showing_them() -> None:
    findings = scan_names(
        [("file name", "export 12-03-1975"), ("column header", "111222333")], "cqi"
    )
    messages = [f.message() for f in findings]
    assert messages == [
        "a file name holds a full date (date of birth?)",
        "table cqi: a column header holds a BSN (passes the elevens test)",
    ]


def test_one_bsn_in_free_text_refuses_but_record_numbers_do_not() -> None:
    numbers = [f"{300000000 + 10 * k:09d}" for k in range(40)]
    numbers = [n for n in numbers if not elevens_test([n])[0]][:20]
    rows = [dict(TRAJ, client_id=f"C{k}", trajectory_id=f"T{k}") for k in range(len(numbers))]
    ok = [dict(r, extra=n) for r, n in zip(rows, numbers, strict=True)]
    ingest_tables(_raw(ok), PARAMS, KEY)  # nine-digit numbers, none a BSN: accepted
    ok[3]["extra"] = "111222333"
    with pytest.raises(ExportError, match="column extra: 1 cell with a BSN"):
        ingest_tables(_raw(ok), PARAMS, KEY)


# ------------------------------------------------------------------------------------------
# free text, duplicates, maps, share
# ------------------------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(
    values=st.lists(st.sampled_from(["a", "b", "c", None]), max_size=30), min_n=st.integers(1, 6)
)
def test_group_rare_texts(values: list[str | None], min_n: int) -> None:
    out, grouped = group_rare_texts(np.asarray(values, dtype=object), min_n)
    counts = pd.Series(values, dtype=object).value_counts()
    for before, after in zip(values, out.tolist(), strict=True):
        if before is None:
            assert after is None
        else:
            assert after == (before if counts[before] >= min_n else "overig")
    assert grouped == sum(1 for v in values if v is not None and counts[v] < min_n)


def test_conflicting_duplicates_are_all_named() -> None:
    at = np.array(["2020-01-01T10:00", "2020-01-01T10:00", "2020-01-01T10:00", "2020-01-02"],
                  dtype="datetime64[ns]")  # fmt: skip
    items = [np.array([1.0, 1.0, 2.0, 1.0]), np.array([np.nan, np.nan, np.nan, 1.0])]
    positions, reasons = conflicting_duplicates(
        np.array([0, 0, 0, 0]), None, at, items, np.array([2, 3, 4, 5])
    )
    assert positions.tolist() == [0, 1, 2]
    assert [r.split(" (")[0] for r in reasons] == [
        "conflicting duplicate of row 3",
        "conflicting duplicate of row 2",
        "conflicting duplicate of row 2",
    ]
    exact, _ = conflicting_duplicates(
        np.array([0, 0]), np.array([1, 1]), at[:2], [np.array([1.0, 1.0])], np.array([2, 3])
    )
    assert exact.tolist() == []  # exact duplicates are the clean stage's


def test_value_map_file_map_and_share() -> None:
    row = dict(TRAJ, end_reason="Afgerond")
    many = [
        dict(row, client_id=f"C{i:04d}", trajectory_id=f"T{i:04d}")
        for i in range(SHARE_STOP_MIN_ROWS)
    ]
    with pytest.raises(ExportError, match="most common reason: unknown end_reason value"):
        ingest_tables(_raw(many), IngestParams(export_date="2024-12-31"), KEY)
    # Fewer bad rows than SHARE_STOP_MIN_ROWS: quarantined with their reason, the run goes on.
    few = ingest_tables(_raw([row]), IngestParams(export_date="2024-12-31"), KEY)
    assert few.accounting["trajectories"]["rows_quarantined"] == 1
    mapped = IngestParams(
        export_date="2024-12-31", value_map={"end_reason": {"afgerond": "regular"}}
    )
    result = ingest_tables(_raw([row]), mapped, KEY)
    assert result.tables["trajectories"]["end_reason"].tolist() == ["regular"]
    raw = _raw([TRAJ])
    renamed = {"x": RawTable("trajecten", raw["trajectories"].frame, raw["trajectories"].rows,
                             "Trajecten.csv")}  # fmt: skip
    files = IngestParams(export_date="2024-12-31", file_map={"Trajecten.csv": "trajectories"})
    assert "trajectories" in ingest_tables(renamed, files, KEY).tables


# ------------------------------------------------------------------------------------------
# keys, fingerprint, synthetic digests, temporary folders
# ------------------------------------------------------------------------------------------


def test_short_keys_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ParamsError, match="is 31 bytes; at least 32"):
        stage.resolve_key(PseudonymParams(), tmp_path, {"ROM_PSEUDONYM_KEY": "k" * 31})
    key, source = stage.resolve_key(PseudonymParams(), tmp_path, {"ROM_PSEUDONYM_KEY": "k" * 32})
    assert (key, source) == (b"k" * 32, "env")


def test_fingerprint_is_an_hmac_never_the_key(tmp_path: Path) -> None:
    export = tmp_path / "export"
    export.mkdir()
    (export / "trajectories.csv").write_text("a\n1\n", "utf-8")
    path = tmp_path / "fp.json"
    params = IngestParams(export_dir=export)
    key = "fingerprint key: thirty-two bytes or more"
    stage.write_fingerprint(params, path, {"ROM_PSEUDONYM_KEY": key})
    first = path.read_text("utf-8")
    assert key not in first
    assert json.loads(first)["fingerprint"] == stage.key_fingerprint(key.encode())
    stage.write_fingerprint(params, path, {"ROM_PSEUDONYM_KEY": key + "!"})
    assert path.read_text("utf-8") != first  # a new key changes the dependency of ingest
    with pytest.raises(ExportError, match="no pseudonym key"):
        stage.write_fingerprint(params, path, {})


def test_demo_key_needs_the_generator_digests(tmp_path: Path) -> None:
    (tmp_path / "trajectories.csv").write_text("a\n1\n", "utf-8")
    marker = {"synthetic": True, "sha256": file_digests(tmp_path)}
    (tmp_path / "SYNTHETIC.json").write_text(json.dumps(marker), "utf-8")
    assert is_synthetic_export(tmp_path)
    (tmp_path / "trajectories.csv").write_text("a\n2\n", "utf-8")
    assert not is_synthetic_export(tmp_path)
    (tmp_path / "trajectories.csv").write_text("a\n1\n", "utf-8")
    (tmp_path / "ssd12.csv").write_text("a\n1\n", "utf-8")
    assert not is_synthetic_export(tmp_path)  # a file added after writing


def test_stale_temporary_folders_are_swept(tmp_path: Path) -> None:
    out = tmp_path / "ingested"
    (tmp_path / ".ingested.abc123").mkdir()
    (tmp_path / ".ingested.abc123" / "ssd12.parquet").write_bytes(b"partial")
    (tmp_path / ".other.x").mkdir()
    assert stage.sweep_temporary(out) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.x"]
