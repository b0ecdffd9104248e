"""Cumulative incidence of competing events (Aalen-Johansen), per group; Gray's tests.

Estimand: F_k(t), the probability that a trajectory has ended through cause k by t years
after the start of treatment, in a world where every other cause can happen first (no
hypothetical removal of the competing causes; Putter, Fiocco & Geskus 2007). Outcomes:

``dropout``
    Causes ``dropout``, ``regular``, ``referred``, ``other`` and ``unknown`` (an end without a
    listed reason): each end reason is a cause of its own, as ``cmprsk::cuminc`` and
    ``survival::survfit`` treat every distinct status code. Ongoing trajectories are censored
    at the export date. F_dropout(t) + F_regular(t) + ... + S(t) = 1 with S the Kaplan-Meier
    curve of still being in treatment.
``improvement``
    Causes ``improvement`` (first SSD-12 administration with a reliable improvement) and
    ``ended_without_improvement`` (an ended trajectory, at its last administration after the
    intake). Ongoing trajectories without improvement are censored at their last
    administration.

Estimated by the Aalen-Johansen estimator (Aalen & Johansen 1978) with the variance of
``cmprsk::cuminc`` and log(-log) pointwise intervals, for all trajectories and within each level
of every grouping factor; per factor and cause Gray's (1988) test of equal cumulative
incidence (:mod:`pipeline.models.survival._competing`; checked against R by
``tests/reference/survival_competing_reference.R``).

Outputs (``data/models/<name>/``)
---------------------------------
``coefficients.csv``
    ``cif_at_<t>y[<cause>][<stratum>]`` for each landmark t, cause and stratum (``all``,
    ``<factor>=<level>``): F(t), its standard error and interval; ``p_value`` empty.
``metrics.json``
    n, events per cause, the analysis-set flow, per stratum n and events per cause, per factor
    and cause Gray's test, messages and warnings.
``cif_table.csv``
    The curves for plots: ``group``, ``level``, ``cause``, ``time`` (years), ``n_at_risk``,
    ``n_events`` (this cause), ``n_events_any``, ``n_censored``, ``cif``, ``std_error``,
    ``ci_low``, ``ci_high``; one row per distinct time after a first row at time 0 (F = 0).
``risk_table.csv``
    Per stratum every ``risk_table_step_years``: ``n_at_risk`` and, per cause, the cumulative
    events (``events_<cause>``) and F (``cif_<cause>``), to print under the plot.
``gray_test.csv``
    One row per grouping factor and cause: ``group``, ``cause``, ``statistic``, ``df``,
    ``p_value``, ``n``, ``events``, ``levels``.

References
----------
Aalen OO, Johansen S (1978). Scand J Stat 5, 141-150. Gray RJ (1988). Ann Stat 16, 1141-1154.
Putter H, Fiocco M, Geskus RB (2007). Stat Med 26, 2389-2430.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Self

import numpy as np
import pandas as pd

from pipeline.models.base import (
    COEFFICIENT_COLUMNS,
    FitResult,
    Model,
    ModelError,
    ModelInputs,
    NotEstimable,
)
from pipeline.models.survival import _competing, _survival
from pipeline.models.survival.kaplan_meier import _labels


@dataclass(frozen=True)
class CumulativeIncidenceModel(Model):
    """Aalen-Johansen cumulative incidence per cause and group (``model: cumulative_incidence``).

    Parameters
    ----------
    outcome
        ``dropout`` (causes: the end reasons) or ``improvement`` (causes: reliable improvement,
        ending without it); see :func:`pipeline.models.survival._survival.build_competing_set`.
    groups
        Grouping factors (trajectory columns); each gets curves per level and a Gray test per
        cause. Trajectories missing the factor are left out of that factor's curves (counted).
    export_date
        ISO date closing follow-up; ``None`` (default): the export date ingest settled
        (``ModelInputs.export_date``), else the latest date in the data.
    reliable_change
        RC in SSD-12 points for ``improvement`` (default 8.2137).
    ci_level
        Level of the pointwise intervals.
    landmarks_years
        Times (years) at which F(t) is reported in ``coefficients.csv``.
    risk_table_step_years
        Spacing of the numbers-at-risk table.
    """

    family: ClassVar[str] = "survival"

    outcome: Literal["dropout", "improvement"]
    groups: tuple[str, ...] = ()
    export_date: str | None = None
    reliable_change: float = _survival.RC_SSD12
    ci_level: float = 0.95
    landmarks_years: tuple[float, ...] = (0.5, 1.0, 2.0)
    risk_table_step_years: float = 0.5

    def __post_init__(self) -> None:
        if self.outcome not in _survival.COMPETING_OUTCOMES:
            raise ModelError("outcome must be dropout or improvement")
        _ = self.outcome_spec
        if not 0.0 < self.ci_level < 1.0:
            raise ModelError("ci_level must lie between 0 and 1")
        if any(not (math.isfinite(t) and t > 0) for t in self.landmarks_years):
            raise ModelError("landmarks_years must be positive numbers of years")
        if not (math.isfinite(self.risk_table_step_years) and self.risk_table_step_years > 0):
            raise ModelError("risk_table_step_years must be a positive number of years")
        if len(set(self.groups)) != len(self.groups):
            raise ModelError("groups lists a factor twice")

    @property
    def outcome_spec(self) -> _survival.OutcomeSpec:
        """The analysis-set settings of this model."""
        return _survival.OutcomeSpec(
            outcome=self.outcome,
            export_date=self.export_date,
            reliable_change=self.reliable_change,
        )

    def fit(self, data: ModelInputs) -> FitResult:
        """Build the competing-risks set and estimate the curves and tests."""
        analysis = _survival.build_competing_set(data, self.outcome_spec)
        frame = analysis.frame
        if frame.empty:
            raise NotEstimable(
                f"the {self.outcome} analysis set is empty (no trajectories with research "
                "consent and a start date)",
                {"analysis_set": dict(analysis.flow)},
            )
        missing = [g for g in self.groups if g not in frame.columns]
        if missing:
            raise ModelError(f"trajectories have no grouping column(s) {', '.join(missing)}")
        causes = analysis.causes
        duration = frame["duration"].to_numpy(dtype=float)
        cause = frame["cause"].where(frame["cause"] != _survival.CENSORED, None).to_numpy()
        top = float(duration.max()) if len(duration) else 0.0
        grid = np.arange(0.0, top + 1e-9, self.risk_table_step_years)
        messages: list[str] = []
        if len(frame) == 0:
            messages.append("the analysis set is empty: no curve can be estimated")
        strata: dict[str, dict[str, Any]] = {}
        rows: list[list[Any]] = []
        curves: list[pd.DataFrame] = []
        risks: list[pd.DataFrame] = []
        for group, level, mask in self._strata(frame):
            key = "all" if group == "all" else f"{group}={level}"
            cif = _competing.aalen_johansen(duration[mask], cause[mask], causes, self.ci_level)
            strata[key] = {"n": cif.n, "events": dict(cif.events)}
            for k in causes:
                at = cif.at(k, self.landmarks_years) if cif.n else None
                for i, t in enumerate(self.landmarks_years):
                    values = (
                        at.iloc[i][["cif", "std_error", "ci_low", "ci_high"]].tolist()
                        if at is not None
                        else [math.nan] * 4
                    )
                    rows.append([f"cif_at_{t:g}y[{k}][{key}]", *values, math.nan])
            curves.append(_with_stratum(_curve_for_plot(cif), group, level))
            risks.append(_with_stratum(self._risk_table(cif, duration[mask], grid), group, level))
        tests, test_rows = self._gray_tests(frame, duration, cause, causes)
        coefficients = pd.DataFrame(rows, columns=list(COEFFICIENT_COLUMNS))
        coefficients = coefficients.astype({c: float for c in COEFFICIENT_COLUMNS[1:]})
        settings: dict[str, Any] = {}
        if self.outcome == "improvement":
            settings = {
                "reliable_change": float(self.reliable_change),
                "interval_censoring": _survival.INTERVAL_NOTE,
            }
        events = {k: int((frame["cause"] == k).sum()) for k in causes}
        metrics: dict[str, Any] = {
            "family": self.family,
            "outcome": self.outcome,
            "estimand": (
                "cumulative incidence F_k(t) of each cause k in the presence of the others "
                "(Aalen-Johansen); not 1 - Kaplan-Meier with the other causes censored"
            ),
            "definition": analysis.definition,
            "causes": list(causes),
            "time_unit": _survival.TIME_UNIT,
            "export_date": analysis.export_date,
            **settings,
            "analysis_set": analysis.flow,
            "n": int(len(frame)),
            "events": events,
            "censored": int((frame["cause"] == _survival.CENSORED).sum()),
            "confidence_interval": (
                f"{self.ci_level:g} pointwise, log(-log F) scale, variance of cmprsk::cuminc "
                "(Gray's delta-method estimator)"
            ),
            "test": "Gray (1988) K-sample test, rho = 0 (cmprsk::cuminc)",
            "strata": strata,
            "gray_tests": tests,
            "messages": messages,
            "warnings": [],
        }
        tables = {
            "cif_table": pd.concat(curves, ignore_index=True),
            "risk_table": pd.concat(risks, ignore_index=True),
            "gray_test": pd.DataFrame(
                test_rows,
                columns=["group", "cause", "statistic", "df", "p_value", "n", "events", "levels"],
            ).astype({"statistic": float, "df": float, "p_value": float}),
        }
        return FitResult(coefficients=coefficients, metrics=metrics, tables=tables)

    def _strata(self, frame: pd.DataFrame) -> list[tuple[str, str, np.ndarray]]:
        out = [("all", "all", np.ones(len(frame), dtype=bool))]
        for group in self.groups:
            labels = _labels(frame[group])
            for level in sorted(set(labels.dropna())):
                out.append((group, level, labels.eq(level).fillna(False).to_numpy(dtype=bool)))
        return out

    @staticmethod
    def _risk_table(
        cif: _competing.CumulativeIncidence, duration: np.ndarray, grid: np.ndarray
    ) -> pd.DataFrame:
        out = pd.DataFrame({"time": grid, "n_at_risk": [int((duration >= x).sum()) for x in grid]})
        for k in cif.causes:
            part = cif.table[cif.table["cause"] == k]
            times = part["time"].to_numpy(dtype=float)
            counts = part["n_events"].to_numpy(dtype=np.int64)
            out[f"events_{k}"] = [int(counts[times <= x].sum()) for x in grid]
            out[f"cif_{k}"] = cif.at(k, grid)["cif"].to_numpy() if cif.n else math.nan
        return out

    def _gray_tests(
        self,
        frame: pd.DataFrame,
        duration: np.ndarray,
        cause: np.ndarray,
        causes: tuple[str, ...],
    ) -> tuple[dict[str, Any], list[list[Any]]]:
        tests: dict[str, Any] = {}
        rows: list[list[Any]] = []
        for group in self.groups:
            labels = _labels(frame[group])
            known = labels.notna().to_numpy(dtype=bool)
            per_cause: dict[str, Any] = {}
            for k in causes:
                result = _competing.gray_test(
                    duration[known], cause[known], labels[known].astype(str).tolist(), k
                )
                per_cause[k] = {
                    "statistic": _number(result.statistic),
                    "df": result.df,
                    "p_value": _number(result.p_value),
                    "n": result.n,
                    "events": result.events,
                    "levels": result.levels,
                    "message": result.message,
                }
                rows.append(
                    [
                        group,
                        k,
                        _nan(result.statistic),
                        _nan(result.df),
                        _nan(result.p_value),
                        result.n,
                        result.events,
                        result.levels,
                    ]
                )
            tests[group] = {"n_missing_excluded": int((~known).sum()), "causes": per_cause}
        return tests, rows

    @classmethod
    def example(cls) -> Self:
        """Drop-out against the other end reasons, by opioid dependence and by diagnosis."""
        return cls(outcome="dropout", groups=("comorbid_opioid", "diagnosis"))


def _curve_for_plot(cif: _competing.CumulativeIncidence) -> pd.DataFrame:
    table = cif.table
    if not cif.n:
        return table
    parts = []
    for k in cif.causes:
        part = table[table["cause"] == k]
        if len(part) == 0 or part["time"].iloc[0] > 0:
            origin = pd.DataFrame(
                [[k, 0.0, cif.n, 0, 0, 0, 0.0, 0.0, math.nan, math.nan]], columns=table.columns
            )
            part = pd.concat([origin, part], ignore_index=True)
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    counts = ("n_at_risk", "n_events", "n_events_any", "n_censored")
    return out.astype(dict.fromkeys(counts, "int64"))


def _with_stratum(table: pd.DataFrame, group: str, level: str) -> pd.DataFrame:
    out = table.copy()
    out.insert(0, "level", level)
    out.insert(0, "group", group)
    return out


def _number(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _nan(value: float | None) -> float:
    return math.nan if value is None else float(value)
