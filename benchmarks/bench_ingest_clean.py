"""Benchmark: the ``ingest`` and ``clean`` stages against the floor of reading the same files.

Issue 2 set the target: ingest + clean of a synthetic export of 100,000 clients (about a million
administrations) in at most 30 s and 4 GiB peak memory on the 2-core machine. Issue 16 (part 5)
measures it against the floor: pyarrow's CSV reader reading the same files (its defaults: types
inferred, threads), and sets the goal of ingest + clean within 3 times that read, in under
2 GiB.

The export is generated once (not timed) with the seed of ``params.yaml``. Every round then runs
each contender once, in a fresh child process, in an order that rotates from round to round
(so under a changing machine load every contender meets the same load):

- ``floor``: ``pyarrow.csv.read_csv`` of every CSV file of the export;
- ``pipeline``: the ingest stage (reading the CSV export, writing every output) then the clean
  stage, as ``dvc repro`` runs them;
- ``before`` (with ``--before DIR``): the same two stages with the code of another source tree
  (a copy of the project at an earlier commit, ``git archive COMMIT | tar -x -C DIR``), for a
  before/after comparison under the same load;
- ``encode`` (right after ``pipeline`` in every round): the parquet files ``pipeline`` wrote,
  read back as Arrow tables (not timed) and encoded again with the stages' compression (zstd)
  into memory: the cost of writing those outputs alone, with no pandas, no checks and no disk.
  Ingest and clean must write these files, so this is a floor of their own; the ratio
  encode / floor says how much of the 3× goal writing the outputs alone takes.

Each child reports its wall time and CPU time (user + system, all threads) per part, and its
peak resident memory (``ru_maxrss``); the load average (``/proc/loadavg``, 1/5/15 minutes)
before and after each run is printed beside the figures. Other work on a shared machine slows
wall time more than CPU time, so compare CPU time. The pipeline contenders also report the
SHA-256 of every file they wrote: ``before`` and ``pipeline`` must write the same bytes.

Usage: ``python benchmarks/bench_ingest_clean.py [--clients N] [--rounds R] [--before DIR]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

OUTPUTS = ("ingested", "clean", "processed", "metrics")


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _since(start: tuple[float, float]) -> dict[str, float]:
    wall, cpu = _clock()
    return {"wall_s": wall - start[0], "cpu_s": cpu - start[1]}


def _peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def child_floor(export: Path) -> dict[str, Any]:
    """Read every CSV file of the export with pyarrow's CSV reader (its defaults)."""
    import pyarrow.csv as pa_csv

    files = sorted(export.glob("*.csv"))
    start = _clock()
    rows = 0
    for path in files:
        table = pa_csv.read_csv(path, parse_options=pa_csv.ParseOptions(delimiter=";"))
        rows += table.num_rows
    return {"read": _since(start), "rows": rows, "peak_gib": _peak_gib()}


def child_encode(written: Path) -> dict[str, Any]:
    """Encode the parquet files under ``written`` again (zstd, in memory); time the encoding."""
    import io

    import pyarrow.parquet as pq

    tables = [pq.read_table(path) for path in sorted(written.rglob("*.parquet"))]
    start = _clock()
    size = 0
    for table in tables:
        buffer = io.BytesIO()
        pq.write_table(table, buffer, compression="zstd")
        size += buffer.tell()
    return {
        "encode": _since(start),
        "files": len(tables),
        "mib": size / 1024**2,
        "peak_gib": _peak_gib(),
    }


def child_pipeline(export: Path, work: Path) -> dict[str, Any]:
    """Run ingest + clean on ``export`` into ``work``; timings, peak memory, output digests."""
    import pipeline
    from pipeline.clean import CleanParams
    from pipeline.config import load_params
    from pipeline.ingest.params import IngestParams
    from pipeline.stages import clean, ingest

    for name in OUTPUTS:
        shutil.rmtree(work / name, ignore_errors=True)
    ingest_params = dataclasses.replace(load_params("ingest", IngestParams), export_dir=str(export))
    clean_params = load_params("clean", CleanParams)
    start = _clock()
    ingest.run(ingest_params, out_dir=work / "ingested", environ={})
    ingest_time = _since(start)
    middle = _clock()
    clean.run(
        clean_params,
        ingested_dir=work / "ingested",
        clean_dir=work / "clean",
        processed_dir=work / "processed",
        metrics_dir=work / "metrics",
    )
    clean_time = _since(middle)
    total = _since(start)
    peak = _peak_gib()
    accounting = json.loads((work / "processed" / "row_accounting.json").read_text("utf-8"))
    digests = {
        path.relative_to(work).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for name in OUTPUTS
        for path in sorted((work / name).rglob("*"))
        if path.is_file()
    }
    return {
        "ingest": ingest_time,
        "clean": clean_time,
        "total": total,
        "peak_gib": peak,
        "administrations": sum(
            c["rows_read"] for t, c in accounting.items() if t != "trajectories"
        ),
        "trajectories": accounting["trajectories"]["rows_read"],
        "code": str(Path(pipeline.__file__).resolve().parent.parent),
        "digests": digests,
    }


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:  # pragma: no cover - not Linux
        return "n/a"


def _run_child(kind: str, export: Path, work: Path, before: Path | None) -> dict[str, Any]:
    env = dict(os.environ)
    if kind == "before":
        assert before is not None
        env["PYTHONPATH"] = str(before)
    load_before = _loadavg()
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(export), str(work / kind)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    ).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    result["load"] = f"{load_before} → {_loadavg()}"
    return result


