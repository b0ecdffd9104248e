"""Per-trajectory outcomes: intake, end, change, RCI, category, response status; and the
centre's own psychometrics (pure functions, DataFrames in and out).

Inputs are the "Clean administrations" and "Clean trajectories" contracts of
``docs/architecture.md``.

- The intake (end) score of a trajectory is the score of its administration at timepoint
  ``intake`` (``end``) of the instrument that yields the score. The EQ VAS is asked in both
  EQ-5D versions: the EQ-5D-5L administration's VAS is used, else the EQ-5D-3L one.
- Response status (refining clean's presence-based status): ``completer`` when the
  instrument's primary score(s) are valid at intake and at end, ``pre_only`` / ``post_only``
  when valid at one of them, ``none`` otherwise; ongoing trajectories stay ``ongoing``. The
  primary scores are the SSD-12 total, the EQ-5D index, all eight RAND-36 health scales, the
  PHQ-15 total and the CQI grade.
- ``S_change`` = end - intake; ``S_rci`` = change / S_diff; ``S_category`` per
  :func:`pipeline.change.categorise`. All three are empty when S is missing at intake or at
  end (for a primary score: exactly the non-completers; ongoing trajectories have no end).
- Centre psychometrics: mean and SD of the intake scores (one per trajectory) and Cronbach's
  alpha of the intake administrations' items (complete rows; PHQ-15 without the menstrual item,
  which does not apply to everyone; RAND-36 on the recoded items). Alpha is not computed for
  the EQ-5D indices (a preference-weighted index of five single-item dimensions, not a
  reflective scale) nor for single items (EQ VAS). All intake administrations count (ended
  and ongoing trajectories, with or without research consent): these are aggregate
  measurement properties of the centre's intake population.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pipeline.change import ChangeNorms, categorise, cronbach_alpha, cutoff, rci
from pipeline.errors import ParamsError, PipelineError
from pipeline.instruments.base import Instrument, ScoreDef, ScoringContext, normalise_sex
from pipeline.instruments.params import OutcomeNorms, ScoreParams, describe_options
from pipeline.instruments.registry import (
    SCORE_COLUMNS,
    describe_instruments,
    outcome_scores,
    score_definitions,
    score_sources,
)
from pipeline.instruments.scoring import score_frame

ID_COLUMNS = (
    "client_key",
    "trajectory_key",
    "instrument",
    "completed_at",
    "timepoint",
    "days_from_start",
    "source_row",
)
SUFFIXES = ("intake", "end", "change", "rci", "category")
RESPONSE_STATUS_RULE = (
    "completer = the instrument's primary score(s) valid at intake and at end; pre_only / "
    "post_only = valid at one of them; none = at neither; ongoing trajectories: ongoing "
    "(refines clean's presence-based status: an administration whose primary score cannot be "
    "scored does not count)"
)


@dataclass(frozen=True)
class CentreEstimate:
    """The centre's own intake figures for one outcome score."""

    n: int
    mean: float
    sd: float
    alpha: float
    alpha_n: int
    alpha_items: int


@dataclass(frozen=True)
class ResolvedNorms:
    """The norms in force for one score and where each figure came from."""

    norms: ChangeNorms | None
    used: dict[str, Any]


def administration_sex(administrations: pd.DataFrame, trajectories: pd.DataFrame) -> np.ndarray:
    """Canonical sex per administration: from its trajectory, else (unlinked) from its client
    when all the client's trajectories agree; ``""`` when unknown."""
    traj = trajectories[["trajectory_key", "client_key", "sex"]].copy()
    traj["sex"] = normalise_sex(traj["sex"].to_numpy(dtype=object))
    by_trajectory = dict(zip(traj["trajectory_key"], traj["sex"], strict=True))
    known = traj[traj["sex"] != ""]
    per_client = known.groupby("client_key")["sex"].agg(
        lambda s: s.iloc[0] if s.nunique() == 1 else ""
    )
    by_client = per_client.to_dict()
    tk = administrations["trajectory_key"].map(by_trajectory)
    ck = administrations["client_key"].map(by_client)
    out = tk.where(tk.notna() & (tk != ""), ck).fillna("")
    return out.to_numpy(dtype=object)


