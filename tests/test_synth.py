"""Tests of the synthetic ROM export generator (``pipeline.synth``) and its DVC stage / command.

Contract checks follow ``docs/input-format.md``; the planted effects are checked against
the truth in ``params.yaml`` (``synth.effects``) with cheap estimators (least squares, event
rates) and tolerances of about three standard errors at the sizes used here.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from pipeline.config import PACKAGE_REFERENCE, PARAMS_PATH, build_params, load_params
from pipeline.errors import ParamsError, PipelineError
from pipeline.instruments.catalogue import INSTRUMENT_ITEMS, item_columns
from pipeline.synth import SynthParams, generate, simulate
from pipeline.synth.params import FLAGS, MODALITIES
from pipeline.synth.rand36 import HIGHER_IS_BETTER, ITEM_SCALE

QUESTIONNAIRES = ("ssd12", "eq5d5l", "eq5d3l", "rand36", "phq15", "cqi")
TRAJECTORY_COLUMNS = [
    "client_id",
    "trajectory_id",
    "birth_year",
    "sex",
    "referral_date",
    "start_date",
    "end_date",
    "end_reason",
    "diagnosis",
    "cfs",
    "comorbid_asd",
    "comorbid_ptsd",
    "comorbid_personality",
    "comorbid_mild_id",
    "comorbid_opioid",
    "comorbid_childhood_trauma",
    "comorbid_depression",
    "comorbid_anxiety",
    "symptom_duration_years",
    "prior_treatments",
    "treatments",
    "sessions",
    "research_consent",
    "team",
]
EXPORT_DATE = pd.Timestamp("2025-12-31")


def _params(**changes: Any) -> SynthParams:
    return dataclasses.replace(load_params("synth", SynthParams), **changes)


@pytest.fixture(scope="module")
def default_tables() -> dict[str, pd.DataFrame]:
    """The embedded export at its default size, without planted errors."""
    return generate(_params(errors=0))


@pytest.fixture(scope="module")
def large_tables() -> dict[str, pd.DataFrame]:
    """A larger clean export for the effect checks."""
    return generate(_params(clients=15000, errors=0, seed=7))


def _with_windows(table: pd.DataFrame, trajectories: pd.DataFrame) -> pd.DataFrame:
    """Administrations with days from start and from end of their trajectory."""
    merged = table.merge(
        trajectories[["trajectory_id", "start_date", "end_date", "sex", "comorbid_asd"]],
        on="trajectory_id",
        how="left",
        validate="many_to_one",
    )
    day = merged["completed_at"].dt.normalize()
    merged["from_start"] = (day - merged["start_date"]).dt.days
    merged["from_end"] = (day - merged["end_date"]).dt.days
    merged["intake"] = merged["from_start"].between(-60, 30)
    merged["end"] = merged["from_end"].between(-60, 30)
    return merged


def _ssd12_total(frame: pd.DataFrame) -> pd.Series:
    items = frame[list(item_columns("ssd12"))].astype("float64")
    return items.sum(axis=1, min_count=12)


# --- parameters ---------------------------------------------------------------------------


def test_params_block_loads_and_is_validated() -> None:
    params = load_params("synth", SynthParams)
    assert params.clients == 1300 and params.format == "csv" and params.errors >= 1
    block = yaml.safe_load(PARAMS_PATH.read_text(encoding="utf-8"))["synth"]
    block["measurement"]["ssd12_item_offsets"][0] += 1.0
    with pytest.raises(ParamsError, match="ssd12_item_offsets"):
        build_params(SynthParams, block, "synth")
    block = yaml.safe_load(PARAMS_PATH.read_text(encoding="utf-8"))["synth"]
    block["effects"]["ssd12"]["time_by"]["comorbid_typo"] = 1.0
    with pytest.raises(ParamsError, match="comorbid_typo"):
        build_params(SynthParams, block, "synth")


def test_a_prevalence_of_0_or_1_makes_a_factor_absent_or_universal() -> None:
    """The export sweep's ``absent_*`` exports: nobody (0) or everybody (1) has the factor."""
    from pipeline.synth.population import draw_clients

    params = load_params("synth", SynthParams)
    prevalence = {**params.population.prevalence, "comorbid_asd": 0.0, "comorbid_ptsd": 1.0}
    population = dataclasses.replace(params.population, prevalence=prevalence)
    clients = draw_clients(np.random.default_rng(3), 500, population)
    assert clients["comorbid_asd"].eq(0).all() and clients["comorbid_ptsd"].eq(1).all()
    assert 0 < clients["comorbid_personality"].mean() < 1
    block = yaml.safe_load(PARAMS_PATH.read_text(encoding="utf-8"))["synth"]
    block["population"]["prevalence"]["cfs"] = 1.2
    with pytest.raises(ParamsError, match="prevalence.cfs' must lie between 0 and 1"):
        build_params(SynthParams, block, "synth")


