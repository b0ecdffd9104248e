"""Kaplan-Meier curves with 95% CIs and numbers at risk, overall and per group; log-rank tests.

Estimand: S(t), the probability that the event (drop-out, reliable improvement on the SSD-12,
re-entry after a regular end; see :mod:`pipeline.models.survival._survival`) has not happened by t years,
for all research-consenting trajectories and within each level of every grouping factor (each
comorbidity, diagnosis ...), estimated by the product-limit estimator (Kaplan & Meier 1958) with
the Greenwood (1926) variance and log(-log) pointwise intervals (Kalbfleisch & Prentice 1980);
the median time with the interval where the confidence limits cross 0.5 (Brookmeyer & Crowley
1982); and per factor the log-rank test of equal hazards across its levels (Mantel 1966). The
numbers match R's ``survfit(conf.type = "log-log")``, ``quantile.survfit`` and ``survdiff``
(``tests/reference/survival_reference.R``).

For ``dropout`` and ``improvement`` the other ways treatment ends censor, so 1 - S(t) is the
probability in a hypothetical world in which they cannot happen, not the share that drops out
(or improves); ``cumulative_incidence`` estimates that share (docs/methods-survival.md).

Outputs (``data/models/<name>/``)
---------------------------------
``coefficients.csv``
    Per stratum (``all`` and ``<factor>=<level>``): ``median[<stratum>]`` (estimate and CI, in
    years) and ``survival_at_<t>y[<stratum>]`` for each landmark t (S(t), Greenwood SE, CI).
    ``p_value`` is empty: these are estimates, not tests.
``metrics.json``
    n, events, analysis-set flow, per stratum n / events / median, per factor the log-rank
    test, messages for strata that need one (no events, a single trajectory ...) and warnings.
``km_table.csv``
    The curves for plots: ``group``, ``level``, ``time`` (years), ``n_at_risk``, ``n_events``,
    ``n_censored``, ``survival``, ``std_error``, ``ci_low``, ``ci_high``; one row per distinct
    time, after a first row at time 0 (S = 1) so that every curve starts at the origin.
``risk_table.csv``
    Numbers at risk (and cumulative events) per stratum every ``risk_table_step_years``, to
    print under the plot.
``logrank.csv``
    One row per grouping factor.

References
----------
Kaplan EL, Meier P (1958). Nonparametric estimation from incomplete observations. JASA 53,
457-481. Greenwood M (1926). The natural duration of cancer. Reports on Public Health and Medical
Subjects 33. Kalbfleisch JD, Prentice RL (1980). The Statistical Analysis of Failure Time Data.
Brookmeyer R, Crowley J (1982). A confidence interval for the median survival time. Biometrics
38, 29-41. Mantel N (1966). Evaluation of survival data and two new rank order statistics
arising in its consideration. Cancer Chemotherapy Reports 50, 163-170.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar, Self

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
from pipeline.models.survival import _survival, _survival_fit


@dataclass(frozen=True)
class KaplanMeier(Model):
    """Kaplan-Meier estimates per group with log-rank tests (``model: kaplan_meier``).

    Parameters
    ----------
    outcome
        ``dropout``, ``improvement`` or ``reentry`` (:mod:`pipeline.models.survival._survival`).
    groups
        Grouping factors (trajectory columns: ``comorbid_*``, ``cfs``, ``diagnosis``, ``sex``
        ...); each gets a curve per level and a log-rank test. Trajectories missing the factor
        are left out of that factor's curves (counted).
    export_date
        ISO date closing follow-up; ``None`` (default): the export date ingest settled
        (``ModelInputs.export_date``), else the latest date in the data.
    reliable_change
        RC in SSD-12 points for ``improvement`` (default 8.2137, the Jacobson-Truax threshold
        of ``score.outcomes.ssd12_total``).
    reentry_window_years
        Re-entry window after a regular end (``reentry``; default 2 years).
    ci_level
        Level of the pointwise and median confidence intervals.
    landmarks_years
        Times (years) at which S(t) is reported in ``coefficients.csv``.
    risk_table_step_years
        Spacing of the numbers-at-risk table.
    """

    family: ClassVar[str] = "survival"

    outcome: _survival.Outcome
    groups: tuple[str, ...] = ()
    export_date: str | None = None
    reliable_change: float = _survival.RC_SSD12
    reentry_window_years: float = 2.0
    ci_level: float = 0.95
    landmarks_years: tuple[float, ...] = (0.5, 1.0, 2.0)
    risk_table_step_years: float = 0.5

    def __post_init__(self) -> None:
        _ = self.outcome_spec  # validates outcome, export_date, reliable_change, window
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
            reentry_window_years=self.reentry_window_years,
        )

    def fit(self, data: ModelInputs) -> FitResult:
        """Build the outcome's analysis set and estimate the curves and tests."""
        analysis = _survival.build_time_to_event(data, self.outcome_spec)
        frame = analysis.frame
        missing = [g for g in self.groups if g not in frame.columns]
        if missing:
            raise ModelError(f"trajectories have no grouping column(s) {', '.join(missing)}")
        duration = frame["duration"].to_numpy(dtype=float)
        event = frame["event"].to_numpy(dtype=int)
        top = float(duration.max()) if len(duration) else 0.0
        grid = np.arange(0.0, top + 1e-9, self.risk_table_step_years)
        messages: list[str] = []
        if len(frame) == 0:
            raise NotEstimable(
                "the analysis set is empty: no curve can be estimated",
                {"analysis_set": analysis.flow, "n": 0, "events": 0},
            )
        if event.sum() == 0:
            messages.append("no events in the analysis set: every curve stays at 1")
        strata: dict[str, dict[str, Any]] = {}
        coefficient_rows: list[list[Any]] = []
        curves: list[pd.DataFrame] = []
        risks: list[pd.DataFrame] = []
        for group, level, mask in self._strata(frame):
            key = "all" if group == "all" else f"{group}={level}"
            km = _survival_fit.kaplan_meier(duration[mask], event[mask], self.ci_level)
            strata[key] = self._stratum_metrics(km)
            coefficient_rows.extend(self._stratum_coefficients(key, km))
            curves.append(_with_stratum(_curve_for_plot(km), group, level))
            risk = _survival_fit.numbers_at_risk(duration[mask], event[mask], grid)
            risk["survival"] = km.at(grid)["survival"].to_numpy() if km.n else math.nan
            risks.append(_with_stratum(risk, group, level))
        tests, test_rows = self._logrank_tests(frame, duration, event)
        coefficients = pd.DataFrame(coefficient_rows, columns=list(COEFFICIENT_COLUMNS))
        coefficients = coefficients.astype({c: float for c in COEFFICIENT_COLUMNS[1:]})
        metrics: dict[str, Any] = {
            "family": self.family,
            "outcome": self.outcome,
            "definition": analysis.definition,
            "time_unit": _survival.TIME_UNIT,
            "export_date": analysis.export_date,
            **self._outcome_settings(),
            "analysis_set": analysis.flow,
            "n": int(len(frame)),
            "events": int(event.sum()),
            "confidence_interval": (
                f"{self.ci_level:g} pointwise, log(-log S) scale, Greenwood variance; median "
                "interval where the limits cross 0.5"
            ),
            "strata": strata,
            "logrank": tests,
            "messages": messages,
            "warnings": [],
        }
        tables = {
            "km_table": pd.concat(curves, ignore_index=True),
            "risk_table": pd.concat(risks, ignore_index=True),
            "logrank": pd.DataFrame(
                test_rows,
                columns=["group", "statistic", "df", "p_value", "n", "events", "levels"],
            ).astype({"statistic": float, "df": float, "p_value": float}),
        }
        return FitResult(coefficients=coefficients, metrics=metrics, tables=tables)

    def _outcome_settings(self) -> dict[str, Any]:
        if self.outcome == "improvement":
            return {
                "reliable_change": float(self.reliable_change),
                "interval_censoring": _survival.INTERVAL_NOTE,
            }
        if self.outcome == "reentry":
            return {"reentry_window_years": float(self.reentry_window_years)}
        return {}

    def _strata(self, frame: pd.DataFrame) -> list[tuple[str, str, np.ndarray]]:
        out = [("all", "all", np.ones(len(frame), dtype=bool))]
        for group in self.groups:
            labels = _labels(frame[group])
            for level in sorted(set(labels.dropna())):
                out.append((group, level, labels.eq(level).fillna(False).to_numpy(dtype=bool)))
        return out

    def _stratum_metrics(self, km: _survival_fit.KaplanMeier) -> dict[str, Any]:
        notes = []
        if km.n == 1:
            notes.append("a single trajectory: the curve is one step, without an interval")
        if km.events == 0 and km.n:
            notes.append("no events: the curve stays at 1")
        elif math.isnan(km.median) and km.n:
            notes.append("median not reached: the curve stays above 0.5")
        return {
            "n": km.n,
            "events": km.events,
            "median": _number(km.median),
            "median_ci_low": _number(km.median_ci_low),
            "median_ci_high": _number(km.median_ci_high),
            "message": "; ".join(notes) or None,
        }

    def _stratum_coefficients(self, key: str, km: _survival_fit.KaplanMeier) -> list[list[Any]]:
        rows: list[list[Any]] = [
            [f"median[{key}]", km.median, math.nan, km.median_ci_low, km.median_ci_high, math.nan]
        ]
        at = km.at(self.landmarks_years) if km.n else None
        for i, t in enumerate(self.landmarks_years):
            values = (
                at.iloc[i][["survival", "std_error", "ci_low", "ci_high"]].tolist()
                if at is not None
                else [math.nan] * 4
            )
            rows.append([f"survival_at_{t:g}y[{key}]", *values, math.nan])
        return rows

    def _logrank_tests(
        self, frame: pd.DataFrame, duration: np.ndarray, event: np.ndarray
    ) -> tuple[dict[str, Any], list[list[Any]]]:
        tests: dict[str, Any] = {}
        rows: list[list[Any]] = []
        for group in self.groups:
            labels = _labels(frame[group])
            known = labels.notna().to_numpy(dtype=bool)
            result = _survival_fit.logrank(
                duration[known], event[known], labels[known].astype(str).tolist()
            )
            tests[group] = {
                "statistic": _number(result.statistic),
                "df": result.df,
                "p_value": _number(result.p_value),
                "n": result.n,
                "events": result.events,
                "levels": result.levels,
                "n_missing_excluded": int((~known).sum()),
                "message": result.message,
            }
            rows.append(
                [
                    group,
                    _nan(result.statistic),
                    _nan(result.df),
                    _nan(result.p_value),
                    result.n,
                    result.events,
                    result.levels,
                ]
            )
        return tests, rows

    @classmethod
    def example(cls) -> Self:
        """Drop-out by opioid dependence and by diagnosis."""
        return cls(outcome="dropout", groups=("comorbid_opioid", "diagnosis"))


def _labels(values: pd.Series) -> pd.Series:
    """Level labels as text (0/1 flags as ``0``/``1``), missing stays missing."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = values.astype("Float64")
        whole = numbers.dropna()
        if len(whole) and bool((whole == whole.round()).all()):
            return numbers.astype("Int64").astype("string")
        return numbers.astype("string")
    return values.astype("string")


def _curve_for_plot(km: _survival_fit.KaplanMeier) -> pd.DataFrame:
    table = km.table
    if km.n and (len(table) == 0 or table["time"].iloc[0] > 0):
        origin = pd.DataFrame(
            [[0.0, km.n, 0, 0, 1.0, 0.0, math.nan, math.nan]], columns=table.columns
        )
        table = pd.concat([origin, table], ignore_index=True)
    return table.astype({"n_at_risk": "int64", "n_events": "int64", "n_censored": "int64"})


def _with_stratum(table: pd.DataFrame, group: str, level: str) -> pd.DataFrame:
    out = table.copy()
    out.insert(0, "level", level)
    out.insert(0, "group", group)
    return out


def _number(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _nan(value: float | None) -> float:
    return math.nan if value is None else float(value)
