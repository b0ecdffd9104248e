"""Benchmark: the ``ingest`` and ``clean`` stages on a large synthetic export.

Target (issue 2): ingest + clean of a synthetic export of 100,000 clients (about a million
administrations) in at most 30 s and 4 GiB peak memory on the 2-core machine. The export is
generated once (not timed) with the seed of ``params.yaml``; each repetition then runs both
stages, reading the CSV export and writing every output, in a fresh child process, which reports
its wall time per stage and its peak resident memory (``ru_maxrss``).

Usage: ``python benchmarks/bench_ingest_clean.py [--clients N] [--repeats R]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def child(work: Path) -> None:
    """Run ingest + clean on ``work/export`` and print timings and peak memory as JSON."""
    from pipeline.clean import CleanParams
    from pipeline.config import load_params
    from pipeline.ingest.params import IngestParams
    from pipeline.stages import clean, ingest

    ingest_params = dataclasses.replace(
        load_params("ingest", IngestParams), export_dir=str(work / "export")
    )
    clean_params = load_params("clean", CleanParams)
    t0 = time.perf_counter()
    ingest.run(ingest_params, out_dir=work / "ingested", environ={})
    t1 = time.perf_counter()
    clean.run(
        clean_params,
        ingested_dir=work / "ingested",
        clean_dir=work / "clean",
        processed_dir=work / "processed",
        metrics_dir=work / "metrics",
    )
    t2 = time.perf_counter()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    accounting = json.loads((work / "processed" / "row_accounting.json").read_text("utf-8"))
    administrations = sum(c["rows_read"] for t, c in accounting.items() if t != "trajectories")
    print(
        json.dumps(
            {
                "ingest_s": t1 - t0,
                "clean_s": t2 - t1,
                "total_s": t2 - t0,
                "peak_gib": peak_kib / 1024**2,
                "administrations": administrations,
                "trajectories": accounting["trajectories"]["rows_read"],
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return

    from pipeline.config import load_params
    from pipeline.stages.synth import write_synthetic_export
    from pipeline.synth import SynthParams

    with tempfile.TemporaryDirectory(prefix="bench_ingest_clean_") as tmp:
        work = Path(tmp)
        params = dataclasses.replace(load_params("synth", SynthParams), clients=args.clients)
        t0 = time.perf_counter()
        write_synthetic_export(params, work / "export")
        print(f"synthetic export of {args.clients:,} clients written in "
              f"{time.perf_counter() - t0:.1f} s (not part of the benchmark)", flush=True)  # fmt: skip
        runs = []
        for i in range(args.repeats):
            for out in ("ingested", "clean", "processed", "metrics"):
                subprocess.run(["rm", "-rf", str(work / out)], check=True)
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(work)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            run = json.loads(out.strip().splitlines()[-1])
            runs.append(run)
            print(
                f"run {i + 1}: ingest {run['ingest_s']:.1f} s + clean {run['clean_s']:.1f} s = "
                f"{run['total_s']:.1f} s, peak {run['peak_gib']:.2f} GiB",
                flush=True,
            )
    n = runs[0]["administrations"]
    median = statistics.median(r["total_s"] for r in runs)
    peak = max(r["peak_gib"] for r in runs)
    print(
        f"ingest + clean, {args.clients:,} clients, {runs[0]['trajectories']:,} trajectories, "
        f"{n:,} administrations: median {median:.1f} s ({n / median:,.0f} administrations/s), "
        f"max peak memory {peak:.2f} GiB (target: <= 30 s, <= 4 GiB)"
    )


if __name__ == "__main__":
    main()