# --- the export contract ------------------------------------------------------------------


def test_tables_have_exactly_the_contract_columns(default_tables: dict[str, pd.DataFrame]) -> None:
    assert list(default_tables) == ["trajectories", *QUESTIONNAIRES]
    assert list(default_tables["trajectories"].columns) == TRAJECTORY_COLUMNS
    for name in QUESTIONNAIRES:
        expected = ["client_id", "completed_at", "trajectory_id", *item_columns(name)]
        assert list(default_tables[name].columns) == expected


def test_types_ids_and_values_follow_the_contract(default_tables: dict[str, pd.DataFrame]) -> None:
    traj = default_tables["trajectories"]
    assert traj["client_id"].str.fullmatch(r"C\d{7}").all()
    assert traj["trajectory_id"].str.fullmatch(r"T\d{7}").all()
    assert traj["trajectory_id"].is_unique
    for column in ("referral_date", "start_date", "end_date"):
        assert pd.api.types.is_datetime64_dtype(traj[column])
    assert (traj["referral_date"] <= traj["start_date"]).all()
    ended = traj["end_date"].notna()
    assert (traj.loc[ended, "end_date"] > traj.loc[ended, "start_date"]).all()
    assert traj.loc[~ended, "end_reason"].isna().all()
    assert set(traj.loc[ended, "end_reason"]) == {"regulier", "voortijdig", "verwezen", "overig"}
    assert set(traj["sex"]) == {"vrouw", "man", "anders"}
    assert set(traj["diagnosis"]) == {"ssd", "fnd", "illness_anxiety", "other"}
    for flag in FLAGS:
        assert traj[flag].dtype == np.int64 and set(traj[flag]) == {0, 1}
    assert set(traj["research_consent"]) == {"ja", "nee"}
    modalities = traj["treatments"].str.split("|").explode()
    assert set(modalities) <= set(MODALITIES) and (traj["treatments"] != "").all()
    age = traj["start_date"].dt.year - traj["birth_year"]
    assert age.between(18, 80).all() and 38 <= age.mean() <= 46
    assert (traj["sessions"] >= 1).all() and traj["prior_treatments"].between(0, 6).all()
    assert (traj["start_date"] <= EXPORT_DATE).all() and (
        traj["end_date"].dropna() <= EXPORT_DATE
    ).all()

    for name in QUESTIONNAIRES:
        table = default_tables[name]
        assert pd.api.types.is_datetime64_dtype(table["completed_at"])
        assert (table["completed_at"].dt.hour > 0).any()  # a time of day
        assert (table["completed_at"] < EXPORT_DATE + pd.Timedelta(days=1)).all()
        assert set(table["client_id"]) <= set(traj["client_id"])
        assert set(table["trajectory_id"]) <= set(traj["trajectory_id"])
        for spec in INSTRUMENT_ITEMS[name]:
            column = table[spec.name]
            assert isinstance(column.dtype, pd.Int64Dtype)
            assert column.dropna().between(spec.low, spec.high).all(), spec.name


def test_missing_items_are_few_and_phq15_item4_is_missing_for_men(
    default_tables: dict[str, pd.DataFrame],
) -> None:
    ssd12 = default_tables["ssd12"][list(item_columns("ssd12"))]
    assert 0.005 < ssd12.isna().to_numpy().mean() < 0.05
    phq = _with_windows(default_tables["phq15"], default_tables["trajectories"])
    men = phq["sex"] == "man"
    assert phq.loc[men, "phq15_04"].isna().all()
    assert phq.loc[~men, "phq15_04"].notna().mean() > 0.9


def test_sizes_at_the_default(default_tables: dict[str, pd.DataFrame]) -> None:
    traj = default_tables["trajectories"]
    assert traj["client_id"].nunique() == 1300
    assert 1400 <= len(traj) <= 1650
    assert 0.80 <= traj["end_date"].notna().mean() <= 0.95
    assert set(traj["start_date"].dt.year) == set(range(2019, 2026))
    assert 0.15 <= (traj["end_reason"] == "voortijdig").mean() <= 0.35
    # re-entry within two years after a regular end
    by_client = traj.sort_values(["client_id", "start_date"]).groupby("client_id")
    previous_end = by_client["end_date"].shift()
    previous_reason = by_client["end_reason"].shift()
    reentry = previous_end.notna()
    gap = (traj.loc[reentry, "start_date"] - previous_end[reentry]).dt.days
    assert reentry.sum() > 100 and gap.between(1, 731).all()
    assert (previous_reason[reentry] == "regulier").all()


