"""DVC stage ``ingest``: read the export, validate it, pseudonymise it, write the ingested tables.

Reads the export folder ``ingest.export_dir`` and the ``ingest`` block of ``params.yaml``;
resolves the pseudonym key; calls :func:`pipeline.ingest.ingest_tables`; writes
``data/interim/ingested/`` as one directory (``<table>.parquet`` for every table present,
``quarantine.csv``, ``accounting.json``), replaced atomically: when anything fails (an unusable
export, identifiers, no key) nothing is written.

``validate_cli`` runs the same checks for ``python -m pipeline validate EXPORT_DIR`` and returns
the row accounting as text, writing nothing.

Pseudonym key (docs/input-checks.md), first found wins:

1. the environment variable named by ``ingest.pseudonym.key_env`` (``ROM_PSEUDONYM_KEY``);
2. the file ``ingest.pseudonym.key_file``, which must lie outside the project folder;
3. for a synthetic export only (``SYNTHETIC.json`` with ``"synthetic": true``): the fixed, public
   :data:`pipeline.ingest.pseudonym.DEMO_KEY`, announced with one line on stderr.

Anything else stops with an error saying how to provide a key.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from pipeline import config
from pipeline.errors import ExportError, ParamsError
from pipeline.ingest import IngestParams, IngestResult, ingest_tables
from pipeline.ingest.params import PseudonymParams
from pipeline.ingest.pseudonym import DEMO_KEY
from pipeline.io import atomic_dir, write_csv, write_json, write_parquet
from pipeline.io.export_readers import is_synthetic_export, read_export

INGESTED_DIR = config.INTERIM / "ingested"
QUARANTINE_CSV = "quarantine.csv"
ACCOUNTING_JSON = "accounting.json"
DEMO_KEY_NOTE = (
    "note: synthetic export: pseudonyms use the fixed public demo key (never for real data)"
)


def main(argv: list[str] | None = None) -> None:
    """Run the stage with the project's paths and ``params.yaml`` (what ``dvc.yaml`` calls)."""
    parser = argparse.ArgumentParser(
        prog="python -m pipeline stage ingest",
        description="Validate and pseudonymise the ROM export into data/interim/ingested/.",
    )
    parser.add_argument("--params", type=Path, default=config.PARAMS_PATH, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=INGESTED_DIR, help=argparse.SUPPRESS)
    args = parser.parse_args(argv if argv is not None else [])
    params = config.load_params("ingest", IngestParams, args.params)
    run(params, out_dir=args.out)


def run(params: IngestParams, *, out_dir: Path, environ: Mapping[str, str] | None = None) -> None:
    """Resolve the key, read, ingest and write ``out_dir`` (all or nothing).

    Parameters
    ----------
    params
        The ``ingest`` parameters.
    out_dir
        The output folder (``data/interim/ingested`` in the pipeline).
    environ
        Environment for the key (``os.environ`` when ``None``).
    """
    export_dir = config.resolve(params.export_dir)
    key, source = resolve_key(
        params.pseudonym, export_dir, os.environ if environ is None else environ
    )
    if key is None:
        raise ExportError(_no_key_message(params.pseudonym))
    if source == "demo":
        sys.stderr.write(DEMO_KEY_NOTE + "\n")
    raw = read_export(export_dir, params.format, params.csv)
    result = ingest_tables(raw, params, key)
    write_ingested(result, out_dir)


def write_ingested(result: IngestResult, out_dir: Path) -> None:
    """Write the ingested tables, quarantine and accounting as one directory, atomically."""
    with atomic_dir(Path(out_dir)) as tmp:
        for name, frame in result.tables.items():
            write_parquet(frame, tmp / f"{name}.parquet")
        write_csv(result.quarantine, tmp / QUARANTINE_CSV)
        write_json(result.accounting, tmp / ACCOUNTING_JSON)


def resolve_key(
    pseudonym: PseudonymParams,
    export_dir: Path,
    environ: Mapping[str, str],
    root: Path = config.ROOT,
) -> tuple[bytes | None, str]:
    """Find the pseudonym key.

    Parameters
    ----------
    pseudonym
        ``ingest.pseudonym``.
    export_dir
        The export folder (a synthetic export may use the demo key).
    environ
        The environment.
    root
        The project folder; a key file inside it is refused.

    Returns
    -------
    key, source
        The key (``None`` when none is available) and where it came from: ``"env"``,
        ``"file"``, ``"demo"`` or ``"none"``.

    Raises
    ------
    ParamsError
        The key file is inside the project folder, missing, unreadable or empty.
    """
    value = environ.get(pseudonym.key_env, "") if pseudonym.key_env else ""
    if value.strip():
        return value.strip().encode("utf-8"), "env"
    if pseudonym.key_file is not None:
        path = Path(pseudonym.key_file).expanduser()
        path = (path if path.is_absolute() else Path(root) / path).resolve()
        if path.is_relative_to(Path(root).resolve()):
            raise ParamsError(
                "ingest.pseudonym.key_file must lie outside the project folder "
                "(a key inside it could be committed)"
            )
        try:
            key = path.read_bytes().strip()
        except OSError as exc:
            raise ParamsError(
                f"ingest.pseudonym.key_file cannot be read ({exc.__class__.__name__})"
            ) from exc
        if not key:
            raise ParamsError("ingest.pseudonym.key_file is empty")
        return key, "file"
    if is_synthetic_export(export_dir):
        return DEMO_KEY, "demo"
    return None, "none"


