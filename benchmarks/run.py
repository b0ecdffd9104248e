"""Run every benchmark in this folder (``make bench``), one subprocess each.

Benchmarks measure; they never fail on time. Each ``bench_*.py`` prints its own figures.
Pass names to run a subset: ``python benchmarks/run.py ingest_clean score``. The whole-pipeline
benchmark runs its two small sizes here (1,300 and 5,200 clients); run
``benchmarks/bench_pipeline.py`` itself for 20,800 and (``--largest``) 83,200.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: Arguments of the benchmarks that ``make bench`` runs smaller than their defaults.
ARGS = {"bench_pipeline": ["--sizes", "1300", "5200"]}


def main(argv: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if argv:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in argv]
    status = 0
    for script in scripts:
        print(f"== {script.stem}", flush=True)
        status |= subprocess.call(
            [sys.executable, str(script), *ARGS.get(script.stem, [])], cwd=HERE.parent
        )
    return status


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