def test_about_half_of_ended_trajectories_are_completers(
    default_tables: dict[str, pd.DataFrame],
) -> None:
    traj = default_tables["trajectories"]
    ended = set(traj.loc[traj["end_date"].notna(), "trajectory_id"])
    for name in ("ssd12", "eq5d5l", "phq15", "rand36"):
        admin = _with_windows(default_tables[name], traj)
        intake = set(admin.loc[admin["intake"], "trajectory_id"])
        end = set(admin.loc[admin["end"], "trajectory_id"])
        rate = len(ended & intake & end) / len(ended)
        assert 0.35 <= rate <= 0.62, (name, rate)


def test_timepoints_fall_in_their_windows(default_tables: dict[str, pd.DataFrame]) -> None:
    traj = default_tables["trajectories"]
    ssd12 = _with_windows(default_tables["ssd12"], traj)
    first = ssd12.sort_values("completed_at").groupby("trajectory_id").head(1)
    assert first["intake"].mean() > 0.75
    assert (first.loc[first["intake"], "from_start"] <= 0).mean() > 0.75  # mostly before start
    cqi = _with_windows(default_tables["cqi"], traj)
    assert len(cqi) > 100 and cqi["end"].all()  # the CQI only at the end
    assert 6.5 <= cqi["cqi_grade"].mean() <= 8.0
    eq5d3l = default_tables["eq5d3l"]
    assert (eq5d3l["completed_at"] < pd.Timestamp("2021-01-01")).all()


# --- planted effects ----------------------------------------------------------------------


def test_ssd12_intake_distribution_and_reliability(large_tables: dict[str, pd.DataFrame]) -> None:
    ssd12 = _with_windows(large_tables["ssd12"], large_tables["trajectories"])
    intake = ssd12[ssd12["intake"]].dropna(subset=list(item_columns("ssd12")))
    total = _ssd12_total(intake)
    assert 27.5 <= total.mean() <= 32.0 and 9.5 <= total.std() <= 11.5
    items = intake[list(item_columns("ssd12"))].astype(float).to_numpy()
    k = items.shape[1]
    alpha = k / (k - 1) * (1 - items.var(axis=0, ddof=1).sum() / items.sum(axis=1).var(ddof=1))
    assert 0.90 <= alpha <= 0.95


def test_ptsd_raises_baseline_severity_by_the_planted_amount(
    large_tables: dict[str, pd.DataFrame],
) -> None:
    truth = load_params("synth", SynthParams).effects.ssd12.baseline
    traj = large_tables["trajectories"]
    ssd12 = _with_windows(large_tables["ssd12"], traj)
    intake = ssd12[ssd12["intake"]].assign(total=_ssd12_total).dropna(subset=["total"])
    intake = intake.merge(traj.drop(columns=["start_date", "end_date", "sex", "comorbid_asd"]))
    design = pd.DataFrame({"intercept": 1.0}, index=intake.index)
    for name in truth:
        if name.startswith("diagnosis_"):
            design[name] = (intake["diagnosis"] == name.removeprefix("diagnosis_")).astype(float)
        elif name == "sex_m":
            design[name] = (intake["sex"] == "man").astype(float)
        else:
            design[name] = intake[name].astype(float)
    beta = np.linalg.lstsq(design.to_numpy(), intake["total"].to_numpy(), rcond=None)[0]
    estimate = dict(zip(design.columns, beta, strict=True))
    assert estimate["comorbid_ptsd"] == pytest.approx(truth["comorbid_ptsd"], abs=1.0)
    assert estimate["comorbid_depression"] == pytest.approx(truth["comorbid_depression"], abs=1.0)