def score_administrations(
    administrations: pd.DataFrame,
    trajectories: pd.DataFrame,
    instruments: Mapping[str, Instrument],
) -> pd.DataFrame:
    """``scores.parquet``: one row per administration, identifiers and every score column.

    Raises
    ------
    PipelineError
        When an item value is invalid (ingest quarantines those: this is a contract breach).
    """
    sex = administration_sex(administrations, trajectories)
    scores, invalid = score_frame(
        administrations, instruments, sex=sex, instrument_column="instrument"
    )
    if len(invalid):
        counts = invalid.groupby("item", sort=True).size()
        where = ", ".join(f"{item} ({n})" for item, n in counts.items())
        raise PipelineError(
            f"administrations.parquet has {len(invalid)} invalid item value(s): {where}; "
            "ingest should have quarantined them"
        )
    ids = administrations.loc[:, [c for c in ID_COLUMNS if c in administrations.columns]]
    out = pd.concat([ids.reset_index(drop=True), scores.reset_index(drop=True)], axis=1)
    return sort_scores(out)


def sort_scores(scores: pd.DataFrame) -> pd.DataFrame:
    """Deterministic order: trajectory, instrument, date, source row, client (nulls last)."""
    order = ("trajectory_key", "instrument", "completed_at", "source_row", "client_key")
    keys = [c for c in order if c in scores.columns]
    return scores.sort_values(keys, kind="mergesort", na_position="last").reset_index(drop=True)


TimepointScores = dict[tuple[str, str], pd.DataFrame]


def index_timepoints(scores: pd.DataFrame) -> TimepointScores:
    """(instrument, ``intake``/``end``) -> that timepoint's scores indexed by trajectory.

    Raises
    ------
    PipelineError
        When a trajectory has two administrations of one instrument at one of them (clean
        assigns one: a contract breach).
    """
    linked = scores[scores["timepoint"].isin(["intake", "end"]) & scores["trajectory_key"].notna()]
    out: TimepointScores = {}
    for (instrument, timepoint), rows in linked.groupby(["instrument", "timepoint"], sort=True):
        duplicated = rows["trajectory_key"].duplicated()
        if duplicated.any():
            raise PipelineError(
                f"administrations.parquet has {int(duplicated.sum())} trajectory(ies) with more "
                f"than one {instrument} administration at timepoint {timepoint}"
            )
        out[(str(instrument), str(timepoint))] = rows.set_index("trajectory_key")
    return out


def pick_scores(
    timepoints: TimepointScores, score: str, sources: tuple[str, ...], timepoint: str
) -> pd.Series:
    """Per trajectory, the ``score`` at ``timepoint``: the first source instrument with a value."""
    picked = pd.Series(dtype=np.float64)
    for instrument in sources:
        rows = timepoints.get((instrument, timepoint))
        if rows is None:
            continue
        values = rows[score].astype(np.float64).dropna()
        picked = values if picked.empty else picked.combine_first(values)
    return picked


def centre_estimates(
    administrations: pd.DataFrame,
    timepoints: TimepointScores,
    instruments: Mapping[str, Instrument],
) -> dict[str, CentreEstimate]:
    """Intake mean, SD and Cronbach's alpha of every outcome score, from the centre's data."""
    sources = score_sources(dict(instruments))
    at_intake = administrations[administrations["timepoint"] == "intake"]
    intake_rows = {str(k): v for k, v in at_intake.groupby("instrument", sort=True)}
    out: dict[str, CentreEstimate] = {}
    for name in outcome_scores(dict(instruments)):
        intake = pick_scores(timepoints, name, sources[name], "intake").to_numpy()
        n = int(len(intake))
        mean = float(np.mean(intake)) if n else math.nan
        sd = float(np.std(intake, ddof=1)) if n > 1 else math.nan
        instrument = instruments[sources[name][0]]
        rows = intake_rows.get(instrument.key, administrations.iloc[:0])
        values = rows.loc[:, list(instrument.item_names)].to_numpy(dtype=np.float64)
        ctx = ScoringContext(
            columns=instrument.item_names,
            values=values,
            sex=np.full(len(rows), "", dtype=object),
        )
        matrix = instrument.score(name).alpha_matrix(ctx, instrument)
        if matrix is None:
            alpha, alpha_n, k = math.nan, 0, 0
        else:
            alpha, alpha_n = cronbach_alpha(matrix)
            k = int(matrix.shape[1])
        out[name] = CentreEstimate(n, mean, sd, alpha, alpha_n, k)
    return out


