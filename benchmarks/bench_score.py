"""Benchmark: scoring one million administrations, every instrument mixed.

Not a test (tests never assert on time). Builds the "Clean administrations" layout of
``docs/architecture.md`` in memory (an ``instrument`` column and the union of all item columns
as float32, NaN where an item does not belong to the row's instrument), with random valid
answers, 2% missing items and a sex per row, then times
:func:`pipeline.instruments.scoring.score_frame` (long layout: each row scored by its own
instrument; numpy per instrument block, lookup arrays for the EQ-5D value sets and the RAND-36
recoding). Target: at most 5 s on the project's 2-core machine. Prints seconds and rows/s (the
median of ``--repeats`` runs).

Run ``python benchmarks/bench_score.py [--rows 1000000] [--repeats 3] [--json OUT]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.instruments.catalogue import INSTRUMENT_ITEMS, INSTRUMENTS, all_item_columns
from pipeline.instruments.registry import build_instruments
from pipeline.instruments.scoring import score_frame

SEED = 20261122
TARGET_SECONDS = 5.0


def administrations(rows: int, seed: int = SEED) -> tuple[pd.DataFrame, np.ndarray]:
    """``rows`` administrations of randomly chosen instruments, and a sex per row."""
    rng = np.random.default_rng(seed)
    which = rng.integers(0, len(INSTRUMENTS), size=rows)
    columns = all_item_columns()
    data = {c: np.full(rows, np.nan, dtype=np.float32) for c in columns}
    for k, instrument in enumerate(INSTRUMENTS):
        idx = np.flatnonzero(which == k)
        for item in INSTRUMENT_ITEMS[instrument]:
            answers = rng.integers(item.low, item.high + 1, size=idx.size).astype(np.float32)
            answers[rng.random(idx.size) < 0.02] = np.nan
            data[item.name][idx] = answers
    frame = pd.DataFrame({"instrument": np.asarray(INSTRUMENTS, dtype=object)[which], **data})
    sex = rng.choice(np.array(["m", "f", "x"], dtype=object), size=rows)
    return frame, sex


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)

    frame, sex = administrations(args.rows)
    instruments = build_instruments()
    score_frame(frame.iloc[:1000], instruments, sex=sex[:1000], instrument_column="instrument")
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        scores, invalid = score_frame(frame, instruments, sex=sex, instrument_column="instrument")
        times.append(time.perf_counter() - start)
    assert invalid.empty and len(scores) == args.rows
    seconds = statistics.median(times)
    figures = {
        "rows": args.rows,
        "instruments": len(INSTRUMENTS),
        "seconds_median": round(seconds, 3),
        "seconds_all": [round(t, 3) for t in times],
        "rows_per_second": round(args.rows / seconds),
        "target_seconds": TARGET_SECONDS,
        "within_target": seconds <= TARGET_SECONDS,
    }
    print(
        f"scored {args.rows:,} administrations ({len(INSTRUMENTS)} instruments mixed) in "
        f"{seconds:.2f} s (median of {args.repeats}): {args.rows / seconds:,.0f} rows/s; "
        f"target <= {TARGET_SECONDS:.0f} s: {'met' if seconds <= TARGET_SECONDS else 'NOT met'}"
    )
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
