"""Export profiles (issue 12): profiles as data, the alk layout unchanged, every profile's round
trip, long-file pivots, codebook checks, platform scores and non-response records.

The round trip: one synthetic cohort, written by the generator in each profile's layout and
ingested with that profile, gives after ingest, clean and score the same ``scores.parquet``
and ``trajectories.parquet`` as the ``alk`` layout, apart from source row numbers.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyreadstat
import pytest
import yaml

from pipeline import cli, config
from pipeline.clean import CleanParams
from pipeline.config import load_params
from pipeline.errors import ExportError, ParamsError
from pipeline.ingest.params import IngestParams
from pipeline.ingest.profile import load_profile, parse_profile, shipped_profiles
from pipeline.io.export_readers import is_synthetic_export, read_csv_coded, read_csv_table
from pipeline.io.export_writers import write_export
from pipeline.stages import clean, ingest, score
from pipeline.stages.synth import manifest, write_synthetic_export
from pipeline.synth import SynthParams, generate

GOLDEN = Path(__file__).parent / "golden" / "alk_ingest_sha256.json"
KEY = "profiles test key: thirty-two bytes or more, never real"


def _params(clients: int, **changes: Any) -> SynthParams:
    return dataclasses.replace(load_params("synth", SynthParams), clients=clients, **changes)


def _pipeline(export: Path, profile: str, work: Path) -> Path:
    """Ingest, clean and score ``export`` with ``profile`` into ``work``."""
    params = dataclasses.replace(
        load_params("ingest", IngestParams), export_dir=export, profile=profile
    )
    ingest.run(params, out_dir=work / "ingested", environ={}, min_free_text_n=10)
    clean.run(
        load_params("clean", CleanParams),
        ingested_dir=work / "ingested",
        clean_dir=work / "clean",
        processed_dir=work / "processed",
        metrics_dir=work / "metrics",
    )
    score.run(
        score.load_score_params(),
        clean_dir=work / "clean",
        processed_dir=work / "processed",
        metrics_dir=work / "metrics",
    )
    return work


def _without_rows(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=[c for c in ("source_row",) if c in frame]).reset_index(drop=True)


# ------------------------------------------------------------------------------------------
# profiles as data
# ------------------------------------------------------------------------------------------


def test_shipped_profiles_load() -> None:
    assert {"alk", "roqua", "long"} <= set(shipped_profiles(config.ROOT))
    for name in ("alk", "roqua", "long"):
        profile = load_profile(name, config.ROOT)
        assert profile.name == name
    assert not load_profile("alk", config.ROOT).mapped
    assert load_profile(None, config.ROOT).name == "alk"  # the default


def _roqua_data() -> dict[str, Any]:
    return yaml.safe_load((config.ROOT / "profiles" / "roqua.yaml").read_text(encoding="utf-8"))


def _changed(change: Any) -> dict[str, Any]:
    data = _roqua_data()
    change(data)
    return data


BAD_PROFILES = [
    ("unknown_key", lambda d: d.update(colums={}), "unknown key(s) colums"),
    ("unknown_nested_key", lambda d: d["questionnaires"]["ssd12"].update(file="x.csv"),
     "questionnaires.ssd12: unknown key(s) file"),
    ("not_an_item", lambda d: d["questionnaires"]["cqi"]["items"].update(cqi_mark="{key}_2"),
     "'cqi_mark' is not an item of cqi"),
    ("item_without_column", lambda d: d["questionnaires"]["cqi"].update(items={}),
     "no column or code for item(s) cqi_grade of cqi"),
    ("not_an_instrument", lambda d: d["questionnaires"].update(ssd13={}),
     "'ssd13' is not an instrument"),
    ("incomplete_recoding", lambda d: d["questionnaires"]["ssd12"].update(
        coding=[{"items": "all", "values": {1: 0, 2: 1, 3: 2, 4: 3}}]),
     "incomplete recoding of item ssd12_01: no code maps to answer(s) 4"),
    ("recoding_outside_range", lambda d: d["questionnaires"]["ssd12"].update(
        coding=[{"items": "all", "values": {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 0: 0}}]),
     "item ssd12_01 answers are 0–4; the coding maps to 5"),
    ("offset_and_values", lambda d: d["questionnaires"]["ssd12"].update(
        coding=[{"items": "all", "offset": -1, "values": {1: 0}}]),
     "give either offset or values, not both"),
    ("coding_of_unknown_item", lambda d: d["questionnaires"]["ssd12"].update(
        coding=[{"items": ["ssd12_13"], "offset": -1}]),
     "'ssd12_13' is not an item of ssd12"),
    ("item_coded_twice", lambda d: d["questionnaires"]["ssd12"].update(
        coding=[{"items": ["ssd12_01"], "offset": -1}, {"items": ["ssd12_01"], "offset": 0}]),
     "item ssd12_01 has a coding already"),
    ("not_a_trajectory_column", lambda d: d["trajectories"]["columns"].update(geboortedag="x"),
     "'geboortedag' is not a column of the table"),
    ("date_parts_for_a_number", lambda d: d["trajectories"]["columns"].update(
        sessions={"parts": "x"}), "date parts are only for date columns"),
    ("no_trajectories", lambda d: d.pop("trajectories"), "must say where the trajectories are"),
    ("bad_layout", lambda d: d.update(layout="wide"), "layout must be one of canonical, mapped"),
    ("bad_table_csv", lambda d: d["trajectories"].update(csv={"delimiter": "|"}),
     "trajectories.csv.delimiter must be one of auto, ;, ,"),
]  # fmt: skip


@pytest.mark.parametrize("case", BAD_PROFILES, ids=[c[0] for c in BAD_PROFILES])
def test_a_bad_profile_is_a_one_line_error(case: tuple[str, Any, str]) -> None:
    _, change, expected = case
    with pytest.raises(ParamsError) as caught:
        parse_profile(_changed(change), source="test.yaml")
    message = str(caught.value)
    assert message.startswith("profile roqua: ") and "\n" not in message
    assert expected in message, message


def test_unknown_profile_names_the_shipped_ones(tmp_path: Path) -> None:
    with pytest.raises(ParamsError, match="not a shipped profile .shipped: alk, long, roqua"):
        load_profile("epic", config.ROOT)
    with pytest.raises(ParamsError, match="profile file nothing.yaml not found"):
        load_profile(str(tmp_path / "nothing.yaml"), config.ROOT)
    path = tmp_path / "broken.yaml"
    path.write_text("profile: [", encoding="utf-8")
    with pytest.raises(ParamsError, match="not valid YAML"):
        load_profile(str(path), config.ROOT)


# ------------------------------------------------------------------------------------------
# alk: today's layout, byte for byte
# ------------------------------------------------------------------------------------------


def test_alk_leaves_synth_and_ingest_outputs_byte_identical(tmp_path: Path) -> None:
    """The embedded synthetic export (params.yaml's synth block) and its ingest outputs with
    the default profile alk are the bytes the code wrote before profiles existed."""
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    params = load_params("synth", SynthParams)
    assert params.profile == "alk"
    write_synthetic_export(params, tmp_path / "export")
    marker = (tmp_path / "export" / "SYNTHETIC.json").read_bytes()
    assert hashlib.sha256(marker).hexdigest() == golden["synthetic_json"]
    ingest_params = dataclasses.replace(
        load_params("ingest", IngestParams), export_dir=tmp_path / "export"
    )
    assert ingest_params.profile == "alk"
    ingest.run(ingest_params, out_dir=tmp_path / "ingested", environ={}, min_free_text_n=10)
    written = {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((tmp_path / "ingested").iterdir())
    }
    assert written == golden["ingested"]


# ------------------------------------------------------------------------------------------
# the round trip
# ------------------------------------------------------------------------------------------


def _without_reentry(params: SynthParams) -> SynthParams:
    effects = params.effects
    reentry = dataclasses.replace(effects.reentry, rate_per_year=1e-9)  # (must be positive)
    return dataclasses.replace(params, effects=dataclasses.replace(effects, reentry=reentry))


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One small cohort (with its planted errors) in every layout, through ingest, clean and
    score with the matching profile.

    The cohort has no re-entries: a RoQua export carries no care-trajectory id, so its
    administrations are linked to trajectories by date, and an end measurement of one
    trajectory that falls in the intake window of the client's next trajectory goes to the next
    (docs/input-format.md, *Timepoints*); with the trajectory ids of the alk layout it stays
    with its own. :func:`test_roqua_without_trajectory_ids_differs_only_at_re_entries` checks
    that this is the only difference."""
    base = tmp_path_factory.mktemp("round_trip")
    out = {}
    for profile in ("alk", "roqua", "long"):
        params = _without_reentry(_params(120, profile=profile))
        write_synthetic_export(params, base / profile / "export")
        out[profile] = _pipeline(base / profile / "export", profile, base / profile / "work")
    return out


@pytest.fixture(scope="module")
def with_reentries(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same small cohort with re-entries (the default), in every layout."""
    base = tmp_path_factory.mktemp("reentries")
    out = {}
    for profile in ("alk", "roqua", "long"):
        write_synthetic_export(_params(120, profile=profile), base / profile / "export")
        out[profile] = _pipeline(base / profile / "export", profile, base / profile / "work")
    return out


@pytest.mark.parametrize("table", ["scores", "trajectories"])
def test_long_with_trajectory_ids_gives_the_alk_results_with_re_entries(
    with_reentries: dict[str, Path], table: str
) -> None:
    alk = pd.read_parquet(with_reentries["alk"] / "processed" / f"{table}.parquet")
    other = pd.read_parquet(with_reentries["long"] / "processed" / f"{table}.parquet")
    pd.testing.assert_frame_equal(_without_rows(other), _without_rows(alk))


def test_roqua_without_trajectory_ids_differs_only_at_re_entries(
    with_reentries: dict[str, Path],
) -> None:
    alk = pd.read_parquet(with_reentries["alk"] / "processed" / "scores.parquet")
    roqua = pd.read_parquet(with_reentries["roqua"] / "processed" / "scores.parquet")
    trajectories = pd.read_parquet(with_reentries["alk"] / "processed" / "trajectories.parquet")
    assert len(alk) == len(roqua)
    keys = ["client_key", "instrument", "completed_at"]
    both = alk.merge(roqua, on=keys, suffixes=("", "_roqua"), validate="one_to_one")
    moved = both[
        (both["trajectory_key"].fillna("") != both["trajectory_key_roqua"].fillna(""))
        | (both["timepoint"] != both["timepoint_roqua"])
    ]
    assert 0 < len(moved) < 0.02 * len(both)
    starts = trajectories.groupby("client_key")["start_date"].apply(list)
    for row in moved.itertuples():
        # by id: its own trajectory's end (or follow-up); by date: within 60 days before a
        # later start of the same client, so the later trajectory takes it
        day = pd.Timestamp(row.completed_at).normalize()
        assert any(
            pd.Timedelta(0) < start - day <= pd.Timedelta(days=60)
            for start in starts[row.client_key]
        ), row


@pytest.mark.parametrize("profile", ["roqua", "long"])
@pytest.mark.parametrize("table", ["scores", "trajectories"])
def test_round_trip_gives_the_alk_results(
    round_trip: dict[str, Path], profile: str, table: str
) -> None:
    alk = pd.read_parquet(round_trip["alk"] / "processed" / f"{table}.parquet")
    other = pd.read_parquet(round_trip[profile] / "processed" / f"{table}.parquet")
    assert len(alk) > 50
    pd.testing.assert_frame_equal(_without_rows(other), _without_rows(alk))


def test_round_trip_rows_move_but_the_accounting_balances(round_trip: dict[str, Path]) -> None:
    alk = json.loads((round_trip["alk"] / "processed" / "row_accounting.json").read_text("utf-8"))
    for profile in ("roqua", "long"):
        work = round_trip[profile]
        other = json.loads((work / "processed" / "row_accounting.json").read_text("utf-8"))
        for table, counts in alk.items():
            assert other[table] == counts, (profile, table)
        ingested = json.loads((work / "ingested" / "accounting.json").read_text("utf-8"))
        for entry in ingested.values():
            records = entry.get("source_records")
            if records:
                assert records["read"] == (
                    records["in_kept_rows"] + records["in_quarantined_rows"] + records["set_aside"]
                )
                assert records["set_aside"] == sum((entry.get("set_aside") or {}).values())
        # the quirks were set aside and counted, not dropped
        aside = {k for e in ingested.values() for k in (e.get("set_aside") or {})}
        assert "respondent type not kept" in aside and "test dossier" in aside, aside


def test_roqua_quirks_are_set_aside_and_counted(round_trip: dict[str, Path]) -> None:
    ingested = json.loads(
        (round_trip["roqua"] / "ingested" / "accounting.json").read_text(encoding="utf-8")
    )
    ssd12 = ingested["ssd12"]["set_aside"]
    assert ssd12["non-response record (see table non_response)"] > 0
    assert ssd12["pending (no completion date, no answer)"] > 0
    assert ssd12["test dossier"] == 1
    long = json.loads(
        (round_trip["long"] / "ingested" / "accounting.json").read_text(encoding="utf-8")
    )
    assert long["trajectories"]["set_aside"] == {"test dossier": 1}
    assert long["ssd12"]["source_records"]["read"] > 10 * long["ssd12"]["rows_read"]


def test_platform_scores_are_compared_as_counts(round_trip: dict[str, Path]) -> None:
    metrics = json.loads(
        (round_trip["roqua"] / "metrics" / "platform_scores.json").read_text(encoding="utf-8")
    )
    assert metrics["platform_scores"] is True
    ssd12 = metrics["scores"]["ssd12"]["ssd12_total"]
    assert ssd12["compared"] > 100
    # the platform sums the answered items; the project prorates: they agree when nothing is
    # missing and differ when an item is
    assert ssd12["agree"] > ssd12["disagree"] > 0
    assert set(ssd12) == {
        "platform_values", "compared", "agree", "disagree", "project_missing",
        "platform_missing", "not_kept", "tolerance",
    }  # fmt: skip
    for profile in ("alk", "long"):
        none = json.loads(
            (round_trip[profile] / "metrics" / "platform_scores.json").read_text("utf-8")
        )
        assert none == {"platform_scores": False, "scores": {}}


def test_non_response_records_are_linked(round_trip: dict[str, Path]) -> None:
    for profile in ("roqua", "long"):
        records = pd.read_parquet(round_trip[profile] / "processed" / "non_response.parquet")
        assert len(records) > 10
        assert set(records["reason_group"]) <= {"approached", "not_approached"}
        linked = records[records["timepoint"].isin(["intake", "end"])]
        assert len(linked) / len(records) > 0.9
        assert records["trajectory_key"].str.fullmatch("[0-9a-f]{32}").fillna(True).all()
    alk = pd.read_parquet(round_trip["alk"] / "processed" / "non_response.parquet")
    assert len(alk) == 0 and "reason_code" in alk


# ------------------------------------------------------------------------------------------
# the generator
# ------------------------------------------------------------------------------------------


def test_synth_profile_command_writes_a_verified_file_set(tmp_path: Path) -> None:
    out = tmp_path / "roqua"
    assert cli.main(["synth", "--out", str(out), "--clients", "30", "--profile", "roqua"]) == 0
    manifest_data = json.loads((out / "SYNTHETIC.json").read_text(encoding="utf-8"))
    assert manifest_data["profile"] == "roqua"
    assert "epd/trajecten.csv" in manifest_data["sha256"]
    assert any(k.startswith("codebooks/") for k in manifest_data["sha256"])
    assert is_synthetic_export(out)
    (out / "epd" / "trajecten.csv").write_bytes(
        (out / "epd" / "trajecten.csv").read_bytes() + b"\r\n"
    )
    assert not is_synthetic_export(out)  # a changed file in a subfolder: an ordinary export
    text = (out / "ssd12.csv").read_text(encoding="utf-8")
    assert text.startswith('"patient_id";"roqua_id"') and ';"";' in text  # quoted empties
    assert cli.main(["synth", "--out", str(tmp_path / "x"), "--profile", "long",
                     "--format", "xlsx"]) == 2  # fmt: skip


def test_generator_is_deterministic_per_profile(tmp_path: Path) -> None:
    for profile in ("roqua", "long"):
        params = _params(30, profile=profile)
        write_synthetic_export(params, tmp_path / f"{profile}1")
        write_synthetic_export(params, tmp_path / f"{profile}2")
        first = (tmp_path / f"{profile}1" / "SYNTHETIC.json").read_bytes()
        assert first == (tmp_path / f"{profile}2" / "SYNTHETIC.json").read_bytes()


# ------------------------------------------------------------------------------------------
# long files: the pivot
# ------------------------------------------------------------------------------------------


def _long_export(tmp_path: Path, clients: int = 30) -> Path:
    export = tmp_path / "long"
    write_synthetic_export(_params(clients, profile="long", errors=0), export)
    return export


def _edit_long(export: Path, edit: Any) -> None:
    path = export / "rom_antwoorden.csv"
    text = path.read_bytes().decode("utf-8-sig")
    lines = text.split("\r\n")
    edit(lines)
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode("utf-8"))


def _validate(export: Path, profile: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = cli.main(["validate", str(export), "--profile", profile])
    out, err = capsys.readouterr()
    return code, out + err


def test_long_item_given_twice_with_different_values_quarantines_the_administration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export = _long_export(tmp_path)
    monkeypatch.setenv("ROM_PSEUDONYM_KEY", KEY)

    def conflict(lines: list[str]) -> None:
        cells = lines[1].split(";")
        cells[-1] = "0" if cells[-1] != "0" else "1"
        lines.insert(5, ";".join(cells))

    _edit_long(export, conflict)
    params = dataclasses.replace(
        load_params("ingest", IngestParams), export_dir=export, profile="long"
    )
    result, _ = ingest.read_and_ingest(params, export, KEY.encode())
    reason = "item ssd12_01 given twice with different values (long file rows 2 and 6)"
    hits = result.quarantine[result.quarantine["reason"] == reason]
    assert len(hits) == 1 and hits["table"].iloc[0] == "ssd12" and hits["row"].iloc[0] == 2
    entry = result.accounting["ssd12"]["source_records"]
    assert entry["in_quarantined_rows"] == 13  # the 12 item rows and the conflicting one
    assert entry["read"] == entry["in_kept_rows"] + 13 + entry["set_aside"]


def test_long_same_value_twice_is_accepted_and_disagreeing_dates_are_not(
    tmp_path: Path,
) -> None:
    export = _long_export(tmp_path)

    def repeat_and_shift(lines: list[str]) -> None:
        lines.insert(3, lines[2])  # the same item row again: accepted
        cells = lines[20].split(";")  # an item row of another administration, another date
        cells[4] = "01-01-2020 10:00"
        lines[20] = ";".join(cells)

    _edit_long(export, repeat_and_shift)
    params = dataclasses.replace(
        load_params("ingest", IngestParams), export_dir=export, profile="long"
    )
    result, _ = ingest.read_and_ingest(params, export, KEY.encode())
    reasons = set(result.quarantine["reason"])
    assert "rows of one administration disagree on completed_at (long file)" in reasons
    assert not any("given twice" in r for r in reasons)


def test_coded_reader_agrees_with_the_table_reader(tmp_path: Path) -> None:
    export = _long_export(tmp_path, clients=15)
    path = export / "rom_antwoorden.csv"
    table = read_csv_table(path)
    for size in (997, 64 * 1024, 10**8):
        coded = read_csv_coded(path, chunk_bytes=size)
        assert list(coded.columns) == list(table.frame.columns)
        assert (coded.rows == table.rows).all()
        for column in coded.columns:
            cells = coded.uniques[column][coded.codes[column]]
            assert (cells == table.frame[column].to_numpy(dtype=object)).all(), column


def test_coded_reader_refuses_a_short_record_in_a_late_piece(tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    rows = ["a;b;c"] + [f"{k};x;{k % 5}" for k in range(2000)]
    rows[1500] = "1499;x"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(ExportError, match="record 1500 has 2 fields where the header has 3"):
        read_csv_coded(path, chunk_bytes=1000)


# ------------------------------------------------------------------------------------------
# codebooks and SPSS user-missing codes
# ------------------------------------------------------------------------------------------


def _sav_export(tmp_path: Path, labels: dict[float, str], missing: list[float] | None) -> Path:
    """The generator's alk export as sav files, with SSD-12 re-coded 1..5 (+ labels)."""
    params = _params(40, errors=0, format="sav")
    tables = generate(params)
    export = tmp_path / "sav"
    write_export(tables, export, "sav", manifest(params))
    path = export / "ssd12.sav"
    frame, meta = pyreadstat.read_sav(str(path))
    items = [c for c in frame.columns if c.startswith("ssd12_")]
    frame[items] = frame[items] + 1
    if missing:
        frame.loc[0, items[0]] = missing[0]
    pyreadstat.write_sav(
        frame,
        str(path),
        variable_value_labels={c: labels for c in items},
        missing_ranges={c: missing for c in items} if missing else None,
        variable_format={c: f for c, f in meta.original_variable_types.items() if c in frame},
    )
    return export


NEVER_TO_VERY_OFTEN = {1.0: "nooit", 2.0: "zelden", 3.0: "soms", 4.0: "vaak", 5.0: "heel vaak"}


def test_sav_one_based_scale_read_as_zero_based_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    export = _sav_export(tmp_path, NEVER_TO_VERY_OFTEN, None)
    monkeypatch.setenv("ROM_PSEUDONYM_KEY", KEY)
    code, text = _validate(export, "alk", capsys)
    assert code == 2
    assert text.count("\n") == 1 and text.startswith("error: ssd12.sav: table ssd12, item ssd12_01")
    assert "a 1-based scale read as 0-based? (give the item a coding with offset -1)" in text


def test_sav_with_a_coding_and_user_missing_code_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    export = _sav_export(tmp_path, {**NEVER_TO_VERY_OFTEN, 9.0: "weet niet"}, [9.0])
    profile = tmp_path / "alk_ssd12_1based.yaml"
    profile.write_text(
        yaml.safe_dump(
            {
                "profile": "alk_ssd12_1based",
                "layout": "canonical",
                "questionnaires": {"ssd12": {"coding": [{"items": "all", "offset": -1}]}},
            }
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("ROM_PSEUDONYM_KEY", KEY)
    code, text = _validate(export, str(profile), capsys)
    assert code == 0, text
    line = next(x for x in text.splitlines() if x.startswith("ssd12 "))
    assert line.split()[3] == "0"  # the user-missing 9 is missing, not an answer out of range


def test_codebook_labels_on_the_wrong_answer_are_refused() -> None:
    from pipeline.ingest.codebook import codebook_problem
    from pipeline.ingest.profile import Coding, code_text
    from pipeline.instruments.catalogue import ItemSpec

    spec = ItemSpec("ssd12_01", 0, 4)
    reversed_labels = {0: "heel vaak", 1: "vaak", 2: "soms", 3: "zelden", 4: "nooit"}
    problem = codebook_problem(spec, "ssd12", reversed_labels, set(), None, code_text)
    assert (
        problem is not None and "labelled as answer 4 of the scale ('heel vaak') gives 0" in problem
    )
    good = {1: "nooit", 2: "zelden", 3: "soms", 4: "vaak", 5: "heel vaak", 9: "n.v.t."}
    coding = Coding(items=("ssd12_01",), offset=-1, missing=("9",))
    assert codebook_problem(spec, "ssd12", good, set(), coding, code_text) is None
    uncovered = Coding(items=("ssd12_01",), offset=-1)
    problem = codebook_problem(spec, "ssd12", good, set(), uncovered, code_text)
    assert problem is not None and "labels code(s) 9 that give answers outside" in problem
    table = Coding(items=("ssd12_01",), values={"1": 0, "2": 1, "3": 2, "4": 3, "5": 4})
    problem = codebook_problem(spec, "ssd12", good, set(), table, code_text)
    assert problem is not None and "1 code(s) (9) that are neither declared missing" in problem
    partial = {1: "nooit", 2: "zelden"}
    problem = codebook_problem(spec, "ssd12", partial, set(), coding, code_text)
    assert problem is not None and "none gives 2, 3, 4" in problem


def test_value_table_coding_quarantines_an_unmapped_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    params = _params(40, errors=0)
    export = tmp_path / "export"
    write_export(generate(params), export, "csv", manifest(params))
    path = export / "cqi.csv"
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig")), delimiter=";"))
    grade = rows[0].index("cqi_grade")
    rows[2][grade] = "99"
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows(rows)
    path.write_bytes(b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8"))
    profile = {
        "profile": "cqi_table",
        "layout": "canonical",
        "questionnaires": {
            "cqi": {"coding": [{"items": "all", "values": {str(k): k for k in range(11)}}]}
        },
    }
    params_ingest = dataclasses.replace(load_params("ingest", IngestParams), export_dir=export)
    result, _ = ingest.read_and_ingest(
        params_ingest, export, KEY.encode(), profile=parse_profile(profile)
    )
    hit = result.quarantine[result.quarantine["row"] == 3]
    assert list(hit["reason"]) == ["item cqi_grade code outside the profile's coding"]
    assert result.accounting["cqi"]["rows_quarantined"] == 1


# ------------------------------------------------------------------------------------------
# validate --profile, params, dvc.yaml
# ------------------------------------------------------------------------------------------


def test_validate_with_a_profile_reports_what_was_set_aside(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    export = tmp_path / "roqua"
    write_synthetic_export(_params(40, profile="roqua"), export)
    monkeypatch.delenv("ROM_PSEUDONYM_KEY", raising=False)
    code, text = _validate(export, "roqua", capsys)
    assert code == 0, text
    assert "profile: roqua (roqua.yaml)" in text
    assert "ssd12: respondent type not kept" in text or "ssd12: test dossier (1)" in text
    assert "platform scores (compared by the score stage): phq15_total" in text
    # the wrong profile: a one-line error (RoQua's emailed_at is only known to profile roqua)
    code, text = _validate(export, "alk", capsys)
    assert code == 2 and text.count("\n") == 1
    assert "column emailed_at: the column name marks an identifier" in text


def test_params_and_dvc_name_the_profile() -> None:
    assert load_params("ingest", IngestParams).profile == "alk"
    stages = yaml.safe_load((config.ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    assert "profiles" in stages["ingest"]["deps"]
    assert "pipeline/ingest" in stages["ingest"]["deps"]
    assert "data/processed/non_response.parquet" in stages["clean"]["outs"]
    assert "reports/metrics/platform_scores.json" in stages["score"]["outs"]
    assert "data/processed/non_response.parquet" in stages["report"]["deps"]


def test_known_columns_are_exempt_from_the_name_check_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    export = tmp_path / "roqua"
    write_synthetic_export(_params(30, profile="roqua"), export)
    data = _roqua_data()
    data["known_columns"] = []
    profile = tmp_path / "strict.yaml"
    profile.write_text(yaml.safe_dump(data), encoding="utf-8")
    monkeypatch.setenv("ROM_PSEUDONYM_KEY", KEY)
    code, text = _validate(export, str(profile), capsys)
    assert code == 2 and "column emailed_at: the column name marks an identifier" in text
    path = export / "ssd12.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    cells = next(csv.reader([lines[1]], delimiter=";"))
    cells[5] = "j.jansen@example.org"  # emailed_at
    lines[1] = ";".join(f'"{c}"' for c in cells)
    path.write_text("\n".join(lines), encoding="utf-8")
    code, text = _validate(export, "roqua", capsys)
    assert code == 2 and "column emailed_at: 1 cell with an e-mail address" in text
    assert "jansen" not in text


def test_user_missing_codes_of_a_sav_file_are_missing(tmp_path: Path) -> None:
    from pipeline.io.export_readers import read_sav_table

    frame = pd.DataFrame(
        {"a": [1.0, 2.0, 9.0, np.nan], "b": [98.0, 1.0, 5.0, 99.0], "c": [1.0, 2.0, 3.0, 4.0]}
    )
    path = tmp_path / "t.sav"
    pyreadstat.write_sav(
        frame, str(path), missing_ranges={"a": [9.0], "b": [{"lo": 98.0, "hi": 99.0}]}
    )
    table = read_sav_table(path)
    assert table.frame["a"].isna().tolist() == [False, False, True, True]
    assert table.frame["b"].isna().tolist() == [True, False, False, True]
    assert table.missing_codes["a"] == (9.0,)
    assert set(table.missing_codes["b"]) == {98.0, 99.0}


def test_alk_layout_reads_a_canonical_non_response_table(tmp_path: Path) -> None:
    params = _params(40, errors=0)
    tables = generate(params)
    export = tmp_path / "export"
    write_export(tables, export, "csv", manifest(params))
    traj = tables["trajectories"]
    first = traj.iloc[0]
    day = pd.Timestamp(first["start_date"]).strftime("%d-%m-%Y")
    rows = [
        "client_id;trajectory_id;recorded_at;instruments;reason_code",
        f"{first['client_id']};{first['trajectory_id']};{day} 10:00;ssd12|eq5d5l;4",
        f"{first['client_id']};;{day};rand36;06b",
        f"{first['client_id']};;{day};ssd12;11",
        f"{first['client_id']};;{day};oq45;01",
    ]
    (export / "non_response.csv").write_text("\r\n".join(rows) + "\r\n", encoding="utf-8")
    ingest_params = dataclasses.replace(load_params("ingest", IngestParams), export_dir=export)
    result, _ = ingest.read_and_ingest(ingest_params, export, KEY.encode())
    records = result.tables["non_response"]
    assert records["reason_code"].tolist() == ["04", "06b"]
    assert records["reason_group"].tolist() == ["approached", "not_approached"]
    assert records["instruments"].tolist() == ["ssd12|eq5d5l", "rand36"]
    reasons = dict(zip(result.quarantine["row"], result.quarantine["reason"], strict=True))
    assert reasons[4] == "unknown reason_code value"
    assert reasons[5] == "unknown instrument in instruments"
    from pipeline.clean import clean_tables

    cleaned = clean_tables(result.tables, load_params("clean", CleanParams))
    out = cleaned.non_response
    assert len(out) == 3 and set(out["instrument"]) == {"ssd12", "eq5d5l", "rand36"}
    assert set(out["timepoint"]) == {"intake"}
