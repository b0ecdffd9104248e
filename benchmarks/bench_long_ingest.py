"""Benchmark: ``ingest`` and ``clean`` of a long (item-per-row) export with the ``long`` profile.

Issue 12 repeats the ingest benchmark (``bench_ingest_clean.py``) for the ``long`` profile at a
million administrations, about 30 million item rows. The export is generated once (not timed)
with the seed of ``params.yaml`` in the ``long`` layout (``python -m pipeline synth --profile
long``); each repetition then runs ingest (reading the item file piece by piece into codes,
identifier checks, the pivot to one row per administration, the contract checks) and clean, in
a fresh child process that reports its wall time per stage and its peak resident memory
(``ru_maxrss``). The machine's load average (``/proc/loadavg``) is printed before and after
each run, since other work shares the cores.

Usage: ``python benchmarks/bench_long_ingest.py [--clients N] [--repeats R] [--keep DIR]``.
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


def load() -> str:
    """The 1, 5 and 15 minute load averages."""
    try:
        return " ".join(Path("/proc/loadavg").read_text(encoding="ascii").split()[:3])
    except OSError:
        return "unknown"


def child(work: Path) -> None:
    """Run ingest + clean on ``work/export`` with profile long; print timings as JSON."""
    from pipeline.clean import CleanParams
    from pipeline.config import load_params
    from pipeline.ingest.params import IngestParams
    from pipeline.stages import clean, ingest

    params = dataclasses.replace(
        load_params("ingest", IngestParams), export_dir=str(work / "export"), profile="long"
    )
    t0 = time.perf_counter()
    ingest.run(params, out_dir=work / "ingested", environ={})
    t1 = time.perf_counter()
    peak_ingest = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    clean.run(
        load_params("clean", CleanParams),
        ingested_dir=work / "ingested",
        clean_dir=work / "clean",
        processed_dir=work / "processed",
        metrics_dir=work / "metrics",
    )
    t2 = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    accounting = json.loads((work / "ingested" / "accounting.json").read_text("utf-8"))
    records = sum(
        e.get("source_records", {}).get("read", 0)
        for t, e in accounting.items()
        if t not in ("trajectories", "non_response")
    )
    administrations = sum(
        e["rows_read"] for t, e in accounting.items() if t not in ("trajectories", "non_response")
    )
    print(
        json.dumps(
            {
                "ingest_s": t1 - t0,
                "clean_s": t2 - t1,
                "total_s": t2 - t0,
                "peak_ingest_gib": peak_ingest / 1024**2,
                "peak_gib": peak / 1024**2,
                "item_rows": records,
                "administrations": administrations,
                "trajectories": accounting["trajectories"]["rows_read"],
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=None, help="reuse or keep the export here")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return

    from pipeline.config import load_params
    from pipeline.stages.synth import write_synthetic_export
    from pipeline.synth import SynthParams

    with tempfile.TemporaryDirectory(prefix="bench_long_ingest_") as tmp:
        work = Path(tmp)
        export = work / "export"
        if args.keep is not None and (args.keep / "SYNTHETIC.json").is_file():
            export.symlink_to(args.keep.resolve())
            print(f"reusing the long export in {args.keep}", flush=True)
        else:
            params = dataclasses.replace(
                load_params("synth", SynthParams), clients=args.clients, profile="long"
            )
            t0 = time.perf_counter()
            target = args.keep if args.keep is not None else export
            write_synthetic_export(params, target)
            if args.keep is not None:
                export.symlink_to(args.keep.resolve())
            size = (export / "rom_antwoorden.csv").stat().st_size / 1024**3
            print(f"long export of {args.clients:,} clients written in "
                  f"{time.perf_counter() - t0:.1f} s ({size:.2f} GiB item file; not part of "
                  "the benchmark)", flush=True)  # fmt: skip
        runs = []
        for i in range(args.repeats):
            for out in ("ingested", "clean", "processed", "metrics"):
                subprocess.run(["rm", "-rf", str(work / out)], check=True)
            before = load()
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(work)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            run = json.loads(out.strip().splitlines()[-1])
            run["load_before"], run["load_after"] = before, load()
            runs.append(run)
            print(
                f"run {i + 1}: ingest {run['ingest_s']:.1f} s (peak {run['peak_ingest_gib']:.2f} "
                f"GiB) + clean {run['clean_s']:.1f} s = {run['total_s']:.1f} s, peak "
                f"{run['peak_gib']:.2f} GiB; load average before {before}, after "
                f"{run['load_after']}",
                flush=True,
            )
    first = runs[0]
    median = statistics.median(r["total_s"] for r in runs)
    print(
        f"long profile, {args.clients:,} clients: {first['item_rows']:,} item rows -> "
        f"{first['administrations']:,} administrations of {first['trajectories']:,} "
        f"trajectories; ingest + clean median {median:.1f} s "
        f"({first['item_rows'] / statistics.median(r['ingest_s'] for r in runs):,.0f} item "
        f"rows/s ingested), max peak memory {max(r['peak_gib'] for r in runs):.2f} GiB"
    )


if __name__ == "__main__":
    main()