def test_improvement_over_time_is_slower_with_autism(large_tables: dict[str, pd.DataFrame]) -> None:
    truth = load_params("synth", SynthParams).effects.ssd12
    traj = large_tables["trajectories"]
    ssd12 = _with_windows(large_tables["ssd12"], traj).assign(total=_ssd12_total)
    ssd12 = ssd12.dropna(subset=["total"])
    intake = ssd12[ssd12["intake"]].sort_values("from_start").groupby("trajectory_id").head(1)
    end = ssd12[ssd12["end"]].sort_values("from_end").groupby("trajectory_id").head(1)
    pairs = intake.merge(end, on="trajectory_id", suffixes=("_in", "_end"))
    pairs = pairs.merge(traj[["trajectory_id", "comorbid_personality", "comorbid_mild_id"]])
    # the latent time scale stops at the end date
    years = (np.minimum(pairs["from_start_end"], pairs["from_start_end"] - pairs["from_end_end"])
             - pairs["from_start_in"]) / 365.25  # fmt: skip
    change = pairs["total_end"] - pairs["total_in"]
    design = np.column_stack(
        [years]
        + [
            years * pairs[name]
            for name in ("comorbid_asd_in", "comorbid_personality", "comorbid_mild_id")
        ]
    )
    slope = np.linalg.lstsq(design, change.to_numpy(), rcond=None)[0]
    assert slope[0] == pytest.approx(truth.time, abs=1.0)
    assert slope[1] == pytest.approx(truth.time_by["comorbid_asd"], abs=1.5)
    assert slope[2] == pytest.approx(truth.time_by["comorbid_personality"], abs=1.5)
    by_asd = change.groupby(pairs["comorbid_asd_in"]).mean()
    assert by_asd[1] - by_asd[0] > 1.0  # autism: less improvement
    reliable = (change <= -9).groupby(pairs["comorbid_personality"]).mean()
    assert reliable[0] > 1.5 * reliable[1]  # a strong predictor of reliable improvement


def test_opioid_dependence_doubles_the_dropout_hazard(
    large_tables: dict[str, pd.DataFrame],
) -> None:
    truth = load_params("synth", SynthParams).effects.dropout
    traj = large_tables["trajectories"]
    stop = traj["end_date"].fillna(EXPORT_DATE)
    at_risk = ((stop - traj["start_date"]).dt.days - truth.min_days).clip(lower=0)
    event = traj["end_reason"] == "voortijdig"
    rates = (
        event.groupby(traj["comorbid_opioid"]).sum()
        / at_risk.groupby(traj["comorbid_opioid"]).sum()
    )
    ratio = rates[1] / rates[0]
    assert math.log(ratio) == pytest.approx(
        math.log(truth.hazard_ratio["comorbid_opioid"]), abs=0.3
    )


def test_other_instruments_track_ssd12(large_tables: dict[str, pd.DataFrame]) -> None:
    keys = ["trajectory_id", "day"]
    ssd12 = large_tables["ssd12"].assign(
        total=_ssd12_total, day=lambda f: f["completed_at"].dt.date
    )
    eq5d = large_tables["eq5d5l"].assign(day=lambda f: f["completed_at"].dt.date)
    phq = large_tables["phq15"].assign(day=lambda f: f["completed_at"].dt.date)
    phq["phq_total"] = phq[list(item_columns("phq15"))].astype(float).sum(axis=1)
    both = ssd12.merge(eq5d, on=keys).merge(phq[[*keys, "phq_total"]], on=keys)
    both = both.astype({"eq5d_vas": float, "eq5d5l_pd": float})
    assert both["total"].corr(both["eq5d_vas"]) < -0.3
    assert both["total"].corr(both["eq5d5l_pd"]) > 0.2
    assert both["total"].corr(both["phq_total"]) > 0.3


def test_cqi_grade_rises_with_improvement(large_tables: dict[str, pd.DataFrame]) -> None:
    cohort = simulate(_params(clients=3000, errors=0, seed=11))
    rows, grades = cohort.items["cqi"]
    occasions = cohort.occasions.iloc[rows]
    start_level = (cohort.trajectories["fixed_intercept"] + cohort.trajectories["u0"]).to_numpy()
    improvement = start_level[occasions["trajectory"]] - occasions["ssd12_latent"].to_numpy()
    assert np.corrcoef(improvement, grades[:, 0])[0, 1] > 0.25


def test_rand36_key_matches_the_reference_recoding() -> None:
    recode = pd.read_csv(PACKAGE_REFERENCE / "rand36_recode.csv")
    for number, spec in enumerate(INSTRUMENT_ITEMS["rand36"], start=1):
        rows = recode[recode["item"] == number].sort_values("raw_value")
        assert rows["raw_value"].tolist() == list(range(spec.low, spec.high + 1))
        assert rows["scale"].iloc[0].lower() == ITEM_SCALE[number]
        rising = rows["recoded_0_100"].is_monotonic_increasing
        assert rising == (number in HIGHER_IS_BETTER), number


