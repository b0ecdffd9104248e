"""Benchmark: wall time of the default prediction models with their default validation.

Not a test (tests never assert on time). Fits every ``models:`` entry of params.yaml whose model
belongs to the prediction family, as configured (repetitions, imputations, ``n_jobs``), on

- the processed tables of the embedded export (``data/processed/scores.parquet`` and
  ``trajectories.parquet``, or the folder given by ``--processed``), when they exist;
- otherwise ``--simulate`` trajectories (default 1,500) from
  :func:`pipeline.models._simulate.simulate_inputs`, and says so.

Prints one line per entry (n, events, refits, wall seconds, CPU seconds when the entry runs in
this process (``n_jobs`` 1), validated AUC or R²) and the total, the figure compared with the
3-minute budget on the 2-core machine. Run
``python benchmarks/bench_prediction.py [--processed DIR] [--simulate N] [--entries A B]
[--n-jobs J] [--estimator-time] [--json OUT]``.

``--estimator-time`` runs every entry in this process (``n_jobs`` 1) and also reports the CPU
time spent inside the entry's scikit-learn estimator (``fit`` and ``predict``/``predict_proba``
of its ``estimator_class``, every call of the procedure: final fit, refits, inner tuning,
permutation importance) against the entry's whole CPU time. That part is fixed by the
estimator's settings (trees, grid, folds): no change to the rest of the procedure makes an entry
cheaper than it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any, cast

import pandas as pd

from pipeline import config
from pipeline.config import read_params_file
from pipeline.models import registry
from pipeline.models._simulate import simulate_inputs
from pipeline.models.base import ModelInputs
from pipeline.models.prediction._prediction import PredictionModel
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


@contextmanager
def estimator_clock(estimator_class: type) -> Iterator[dict[str, float]]:
    """CPU seconds (this process, all threads) inside ``estimator_class``'s fit and predict
    methods while the block runs: ``{"fit": s, "predict": s, "calls": n}``. A call made from
    inside another (``predict`` calling ``predict_proba``) is counted once, by the outer one."""
    spent: dict[str, float] = defaultdict(float)
    names = [n for n in ("fit", "predict", "predict_proba") if hasattr(estimator_class, n)]
    own = {n: estimator_class.__dict__[n] for n in names if n in estimator_class.__dict__}
    depth = [0]

    def clocked(name: str, method: Any) -> Any:
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            if depth[0]:
                return method(self, *args, **kwargs)
            depth[0] += 1
            tic = time.process_time()
            try:
                return method(self, *args, **kwargs)
            finally:
                depth[0] -= 1
                spent["fit" if name == "fit" else "predict"] += time.process_time() - tic
                spent["calls"] += 1

        return wrapper

    for name in names:
        setattr(estimator_class, name, clocked(name, getattr(estimator_class, name)))
    try:
        yield spent
    finally:
        for name in names:
            if name in own:
                setattr(estimator_class, name, own[name])
            else:
                delattr(estimator_class, name)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processed", type=Path, default=config.PROCESSED)
    parser.add_argument("--simulate", type=int, default=1500)
    parser.add_argument("--entries", nargs="*", default=None)
    parser.add_argument("--n-jobs", type=int, default=None, help="override every entry's n_jobs")
    parser.add_argument(
        "--estimator-time",
        action="store_true",
        help="n_jobs 1, and report the CPU time inside the estimator's fit and predict",
    )
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
        if args.estimator_time:
            entry["n_jobs"] = 1
        model_class = cast(type[PredictionModel], registry.get(entry["model"]))
        estimator_class = model_class.estimator_class
        clock: AbstractContextManager[dict[str, float]] = (
            estimator_clock(estimator_class) if args.estimator_time else nullcontext({})
        )
        with clock as spent:
            tic, cpu = time.perf_counter(), time.process_time()
            result = fit_entry(name, entry, inputs)
            seconds, cpu = time.perf_counter() - tic, time.process_time() - cpu
        # With worker processes this process's CPU time is not the entry's: none is reported.
        in_process = entry.get("n_jobs", 1) == 1
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
            "cpu_seconds": round(cpu, 2) if in_process else None,
        }
        if args.estimator_time:
            row["estimator"] = estimator_class.__name__
            row["estimator_calls"] = int(spent["calls"])
            row["estimator_fit_cpu_seconds"] = round(spent["fit"], 2)
            row["estimator_predict_cpu_seconds"] = round(spent["predict"], 2)
        rows.append(row)
        value = row[headline]
        print(
            f"{name:24s} {entry['model']:26s} n={row['n']:5d} events={row['events']!s:>5s} "
            f"refits={row['refits']:3d} {seconds:7.1f} s "
            f"{f'{cpu:7.1f} CPU s' if in_process else '(workers)'}  {headline}={value:.3f}",
            flush=True,
        )
        if args.estimator_time:
            print(
                f"{'':24s} inside {estimator_class.__name__} ({row['estimator_calls']} calls): "
                f"fit {spent['fit']:.1f} CPU s, predict {spent['predict']:.1f} CPU s "
                f"({(spent['fit'] + spent['predict']) / max(cpu, 1e-9):.0%} of the entry)",
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
