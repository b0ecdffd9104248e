"""Disk access: the only place that reads or writes files.

Writers are deterministic (sorted keys, no time stamps, fixed float formatting) so the same
inputs give the same bytes, and atomic (write to a temporary sibling, then rename) so a failed
run leaves no partial output.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd


def _umask() -> int:
    """The process's file-creation mask (read by setting and restoring it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; move it onto ``target`` on success only."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        # mkstemp creates the file private (0600); give it the mode a plain open() would.
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


@contextmanager
def atomic_dir(target: Path) -> Iterator[Path]:
    """Yield a temporary directory next to ``target``; it replaces ``target`` on success only."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        yield tmp
        # mkdtemp creates the folder private (0700); give it the mode a plain mkdir() would.
        os.chmod(tmp, 0o777 & ~_umask())
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` as parquet without its index, atomically."""
    with atomic_path(Path(path)) as tmp:
        frame.to_parquet(tmp, index=False, engine="pyarrow", compression="zstd")


def read_parquet(path: Path) -> pd.DataFrame:
    """Read a parquet file written by :func:`write_parquet`."""
    return pd.read_parquet(path, engine="pyarrow")


def to_json_text(data: Mapping[str, Any]) -> str:
    """Deterministic JSON text: sorted keys, two-space indent, trailing newline."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


def write_json(data: Mapping[str, Any], path: Path) -> None:
    """Write ``data`` as deterministic JSON, atomically."""
    with atomic_path(Path(path)) as tmp:
        tmp.write_text(to_json_text(data), encoding="utf-8")


def read_json(path: Path) -> Any:
    """Read a JSON file."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def read_export_date(path: Path) -> pd.Timestamp | None:
    """The export date in ingest's ``export.json`` (``None`` when the file or date is absent)."""
    if not Path(path).is_file():
        return None
    value = read_json(path).get("export_date")
    return None if value is None else pd.Timestamp(str(value)).normalize()


def write_csv(frame: pd.DataFrame, path: Path, float_format: str | None = None) -> None:
    """Write ``frame`` as plain UTF-8 CSV (comma, point decimal, ISO dates), atomically.

    ``float_format`` (e.g. ``"%.10g"``) formats float columns; by default Python's shortest
    round-trip repr.
    """
    with atomic_path(Path(path)) as tmp:
        frame.to_csv(
            tmp,
            index=False,
            lineterminator="\n",
            date_format="%Y-%m-%d",
            float_format=float_format,
        )


def read_quarantine(path: Path) -> pd.DataFrame:
    """Read a ``quarantine.csv`` (``table``, ``row``, ``client_key``, ``reason``) as written by
    :func:`write_csv`; ``client_key`` stays text (empty, not NaN, when the row had none)."""
    return pd.read_csv(
        path,
        dtype={"table": "str", "row": "int64", "client_key": "str", "reason": "str"},
        keep_default_na=False,
        na_values=[],
        encoding="utf-8",
    )
