"""DVC stage ``score`` and the ``python -m pipeline score IN.csv OUT.csv`` command.

Stage: reads ``data/interim/clean/administrations.parquet`` and ``trajectories.parquet`` (and
``platform_scores.parquet`` when the export carried the platform's own scores) and the
``score`` block of ``params.yaml``; calls :func:`pipeline.instruments.outcomes.score_stage`;
writes ``data/processed/scores.parquet``, ``data/processed/trajectories.parquet``,
``reports/metrics/psychometrics.json`` (the centre's intake SD and Cronbach's alpha beside the
``params.yaml`` defaults, and the figures used) and ``reports/metrics/platform_scores.json``
(agreement counts of the platform's scores with the project's: :func:`platform_agreement`).
Nothing is written when scoring fails.

Command: scores any item-level CSV with canonical item names (``docs/outputs.md``). OUT holds the
input columns plus every score column the items allow (a score column already in the input is
replaced by the computed one; for the EQ VAS and the CQI grade, which are their own scores, an
invalid answer therefore becomes empty). An optional ``sex`` column (``m``/``f``/``x``,
``man``/``vrouw``/``anders``, ``M``/``V``/``X``) tells whether PHQ-15 item 4 applies. Invalid
answers leave their scores empty and are listed on stderr by line number (header = line 1),
item and allowed range, never the value. Exit status 0 when OUT was written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

import numpy as np
import pandas as pd

from pipeline import config
from pipeline.errors import PipelineError
from pipeline.instruments.base import sex_recognised
from pipeline.instruments.outcomes import ScoreResult, score_stage
from pipeline.instruments.params import ScoreParams, describe_options
from pipeline.instruments.registry import build_instruments, score_definitions
from pipeline.instruments.scoring import find_item_columns, parse_item_text, score_frame
from pipeline.io import read_parquet, write_json, write_parquet
from pipeline.io.score_csv import check_item_paths, read_item_csv, write_item_csv

CLEAN_DIR = config.INTERIM / "clean"
SCORES_PARQUET = "scores.parquet"
TRAJECTORIES_PARQUET = "trajectories.parquet"
PSYCHOMETRICS_JSON = "psychometrics.json"
#: Agreement counts of the platform's own scores with the project's (always written).
PLATFORM_JSON = "platform_scores.json"
#: The platform scores the clean stage passes on (when the export carries any).
PLATFORM_SCORES = "platform_scores.parquet"


def load_score_params(path: Path = config.PARAMS_PATH) -> ScoreParams:
    """The ``score`` block of ``params.yaml``."""
    return config.load_params("score", ScoreParams, path)


def main(argv: list[str] | None = None) -> None:
    """Run the stage with the project's paths and ``params.yaml`` (what ``dvc.yaml`` calls)."""
    parser = argparse.ArgumentParser(
        prog="python -m pipeline stage score",
        description="Score every administration; intake, end, change, RCI and category.",
    )
    parser.parse_args(argv if argv is not None else [])
    run(
        load_score_params(),
        clean_dir=CLEAN_DIR,
        processed_dir=config.PROCESSED,
        metrics_dir=config.METRICS,
    )


def run(
    params: ScoreParams, *, clean_dir: Path, processed_dir: Path, metrics_dir: Path
) -> ScoreResult:
    """Read the clean tables, score, write the three outputs (paths given for tests)."""
    files = {name: clean_dir / f"{name}.parquet" for name in ("administrations", "trajectories")}
    for path in files.values():
        if not path.is_file():
            raise PipelineError(
                f"{clean_dir.name}/{path.name} not found: run the clean stage first"
            )
    administrations = read_parquet(files["administrations"])
    trajectories = read_parquet(files["trajectories"])
    result = score_stage(administrations, trajectories, params, build_instruments(params))
    platform_path = clean_dir / PLATFORM_SCORES
    platform = read_parquet(platform_path) if platform_path.is_file() else None
    agreement = platform_agreement(result.scores, platform)
    write_parquet(result.scores, processed_dir / SCORES_PARQUET)
    write_parquet(result.trajectories, processed_dir / TRAJECTORIES_PARQUET)
    write_json(result.psychometrics, metrics_dir / PSYCHOMETRICS_JSON)
    write_json(agreement, metrics_dir / PLATFORM_JSON)
    for line in agreement_warnings(agreement):
        sys.stderr.write(line + "\n")
    return result