def resolve_norms(
    score: ScoreDef,
    params: ScoreParams,
    centre: CentreEstimate,
) -> ResolvedNorms:
    """Combine ``params.yaml`` defaults and the centre's estimates for one outcome score.

    ``sd_pre`` and ``reliability``: the centre's estimate when ``use_centre_psychometrics`` is
    on (and the estimate is usable), else the ``params.yaml`` value, else the centre's estimate.
    ``m_clin``/``sd_clin``: ``params.yaml``, else the centre's intake mean and SD.
    ``m_func``/``sd_func``: ``params.yaml`` only. A centre estimate is usable with at least
    ``centre_min_n`` scores (complete rows for alpha), SD > 0 and 0 < alpha < 1.
    """
    name, direction = score.name, score.direction
    norms = params.outcomes.get(name, OutcomeNorms())
    sd_ok = centre.n >= params.centre_min_n and centre.sd > 0
    alpha_ok = centre.alpha_n >= params.centre_min_n and 0 < centre.alpha < 1
    used: dict[str, Any] = {}

    def choose(key: str, default: float | None, estimate: float, ok: bool) -> float | None:
        if params.use_centre_psychometrics and ok:
            value, origin = estimate, "centre"
        elif default is not None:
            value, origin = default, "params"
        elif ok:
            value, origin = estimate, "centre"
        else:
            value, origin = None, None
        used[key], used[f"{key}_from"] = value, origin
        return value

    sd_pre = choose("sd_pre", norms.sd_pre, centre.sd, sd_ok)
    reliability = choose("reliability", norms.reliability, centre.alpha, alpha_ok)
    m_clin = norms.m_clin if norms.m_clin is not None else (centre.mean if sd_ok else None)
    sd_clin = norms.sd_clin if norms.sd_clin is not None else (centre.sd if sd_ok else None)
    for key, default, value in (
        ("m_clin", norms.m_clin, m_clin),
        ("sd_clin", norms.sd_clin, sd_clin),
    ):
        origin = "params" if default is not None else ("centre" if value is not None else None)
        used[key], used[f"{key}_from"] = value, origin
    used["m_func"], used["sd_func"] = norms.m_func, norms.sd_func
    used["cutoff"] = norms.cutoff
    if norms.cutoff in ("b", "c") and (norms.m_func is None or norms.sd_func is None):
        raise ParamsError(
            f"params.yaml 'score.outcomes.{name}': cut-off {norms.cutoff} needs m_func and sd_func"
        )
    notes = []
    try:
        cut: float | None = cutoff(
            norms.cutoff,
            direction,
            m_clin=m_clin,
            sd_clin=sd_clin,
            m_func=norms.m_func,
            sd_func=norms.sd_func,
        )
    except ValueError:
        cut = None
        notes.append("no cut-off: too few intake scores for the clinical mean and SD")
    used["cutoff_value"] = cut
    if cut is not None and not (score.low < cut < score.high):
        notes.append(
            f"cut-off outside the score range {score.low:g} to {score.high:g}: nobody can be "
            "recovered or harmed; configure functional norms (m_func, sd_func) and cut-off c"
        )
    if sd_pre is None or reliability is None or not (0 <= reliability < 1) or sd_pre <= 0:
        notes.append("no reliable change: SD_pre or reliability not available")
        used.update(s_diff=None, reliable_change=None, note="; ".join(notes))
        return ResolvedNorms(None, used)
    resolved = ChangeNorms(
        direction=direction,
        sd_pre=sd_pre,
        reliability=reliability,
        cutoff_kind=norms.cutoff,
        cutoff=cut,
        critical=params.rci_critical,
    )
    used.update(
        s_diff=resolved.s_diff, reliable_change=resolved.reliable_change, note="; ".join(notes)
    )
    return ResolvedNorms(resolved, used)


def response_status(
    trajectories: pd.DataFrame, timepoints: TimepointScores, instruments: Mapping[str, Instrument]
) -> pd.DataFrame:
    """``response_<instrument>`` from valid primary scores at intake and end (ongoing kept)."""
    out = pd.DataFrame(index=trajectories.index)
    keys = trajectories["trajectory_key"]
    ended = trajectories["status"].to_numpy(dtype=object) == "ended"
    for key, instrument in instruments.items():
        valid = {}
        for timepoint in ("intake", "end"):
            rows = timepoints.get((key, timepoint))
            if rows is None:
                valid[timepoint] = np.zeros(len(keys), dtype=bool)
                continue
            ok = rows.loc[:, list(instrument.primary)].notna().all(axis=1)
            valid[timepoint] = keys.isin(ok.index[ok.to_numpy(dtype=bool)]).to_numpy(dtype=bool)
        status = np.select(
            [valid["intake"] & valid["end"], valid["intake"], valid["end"]],
            ["completer", "pre_only", "post_only"],
            default="none",
        ).astype(object)
        status[~ended] = "ongoing"
        out[f"response_{key}"] = pd.array(status, dtype="string")
    return out