def test_rand36_scales_move_with_ssd12(large_tables: dict[str, pd.DataFrame]) -> None:
    recode = pd.read_csv(PACKAGE_REFERENCE / "rand36_recode.csv")
    rand = large_tables["rand36"].copy()
    scales: dict[str, list[pd.Series]] = {}
    for number in range(1, 37):
        key = recode[recode["item"] == number].set_index("raw_value")["recoded_0_100"]
        column = rand[f"rand36_{number:02d}"].astype(float).map(key)
        scales.setdefault(ITEM_SCALE[number], []).append(column)
    for scale, columns in scales.items():
        rand[scale] = pd.concat(columns, axis=1).mean(axis=1)
    rand["day"] = rand["completed_at"].dt.date
    ssd12 = large_tables["ssd12"].assign(
        total=_ssd12_total, day=lambda f: f["completed_at"].dt.date
    )
    both = ssd12.merge(
        rand[["trajectory_id", "day", "pf", "mh", "gh"]], on=["trajectory_id", "day"]
    )
    for scale in ("pf", "mh", "gh"):
        assert both["total"].corr(both[scale]) < -0.2, scale


# --- determinism and planted errors -------------------------------------------------------


def test_generate_is_deterministic_for_a_seed() -> None:
    first, again = generate(_params(clients=80)), generate(_params(clients=80))
    other = generate(_params(clients=80, seed=1))
    for name in first:
        pd.testing.assert_frame_equal(first[name], again[name])
    assert not first["ssd12"].equals(other["ssd12"])


def test_planted_errors_one_of_each_kind_per_questionnaire() -> None:
    tables = generate(_params(clients=300, errors=1))
    known = set(tables["trajectories"]["client_id"])
    for name in QUESTIONNAIRES:
        table = tables[name]
        texts = table["completed_at"].map(lambda v: isinstance(v, str))
        assert texts.sum() == 1, name
        for fmt in ("%d-%m-%Y %H:%M", "%d-%m-%Y", "%m-%d-%Y", "%Y-%m-%d %H:%M:%S"):
            parsed = pd.to_datetime(table.loc[texts, "completed_at"], format=fmt, errors="coerce")
            assert parsed.isna().all(), (name, fmt)
        out_of_range = sum(
            int((table[spec.name].dropna() > spec.high).sum()) for spec in INSTRUMENT_ITEMS[name]
        )
        assert out_of_range == 1, name
        assert int(table.astype(str).duplicated().sum()) == 1, name
        assert (~table["client_id"].isin(known)).sum() == 1, name
    clean = generate(_params(clients=300, errors=0))
    for name in QUESTIONNAIRES:
        assert len(tables[name]) == len(clean[name]) + 2


# --- writers, stage and command -----------------------------------------------------------


