"""DVC stage ``fit``: fit one configured model into ``data/models/<name>/``.

``python -m pipeline stage fit NAME`` builds the model of the ``models.NAME`` entry of
``params.yaml`` through the registry (:mod:`pipeline.models.registry`), fits it to
``data/processed/scores.parquet`` and ``data/processed/trajectories.parquet`` with the seed of
the ``fit`` block (whose ``backend`` says where the refits run, on this machine or a Dask
cluster, without changing a byte of the results), and writes (``docs/outputs.md``, *Models*):

- ``coefficients.csv``: ``term, estimate, std_error, ci_low, ci_high, p_value`` (then any extra
  columns of the model, such as the Cox models' hazard ratios);
- ``metrics.json``: n, convergence and every warning, the family's fit figures;
- ``<table>.csv`` for every extra table of the fit.

A model whose data cannot support it (empty or too small analysis set, no events, one outcome
class, constant outcome, degenerate design: :class:`~pipeline.models.base.NotEstimable`) does
not fail the stage: its ``metrics.json`` says ``"estimable": false`` with a one-line
``"reason"`` and its ``coefficients.csv`` has the columns and no rows (``docs/robustness.md``).

Each family selects its own analysis set from the two tables (mixed models: trajectories with
research consent, administrations linked to a trajectory at intake, interim or end; see
:func:`pipeline.models.mixed._mixed.build_mixed_analysis_set`) and reports every selection step in
``metrics.json`` under ``analysis_set``.

Outputs are deterministic (rows in model order, floats to 10 significant digits, sorted JSON
keys, no time stamps) and written atomically: the folder is replaced whole or not at all. In
``dvc.yaml`` a ``foreach`` over ``${models}`` runs this stage once per entry.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from pipeline import config, io
from pipeline.errors import ParamsError, PipelineError
from pipeline.models import parallel, registry
from pipeline.models.base import (
    COEFFICIENT_COLUMNS,
    FitResult,
    ModelError,
    ModelInputs,
    NotEstimable,
    check_fit_result,
    not_estimable_result,
)

#: Significant digits of every number written by the stage: far beyond any reported precision,
#: and short enough that last-bit differences between CPUs (numpy's AVX2 and AVX-512 paths
#: differ by up to 5e-12 relative in the survival tables) give the same bytes, so a fresh clone
#: reproduces the committed ``dvc.lock`` on other machines too.
DIGITS = 10


@dataclass(frozen=True)
class FitParams:
    """The ``fit`` block of params.yaml: settings shared by every model fit.

    Attributes
    ----------
    seed
        Seed handed to every model (resampling, imputation, folds); deterministic models such
        as the mixed models ignore it.
    backend
        Where the refits of the prediction models run: ``local`` (worker processes on this
        machine, ``n_jobs`` of the entry) or ``dask`` (a Dask cluster through joblib's Dask
        backend). Results are identical (:mod:`pipeline.models.parallel`).
    dask_scheduler
        ``backend: dask``: the scheduler's address (``tcp://host:8786``); ``None`` starts a
        ``LocalCluster`` on this machine for the stage.
    """

    seed: int
    backend: Literal["local", "dask"] = "local"
    dask_scheduler: str | None = None


def fit_entry(name: str, entry: Mapping[str, Any], inputs: ModelInputs) -> FitResult:
    """Build the model of ``models.<name>`` and fit it (pure: no file is read or written).

    The metrics gain ``model`` (registry key), ``name`` (entry) and ``estimable``; the result
    is checked against the output contract before it is returned. A model that raises
    :class:`~pipeline.models.base.NotEstimable` (its data cannot support it) gives the
    not-estimable result (``estimable: false``, its ``reason``, empty coefficients) instead of
    an error; bad parameters (:class:`~pipeline.errors.ParamsError` from the registry) and
    every other :class:`~pipeline.models.base.ModelError` still fail.
    """
    model = registry.build(name, entry)
    try:
        result = model.fit(inputs)
    except NotEstimable as exc:
        result = not_estimable_result(exc)
    except ModelError as exc:
        raise ModelError(f"models.{name}: {exc}") from exc
    metrics = {
        "name": name,
        "model": str(entry["model"]),
        "family": registry.family_of(str(entry["model"])),
        "estimable": True,
        **result.metrics,
    }
    result = FitResult(coefficients=result.coefficients, metrics=metrics, tables=result.tables)
    check_fit_result(result, f"models.{name}")
    return result


def format_coefficients(coefficients: pd.DataFrame) -> pd.DataFrame:
    """Coefficients as text with :data:`DIGITS` significant digits (empty cell for NaN).

    The columns of docs/outputs.md come first, then any extra columns of the model (hazard ratios).
    """
    out = pd.DataFrame({"term": coefficients["term"].astype(str)})
    extra = [c for c in coefficients.columns if c not in COEFFICIENT_COLUMNS]
    for column in [*COEFFICIENT_COLUMNS[1:], *extra]:
        out[column] = [_format_number(v) for v in coefficients[column]]
    return out


def _format_number(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{float(value):.{DIGITS}g}"


def round_metrics(value: Any) -> Any:
    """Round every float in a metrics mapping to :data:`DIGITS` significant digits."""
    if isinstance(value, Mapping):
        return {str(k): round_metrics(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [round_metrics(v) for v in value]
    if isinstance(value, float) and not isinstance(value, bool):
        return float(f"{value:.{DIGITS}g}")
    return value


def write_result(result: FitResult, folder: Path) -> None:
    """Write ``coefficients.csv``, ``metrics.json`` and the tables into ``folder``, atomically."""
    with io.atomic_dir(folder) as tmp:
        io.write_csv(format_coefficients(result.coefficients), tmp / "coefficients.csv")
        io.write_json(round_metrics(result.metrics), tmp / "metrics.json")
        for table_name, table in sorted(result.tables.items()):
            io.write_csv(table, tmp / f"{table_name}.csv", float_format=f"%.{DIGITS}g")


def read_inputs(processed: Path, seed: int, export_json: Path | None = None) -> ModelInputs:
    """Read the processed scores and trajectories the models are fitted to, and the export
    date of ``export_json`` (ingest's ``export.json``) when given."""
    frames = {}
    for table in ("scores", "trajectories"):
        path = processed / f"{table}.parquet"
        if not path.exists():
            raise PipelineError(
                f"data/processed/{table}.parquet not found: run the score stage first"
            )
        frames[table] = io.read_parquet(path)
    return ModelInputs(
        scores=frames["scores"],
        trajectories=frames["trajectories"],
        seed=seed,
        export_date=None if export_json is None else io.read_export_date(export_json),
    )


def model_entry(name: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    """The ``models.<name>`` entry of the params mapping."""
    models = params.get("models")
    if not isinstance(models, Mapping):
        raise ParamsError("params.yaml has no 'models' block")
    if name not in models:
        raise ParamsError(
            f"params.yaml 'models' has no entry '{name}' (entries: {', '.join(sorted(models))})"
        )
    entry = models[name]
    if not isinstance(entry, Mapping):
        raise ParamsError(f"params.yaml 'models.{name}' must be a mapping")
    return entry


def main(argv: list[str] | None = None) -> None:
    """Run the stage for one entry: ``python -m pipeline stage fit NAME``."""
    parser = argparse.ArgumentParser(
        prog="python -m pipeline stage fit",
        description="Fit one model of params.yaml 'models' into data/models/NAME/.",
    )
    parser.add_argument("name", help="entry under 'models:' in params.yaml")
    args = parser.parse_args(argv)
    params = config.read_params_file(config.PARAMS_PATH)
    entry = model_entry(args.name, params)
    fit_params = config.build_params(FitParams, params.get("fit"), "fit")
    inputs = read_inputs(config.PROCESSED, fit_params.seed, config.EXPORT_JSON)
    with parallel.use_backend(fit_params.backend, fit_params.dask_scheduler):
        result = fit_entry(args.name, entry, inputs)
    write_result(result, config.MODELS / args.name)