def _no_key_message(pseudonym: PseudonymParams) -> str:
    return (
        "no pseudonym key: set the environment variable "
        f"{pseudonym.key_env} or ingest.pseudonym.key_file in params.yaml "
        "(a file outside the project folder); only a synthetic export may use the demo key"
    )


def validate_cli(export_dir: Path) -> str:
    """``python -m pipeline validate EXPORT_DIR``: every ingest check, nothing written.

    Uses the ``ingest`` block of ``params.yaml`` (column map, CSV dialect) when the project's
    ``params.yaml`` exists, else the defaults. Without a configured key the checks run with a
    throw-away key (nothing leaves this function) and the report says that ingest will need one.

    Returns
    -------
    str
        The row accounting per table, ignored columns and tables, and the quarantine reasons,
        as human-readable text.

    Raises
    ------
    ExportError
        The export is unusable (one line, no values).
    """
    export_dir = Path(export_dir)
    params = (
        config.load_params("ingest", IngestParams, config.PARAMS_PATH)
        if config.PARAMS_PATH.is_file()
        else IngestParams()
    )
    key, source = resolve_key(params.pseudonym, export_dir, os.environ)
    raw = read_export(export_dir, params.format, params.csv)
    result = ingest_tables(raw, params, key if key is not None else os.urandom(32))
    return format_report(result, export_dir, source, params.pseudonym)


def format_report(
    result: IngestResult, export_dir: Path, key_source: str, pseudonym: PseudonymParams
) -> str:
    """Human-readable row accounting of an ingest result (no ids, no values)."""
    lines = [f"export {export_dir}: usable", ""]
    width = max([len("table"), *(len(name) for name in result.accounting)])
    lines.append(f"{'table':<{width}}  {'read':>9}  {'kept':>9}  {'quarantined':>11}")
    totals = [0, 0, 0]
    for name, entry in result.accounting.items():
        counts = [entry["rows_read"], entry["rows_kept"], entry["rows_quarantined"]]
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
        lines.append(f"{name:<{width}}  {counts[0]:>9}  {counts[1]:>9}  {counts[2]:>11}")
    lines.append(f"{'total':<{width}}  {totals[0]:>9}  {totals[1]:>9}  {totals[2]:>11}")
    ignored = [
        f"{name} ({', '.join(entry['ignored_columns'])})"
        for name, entry in result.accounting.items()
        if entry["ignored_columns"]
    ]
    if ignored:
        lines += ["", "ignored columns: " + "; ".join(ignored)]
    if result.ignored_tables:
        lines += ["", "ignored tables: " + ", ".join(result.ignored_tables)]
    if len(result.quarantine):
        lines += ["", "quarantine reasons (rows):"]
        counts_by = (
            result.quarantine.groupby(["table", "reason"], sort=False)
            .size()
            .rename("n")
            .reset_index()
        )
        for name in result.accounting:
            part = counts_by[counts_by["table"] == name]
            if part.empty:
                continue
            part = part.sort_values(["n", "reason"], ascending=[False, True], kind="mergesort")
            for reason, n in zip(part["reason"].head(8), part["n"].head(8), strict=True):
                lines.append(f"  {name}: {reason} ({int(n)})")
            if len(part) > 8:
                lines.append(f"  {name}: {len(part) - 8} other reason(s)")
    lines += ["", _key_line(key_source, pseudonym)]
    return "\n".join(lines) + "\n"


def _key_line(source: str, pseudonym: PseudonymParams) -> str:
    return {
        "env": f"pseudonym key: from the environment variable {pseudonym.key_env}",
        "file": "pseudonym key: from ingest.pseudonym.key_file",
        "demo": "pseudonym key: the fixed public demo key (synthetic export)",
    }.get(
        source,
        f"pseudonym key: none configured; the ingest stage will stop until {pseudonym.key_env} "
        "or ingest.pseudonym.key_file is set",
    )
