"""The mixed-model analysis set on tiny hand-written frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.models.base import ModelError, ModelInputs, NotEstimable
from pipeline.models.mixed._mixed import (
    MixedSpec,
    build_design,
    build_mixed_analysis_set,
    fit_mixed,
    outcome_of,
)


def _inputs() -> ModelInputs:
    trajectories = pd.DataFrame(
        {
            "client_key": ["c1", "c2", "c3", "c3", "c5"],
            "trajectory_key": ["t1", "t2", "t3", "t4", "t5"],
            "status": ["ended", "ended", "ongoing", "ended", "ended"],
            "research_consent": pd.array([1, 0, 1, pd.NA, 1], dtype="Int8"),
            "age_at_start": pd.array([30, 40, 50, 51, 45], dtype="Int64"),
            "sex": ["f", "m", "m", "m", "f"],
            "comorbid_asd": pd.array([1, 0, pd.NA, 0, 0], dtype="Int8"),
        }
    )
    scores = pd.DataFrame(
        {
            "client_key": ["c1"] * 5 + ["c2"] + ["c3"] * 4 + ["c5"] * 2,
            "trajectory_key": ["t1"] * 5 + ["t2"] + ["t3", "t3", None, "t4"] + ["t5"] * 2,
            "instrument": ["ssd12", "ssd12", "ssd12", "ssd12", "eq5d5l", "ssd12"] + ["ssd12"] * 6,
            "completed_at": pd.to_datetime(
                [
                    "2023-01-01",
                    "2023-07-01",
                    "2024-01-01",
                    "2025-01-01",
                    "2023-01-01",
                    "2023-01-01",
                    "2023-01-01",
                    "2023-06-01",
                    "2022-01-01",
                    "2024-01-01",
                    "2023-03-01",
                    "2023-09-01",
                ]
            ),
            "timepoint": [
                "intake",
                "interim",
                "end",
                "follow_up",
                "intake",
                "intake",
                "intake",
                "interim",
                "unlinked",
                "intake",
                "intake",
                "end",
            ],
            "days_from_start": pd.array(
                [0, 181, 365, 730, 0, 0, 0, 151, None, 0, 0, 184], dtype="Int64"
            ),
            "ssd12_total": [30.0, 25.0, 20.0, 18.0, np.nan, 33.0, 28.0, np.nan, 31.0, 27.0]
            + [35.0, 29.0],
        }
    )
    return ModelInputs(scores=scores, trajectories=trajectories, seed=0)


def test_only_consented_trajectories_and_linked_treatment_measurements() -> None:
    data = _inputs()
    before = (data.scores.copy(deep=True), data.trajectories.copy(deep=True))
    result = build_mixed_analysis_set(data, "ssd12_total")
    frame = result.frame
    # t2: no consent; t4: consent unknown; follow-up, unlinked and missing outcome rows dropped.
    assert list(frame["trajectory_key"]) == ["t1", "t1", "t1", "t3", "t5", "t5"]
    assert list(frame["timepoint"]) == ["intake", "interim", "end", "intake", "intake", "end"]
    np.testing.assert_allclose(frame["years"][:4], [0.0, 181 / 365.25, 365 / 365.25, 0.0])
    assert result.flow == {
        "trajectories": 5,
        "trajectories_with_consent": 3,
        "measurements_with_outcome": 10,
        "measurements_excluded_follow_up": 1,
        "measurements_excluded_unlinked": 1,
        "measurements_linked_during_treatment": 8,
        "measurements_of_selected_trajectories": 6,
    }
    pd.testing.assert_frame_equal(data.scores, before[0])
    pd.testing.assert_frame_equal(data.trajectories, before[1])


def test_ended_only_and_instrument_filters() -> None:
    result = build_mixed_analysis_set(_inputs(), "ssd12_total", instrument="ssd12", ended_only=True)
    assert set(result.frame["trajectory_key"]) == {"t1", "t5"}
    assert result.flow["trajectories_ended"] == 2
    none = build_mixed_analysis_set(_inputs(), "ssd12_total", instrument="eq5d5l")
    assert none.frame.empty


def test_missing_covariates_are_dropped_and_counted() -> None:
    frame = build_mixed_analysis_set(_inputs(), "ssd12_total").frame
    spec = MixedSpec(
        formula="ssd12_total ~ years + comorbid_asd",
        re_formula="~1",
        groups="trajectory_key",
        reference_levels={},
        lrt_blocks={},
        engine="profiled",
        ci_level=0.95,
    )
    design = build_design(frame, spec)
    # t3 has comorbid_asd unknown: its measurement is dropped.
    assert len(design.y) == 5
    assert set(design.groups) == {"t1", "t5"}


def test_missing_columns_and_bad_formulas_are_model_errors() -> None:
    data = _inputs()
    with pytest.raises(ModelError, match="scores have no column 'eq5d_vas'"):
        build_mixed_analysis_set(data, "eq5d_vas")
    with pytest.raises(ModelError, match="trajectories have no column 'research_consent'"):
        build_mixed_analysis_set(
            ModelInputs(data.scores, data.trajectories.drop(columns="research_consent")),
            "ssd12_total",
        )
    with pytest.raises(ModelError, match="formula must read"):
        outcome_of("log(ssd12_total) ~ years")


def test_absent_reference_level_is_not_estimable() -> None:
    frame = build_mixed_analysis_set(_inputs(), "ssd12_total").frame
    frame = frame.assign(sex=np.where(np.arange(len(frame)) % 2 == 0, "m", "x"))
    spec = MixedSpec(
        formula="ssd12_total ~ years + sex",
        re_formula="~1",
        groups="trajectory_key",
        reference_levels={"sex": "f"},
        lrt_blocks={},
        engine="profiled",
        ci_level=0.95,
    )
    with pytest.raises(NotEstimable, match="reference level 'f' of sex does not occur"):
        fit_mixed(frame, spec)
    # One level only: the factor is constant, its column is aliased and dropped (as lme4 does).
    single = fit_mixed(frame.assign(sex="m"), spec)
    assert "sex[T.m]" not in set(single.coefficients["term"])
    assert any("dropping 1 column(s): sex[T.m]" in w for w in single.metrics["warnings"])