def platform_agreement(scores: pd.DataFrame, platform: pd.DataFrame | None) -> dict[str, object]:
    """Agreement of the platform's own scores with the project's, as counts (never values).

    Parameters
    ----------
    scores
        The project's ``scores.parquet`` (``instrument``, ``source_row``, score columns).
    platform
        The platform scores the export carried (``instrument``, ``source_row``, ``score``,
        ``value``, ``tolerance``), or ``None``.

    Returns
    -------
    dict
        ``platform_scores``: whether the export carried any; ``scores``: per instrument and
        score, ``platform_values`` (administrations with a platform value), ``compared`` (kept
        administrations with both values), ``agree`` and ``disagree`` (difference within / beyond
        ``tolerance``), ``project_missing`` (a platform value where the project's rules give no
        score, e.g. too many missing items), ``platform_missing``, ``not_kept`` (the
        administration was quarantined), and the ``tolerance``. A disagreement is a warning,
        never a reason to change the project's scoring.
    """
    if platform is None or not len(platform):
        return {"platform_scores": False, "scores": {}}
    keyed = scores.set_index(["instrument", "source_row"])
    out: dict[str, dict[str, dict[str, float | int]]] = {}
    for (instrument, score), part in platform.groupby(["instrument", "score"], sort=True):
        index = pd.MultiIndex.from_arrays(
            [part["instrument"].astype(str), part["source_row"].astype(np.int64)]
        )
        kept = index.isin(keyed.index)
        project = np.full(len(part), np.nan)
        if score in keyed.columns and kept.any():
            column = keyed[str(score)]
            project[kept] = column.loc[index[kept]].to_numpy(dtype=np.float64)
        theirs = part["value"].to_numpy(dtype=np.float64)
        tolerance = float(part["tolerance"].iloc[0])
        both = kept & ~np.isnan(project) & ~np.isnan(theirs)
        agree = both & (np.abs(project - theirs) <= tolerance + 1e-9)
        out.setdefault(str(instrument), {})[str(score)] = {
            "platform_values": int((~np.isnan(theirs)).sum()),
            "compared": int(both.sum()),
            "agree": int(agree.sum()),
            "disagree": int((both & ~agree).sum()),
            "project_missing": int((kept & np.isnan(project) & ~np.isnan(theirs)).sum()),
            "platform_missing": int((kept & ~np.isnan(project) & np.isnan(theirs)).sum()),
            "not_kept": int((~kept).sum()),
            "tolerance": tolerance,
        }
    return {"platform_scores": True, "scores": out}


def agreement_warnings(agreement: dict[str, object]) -> list[str]:
    """One warning line per score on which the platform disagrees with the project."""
    lines = []
    scores = agreement.get("scores") or {}
    assert isinstance(scores, dict)
    for instrument, per_score in scores.items():
        for score, counts in per_score.items():
            if counts["disagree"]:
                lines.append(
                    f"warning: the platform's {score} differs from the project's in "
                    f"{counts['disagree']} of {counts['compared']} {instrument} administrations "
                    f"(tolerance {counts['tolerance']:g}); the project's scoring is used "
                    f"(reports/metrics/{PLATFORM_JSON})"
                )
    return lines


def _params_for_cli() -> tuple[ScoreParams, str]:
    if config.PARAMS_PATH.is_file():
        params = config.read_params_file()
        if "score" in params:
            return load_score_params(), "params.yaml"
    return ScoreParams(), "built-in defaults"


