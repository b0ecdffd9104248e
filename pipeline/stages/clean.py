"""DVC stage ``clean``: read the ingested tables, link and clean them, write the results.

Reads ``data/interim/ingested/`` (every ``<table>.parquet``, ``quarantine.csv``,
``accounting.json``) and the ``clean`` block of ``params.yaml``; calls
:func:`pipeline.clean.clean_tables`; writes ``data/interim/clean/`` (``administrations.parquet``
and ``trajectories.parquet``, and the platform's own scores ``platform_scores.parquet`` when the
export carries them, replaced as one directory), ``data/processed/non_response.parquet`` (the
non-response records linked to trajectories; no rows when the export has none),
``data/processed/quarantine.csv``, ``data/processed/row_accounting.json`` and
``reports/metrics/linkage.json``. The row accounting is checked to balance before anything is
written.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import pandas as pd

from pipeline import config
from pipeline.clean import CleanParams, clean_tables, combine_accounting, combine_quarantine
from pipeline.errors import PipelineError
from pipeline.io import (
    atomic_dir,
    read_json,
    read_parquet,
    read_quarantine,
    write_csv,
    write_json,
    write_parquet,
)

INGESTED_DIR = config.INTERIM / "ingested"
CLEAN_DIR = config.INTERIM / "clean"
QUARANTINE_CSV = "quarantine.csv"
ACCOUNTING_JSON = "accounting.json"
#: The platform's own scores, when the export carries them (passed on to the score stage).
PLATFORM_SCORES = "platform_scores.parquet"
#: The non-response records linked to trajectories and timepoints (always written).
NON_RESPONSE_PARQUET = "non_response.parquet"


def main(argv: list[str] | None = None) -> None:
    """Run the stage with the project's paths and ``params.yaml`` (what ``dvc.yaml`` calls)."""
    parser = argparse.ArgumentParser(
        prog="python -m pipeline stage clean",
        description="Link questionnaire administrations to trajectories and timepoints.",
    )
    parser.parse_args(argv if argv is not None else [])
    params = config.load_params("clean", CleanParams)
    run(
        params,
        ingested_dir=INGESTED_DIR,
        clean_dir=CLEAN_DIR,
        processed_dir=config.PROCESSED,
        metrics_dir=config.METRICS,
    )


def run(
    params: CleanParams,
    *,
    ingested_dir: Path,
    clean_dir: Path,
    processed_dir: Path,
    metrics_dir: Path,
) -> None:
    """Read, clean, check the accounting, write (all paths given, so tests use a tmp dir).

    Raises
    ------
    PipelineError
        When the ingested folder or one of its files is missing, or the accounting does not
        balance; nothing is written then.
    """
    if not ingested_dir.is_dir():
        raise PipelineError(f"{_shown(ingested_dir)}/ not found: run the ingest stage first")
    tables = {
        path.stem: read_parquet(path)
        for path in sorted(ingested_dir.glob("*.parquet"))
        if path.name != PLATFORM_SCORES
    }
    ingest_quarantine = _read_quarantine(ingested_dir / QUARANTINE_CSV)
    accounting_path = ingested_dir / ACCOUNTING_JSON
    if not accounting_path.is_file():
        raise PipelineError(f"{_shown(accounting_path)} not found: run the ingest stage first")
    ingest_accounting = read_json(accounting_path)
    if not isinstance(ingest_accounting, dict):
        raise PipelineError(f"{_shown(accounting_path)} must hold a mapping of tables")

    result = clean_tables(tables, params)
    quarantine = combine_quarantine(ingest_quarantine, result.quarantine)
    accounting = combine_accounting(ingest_accounting, result, quarantine)

    with atomic_dir(clean_dir) as tmp:
        write_parquet(result.administrations, tmp / "administrations.parquet")
        write_parquet(result.trajectories, tmp / "trajectories.parquet")
        if (ingested_dir / PLATFORM_SCORES).is_file():
            shutil.copyfile(ingested_dir / PLATFORM_SCORES, tmp / PLATFORM_SCORES)
    write_parquet(result.non_response, processed_dir / NON_RESPONSE_PARQUET)
    write_csv(quarantine, processed_dir / "quarantine.csv")
    write_json(accounting, processed_dir / "row_accounting.json")
    write_json(result.linkage, metrics_dir / "linkage.json")


def _read_quarantine(path: Path) -> pd.DataFrame:
    """Ingest's quarantine.csv with ``client_key`` kept as text (empty, not NaN, when absent)."""
    if not path.is_file():
        raise PipelineError(f"{_shown(path)} not found: run the ingest stage first")
    return read_quarantine(path)


def _shown(path: Path) -> str:
    """A path for messages: relative to the project root when inside it, else its name."""
    try:
        return path.resolve().relative_to(config.ROOT).as_posix()
    except ValueError:
        return path.name
