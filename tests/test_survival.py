"""The survival family: analysis sets, Kaplan-Meier and Cox models, edge cases, recovery.

Unit tests build the three time-to-event sets from tiny hand-written frames; the models are fitted
to edge cases (no events, all censored, ties, a one-trajectory group, an empty analysis set) that
must give a clear message in ``metrics.json`` and no crash; parameter recovery simulates drop-out
with a known hazard ratio (directly, and end to end through the synthetic export generator,
whose planted hazard ratio is ``synth.effects.dropout.hazard_ratio`` in params.yaml).
The comparison with R is in ``test_survival_reference.py``.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter

from pipeline.change import reliable_change_threshold
from pipeline.config import read_params_file
from pipeline.models import registry
from pipeline.models.base import (
    COEFFICIENT_COLUMNS,
    FitResult,
    ModelError,
    ModelInputs,
    NotEstimable,
    check_fit_result,
    not_estimable_result,
)
from pipeline.models.survival import _survival, _survival_fit
from pipeline.models.survival.cox_ph import CoxPH
from pipeline.models.survival.kaplan_meier import KaplanMeier
from pipeline.stages import fit as stage

SURVIVAL_ENTRIES = ("dropout_km", "dropout_cox", "improvement_km", "improvement_cox", "reentry_km")
SCORE_COLUMNS = [
    "client_key",
    "trajectory_key",
    "instrument",
    "completed_at",
    "timepoint",
    "days_from_start",
    "ssd12_total",
]


def _trajectories(rows: list[dict[str, Any]]) -> pd.DataFrame:
    defaults = {
        "end_date": None,
        "end_reason": None,
        "research_consent": 1,
        "sex": "f",
        "diagnosis": "ssd",
        "comorbid_opioid": 0,
        "age_at_start": 40,
    }
    frame = pd.DataFrame([{**defaults, **row} for row in rows])
    frame["client_key"] = frame.get("client_key", frame["trajectory_key"])
    for column in ("start_date", "end_date"):
        frame[column] = pd.to_datetime(frame[column])
    frame["status"] = np.where(frame["end_date"].isna(), "ongoing", "ended")
    frame["research_consent"] = frame["research_consent"].astype("Int8")
    frame["comorbid_opioid"] = frame["comorbid_opioid"].astype("Int8")
    return frame


def _scores(rows: list[tuple[str, str, int, float]], trajectories: pd.DataFrame) -> pd.DataFrame:
    """(trajectory_key, timepoint, days_from_start, ssd12_total) -> a scores frame."""
    frame = pd.DataFrame(
        rows, columns=["trajectory_key", "timepoint", "days_from_start", "ssd12_total"]
    )
    start = frame["trajectory_key"].map(trajectories.set_index("trajectory_key")["start_date"])
    frame["client_key"] = frame["trajectory_key"]
    frame["instrument"] = "ssd12"
    frame["completed_at"] = start + pd.to_timedelta(frame["days_from_start"], unit="D")
    frame["days_from_start"] = frame["days_from_start"].astype("Int64")
    return frame[SCORE_COLUMNS]


def _no_scores() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in SCORE_COLUMNS})


def _by_key(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_index("trajectory_key")


def _timing(frame: pd.DataFrame, key: str, time: str = "duration_days") -> list[float]:
    """[time, event] of one trajectory of a frame indexed by trajectory_key."""
    values: list[float] = frame.loc[[key], [time, "event"]].to_numpy(dtype=float)[0].tolist()
    return values


# --- analysis sets -------------------------------------------------------------------------------


def _dropout_inputs() -> ModelInputs:
    trajectories = _trajectories(
        [
            {
                "trajectory_key": "a",
                "start_date": "2024-01-01",
                "end_date": "2024-07-01",
                "end_reason": "dropout",
            },
            {
                "trajectory_key": "b",
                "start_date": "2024-01-01",
                "end_date": "2024-12-31",
                "end_reason": "regular",
            },
            {"trajectory_key": "c", "start_date": "2024-03-01"},
            {
                "trajectory_key": "d",
                "start_date": "2024-01-01",
                "end_date": "2024-02-01",
                "end_reason": "dropout",
                "research_consent": 0,
            },
            {
                "trajectory_key": "e",
                "start_date": "2024-01-01",
                "end_date": "2024-04-10",
                "end_reason": "referred",
            },
            {"trajectory_key": "f", "start_date": "2025-03-01"},
            {
                "trajectory_key": "g",
                "start_date": "2024-06-01",
                "end_date": "2025-03-01",
                "end_reason": "dropout",
            },
            {
                "trajectory_key": "h",
                "start_date": "2024-06-01",
                "end_date": "2024-05-01",
                "end_reason": "regular",
            },
        ]
    )
    return ModelInputs(_no_scores(), trajectories)


def test_dropout_set_events_censoring_and_export_date() -> None:
    built = _survival.build_time_to_event(
        _dropout_inputs(), _survival.OutcomeSpec("dropout", export_date="2025-01-31")
    )
    frame = _by_key(built.frame)
    assert built.export_date == "2025-01-31"
    assert list(frame.index) == ["a", "b", "c", "e", "g"]  # d: no consent; f: later; h: backwards
    assert _timing(frame, "a") == [182, 1]
    assert _timing(frame, "b") == [365, 0]
    assert _timing(frame, "c") == [336, 0]  # ongoing: export date
    assert _timing(frame, "e") == [100, 0]  # referral censors
    # Ends after the export date are not known yet: ongoing, censored at the export date.
    assert _timing(frame, "g") == [244, 0]
    assert frame["duration"].tolist() == pytest.approx((frame["duration_days"] / 365.25).tolist())
    flow = built.flow
    assert flow["trajectories_with_consent"] == 7
    assert flow["excluded_started_after_export_date"] == 1
    assert flow["excluded_end_before_start"] == 1
    assert flow["ended_after_export_date_counted_as_ongoing"] == 1
    assert flow["events_dropout"] == 1
    assert flow["censored_end_regular"] == flow["censored_end_referred"] == 1
    assert flow["censored_ongoing_at_export_date"] == 2
    assert flow["analysed"] == 5
    # Baseline factors travel with the row.
    assert {"sex", "diagnosis", "comorbid_opioid", "age_at_start"} <= set(frame.columns)


def test_export_date_defaults_to_the_latest_date_in_the_data_never_the_clock() -> None:
    inputs = _dropout_inputs()
    assert _survival.resolve_export_date(inputs, None) == pd.Timestamp("2025-03-01")
    built = _survival.build_time_to_event(inputs, _survival.OutcomeSpec("dropout"))
    assert built.export_date == "2025-03-01"
    assert _timing(_by_key(built.frame), "g") == [273, 1]
    with pytest.raises(ModelError, match="export_date must be an ISO date"):
        _survival.OutcomeSpec("dropout", export_date="31-31-2025")


def test_the_export_date_ingest_settled_closes_follow_up_unless_the_model_sets_one() -> None:
    inputs = dataclasses.replace(_dropout_inputs(), export_date=pd.Timestamp("2025-03-31"))
    assert _survival.resolve_export_date(inputs, None) == pd.Timestamp("2025-03-31")
    assert _survival.resolve_export_date(inputs, "2025-03-10") == pd.Timestamp("2025-03-10")
    built = _survival.build_time_to_event(inputs, _survival.OutcomeSpec("dropout"))
    assert built.export_date == "2025-03-31"
    assert _timing(_by_key(built.frame), "c") == [395, 0]  # ongoing: censored 30 days later
    default = _survival.build_time_to_event(_dropout_inputs(), _survival.OutcomeSpec("dropout"))
    assert _timing(_by_key(default.frame), "c") == [365, 0]


def _improvement_inputs() -> ModelInputs:
    trajectories = _trajectories(
        [
            {
                "trajectory_key": "a",
                "start_date": "2023-01-02",
                "end_date": "2024-01-02",
                "end_reason": "regular",
            },
            {
                "trajectory_key": "b",
                "start_date": "2023-01-02",
                "end_date": "2024-01-02",
                "end_reason": "regular",
            },
            {
                "trajectory_key": "c",
                "start_date": "2023-01-02",
                "end_date": "2024-03-01",
                "end_reason": "dropout",
            },
            {
                "trajectory_key": "d",
                "start_date": "2023-01-02",
                "end_date": "2024-01-02",
                "end_reason": "regular",
            },
            {
                "trajectory_key": "e",
                "start_date": "2023-01-02",
                "end_date": "2024-01-02",
                "end_reason": "regular",
            },
            {"trajectory_key": "f", "start_date": "2024-06-03"},
        ]
    )
    rc = _survival.RC_SSD12
    scores = _scores(
        [
            ("a", "intake", -5, 30.0),
            ("a", "interim", 180, 22.0),  # change -8.0 > -RC: not reliable
            ("a", "end", 365, 30.0 - rc - 0.05),  # first reliable improvement
            ("b", "intake", 0, 30.0),
            ("b", "interim", 182, 20.0),  # first reliable improvement
            ("b", "end", 365, 35.0),
            ("c", "intake", 2, 25.0),
            ("c", "interim", 181, 24.0),
            ("c", "end", 424, 20.0),
            ("c", "follow_up", 600, 5.0),  # after treatment: ignored
            ("d", "interim", 180, 5.0),  # no intake score: excluded
            ("e", "intake", 0, 30.0),  # no later administration: excluded
            ("f", "intake", 0, 30.0),
            ("f", "interim", 150, 10.0),  # after the export date below: ignored
        ],
        trajectories,
    )
    return ModelInputs(scores, trajectories)


def test_improvement_set_event_at_the_first_reliable_improvement() -> None:
    built = _survival.build_time_to_event(
        _improvement_inputs(), _survival.OutcomeSpec("improvement", export_date="2024-09-30")
    )
    frame = _by_key(built.frame)
    assert list(frame.index) == ["a", "b", "c"]
    assert _timing(frame, "a") == [365, 1]
    assert _timing(frame, "b") == [182, 1]
    assert _timing(frame, "c") == [424, 0]  # last administration
    flow = built.flow
    assert flow["excluded_no_intake_score"] == 1  # d
    assert flow["excluded_no_administration_after_intake"] == 2  # e, and f (later score too late)
    assert flow["administrations_after_export_date_ignored"] == 1
    assert flow["events_reliable_improvement"] == 2
    assert flow["censored_ended_without_improvement"] == 1


def test_improvement_threshold_is_inclusive_and_configurable() -> None:
    inputs = _improvement_inputs()
    spec = _survival.OutcomeSpec("improvement", export_date="2024-09-30", reliable_change=8.0)
    frame = _by_key(_survival.build_time_to_event(inputs, spec).frame)
    assert _timing(frame, "a") == [180, 1]  # change = -8.0 exactly
    assert _survival.RC_SSD12 == pytest.approx(8.2137, abs=1e-4)
    with pytest.raises(ModelError, match="reliable_change must be a positive"):
        _survival.OutcomeSpec("improvement", reliable_change=-8.0)


def test_reentry_set_window_export_date_and_consent_of_the_new_trajectory() -> None:
    trajectories = _trajectories(
        [
            {
                "trajectory_key": "a1",
                "client_key": "A",
                "start_date": "2021-01-04",
                "end_date": "2022-06-30",
                "end_reason": "regular",
            },
            {"trajectory_key": "a2", "client_key": "A", "start_date": "2023-01-15"},
            {
                "trajectory_key": "b1",
                "client_key": "B",
                "start_date": "2019-06-03",
                "end_date": "2021-01-01",
                "end_reason": "regular",
            },
            {
                "trajectory_key": "b2",
                "client_key": "B",
                "start_date": "2023-06-01",
                "end_date": "2024-01-01",
                "end_reason": "dropout",
            },
            {
                "trajectory_key": "c1",
                "client_key": "C",
                "start_date": "2023-01-02",
                "end_date": "2024-11-01",
                "end_reason": "regular",
            },
            {
                "trajectory_key": "d1",
                "client_key": "D",
                "start_date": "2022-01-03",
                "end_date": "2022-09-01",
                "end_reason": "dropout",
            },
            {
                "trajectory_key": "d2",
                "client_key": "D",
                "start_date": "2022-12-01",
                "end_date": "2023-06-01",
                "end_reason": "regular",
            },
            {
                "trajectory_key": "e1",
                "client_key": "E",
                "start_date": "2022-01-03",
                "end_date": "2022-03-01",
                "end_reason": "regular",
            },
            {
                "trajectory_key": "e2",
                "client_key": "E",
                "start_date": "2022-05-01",
                "research_consent": 0,
            },
        ]
    )
    built = _survival.build_time_to_event(
        ModelInputs(_no_scores(), trajectories),
        _survival.OutcomeSpec("reentry", export_date="2025-01-31"),
    )
    frame = _by_key(built.frame)
    assert list(frame.index) == ["a1", "b1", "c1", "d2", "e1"]  # regular ends with consent
    assert _timing(frame, "a1") == [199, 1]
    assert _timing(frame, "b1") == [730.5, 0]  # window: 2 years
    assert frame.loc["b1", "duration"] == 2.0
    assert _timing(frame, "c1") == [91, 0]  # export date
    assert _timing(frame, "d2") == [610, 0]
    assert _timing(frame, "e1") == [61, 1]
    flow = built.flow
    assert flow["events_reentry"] == 2
    assert flow["events_reentry_into_trajectory_without_consent"] == 1
    assert flow["censored_end_of_window"] == 1
    assert flow["censored_export_date"] == 2
    one_year = _survival.OutcomeSpec("reentry", export_date="2025-01-31", reentry_window_years=0.5)
    short = _by_key(
        _survival.build_time_to_event(ModelInputs(_no_scores(), trajectories), one_year).frame
    )
    assert _timing(short, "a1", "duration") == [0.5, 0]


def test_builders_do_not_mutate_their_inputs() -> None:
    inputs = _improvement_inputs()
    before = (inputs.scores.copy(deep=True), inputs.trajectories.copy(deep=True))
    for outcome in _survival.OUTCOMES:
        _survival.build_time_to_event(inputs, _survival.OutcomeSpec(outcome))  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(inputs.scores, before[0])
    pd.testing.assert_frame_equal(inputs.trajectories, before[1])


# --- Kaplan-Meier: hand-computable values ---------------------------------------------------------


def test_kaplan_meier_product_limit_greenwood_and_median_by_hand() -> None:
    time = np.array([1, 2, 2, 3, 4, 5, 6, 7], dtype=float)
    event = np.array([0, 1, 1, 0, 1, 1, 0, 1])
    km = _survival_fit.kaplan_meier(time, event)
    table = km.table
    assert table["time"].tolist() == [1, 2, 3, 4, 5, 6, 7]
    assert table["n_at_risk"].tolist() == [8, 7, 5, 4, 3, 2, 1]
    s2, s4, s5 = 5 / 7, 5 / 7 * 3 / 4, 5 / 7 * 3 / 4 * 2 / 3
    assert table["survival"].tolist() == pytest.approx([1.0, s2, s2, s4, s5, s5, 0.0])
    greenwood = 2 / (7 * 5) + 1 / (4 * 3)
    std_error = table["std_error"].to_numpy()
    assert std_error[3] == pytest.approx(s4 * math.sqrt(greenwood))
    assert np.isnan(table["ci_low"].to_numpy()[0]) and np.isnan(table["ci_high"].to_numpy()[6])
    assert np.isnan(std_error[6])
    assert km.median == 5.0  # first time with S <= 0.5
    # A curve flat at exactly 0.5 gives the midpoint (R's rule).
    flat = _survival_fit.kaplan_meier(np.array([1.0, 2.0, 3.0, 4.0]), np.ones(4))
    assert flat.median == 2.5
    at = km.at([0.5, 4.5, 8.0])
    assert at["n_at_risk"].tolist() == [8, 3, 0]  # durations >= t
    assert at["survival"].iloc[:2].tolist() == pytest.approx([1.0, s4])
    assert math.isnan(at["survival"].iloc[2])


def test_logrank_of_identical_groups_is_zero_and_undefined_cases_say_why() -> None:
    time = np.array([1.0, 2.0, 3.0, 1.0, 2.0, 3.0])
    event = np.array([1, 1, 0, 1, 1, 0])
    same = _survival_fit.logrank(time, event, ["a", "a", "a", "b", "b", "b"])
    assert same.statistic == pytest.approx(0.0) and same.p_value == pytest.approx(1.0)
    assert (
        _survival_fit.logrank(time, event, ["a"] * 6).message == "fewer than two groups with data"
    )
    assert "no events" in str(_survival_fit.logrank(time, np.zeros(6), list("aaabbb")).message)


# --- models on edge cases -------------------------------------------------------------------------


def _edge_inputs(dropouts: dict[str, bool], **columns: list[Any]) -> ModelInputs:
    """Trajectories a, b, ... starting 2023-01-02, ending after 30 + 20 i days."""
    rows = []
    for i, (key, dropped) in enumerate(dropouts.items()):
        end = pd.Timestamp("2023-01-02") + pd.Timedelta(days=30 + 20 * i)
        row = {
            "trajectory_key": key,
            "start_date": "2023-01-02",
            "end_date": end.date().isoformat(),
            "end_reason": "dropout" if dropped else "regular",
        }
        row.update({name: values[i] for name, values in columns.items()})
        rows.append(row)
    return ModelInputs(_no_scores(), _trajectories(rows))


def _fit_checked(model: Any, inputs: ModelInputs) -> FitResult:
    result = model.fit(inputs)
    check_fit_result(result, "edge case")
    json.dumps(result.metrics, allow_nan=False)
    return result


def test_all_censored_gives_messages_not_a_crash() -> None:
    inputs = _edge_inputs({k: False for k in "abcdef"}, comorbid_opioid=[0, 1, 0, 1, 0, 1])
    km = _fit_checked(KaplanMeier(outcome="dropout", groups=("comorbid_opioid",)), inputs)
    assert km.metrics["events"] == 0
    assert "no events" in km.metrics["messages"][0]
    assert km.metrics["strata"]["all"]["message"] == "no events: the curve stays at 1"
    assert km.metrics["logrank"]["comorbid_opioid"]["statistic"] is None
    assert "no events" in km.metrics["logrank"]["comorbid_opioid"]["message"]
    assert (km.tables["km_table"]["survival"] == 1.0).all()
    with pytest.raises(NotEstimable, match="^no events among 6 analysed") as caught:
        CoxPH(outcome="dropout", covariates=("comorbid_opioid",)).fit(inputs)
    assert caught.value.details["events"] == 0
    assert caught.value.details["analysis_set"]["analysed"] == 6
    cox = not_estimable_result(caught.value)
    check_fit_result(cox, "edge case")
    assert cox.metrics["estimable"] is False
    assert list(cox.coefficients.columns) == list(COEFFICIENT_COLUMNS)
    assert cox.coefficients.empty


def test_no_events_in_one_group_and_a_single_trajectory_group() -> None:
    dropouts = dict(
        zip(
            "abcdefghij",
            [True, False, True, True, False, True, False, False, True, False],
            strict=True,
        )
    )
    inputs = _edge_inputs(
        dropouts,
        comorbid_opioid=[0, 1, 0, 0, 1, 0, 1, 0, 0, 0],  # no drop-out among opioid = 1
        diagnosis=["ssd"] * 5 + ["fnd"] * 4 + ["other"],  # 'other': one trajectory, an event
        sex=["f"] * 9 + ["m"],  # 'm': one trajectory, no event
    )
    km = _fit_checked(
        KaplanMeier(outcome="dropout", groups=("comorbid_opioid", "diagnosis")), inputs
    )
    strata = km.metrics["strata"]
    assert strata["comorbid_opioid=1"]["events"] == 0
    assert strata["comorbid_opioid=1"]["message"] == "no events: the curve stays at 1"
    assert strata["diagnosis=other"]["n"] == 1
    assert strata["diagnosis=other"]["message"].startswith("a single trajectory")
    assert km.metrics["logrank"]["comorbid_opioid"]["p_value"] is not None
    assert km.metrics["logrank"]["diagnosis"]["levels"] == 3
    # An unknown value (null flag) leaves the trajectory out of that factor only.
    unknown = ModelInputs(
        inputs.scores,
        inputs.trajectories.assign(
            comorbid_opioid=pd.array([None, 1, 0, 0, 1, 0, 1, 0, 0, 0], dtype="Int8")
        ),
    )
    km = _fit_checked(KaplanMeier(outcome="dropout", groups=("comorbid_opioid",)), unknown)
    assert km.metrics["logrank"]["comorbid_opioid"]["n_missing_excluded"] == 1
    assert km.metrics["strata"]["comorbid_opioid=0"]["n"] == 6
    assert km.metrics["strata"]["all"]["n"] == 10
    with pytest.raises(NotEstimable, match="^no estimable term among 9 analysed") as caught:
        CoxPH(outcome="dropout", covariates=("comorbid_opioid", "age_at_start", "sex")).fit(inputs)
    details = caught.value.details
    messages = " | ".join(details["messages"])
    assert "comorbid_opioid: no events among the 3 with value 1" in messages
    assert "sex = m: no events (1 trajectories;" in messages
    assert details["n_excluded_inestimable_levels"] == 1
    assert details["terms_fitted"] == []  # age is constant: nothing left to fit


def test_a_one_trajectory_level_with_the_first_event_is_caught_after_the_fit() -> None:
    # 'a' is the only trajectory with sex = x, and its drop-out is the first event: the partial
    # likelihood rises for ever in that direction (monotone likelihood). lifelines warns; the
    # model leaves those trajectories out, refits, and says so.
    dropouts = dict(zip("abcdefghijkl", [True, False, True, True, False, True] * 2, strict=True))
    inputs = _edge_inputs(
        dropouts,
        sex=["x"] + ["f", "m"] * 5 + ["f"],
        comorbid_opioid=[0, 1, 0, 0, 1, 1, 0, 0, 1, 0, 0, 1],
    )
    cox = _fit_checked(CoxPH(outcome="dropout", covariates=("comorbid_opioid", "sex")), inputs)
    assert cox.metrics["converged"] is True
    assert any(
        m.startswith("sex = x: its estimate runs off to infinity") for m in cox.metrics["messages"]
    )
    assert any(w.startswith("(fit before leaving out a term)") for w in cox.metrics["warnings"])
    coefficients = cox.coefficients.set_index("term")
    assert coefficients["estimate"].isna().to_dict()["sex[T.x]"]
    assert np.isfinite(coefficients.loc[["comorbid_opioid", "sex[T.m]"], "std_error"]).all()
    assert cox.metrics["n"] == 11


def test_tied_times_fit_and_a_constant_covariate_is_reported() -> None:
    inputs = _edge_inputs(
        dict(zip("abcdefgh", [True] * 4 + [False] * 4, strict=True)),
        comorbid_opioid=[1, 0, 1, 0, 1, 0, 1, 0],
        age_at_start=[30, 40, 50, 60, 35, 45, 55, 65],
    )
    tied = ModelInputs(
        inputs.scores, inputs.trajectories.assign(end_date=pd.Timestamp("2023-03-01"))
    )
    cox = _fit_checked(
        CoxPH(outcome="dropout", covariates=("comorbid_opioid", "age_at_start", "diagnosis")),
        tied,
    )
    assert cox.metrics["status"] == "fitted"
    assert cox.metrics["events"] == 4
    assert "diagnosis" not in " ".join(cox.metrics["terms_fitted"])  # one level: no term
    km = _fit_checked(KaplanMeier(outcome="dropout"), tied)
    curve = km.tables["km_table"]
    assert curve["n_events"].tolist() == [0, 4]
    assert curve["survival"].tolist() == pytest.approx([1.0, 0.5])
    assert km.metrics["strata"]["all"]["median"] == pytest.approx((58 + 58) / 2 / 365.25)


def test_an_empty_analysis_set_is_not_estimable() -> None:
    inputs = _edge_inputs({"a": True, "b": False}, research_consent=[0, 0])
    with pytest.raises(NotEstimable, match="analysis set is empty"):
        KaplanMeier(outcome="dropout", groups=("diagnosis",)).fit(inputs)
    with pytest.raises(NotEstimable, match="^no events among 0 analysed"):
        CoxPH(outcome="dropout", covariates=("age_at_start",)).fit(inputs)


def test_configuration_errors_are_one_line_model_errors() -> None:
    with pytest.raises(ModelError, match="outcome must be one of"):
        KaplanMeier(outcome="death")  # type: ignore[arg-type]
    with pytest.raises(ModelError, match="covariates must list"):
        CoxPH(outcome="dropout", covariates=())
    with pytest.raises(ModelError, match="cannot include duration"):
        CoxPH(outcome="dropout", covariates=("duration",))
    inputs = _edge_inputs({"a": True, "b": False})
    with pytest.raises(ModelError, match="no grouping column"):
        KaplanMeier(outcome="dropout", groups=("team",)).fit(inputs)
    with pytest.raises(ModelError, match="no column"):
        CoxPH(outcome="dropout", covariates=("team",)).fit(inputs)


# --- recovery, concordance, proportional hazards --------------------------------------------------


def _simulated_dropout(
    n: int, seed: int, log_hr: dict[str, float], crossing: float = 0.0
) -> ModelInputs:
    """Trajectories with drop-out from a known Cox model (exponential baseline 0.3 a year).

    ``crossing`` adds a covariate ``cfs`` whose log hazard ratio is +crossing in the first half
    year and -crossing after it (non-proportional hazards).
    """
    rng = np.random.default_rng(seed)
    covariates = {
        "comorbid_opioid": (rng.random(n) < 0.12).astype(int),
        "comorbid_depression": (rng.random(n) < 0.4).astype(int),
        "cfs": (rng.random(n) < 0.3).astype(int),
    }
    linear = sum(log_hr.get(name, 0.0) * x for name, x in covariates.items())
    rate = 0.3 * np.exp(linear)
    if crossing:
        early = rate * np.exp(crossing * covariates["cfs"])
        late = rate * np.exp(-crossing * covariates["cfs"])
        u = rng.exponential(1.0, n)
        years = np.where(u < early * 0.5, u / early, 0.5 + (u - early * 0.5) / late)
    else:
        years = rng.exponential(1.0, n) / rate
    planned = np.exp(rng.normal(np.log(0.9), 0.45, n))
    start = pd.Timestamp("2019-01-07") + pd.to_timedelta(rng.integers(0, 5 * 365, n), unit="D")
    dropout_days = np.ceil(years * 365.25).astype(int)
    planned_days = np.ceil(planned * 365.25).astype(int)
    dropped = dropout_days < planned_days
    end = start + pd.to_timedelta(np.where(dropped, dropout_days, planned_days), unit="D")
    trajectories = pd.DataFrame(
        {
            "client_key": [f"c{i}" for i in range(n)],
            "trajectory_key": [f"t{i}" for i in range(n)],
            "start_date": start,
            "end_date": end,
            "end_reason": np.where(dropped, "dropout", "regular"),
            "research_consent": pd.array(np.ones(n, dtype=int), dtype="Int8"),
            **{k: pd.array(v, dtype="Int8") for k, v in covariates.items()},
        }
    )
    return ModelInputs(_no_scores(), trajectories)


def test_cox_recovers_a_planted_dropout_hazard_ratio() -> None:
    truth = {"comorbid_opioid": math.log(2.0), "comorbid_depression": math.log(1.3)}
    inputs = _simulated_dropout(4000, seed=11, log_hr=truth)
    model = CoxPH(
        outcome="dropout",
        covariates=("comorbid_opioid", "comorbid_depression", "cfs"),
        export_date="2025-12-31",
    )
    result = _fit_checked(model, inputs)
    coefficients = result.coefficients.set_index("term")
    for term, log_hr in {**truth, "cfs": 0.0}.items():
        row = coefficients.loc[term]
        assert row["ci_low"] < log_hr < row["ci_high"], term
        assert row["hr_ci_low"] < math.exp(log_hr) < row["hr_ci_high"], term
    assert coefficients.loc["comorbid_opioid", "hazard_ratio"] == pytest.approx(2.0, rel=0.15)
    assert result.metrics["events"] > 800
    assert result.metrics["converged"] is True


def test_concordance_has_the_right_sign_and_matches_lifelines() -> None:
    inputs = _simulated_dropout(1500, seed=3, log_hr={"comorbid_opioid": math.log(4.0)})
    model = CoxPH(outcome="dropout", covariates=("comorbid_opioid", "comorbid_depression"))
    result = model.fit(inputs)
    concordance = result.metrics["concordance"]
    assert concordance > 0.5  # higher predicted hazard goes with earlier drop-out
    frame = _survival.build_time_to_event(inputs, model.outcome_spec).frame
    data = frame[["duration", "event", "comorbid_opioid", "comorbid_depression"]].astype(float)
    direct = CoxPHFitter().fit(data, "duration", "event")
    assert concordance == pytest.approx(direct.concordance_index_, abs=1e-12)


def test_the_ph_test_flags_crossing_hazards() -> None:
    inputs = _simulated_dropout(
        3000, seed=5, log_hr={"comorbid_opioid": math.log(2.0)}, crossing=1.2
    )
    result = CoxPH(outcome="dropout", covariates=("comorbid_opioid", "cfs")).fit(inputs)
    terms = result.metrics["proportional_hazards"]["terms"]
    assert terms["cfs"]["p_value"] < 1e-4
    assert terms["comorbid_opioid"]["p_value"] > 0.01
    assert result.metrics["proportional_hazards"]["global"]["df"] == 2
    residuals = result.tables["schoenfeld_residuals"]
    assert set(residuals["term"]) == {"comorbid_opioid", "cfs"}
    early = residuals[(residuals["term"] == "cfs") & (residuals["time"] < 0.5)]["beta_t"].mean()
    late = residuals[(residuals["term"] == "cfs") & (residuals["time"] > 0.5)]["beta_t"].mean()
    assert early > 0 > late  # beta(t) follows the planted sign change


def test_a_singular_ph_information_matrix_leaves_the_test_undefined_not_a_crash() -> None:
    """Too few events for the terms (a 40-client export: 6 drop-outs, 14 terms) can make the
    exact PH test's information matrix singular; R's solve() stops there, here the tests that
    need its inverse are NaN and the fit goes on."""
    rng = np.random.default_rng(3)
    time = rng.exponential(1.0, 30)
    event = rng.random(30) < 0.5
    x = np.column_stack([rng.integers(0, 2, 30), np.zeros(30)])  # a column without variation
    exact = _survival_fit.zph_exact(x, time, event, np.zeros(2), "km")
    assert np.isnan(exact.per_term).all()
    assert math.isnan(exact.global_statistic)
    assert math.isnan(_survival_fit.zph_block(exact, [0, 1]))
    fine = _survival_fit.zph_exact(x[:, :1], time, event, np.zeros(1), "km")
    assert np.isfinite(fine.per_term).all() and math.isfinite(fine.global_statistic)


def test_end_to_end_synthetic_export_recovers_the_planted_opioid_hazard_ratio(
    tmp_path: Path,
) -> None:
    """synth -> ingest -> clean -> score -> dropout Cox; truth: synth.effects.dropout."""
    from pipeline.clean import CleanParams, clean_tables
    from pipeline.config import load_params
    from pipeline.ingest import IngestParams, ingest_tables
    from pipeline.ingest.pseudonym import DEMO_KEY
    from pipeline.instruments.outcomes import score_stage
    from pipeline.instruments.params import ScoreParams
    from pipeline.instruments.registry import build_instruments
    from pipeline.io.export_readers import read_export
    from pipeline.io.export_writers import write_export
    from pipeline.synth import SynthParams, generate

    params = dataclasses.replace(load_params("synth", SynthParams), errors=0)
    truth = params.effects.dropout.hazard_ratio["comorbid_opioid"]
    write_export(generate(params), tmp_path / "export", "csv", {"synthetic": True})
    ingested = ingest_tables(
        read_export(tmp_path / "export"),
        load_params("ingest", IngestParams),
        DEMO_KEY,
        written_on=params.calendar.export_date,  # as the stage reads it from SYNTHETIC.json
    )
    clean = clean_tables(ingested.tables, load_params("clean", CleanParams))
    scored = score_stage(
        clean.administrations, clean.trajectories, ScoreParams(), build_instruments()
    )
    inputs = ModelInputs(scored.scores, scored.trajectories, 0)
    entry = read_params_file()["models"]["dropout_cox"]
    result = registry.build("dropout_cox", entry).fit(inputs)
    row = result.coefficients.set_index("term").loc["comorbid_opioid"]
    assert row["hr_ci_low"] < truth < row["hr_ci_high"]
    assert result.metrics["export_date"] == params.calendar.export_date
    assert result.metrics["converged"] is True
    for name in ("improvement_km", "reentry_km"):
        km = registry.build(name, read_params_file()["models"][name]).fit(inputs)
        assert km.metrics["events"] > 50, name


# --- outputs and params -------------------------------------------------------------------------


def test_stage_writes_hazard_ratios_after_the_outputs_md_columns(tmp_path: Path) -> None:
    inputs = _simulated_dropout(600, seed=2, log_hr={"comorbid_opioid": math.log(2.0)})
    entry = {
        "model": "cox_ph",
        "family": "survival",
        "outcome": "dropout",
        "covariates": ["comorbid_opioid", "cfs"],
    }
    result = stage.fit_entry("dropout_small", entry, inputs)
    stage.write_result(result, tmp_path / "dropout_small")
    written = pd.read_csv(tmp_path / "dropout_small" / "coefficients.csv")
    assert list(written.columns) == [
        *COEFFICIENT_COLUMNS,
        "hazard_ratio",
        "hr_ci_low",
        "hr_ci_high",
    ]
    np.testing.assert_allclose(written["hazard_ratio"], np.exp(written["estimate"]), rtol=1e-9)
    files = sorted(p.name for p in (tmp_path / "dropout_small").iterdir())
    assert files == ["coefficients.csv", "metrics.json", "ph_test.csv", "schoenfeld_residuals.csv"]
    km_entry = {
        "model": "kaplan_meier",
        "family": "survival",
        "outcome": "dropout",
        "groups": ["comorbid_opioid"],
    }
    stage.write_result(stage.fit_entry("km", km_entry, inputs), tmp_path / "km")
    files = sorted(p.name for p in (tmp_path / "km").iterdir())
    assert files == [
        "coefficients.csv",
        "km_table.csv",
        "logrank.csv",
        "metrics.json",
        "risk_table.csv",
    ]
    metrics = json.loads((tmp_path / "km" / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["family"] == "survival" and metrics["time_unit"].startswith("years")


def test_check_fit_result_allows_extra_float_columns_after_the_required_ones() -> None:
    good = pd.DataFrame({c: [1.0] for c in COEFFICIENT_COLUMNS}).assign(term=["a"])
    check_fit_result(FitResult(good.assign(hazard_ratio=[2.0]), {}))
    with pytest.raises(ModelError, match="columns must be"):
        check_fit_result(
            FitResult(good.reindex(columns=["hazard_ratio", *COEFFICIENT_COLUMNS]), {})
        )
    with pytest.raises(ModelError, match="must be float"):
        check_fit_result(FitResult(good.assign(hazard_ratio=["x"]), {}))


@pytest.mark.parametrize("entry", SURVIVAL_ENTRIES)
def test_params_entries_use_the_scoring_reliable_change_and_no_fixed_export_date(
    entry: str,
) -> None:
    params = read_params_file()
    model = registry.build(entry, params["models"][entry])
    assert isinstance(model, KaplanMeier | CoxPH)
    assert model.export_date is None
    ssd12 = params["score"]["outcomes"]["ssd12_total"]
    rc = reliable_change_threshold(
        ssd12["sd_pre"], ssd12["reliability"], params["score"]["rci_critical"]
    )
    assert model.reliable_change == pytest.approx(rc, rel=1e-12)