def _digest(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_written_exports_are_byte_identical_for_a_seed(tmp_path: Path) -> None:
    import time

    from pipeline.stages.synth import run_cli

    for fmt in ("csv", "xlsx", "sav"):
        run_cli(tmp_path / f"a_{fmt}", clients=60, seed=5, fmt=fmt)
    time.sleep(1.1)  # time stamps of xlsx and sav would now differ
    for fmt in ("csv", "xlsx", "sav"):
        run_cli(tmp_path / f"b_{fmt}", clients=60, seed=5, fmt=fmt)
        run_cli(tmp_path / f"c_{fmt}", clients=60, seed=6, fmt=fmt)
        first, again = _digest(tmp_path / f"a_{fmt}"), _digest(tmp_path / f"b_{fmt}")
        other = _digest(tmp_path / f"c_{fmt}")
        assert first == again, fmt
        assert first.keys() == other.keys()
        assert any(first[n] != other[n] for n in first if n != "SYNTHETIC.json"), fmt


def test_csv_follows_the_dutch_dialect(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from pipeline.stages.synth import run_cli

    run_cli(tmp_path / "export", clients=100, seed=3, fmt="csv")
    assert "synth: wrote csv export" in capsys.readouterr().err
    folder = tmp_path / "export"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["SYNTHETIC.json"] + [f"{n}.csv" for n in ("trajectories", *QUESTIONNAIRES)]
    )
    raw = (folder / "trajectories.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    lines = raw.decode("utf-8-sig").split("\r\n")
    assert lines[0] == ";".join(TRAJECTORY_COLUMNS)
    first = dict(zip(TRAJECTORY_COLUMNS, lines[1].split(";"), strict=True))
    assert re.fullmatch(r"\d{2}-\d{2}-\d{4}", first["start_date"])
    assert re.fullmatch(r"\d+,\d", first["symptom_duration_years"])
    assert re.fullmatch(r"C\d{7}", first["client_id"])
    rows = [line.split(";") for line in lines[1:] if line]
    end_reasons = {row[TRAJECTORY_COLUMNS.index("end_reason")] for row in rows}
    assert "" in end_reasons and "regulier" in end_reasons  # ongoing: empty cell
    ssd12 = (folder / "ssd12.csv").read_bytes().decode("utf-8-sig").split("\r\n")
    stamps = pd.Series([line.split(";")[1] for line in ssd12[1:] if line])
    parsed = pd.to_datetime(stamps, format="%d-%m-%Y %H:%M", errors="coerce")
    assert parsed.isna().sum() == 1  # one planted unparseable date
    assert any(";;" in line for line in ssd12[1:])  # missing items are empty cells
    manifest = yaml.safe_load((folder / "SYNTHETIC.json").read_text(encoding="utf-8"))
    digests = manifest.pop("sha256")  # the files as written: the demo key is allowed for them
    assert digests == {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.name != "SYNTHETIC.json"
    }
    assert manifest == {
        "synthetic": True,
        "generator": "alk-rom-pipeline synth",
        "seed": 3,
        "clients": 100,
        "format": "csv",
        "written_on": "2025-12-31",
    }
    back = pd.read_csv(folder / "trajectories.csv", sep=";", decimal=",", encoding="utf-8-sig")
    assert len(back) == len(generate(_params(clients=100, seed=3))["trajectories"])


def test_xlsx_and_sav_read_back(tmp_path: Path) -> None:
    import pyreadstat

    from pipeline.stages.synth import run_cli

    tables = generate(_params(clients=60, seed=4))
    run_cli(tmp_path / "x", clients=60, seed=4, fmt="xlsx")
    sheets = pd.read_excel(tmp_path / "x" / "export.xlsx", sheet_name=None)
    assert list(sheets) == list(tables)
    for name, frame in tables.items():
        assert list(sheets[name].columns) == list(frame.columns)
        assert len(sheets[name]) == len(frame)
    assert pd.api.types.is_datetime64_any_dtype(sheets["trajectories"]["start_date"])
    run_cli(tmp_path / "s", clients=60, seed=4, fmt="sav")
    for name, frame in tables.items():
        data, meta = pyreadstat.read_sav(str(tmp_path / "s" / f"{name}.sav"))
        assert list(data.columns) == list(frame.columns) and len(data) == len(frame)
    data, meta = pyreadstat.read_sav(str(tmp_path / "s" / "trajectories.sav"))
    assert meta.original_variable_types["start_date"] == "DATE11"
    assert meta.original_variable_types["cfs"] == "F8.0"


def test_write_export_refuses_a_foreign_folder(tmp_path: Path) -> None:
    from pipeline.io.export_writers import write_export

    tables = generate(_params(clients=20, errors=0))
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(PipelineError, match="refusing"):
        write_export(tables, folder, "csv", {"synthetic": True})
    assert (folder / "notes.txt").exists()
    with pytest.raises(PipelineError, match="format"):
        write_export(tables, tmp_path / "new", "parquet", {"synthetic": True})
    write_export(tables, tmp_path / "ok", "csv", {"synthetic": True})
    write_export(tables, tmp_path / "ok", "xlsx", {"synthetic": True})  # replaces the export
    assert sorted(p.name for p in (tmp_path / "ok").iterdir()) == ["SYNTHETIC.json", "export.xlsx"]


def test_stage_main_and_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline import cli
    from pipeline.stages import synth as stage

    params = _params(clients=30, out_dir=str(tmp_path / "stage"))
    monkeypatch.setattr(stage, "load_params", lambda section, cls: params)
    stage.main([])
    assert (tmp_path / "stage" / "trajectories.csv").exists()
    status = cli.main(["synth", "--out", str(tmp_path / "cli"), "--clients", "25", "--seed", "2"])
    assert status == 0
    manifest = yaml.safe_load((tmp_path / "cli" / "SYNTHETIC.json").read_text(encoding="utf-8"))
    assert manifest["clients"] == 25 and manifest["seed"] == 2
    assert cli.main(["synth", "--out", str(tmp_path / "bad"), "--clients", "0"]) == 2