def _fmt(part: dict[str, float]) -> str:
    return f"{part['wall_s']:.2f} s wall, {part['cpu_s']:.2f} s CPU"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--before", type=Path, help="source tree of the code to compare with")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, export, work = args.child[0], Path(args.child[1]), Path(args.child[2])
        work.mkdir(parents=True, exist_ok=True)
        if kind == "floor":
            result = child_floor(export)
        elif kind == "encode":
            result = child_encode(work.parent / "pipeline")
        else:
            result = child_pipeline(export, work)
        print(json.dumps(result))
        return

    from pipeline.config import load_params
    from pipeline.stages.synth import write_synthetic_export
    from pipeline.synth import SynthParams

    contenders = ["floor", "pipeline"] + (["before"] if args.before else [])
    with tempfile.TemporaryDirectory(prefix="bench_ingest_clean_") as tmp:
        work = Path(tmp)
        params = dataclasses.replace(load_params("synth", SynthParams), clients=args.clients)
        start = time.perf_counter()
        write_synthetic_export(params, work / "export")
        print(f"synthetic export of {args.clients:,} clients written in "
              f"{time.perf_counter() - start:.1f} s (not part of the benchmark)", flush=True)  # fmt: skip
        runs: dict[str, list[dict[str, Any]]] = {c: [] for c in [*contenders, "encode"]}
        for round_ in range(args.rounds):
            shift = round_ % len(contenders)
            order = contenders[shift:] + contenders[:shift]
            order.insert(order.index("pipeline") + 1, "encode")
            for kind in order:
                result = _run_child(kind, work / "export", work, args.before)
                runs[kind].append(result)
                if kind == "floor":
                    detail = f"read {_fmt(result['read'])}"
                elif kind == "encode":
                    detail = (
                        f"encode {_fmt(result['encode'])} ({result['files']} parquet files, "
                        f"{result['mib']:.0f} MiB)"
                    )
                else:
                    detail = (
                        f"ingest {_fmt(result['ingest'])}; clean {_fmt(result['clean'])}; "
                        f"total {_fmt(result['total'])}"
                    )
                print(f"round {round_ + 1} {kind}: {detail}; peak {result['peak_gib']:.2f} GiB; "
                      f"load {result['load']}", flush=True)  # fmt: skip
    _summary(runs, args.clients)


def _median(runs: list[dict[str, Any]], part: str, measure: str) -> float:
    return statistics.median(r[part][measure] for r in runs)


def _summary(runs: dict[str, list[dict[str, Any]]], clients: int) -> None:
    pipeline = runs["pipeline"]
    floor = runs["floor"]
    n = pipeline[0]["administrations"]
    print(f"\n{clients:,} clients, {pipeline[0]['trajectories']:,} trajectories, {n:,} "
          f"administrations; {floor[0]['rows']:,} CSV rows; medians of {len(floor)} rounds")  # fmt: skip
    print("| contender | wall | CPU | ingest wall / CPU | clean wall / CPU | peak memory |")
    print("|---|---|---|---|---|---|")
    for kind, results in runs.items():
        peak = max(r["peak_gib"] for r in results)
        if kind in ("floor", "encode"):
            part = "read" if kind == "floor" else "encode"
            wall, cpu = _median(results, part, "wall_s"), _median(results, part, "cpu_s")
            label = "floor (pyarrow read)" if kind == "floor" else "encode (outputs' parquet only)"
            print(f"| {label} | {wall:.2f} s | {cpu:.2f} s | | | {peak:.2f} GiB |")
            continue
        parts = [
            f"{_median(results, p, 'wall_s'):.2f} / {_median(results, p, 'cpu_s'):.2f} s"
            for p in ("ingest", "clean")
        ]
        print(
            f"| ingest + clean ({kind}) | {_median(results, 'total', 'wall_s'):.2f} s | "
            f"{_median(results, 'total', 'cpu_s'):.2f} s | {parts[0]} | {parts[1]} | "
            f"{peak:.2f} GiB |"
        )
    encode = {
        measure: statistics.median(
            e["encode"][measure] / f["read"][measure]
            for e, f in zip(runs["encode"], floor, strict=True)
        )
        for measure in ("wall_s", "cpu_s")
    }
    print(
        f"encode / floor, median of the per-round ratios: {encode['wall_s']:.1f}× wall, "
        f"{encode['cpu_s']:.1f}× CPU (writing the outputs alone, of the 3× goal)"
    )
    for kind in [k for k in runs if k not in ("floor", "encode")]:
        ratios = {
            measure: statistics.median(
                r["total"][measure] / f["read"][measure]
                for r, f in zip(runs[kind], floor, strict=True)
            )
            for measure in ("wall_s", "cpu_s")
        }
        print(
            f"{kind}: ingest + clean / floor, median of the per-round ratios: "
            f"{ratios['wall_s']:.1f}× wall, {ratios['cpu_s']:.1f}× CPU (goal: within 3×, under "
            f"2 GiB); {n / _median(runs[kind], 'total', 'wall_s'):,.0f} administrations/s"
        )
    if "before" in runs:
        same = all(r["digests"] == pipeline[0]["digests"] for r in runs["before"] + pipeline)
        print(
            f"outputs of before ({runs['before'][0]['code']}) and pipeline "
            f"({pipeline[0]['code']}): {len(pipeline[0]['digests'])} files, "
            f"{'byte-identical' if same else 'DIFFERENT'}"
        )


if __name__ == "__main__":
    main()