def score_table(
    table: pd.DataFrame, params: ScoreParams
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """Score a text table (pure part of the command).

    Returns
    -------
    scores : pandas.DataFrame
        The score columns the items allow.
    invalid : pandas.DataFrame
        Invalid answers (``row`` = position in ``table``, ``item``, ``reason``, ``low``,
        ``high``).
    bad_sex : pandas.Series
        Boolean per row: a non-empty ``sex`` that is not an accepted spelling.
    """
    instruments = build_instruments(params)
    columns = find_item_columns(list(table.columns), instruments)
    if not columns:
        raise PipelineError(
            "no item columns with canonical names (such as ssd12_01, phq15_01, eq5d5l_mo, "
            "rand36_01, cqi_grade; see instruments.md)"
        )
    values, unparseable = parse_item_text(table, columns)
    sex_header = next((c for c in table.columns if str(c).strip().lower() == "sex"), None)
    if sex_header is None:
        sex = np.full(len(table), None, dtype=object)
        bad_sex = pd.Series(False, index=table.index)
    else:
        raw = table[sex_header].astype(str)
        sex = raw.to_numpy(dtype=object)
        bad_sex = (raw.str.strip() != "") & ~raw.map(sex_recognised)
    scores, invalid = score_frame(values, instruments, sex=sex, unparseable=unparseable)
    return scores, invalid, bad_sex


def format_scores(scores: pd.DataFrame, decimal: str) -> pd.DataFrame:
    """Score columns as text: whole numbers without decimals, others in full precision with
    the given decimal mark, empty when missing."""

    def text(value: object) -> str:
        if value is None or value is pd.NA:
            return ""
        if isinstance(value, str):
            return value
        number = float(value)  # type: ignore[arg-type]
        if np.isnan(number):
            return ""
        if number.is_integer():
            return str(int(number))
        return repr(number).replace(".", decimal)

    return scores.apply(lambda column: column.map(text).astype(object))


def score_file_cli(
    input: Path, output: Path, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    """``python -m pipeline score IN.csv OUT.csv``: write OUT, list invalid answers on stderr,
    print a summary (rows, score columns, scoring options) on stdout.

    Returns the exit status: 0 when OUT was written (also when some answers were invalid).
    """
    err = stderr if stderr is not None else sys.stderr
    info = stdout if stdout is not None else sys.stdout
    check_item_paths(Path(input), Path(output))
    params, origin = _params_for_cli()
    csv = read_item_csv(Path(input))
    scores, invalid, bad_sex = score_table(csv.frame, params)
    lines = csv.lines
    for position, item, reason, low, high in zip(
        invalid["row"].to_numpy(dtype=np.int64),
        invalid["item"].astype(str),
        invalid["reason"].astype(str),
        invalid["low"].to_numpy(dtype=np.int64),
        invalid["high"].to_numpy(dtype=np.int64),
        strict=True,
    ):
        allowed = f"{low}–{high}"
        problem = (
            f"{reason} {allowed}" if reason == "out of range" else f"{reason} (allowed {allowed})"
        )
        err.write(f"{csv.name} line {int(lines[position])}: item {item} {problem}\n")
    for position in np.flatnonzero(bad_sex.to_numpy(dtype=bool)):
        err.write(
            f"{csv.name} line {int(lines[position])}: sex not recognised "
            "(allowed m/f/x, man/vrouw/anders); treated as unknown\n"
        )
    formatted = format_scores(scores, csv.decimal)
    lower = {str(c).strip().lower(): c for c in csv.frame.columns}
    out = csv.frame.copy()
    for name in formatted.columns:
        out[lower.get(name, name)] = formatted[name].to_numpy()
    write_item_csv(out, Path(output), delimiter=csv.delimiter, decimal=csv.decimal, bom=csv.bom)
    definitions = score_definitions(build_instruments(params))
    options = describe_options(params)
    used = sorted(k for k in options if any(n.startswith(k) for n in scores.columns))
    option_text = "; ".join(
        f"{k}: " + ", ".join(f"{o}={v}" for o, v in options[k].items()) for k in used
    )
    columns = ", ".join(c for c in definitions if c in scores.columns)
    summary = (
        f"scored {len(out)} row(s) of {csv.name} into {Path(output).name}: "
        f"{columns or 'no score column (the items present cannot give a score)'}"
    )
    if len(invalid):
        summary += f"; {len(invalid)} invalid answer(s) left their scores empty"
    info.write(summary + "\n")
    if option_text:
        info.write(f"scoring options ({origin}): {option_text}\n")
    return 0
