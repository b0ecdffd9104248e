"""Pure ingest on tiny in-memory frames: normalisers, pseudonyms, contract rules, accounting."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.config import build_params, load_params
from pipeline.errors import ExportError
from pipeline.ingest import IngestParams, ingest_tables
from pipeline.ingest.contract import CONTRACTS, TRAJECTORY_OUTPUT
from pipeline.ingest.normalise import (
    DIAGNOSIS_VALUES,
    END_REASON_VALUES,
    SEX_VALUES,
    code_cells,
    normalise_treatments,
    parse_binary,
    parse_category,
    parse_date_texts,
    parse_dates,
    parse_numbers,
    parse_treatments,
)
from pipeline.ingest.pseudonym import DEMO_KEY, Pseudonymiser, pseudonym, pseudonymise
from pipeline.instruments.catalogue import item_columns
from pipeline.io.export_readers import CsvOptions, RawTable

KEY = b"test key, not secret"

TRAJ_ROW: dict[str, str] = {
    "client_id": "C1", "trajectory_id": "T1", "birth_year": "1980", "sex": "vrouw",
    "referral_date": "01-12-2019", "start_date": "15-01-2020", "end_date": "20-10-2020",
    "end_reason": "regulier", "diagnosis": "ssd", "cfs": "ja", "comorbid_asd": "0",
    "comorbid_ptsd": "0", "comorbid_personality": "0", "comorbid_mild_id": "0",
    "comorbid_opioid": "0", "comorbid_childhood_trauma": "0", "comorbid_depression": "1",
    "comorbid_anxiety": "0", "symptom_duration_years": "3,5", "prior_treatments": "2",
    "treatments": "cbt|pmt", "sessions": "14", "research_consent": "ja", "team": "Noord",
}  # fmt: skip


def ssd_row(client: str = "C1", when: str = "15-01-2020 10:30", **items: str) -> dict[str, str]:
    row = {"client_id": client, "completed_at": when}
    row.update({name: "1" for name in item_columns("ssd12")})
    row.update(items)
    return row


def raw_table(name: str, rows: list[dict[str, Any]], fmt: str = "csv") -> RawTable:
    contract = CONTRACTS.get(name)
    columns = list(TRAJ_ROW) if contract is None or name == "trajectories" else list(contract.names)
    frame = pd.DataFrame(rows, dtype=object) if rows else pd.DataFrame(columns=columns)
    return RawTable(
        name=name,
        frame=frame,
        rows=np.arange(2, len(frame) + 2, dtype=np.int64),
        source=f"{name}.csv",
        fmt=fmt,
    )


def traj(**changes: str) -> dict[str, str]:
    row = dict(TRAJ_ROW)
    row.update(changes)
    return row


#: These unit tables hold one to a few rows: an explicit export date after every date in them,
#: and no quarantine-share stop (both rules have their own cases in tests/test_bad_exports.py).
UNIT_PARAMS = IngestParams(export_date="2024-12-31", max_quarantine_share=1.0)


def ingest(tables: dict[str, list[dict[str, Any]]], params: IngestParams | None = None):
    raw = {name: raw_table(name, rows) for name, rows in tables.items()}
    # min_free_text_n=1: one-row tables keep their team (the rule is tested on its own).
    return ingest_tables(raw, params or UNIT_PARAMS, KEY, min_free_text_n=1)


def reasons(result, table: str) -> dict[int, str]:
    q = result.quarantine[result.quarantine["table"] == table]
    return dict(zip(q["row"].tolist(), q["reason"].tolist(), strict=True))


# ------------------------------------------------------------------------------------------
# normalisers
# ------------------------------------------------------------------------------------------


def coded(values: list[Any]):
    return code_cells(pd.Series(values, dtype=object))


def test_code_cells_trims_merges_and_treats_blanks_as_missing() -> None:
    c = coded([" a", "a ", "", "  ", None, np.nan, 12.0, 1.5, True])
    assert c.codes[0] == c.codes[1]
    assert c.missing.tolist() == [False, False, True, True, True, True, False, False, False]
    assert sorted(c.texts.tolist()) == ["1.5", "12", "a", "true"]
    assert c.counts().sum() == 5


def test_numbers_decimal_comma_point_and_problems() -> None:
    check = parse_numbers(coded(["3,5", "3.5", "-1", "", "abc", "1e3", "1.000,5", "nan"]))
    np.testing.assert_array_equal(check.values[:3], [3.5, 3.5, -1.0])
    assert np.isnan(check.values[3:]).all()
    assert check.not_number.tolist() == [False] * 4 + [True] * 4


def test_numbers_explicit_decimal_mark() -> None:
    assert parse_numbers(coded(["3.5"]), decimal=",").not_number.tolist() == [True]
    assert parse_numbers(coded(["3,5"]), decimal=".").not_number.tolist() == [True]
    assert parse_numbers(coded(["3,5"]), decimal=",").values.tolist() == [3.5]


def test_whole_numbers_and_ranges() -> None:
    check = parse_numbers(coded(["0", "4", "5", "2,5", "4,0", "-1"]), whole=True, low=0, high=4)
    assert check.values[:2].tolist() == [0.0, 4.0]
    assert check.values[4] == 4.0
    assert check.not_whole.tolist() == [False, False, False, True, False, False]
    assert check.out_of_range.tolist() == [False, False, True, False, False, True]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15-01-2020", dt.datetime(2020, 1, 15)),
        ("5-1-2020", dt.datetime(2020, 1, 5)),
        ("15-01-2020 10:30", dt.datetime(2020, 1, 15, 10, 30)),
        ("15-01-2020 10:30:05", dt.datetime(2020, 1, 15, 10, 30, 5)),
        ("2020-01-15", dt.datetime(2020, 1, 15)),
        ("2020-01-15T10:30:00", dt.datetime(2020, 1, 15, 10, 30)),
        ("2020-01-15 10:30:00+01:00", dt.datetime(2020, 1, 15, 10, 30)),
        ("2020-01-15T10:30:00Z", dt.datetime(2020, 1, 15, 10, 30)),
        ("29-02-2020", dt.datetime(2020, 2, 29)),
    ],
)
def test_dates_parse(text: str, expected: dt.datetime) -> None:
    values, bad = parse_date_texts(np.asarray([text], dtype=object))
    assert not bad[0]
    assert pd.Timestamp(values[0]) == pd.Timestamp(expected)


@pytest.mark.parametrize(
    "text",
    ["32-01-2020", "29-02-2021", "15-13-2020", "onbekend", "15/01/2020", "15-01-20", "2020-02-30",
     "15-01-2020 24:00", "2020"],
)  # fmt: skip
def test_unparseable_dates(text: str) -> None:
    _, bad = parse_date_texts(np.asarray([text], dtype=object))
    assert bad[0]


def test_configured_date_format() -> None:
    values, bad = parse_date_texts(
        np.asarray(["15/01/2020", "2020-01-16"], dtype=object), "%d/%m/%Y"
    )
    assert not bad.any()
    assert pd.Timestamp(values[0]) == pd.Timestamp(2020, 1, 15)


def test_dates_from_spreadsheet_and_spss_cells() -> None:
    values, bad = parse_dates(pd.Series([dt.datetime(2020, 1, 2, 3, 4), "03-01-2020", None]))
    assert bad.tolist() == [False, False, False]
    assert pd.Timestamp(values[0]) == pd.Timestamp(2020, 1, 2, 3, 4)
    assert np.isnat(values[2])
    native = pd.Series(pd.to_datetime(pd.Series(["2020-01-02 10:00", None])))
    values, bad = parse_dates(native, day_only=True)
    assert pd.Timestamp(values[0]) == pd.Timestamp(2020, 1, 2) and not bad.any()


@pytest.mark.parametrize(
    ("values", "table", "expected"),
    [
        (["man", "Vrouw", "anders", "M", "V", "X", "m", "f", "x", " MAN "], SEX_VALUES,
         ["m", "f", "x", "m", "f", "x", "m", "f", "x", "m"]),
        (["regulier", "Voortijdig", "verwezen", "overig", "drop-out", "regular"],
         END_REASON_VALUES, ["regular", "dropout", "referred", "other", "dropout", "regular"]),
        (["SSD", "fnd", "illness anxiety", "Illness_Anxiety", "other", "conversiestoornis"],
         DIAGNOSIS_VALUES, ["ssd", "fnd", "illness_anxiety", "illness_anxiety", "other", "fnd"]),
    ],
)  # fmt: skip
def test_categories(values: list[str], table: dict[str, str], expected: list[str]) -> None:
    parsed, unknown = parse_category(coded(values), table)
    assert parsed.tolist() == expected
    assert not unknown.any()


def test_unknown_category_and_missing() -> None:
    parsed, unknown = parse_category(coded(["vrouw", "onbekend", ""]), SEX_VALUES)
    assert parsed.tolist() == ["f", None, None]
    assert unknown.tolist() == [False, True, False]


def test_binary_answers() -> None:
    values = ["ja", "Nee", "YES", "no", "true", "FALSE", "1", "0", "1,0", "", "2", "misschien"]
    parsed, unknown = parse_binary(coded(values))
    assert parsed[:9].tolist() == [1, 0, 1, 0, 1, 0, 1, 0, 1]
    assert np.isnan(parsed[9:]).all()
    assert unknown.tolist() == [False] * 10 + [True, True]


def test_treatments() -> None:
    assert normalise_treatments(" PMT | cbt|cbt ") == "cbt|pmt"
    assert normalise_treatments("Body mentalizing|E-health") == "body_mentalizing|ehealth"
    assert normalise_treatments("cbt||") == "cbt"
    assert normalise_treatments("cbt|yoga") is None
    parsed, unknown = parse_treatments(coded(["emdr", "", "yoga"]))
    assert parsed.tolist() == ["emdr", "", ""]
    assert unknown.tolist() == [False, False, True]


def test_spss_value_labels_are_applied() -> None:
    parsed, unknown = parse_category(
        code_cells(pd.Series([1.0, 2.0, 3.0]), {1.0: "man", 2.0: "vrouw"}), SEX_VALUES
    )
    assert parsed.tolist() == ["m", "f", None]
    assert unknown.tolist() == [False, False, True]


# ------------------------------------------------------------------------------------------
# hypothesis: Dutch formats round-trip
# ------------------------------------------------------------------------------------------


@given(st.integers(-(10**6), 10**6), st.integers(0, 3))
def test_dutch_numbers_round_trip(units: int, decimals: int) -> None:
    value = units / 10**decimals
    text = f"{value:.{decimals}f}".replace(".", ",")
    check = parse_numbers(coded([text]))
    assert not check.bad.any()
    assert check.values[0] == pytest.approx(value)


@given(
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 12, 31)),
    st.sampled_from(["%d-%m-%Y", "%d-%m-%Y %H:%M", "%d-%m-%Y %H:%M:%S", "%Y-%m-%d", "unpadded"]),
)
def test_dutch_dates_round_trip(when: dt.datetime, fmt: str) -> None:
    if fmt == "unpadded":
        text = f"{when.day}-{when.month}-{when.year}"
        expected = dt.datetime(when.year, when.month, when.day)
    else:
        text = when.strftime(fmt)
        expected = dt.datetime.strptime(text, fmt)
    values, bad = parse_date_texts(np.asarray([text], dtype=object))
    assert not bad[0]
    assert pd.Timestamp(values[0]) == pd.Timestamp(expected)


# ------------------------------------------------------------------------------------------
# pseudonyms
# ------------------------------------------------------------------------------------------


def test_pseudonym_is_keyed_hmac_sha256_with_domains() -> None:
    expected = hmac.new(KEY, b"client:C1", hashlib.sha256).hexdigest()[:32]
    assert pseudonym(KEY, "client", "C1") == expected
    assert pseudonym(KEY, "client", "C1") == pseudonym(KEY, "client", "C1")
    assert pseudonym(KEY, "client", "C1") != pseudonym(b"other key", "client", "C1")
    assert pseudonym(KEY, "client", "X") != pseudonym(KEY, "trajectory", "X")
    assert len(pseudonym(KEY, "client", "C1")) == 32


@pytest.mark.parametrize("key", [KEY, DEMO_KEY, b"k" * 100])
def test_fast_pseudonymiser_equals_hmac(key: bytes) -> None:
    ids = np.asarray(["C1", "C2", "C1", "Zoë"], dtype=object)
    fast = Pseudonymiser(key).many("trajectory", ids)
    assert fast.tolist() == [pseudonym(key, "trajectory", i) for i in ids]
    assert pseudonymise(key, "client", ["C1"]).tolist() == [pseudonym(key, "client", "C1")]


# ------------------------------------------------------------------------------------------
# ingest_tables
# ------------------------------------------------------------------------------------------


def test_clean_tables_match_the_internal_contract() -> None:
    result = ingest(
        {
            "trajectories": [traj(), traj(client_id="C2", trajectory_id="T2", end_date="",
                                          end_reason="", team="", cfs="", treatments="")],
            "ssd12": [ssd_row(), ssd_row("C2", "2020-02-01", ssd12_04="")],
        }
    )  # fmt: skip
    t = result.tables["trajectories"]
    assert tuple(t.columns) == TRAJECTORY_OUTPUT
    assert t["source_row"].dtype == np.int64
    assert t["birth_year"].dtype == "Int64" and t["sessions"].dtype == "Int64"
    assert t["cfs"].dtype == "Int8" and t["research_consent"].dtype == "Int8"
    assert t["start_date"].dtype == "datetime64[ns]"
    assert t["symptom_duration_years"].tolist() == [3.5, 3.5]
    assert t["sex"].tolist() == ["f", "f"]
    assert t["end_reason"].tolist() == ["regular", None]
    assert pd.isna(t["end_date"].iloc[1])
    assert t["treatments"].tolist() == ["cbt|pmt", ""]
    assert t["team"].tolist() == ["Noord", None]
    assert pd.isna(t["cfs"].iloc[1])
    assert t["client_key"].tolist()[0] == pseudonym(KEY, "client", "C1")
    assert t["trajectory_key"].tolist()[0] == pseudonym(KEY, "trajectory", "T1")
    s = result.tables["ssd12"]
    assert list(s.columns) == ["source_row", "client_key", "trajectory_key", "completed_at",
                               *item_columns("ssd12")]  # fmt: skip
    assert s["ssd12_01"].dtype == np.float32
    assert s["trajectory_key"].isna().all()
    assert np.isnan(s["ssd12_04"].iloc[1])
    assert s["completed_at"].iloc[0] == pd.Timestamp(2020, 1, 15, 10, 30)
    assert result.quarantine.empty
    assert list(result.quarantine.columns) == ["table", "row", "client_key", "reason"]


def test_export_ids_never_reach_the_outputs() -> None:
    result = ingest(
        {"trajectories": [traj(client_id="SECRET-C"),
                          traj(client_id="SECRET-C", trajectory_id="T2")],
         "ssd12": [ssd_row("SECRET-C"), ssd_row("SECRET-X")]}
    )  # fmt: skip
    text = " ".join(f.to_csv() for f in result.tables.values()) + result.quarantine.to_csv()
    assert "SECRET" not in text and "T1" not in text


def test_row_problems_are_quarantined_with_reasons() -> None:
    result = ingest(
        {
            "trajectories": [
                traj(),
                traj(client_id="C2", trajectory_id="T2", start_date="31-02-2020"),
                traj(client_id="C3", trajectory_id="T3", end_date="01-01-2020"),
                traj(client_id="C4", trajectory_id="T4", sex="onbekend", cfs="misschien"),
                traj(client_id="C5", trajectory_id="T5", treatments="cbt|yoga"),
                traj(client_id="", trajectory_id="T6"),
                traj(client_id="C7", trajectory_id="T7", start_date=""),
                traj(client_id="C8", trajectory_id="T8", birth_year="1980,5", sessions="-1"),
                traj(client_id="C9", trajectory_id="T9", symptom_duration_years="",
                     diagnosis="", birth_year=""),
            ],
            "ssd12": [
                ssd_row(ssd12_07="5"),
                ssd_row(ssd12_01="2,5", ssd12_02="x"),
                ssd_row(when="32-01-2020"),
                ssd_row(when=""),
                ssd_row(client="C2"),
                ssd_row(client=""),
                ssd_row(ssd12_03="4,0"),
            ],
        }
    )  # fmt: skip
    traj_reasons = reasons(result, "trajectories")
    assert traj_reasons == {
        3: "unparseable start_date",
        4: "end_date before start_date",
        5: "unknown sex value; unknown cfs value (expected 0/1)",
        6: "unknown treatment modality",
        7: "missing client_id",
        8: "missing start_date",
        9: "birth_year not a whole number; sessions out of range ≥ 0",
    }
    assert result.tables["trajectories"]["source_row"].tolist() == [2, 10]
    ssd = reasons(result, "ssd12")
    assert ssd == {
        2: "item ssd12_07 out of range 0–4",
        3: "item ssd12_01 not a whole number; item ssd12_02 not a number",
        4: "unparseable completed_at",
        5: "missing completed_at",
        6: "unknown client (not among kept trajectories)",
        7: "missing client_id",
    }
    assert result.tables["ssd12"]["source_row"].tolist() == [8]
    q = result.quarantine
    missing_client = q[(q["table"] == "trajectories") & (q["row"] == 7)]
    assert missing_client["client_key"].tolist() == [""]


def test_duplicate_trajectory_ids_quarantine_all_their_rows() -> None:
    result = ingest(
        {"trajectories": [traj(), traj(client_id="C2"), traj(client_id="C3", trajectory_id="T3")],
         "ssd12": [ssd_row("C1"), ssd_row("C3")]}
    )  # fmt: skip
    assert reasons(result, "trajectories") == {
        2: "duplicate trajectory_id",
        3: "duplicate trajectory_id",
    }
    assert reasons(result, "ssd12") == {2: "unknown client (not among kept trajectories)"}


def test_trajectory_links_of_administrations() -> None:
    rows = [
        dict(ssd_row("C1"), trajectory_id="T1"),
        dict(ssd_row("C1"), trajectory_id="T2"),
        dict(ssd_row("C1"), trajectory_id="T9"),
        dict(ssd_row("C2"), trajectory_id=""),
    ]
    result = ingest(
        {"trajectories": [traj(), traj(client_id="C2", trajectory_id="T2")], "ssd12": rows}
    )
    assert reasons(result, "ssd12") == {
        3: "trajectory_id belongs to another client",
        4: "unknown trajectory_id (not among kept trajectories)",
    }
    kept = result.tables["ssd12"]
    assert kept["trajectory_key"].tolist() == [pseudonym(KEY, "trajectory", "T1"), None]


def test_phq15_item_4_may_be_empty_and_extra_columns_are_ignored() -> None:
    row = {"client_id": "C1", "completed_at": "01-02-2020", "Opmerking": "goed",
           **{name: "1" for name in item_columns("phq15")}, "phq15_04": ""}  # fmt: skip
    result = ingest({"trajectories": [traj(extra="x")], "phq15": [row]})
    assert result.quarantine.empty
    # Counted, never named: a header may itself carry an identifier.
    assert result.accounting["phq15"]["ignored_columns"] == 1
    assert result.accounting["trajectories"]["ignored_columns"] == 1


def test_column_names_are_case_insensitive_and_mapped() -> None:
    row = {k.upper() if k != "client_id" else " ClientNummer ": v for k, v in traj().items()}
    params = build_params(
        IngestParams,
        {
            "column_map": {"Trajectories": {"clientnummer": "client_id"}},
            "export_date": "2024-12-31",
        },
        "ingest",
    )
    result = ingest({"trajectories": [row]}, params)
    assert result.accounting["trajectories"]["rows_kept"] == 1
    assert result.tables["trajectories"]["client_key"].iloc[0] == pseudonym(KEY, "client", "C1")


def test_export_level_errors() -> None:
    with pytest.raises(ExportError, match="no trajectories table.*tables found: ssd12"):
        ingest({"ssd12": [ssd_row()]})
    row = traj()
    del row["start_date"], row["sex"]
    with pytest.raises(ExportError, match="table trajectories is missing columns sex, start_date"):
        ingest({"trajectories": [row]})
    bad_ssd = ssd_row()
    del bad_ssd["ssd12_12"]
    with pytest.raises(ExportError, match="table ssd12 is missing column ssd12_12"):
        ingest({"trajectories": [traj()], "ssd12": [bad_ssd]})
    with pytest.raises(ExportError, match="column client_id more than once"):
        ingest({"trajectories": [dict(traj(), CLIENT_ID="C1")]})


def test_identifiers_are_refused_before_parsing() -> None:
    with pytest.raises(ExportError, match="column email: the column name") as info:
        ingest({"trajectories": [traj(email="a@example.org")]})
    assert "a@example.org" not in str(info.value)
    with pytest.raises(ExportError, match="column client_id: 1 cell with a BSN") as info:
        ingest({"trajectories": [traj(client_id="111222333")]})
    assert "111222333" not in str(info.value)
    with pytest.raises(ExportError, match="table ssd12 column opmerking: 2 cells with a phone"):
        ingest({"trajectories": [traj()],
                "ssd12": [dict(ssd_row(), opmerking="06-12345678")] * 2})  # fmt: skip
    with pytest.raises(ExportError, match="column birth_year: 1 cell with a full date"):
        ingest({"trajectories": [traj(birth_year="1980-05-03")]})
    with pytest.raises(ExportError, match="table contacten column x: 1 cell with an e-mail"):
        ingest({"trajectories": [traj()], "contacten": [{"x": "a@b.nl"}]})


def test_unknown_tables_are_ignored_and_reported() -> None:
    result = ingest({"trajectories": [traj()], "notities": [{"x": "1"}]})
    assert result.ignored_tables == ("notities",)
    assert "notities" not in result.tables and "notities" not in result.accounting


def test_empty_tables_and_the_empty_key() -> None:
    result = ingest({"trajectories": [traj()], "cqi": []})
    cqi = result.tables["cqi"]
    assert len(cqi) == 0 and list(cqi.columns)[-1] == "cqi_grade"
    with pytest.raises(ExportError, match="key is empty"):
        ingest_tables({}, IngestParams(), b"")


def test_decimal_and_date_options_apply_to_csv_text_only() -> None:
    params = replace(UNIT_PARAMS, csv=CsvOptions(decimal=".", date_format="%d/%m/%Y"))
    rows = [
        traj(symptom_duration_years="2,5", start_date="15/01/2020", end_date="", referral_date="")
    ]
    result = ingest({"trajectories": rows}, params)
    assert reasons(result, "trajectories") == {2: "symptom_duration_years not a number"}
    spreadsheet_rows = [traj(symptom_duration_years="2,5", end_date="")]
    raw = {"trajectories": raw_table("trajectories", spreadsheet_rows, fmt="xlsx")}
    assert ingest_tables(raw, params, KEY).quarantine.empty


def test_input_tables_are_not_modified() -> None:
    raw = {"trajectories": raw_table("trajectories", [traj(), traj(sex="?")])}
    before = raw["trajectories"].frame.copy()
    ingest_tables(raw, UNIT_PARAMS, KEY)
    pd.testing.assert_frame_equal(raw["trajectories"].frame, before)


def test_params_block_of_the_project_loads() -> None:
    params = load_params("ingest", IngestParams)
    assert params.format in ("auto", "csv", "xlsx", "sav")
    assert params.pseudonym.key_env


def test_contracts_cover_every_instrument() -> None:
    assert set(CONTRACTS) == {
        "trajectories", "ssd12", "eq5d5l", "eq5d3l", "rand36", "phq15", "cqi", "non_response",
    }  # fmt: skip


# ------------------------------------------------------------------------------------------
# hypothesis: the row accounting always balances
# ------------------------------------------------------------------------------------------

_CELL = st.sampled_from(["", " ", "0", "1", "3", "5", "2,5", "x", "ja", "C1", "C2", "T1",
                         "15-01-2020", "32-01-2020", "2021-06-01 10:00"])  # fmt: skip


@st.composite
def messy_export(draw: st.DrawFn) -> dict[str, list[dict[str, str]]]:
    n_traj = draw(st.integers(0, 6))
    trajectories = []
    for _ in range(n_traj):
        row = traj(
            client_id=draw(st.sampled_from(["C1", "C2", "C3", ""])),
            trajectory_id=draw(st.sampled_from(["T1", "T2", "T3", "T4", ""])),
            start_date=draw(st.sampled_from(["15-01-2020", "", "x", "2020-02-01"])),
            end_date=draw(st.sampled_from(["", "01-01-2020", "20-10-2020"])),
            sex=draw(st.sampled_from(["m", "?", ""])),
        )
        trajectories.append(row)
    administrations = []
    for _ in range(draw(st.integers(0, 8))):
        row = ssd_row(
            client=draw(st.sampled_from(["C1", "C2", "C9", ""])),
            when=draw(_CELL),
            ssd12_01=draw(_CELL),
            ssd12_05=draw(_CELL),
        )
        row["trajectory_id"] = draw(st.sampled_from(["T1", "T2", "T9", ""]))
        administrations.append(row)
    return {"trajectories": trajectories, "ssd12": administrations}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messy_export())
def test_row_accounting_always_balances(tables: dict[str, list[dict[str, str]]]) -> None:
    result = ingest(tables)
    for name, rows in tables.items():
        entry = result.accounting[name]
        assert entry["rows_read"] == len(rows)
        assert entry["rows_read"] == entry["rows_kept"] + entry["rows_quarantined"]
        kept = set(result.tables[name]["source_row"].tolist())
        q = result.quarantine[result.quarantine["table"] == name]
        dropped = set(q["row"].tolist())
        assert len(kept) == entry["rows_kept"] and len(q) == entry["rows_quarantined"]
        assert kept.isdisjoint(dropped)
        assert kept | dropped == set(range(2, len(rows) + 2))
        assert (q["reason"].str.len() > 0).all()