def trajectory_outcomes(
    trajectories: pd.DataFrame,
    timepoints: TimepointScores,
    instruments: Mapping[str, Instrument],
    norms: Mapping[str, ChangeNorms | None],
) -> pd.DataFrame:
    """``S_intake``, ``S_end``, ``S_change``, ``S_rci``, ``S_category`` for every outcome S."""
    sources = score_sources(dict(instruments))
    definitions = score_definitions(dict(instruments))
    keys = trajectories["trajectory_key"]
    columns: dict[str, Any] = {}
    for name in outcome_scores(dict(instruments)):
        intake = keys.map(pick_scores(timepoints, name, sources[name], "intake")).to_numpy(
            np.float64
        )
        end = keys.map(pick_scores(timepoints, name, sources[name], "end")).to_numpy(np.float64)
        change = end - intake
        resolved = norms.get(name)
        if resolved is None:
            index = np.full(len(keys), np.nan)
            category = np.full(len(keys), None, dtype=object)
        else:
            index = rci(change, resolved.s_diff)
            category = categorise(
                intake,
                end,
                sdiff=resolved.s_diff,
                cut=resolved.cutoff,
                direction=definitions[name].direction,
                critical=resolved.critical,
            )
        columns[f"{name}_intake"] = intake
        columns[f"{name}_end"] = end
        columns[f"{name}_change"] = change
        columns[f"{name}_rci"] = index
        columns[f"{name}_category"] = pd.array(category, dtype="string")
    return pd.DataFrame(columns, index=trajectories.index)


def _clean_number(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else round(float(value), 6)
    if isinstance(value, np.integer):
        return int(value)
    return value


@dataclass(frozen=True)
class ScoreResult:
    """The three outputs of the ``score`` stage."""

    scores: pd.DataFrame
    trajectories: pd.DataFrame
    psychometrics: dict[str, Any]


def score_stage(
    administrations: pd.DataFrame,
    trajectories: pd.DataFrame,
    params: ScoreParams,
    instruments: Mapping[str, Instrument],
) -> ScoreResult:
    """Score every administration, then build the per-trajectory outcomes.

    Parameters
    ----------
    administrations, trajectories
        The clean tables (``docs/architecture.md``); not modified.
    params
        The ``score:`` block.
    instruments
        :func:`~pipeline.instruments.registry.build_instruments` under ``params``.
    """
    names = outcome_scores(dict(instruments))
    unknown = sorted(set(params.outcomes) - set(names))
    if unknown:
        raise ParamsError(
            f"params.yaml 'score.outcomes' has unknown outcome score(s): {', '.join(unknown)}"
        )
    scores = score_administrations(administrations, trajectories, instruments)
    timepoints = index_timepoints(scores)
    centre = centre_estimates(administrations, timepoints, instruments)
    definitions = score_definitions(dict(instruments))
    resolved = {n: resolve_norms(definitions[n], params, centre[n]) for n in names}
    base = trajectories.drop(
        columns=[c for c in trajectories.columns if c.startswith("response_") or c == "source_row"]
    )
    stale = {f"{n}_{suffix}" for n in names for suffix in SUFFIXES}
    base = base.drop(columns=[c for c in base.columns if c in stale])
    outcomes = trajectory_outcomes(
        trajectories, timepoints, instruments, {n: r.norms for n, r in resolved.items()}
    )
    response = response_status(trajectories, timepoints, instruments)
    out = pd.concat([base, response, outcomes], axis=1)
    out = out.sort_values("trajectory_key", kind="mergesort").reset_index(drop=True)
    psychometrics = {
        "scoring_options": describe_options(params),
        "instruments": describe_instruments(dict(instruments)),
        "response_status": RESPONSE_STATUS_RULE,
        "rci_critical": params.rci_critical,
        "use_centre_psychometrics": params.use_centre_psychometrics,
        "centre_min_n": params.centre_min_n,
        "outcomes": {
            n: {
                "direction": definitions[n].direction,
                "centre_intake": {k: _clean_number(v) for k, v in centre[n].__dict__.items()},
                "defaults": {
                    k: _clean_number(v)
                    for k, v in params.outcomes.get(n, OutcomeNorms()).__dict__.items()
                },
                "used": {k: _clean_number(v) for k, v in resolved[n].used.items()},
            }
            for n in names
        },
    }
    return ScoreResult(scores=scores, trajectories=out, psychometrics=psychometrics)


__all__ = [
    "SCORE_COLUMNS",
    "CentreEstimate",
    "ScoreResult",
    "centre_estimates",
    "index_timepoints",
    "pick_scores",
    "resolve_norms",
    "response_status",
    "score_administrations",
    "score_stage",
    "trajectory_outcomes",
]
