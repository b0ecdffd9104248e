"""Benchmark: wall time of the default prediction models with their default validation.

Not a test (tests never assert on time). Fits every ``models:`` entry of params.yaml whose model
belongs to the prediction family, as configured (repetitions, imputations, ``n_jobs``), on

- the processed tables of the embedded export (``data/processed/scores.parquet`` and
  ``trajectories.parquet``, or the folder given by ``--processed``), when they exist;
- otherwise ``--simulate`` trajectories (default 1,500) from
  :func:`pipeline.models._simulate.simulate_inputs`, and says so.

Prints one line per entry (n, events, refits, seconds, validated AUC or R²) and the total, the
figure compared with the 3-minute budget on the 2-core machine. Run
``python benchmarks/bench_prediction.py [--processed DIR] [--simulate N] [--entries A B]
[--n-jobs J] [--json OUT]``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline import config
from pipeline.config import read_params_file
from pipeline.models import registry
from pipeline.models._simulate import simulate_inputs
from pipeline.models.base import ModelInputs
from pipeline.stages.fit import FitParams, fit_entry

BUDGET_SECONDS = 180.0


def _inputs(processed: Path, simulate: int, seed: int) -> tuple[ModelInputs, str]:
    scores = processed / "scores.parquet"
    trajectories = processed / "trajectories.parquet"
    if scores.exists() and trajectories.exists():
        inputs = ModelInputs(pd.read_parquet(scores), pd.read_parquet(trajectories), seed)
        return inputs, f"processed tables in {processed}"
    inputs = simulate_inputs(simulate, seed=seed)
    inputs = ModelInputs(inputs.scores, inputs.trajectories, seed)
    return inputs, f"simulate_inputs({simulate}) (no processed tables in {processed})"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processed", type=Path, default=config.PROCESSED)
    parser.add_argument("--simulate", type=int, default=1500)
    parser.add_argument("--entries", nargs="*", default=None)
    parser.add_argument("--n-jobs", type=int, default=None, help="override every entry's n_jobs")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    params = read_params_file()
    seed = config.build_params(FitParams, params.get("fit"), "fit").seed
    entries = {
        name: entry
        for name, entry in (params.get("models") or {}).items()
        if registry.get(entry["model"]).family == "prediction"
        and (args.entries is None or name in args.entries)
    }
    inputs, source = _inputs(args.processed, args.simulate, seed)
    print(f"data: {source}; {len(inputs.trajectories)} trajectories; cores: {os.cpu_count()}")
    rows: list[dict[str, Any]] = []
    start = time.perf_counter()
    for name, entry in entries.items():
        entry = dict(entry)
        if args.n_jobs is not None:
            entry["n_jobs"] = args.n_jobs
        tic = time.perf_counter()
        result = fit_entry(name, entry, inputs)
        seconds = time.perf_counter() - tic
        metrics = result.metrics
        headline = "auc" if metrics["outcome_type"] == "binary" else "r2"
        row = {
            "entry": name,
            "model": entry["model"],
            "n": metrics["n"],
            "events": metrics.get("events"),
            "refits": metrics["validation"]["refits"],
            "seconds": round(seconds, 2),
            headline: metrics["performance"][headline]["estimate"],
            "ci": [
                metrics["performance"][headline]["ci_low"],
                metrics["performance"][headline]["ci_high"],
            ],
            "n_jobs": entry.get("n_jobs", 1),
        }
        rows.append(row)
        value = row[headline]
        print(
            f"{name:24s} {entry['model']:26s} n={row['n']:5d} events={row['events']!s:>5s} "
            f"refits={row['refits']:3d} {seconds:7.1f} s  {headline}={value:.3f}",
            flush=True,
        )
    total = time.perf_counter() - start
    print(f"total {total:.1f} s for {len(rows)} models (budget {BUDGET_SECONDS:.0f} s)")
    if args.json:
        args.json.write_text(
            json.dumps({"source": source, "total_seconds": total, "models": rows}, indent=2),
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
