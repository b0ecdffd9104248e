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
3. for an unmodified synthetic export only (``SYNTHETIC.json`` with ``"synthetic": true`` and the
   SHA-256 of every file as the generator wrote it): the fixed, public
   :data:`pipeline.ingest.pseudonym.DEMO_KEY`, announced with one line on stderr.

Anything else stops with an error saying how to provide a key; a key shorter than
:data:`MIN_KEY_BYTES` bytes is refused.

Key fingerprint under DVC: ``python -m pipeline stage ingest --key-fingerprint`` (the DVC stage
``pseudonym_key``, always run) writes :data:`FINGERPRINT_PATH`, the HMAC-SHA256 of a fixed label
under the key (never the key). The ingest stage depends on that file, so a new key reruns ingest,
and DVC's run cache, keyed on the dependencies, never restores an ingest made with another key.
Ingest itself checks that the file matches the key it resolves.

The export date (``ingest.export_date``, else derived; see :mod:`pipeline.ingest.tables`) and its
source are written to ``export.json`` in the output folder for later stages.
"""

from __future__ import annotations

import argparse
import dataclasses
import hmac
import os
import shutil
import sys
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline import config
from pipeline.errors import ExportError, ParamsError, PipelineError
from pipeline.ingest import IngestParams, IngestResult, ingest_tables
from pipeline.ingest.layout import ProfiledExport, read_profiled_export
from pipeline.ingest.params import PseudonymParams
from pipeline.ingest.profile import Profile, load_profile
from pipeline.ingest.pseudonym import DEMO_KEY
from pipeline.io import atomic_dir, read_json, write_csv, write_json, write_parquet
from pipeline.io.export_readers import export_written_on, is_synthetic_export
from pipeline.io.score_csv import os_error_message

INGESTED_DIR = config.INTERIM / "ingested"
QUARANTINE_CSV = "quarantine.csv"
ACCOUNTING_JSON = "accounting.json"
EXPORT_JSON = "export.json"
#: The platform's own scores of the kept rows (written only when the export has any).
PLATFORM_SCORES = "platform_scores.parquet"
#: The key fingerprint the ingest stage depends on (written by ``--key-fingerprint``).
FINGERPRINT_PATH = config.INTERIM / "pseudonym_key.json"
#: The fixed label whose HMAC under the key is the key's fingerprint.
FINGERPRINT_LABEL = b"alk-rom-pipeline pseudonym key fingerprint v1"
#: Shortest pseudonym key accepted (bytes; 256 bits, the HMAC-SHA256 output size).
MIN_KEY_BYTES = 32
#: Default of the free-text threshold when params.yaml has no ``reporting.min_n``.
DEFAULT_MIN_FREE_TEXT_N = 10
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
    parser.add_argument(
        "--key-fingerprint",
        action="store_true",
        help="only write the pseudonym key's fingerprint (the DVC stage pseudonym_key)",
    )
    parser.add_argument(
        "--fingerprint-file", type=Path, default=FINGERPRINT_PATH, help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv if argv is not None else [])
    params = config.load_params("ingest", IngestParams, args.params)
    if args.key_fingerprint:
        write_fingerprint(params, args.fingerprint_file)
        return
    run(
        params,
        out_dir=args.out,
        min_free_text_n=min_free_text_n(args.params),
        fingerprint_file=args.fingerprint_file,
    )


def min_free_text_n(params_path: Path | None = None) -> int:
    """``reporting.min_n`` of ``params.yaml`` (the disclosure threshold free-text values must
    reach), :data:`DEFAULT_MIN_FREE_TEXT_N` when the file or the key is absent."""
    params_path = config.PARAMS_PATH if params_path is None else params_path
    if not Path(params_path).is_file():
        return DEFAULT_MIN_FREE_TEXT_N
    block = config.read_params_file(Path(params_path)).get("reporting") or {}
    value = block.get("min_n", DEFAULT_MIN_FREE_TEXT_N) if isinstance(block, dict) else None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ParamsError("params.yaml 'reporting.min_n' must be a whole number of 1 or more")
    return value


def key_fingerprint(key: bytes) -> str:
    """HMAC-SHA256 of :data:`FINGERPRINT_LABEL` under the key, hex (the key cannot be derived
    from it)."""
    return hmac.digest(key, FINGERPRINT_LABEL, "sha256").hex()


def _key_or_stop(
    params: IngestParams, export_dir: Path, environ: Mapping[str, str]
) -> tuple[bytes, str]:
    key, source = resolve_key(params.pseudonym, export_dir, environ)
    if key is None:
        raise ExportError(_no_key_message(params.pseudonym))
    return key, source


def write_fingerprint(
    params: IngestParams, path: Path, environ: Mapping[str, str] | None = None
) -> None:
    """The DVC stage ``pseudonym_key``: write the key's fingerprint to ``path``.

    Raises
    ------
    ExportError
        No key (and the export is not an unmodified synthetic one), or a key that is too short.
    """
    export_dir = config.resolve(params.export_dir)
    key, source = _key_or_stop(params, export_dir, os.environ if environ is None else environ)
    data = {"fingerprint": key_fingerprint(key), "source": "demo" if source == "demo" else "key"}
    try:
        write_json(data, Path(path))
    except OSError as exc:
        raise PipelineError(os_error_message(exc, Path(path).name)) from exc


def sweep_temporary(out_dir: Path) -> int:
    """Remove temporary ``.<name>.*`` folders a killed earlier run left beside ``out_dir``."""
    out_dir = Path(out_dir)
    removed = 0
    if not out_dir.parent.is_dir():
        return 0
    for path in out_dir.parent.glob(f".{out_dir.name}.*"):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
    return removed


def run(
    params: IngestParams,
    *,
    out_dir: Path,
    environ: Mapping[str, str] | None = None,
    min_free_text_n: int = DEFAULT_MIN_FREE_TEXT_N,
    fingerprint_file: Path | None = None,
) -> None:
    """Resolve the key, read, ingest and write ``out_dir`` (all or nothing).

    Parameters
    ----------
    params
        The ``ingest`` parameters.
    out_dir
        The output folder (``data/interim/ingested`` in the pipeline).
    environ
        Environment for the key (``os.environ`` when ``None``).
    min_free_text_n
        ``reporting.min_n``: rarer free-text values become ``overig``.
    fingerprint_file
        The key fingerprint written by the ``pseudonym_key`` stage; when it exists it must
        match the key resolved here (``None``: not checked).
    """
    sweep_temporary(out_dir)
    export_dir = config.resolve(params.export_dir)
    key, source = _key_or_stop(params, export_dir, os.environ if environ is None else environ)
    if fingerprint_file is not None and Path(fingerprint_file).is_file():
        recorded = read_json(Path(fingerprint_file))
        if not isinstance(recorded, dict) or recorded.get("fingerprint") != key_fingerprint(key):
            raise ExportError(
                f"the pseudonym key differs from the one fingerprinted in "
                f"{Path(fingerprint_file).name}: run `dvc repro` (it reruns the pseudonym_key "
                "stage first)"
            )
    if source == "demo":
        sys.stderr.write(DEMO_KEY_NOTE + "\n")
    result, export = read_and_ingest(params, export_dir, key, min_free_text_n)
    write_ingested(result, out_dir, export.platform_scores)


def read_and_ingest(
    params: IngestParams,
    export_dir: Path,
    key: bytes,
    min_free_text_n: int = DEFAULT_MIN_FREE_TEXT_N,
    profile: Profile | None = None,
) -> tuple[IngestResult, ProfiledExport]:
    """Read the export through its profile and ingest it (nothing written).

    Parameters
    ----------
    params
        The ``ingest`` parameters (``profile`` names the export profile unless ``profile`` is
        given).
    export_dir
        The export folder.
    key
        The pseudonym key.
    min_free_text_n
        ``reporting.min_n``.
    profile
        An export profile that overrides ``params.profile``.
    """
    profile = profile if profile is not None else load_profile(params.profile, config.ROOT)
    export = read_profiled_export(export_dir, profile, params.format, params.csv, params.file_map)
    result = ingest_tables(
        export.tables,
        dataclasses.replace(params, csv=export.csv) if export.csv != params.csv else params,
        key,
        written_on=export_written_on(export_dir),
        min_free_text_n=min_free_text_n,
        known_columns=profile.known_columns,
    )
    return result, export


def export_metadata(result: IngestResult) -> dict[str, Any]:
    """The ``export.json`` written beside the ingested tables (export date and its source)."""
    return {"export_date": result.export_date, "export_date_source": result.export_date_source}


def write_ingested(
    result: IngestResult, out_dir: Path, platform_scores: pd.DataFrame | None = None
) -> None:
    """Write the ingested tables, quarantine, accounting and export date as one directory,
    atomically; also :data:`PLATFORM_SCORES` when the export carries platform scores. The
    parquet files are written side by side in threads (each file's bytes are the same).

    Raises
    ------
    PipelineError
        The folder cannot be written (disk full, read-only): one line; the temporary folder is
        removed and an earlier output stays as it was.
    """
    try:
        with atomic_dir(Path(out_dir)) as tmp:
            # parquet encoding runs outside Python's lock: the tables are written side by side
            with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
                written = [
                    pool.submit(write_parquet, frame, tmp / f"{name}.parquet")
                    for name, frame in result.tables.items()
                ]
                write_csv(result.quarantine, tmp / QUARANTINE_CSV)
                write_json(result.accounting, tmp / ACCOUNTING_JSON)
                write_json(export_metadata(result), tmp / EXPORT_JSON)
                if platform_scores is not None and len(platform_scores):
                    write_parquet(platform_scores, tmp / PLATFORM_SCORES)
                for future in written:
                    future.result()
    except OSError as exc:
        raise PipelineError(os_error_message(exc, f"{Path(out_dir).name}/")) from exc


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
        return _long_enough(value.strip().encode("utf-8"), pseudonym.key_env), "env"
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
        return _long_enough(key, "ingest.pseudonym.key_file"), "file"
    if is_synthetic_export(export_dir):
        return DEMO_KEY, "demo"
    return None, "none"


def _long_enough(key: bytes, where: str) -> bytes:
    if len(key) < MIN_KEY_BYTES:
        raise ParamsError(
            f"the pseudonym key from {where} is {len(key)} bytes; at least {MIN_KEY_BYTES} are "
            "needed (e.g. python -c 'import secrets; print(secrets.token_hex(32))')"
        )
    return key


def _no_key_message(pseudonym: PseudonymParams) -> str:
    return (
        "no pseudonym key: set the environment variable "
        f"{pseudonym.key_env} or ingest.pseudonym.key_file in params.yaml "
        "(a file outside the project folder); only a synthetic export may use the demo key"
    )


def validate_cli(
    export_dir: Path, params_path: Path | None = None, profile: str | None = None
) -> str:
    """``python -m pipeline validate EXPORT_DIR [--profile NAME]``: every ingest check, nothing
    written.

    Uses the ``ingest`` block of ``params.yaml`` (profile, file, column and value maps, CSV
    dialect, export date, largest quarantine share) and ``reporting.min_n`` when the project's
    ``params.yaml`` exists, else the defaults; ``profile`` (a shipped name or a path) overrides
    ``ingest.profile``. Without a configured key the checks run with a throw-away key (nothing
    leaves this function) and the report says that ingest will need one.

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
    params_path = Path(config.PARAMS_PATH if params_path is None else params_path)
    params = (
        config.load_params("ingest", IngestParams, params_path)
        if params_path.is_file()
        else IngestParams()
    )
    chosen = load_profile(profile if profile is not None else params.profile, config.ROOT)
    key, source = resolve_key(params.pseudonym, export_dir, os.environ)
    result, export = read_and_ingest(
        params,
        export_dir,
        key if key is not None else os.urandom(32),
        min_free_text_n(params_path),
        profile=chosen,
    )
    return format_report(
        result, export_dir, source, params.pseudonym, profile=chosen, export=export
    )


def format_report(
    result: IngestResult,
    export_dir: Path,
    key_source: str,
    pseudonym: PseudonymParams,
    profile: Profile | None = None,
    export: ProfiledExport | None = None,
) -> str:
    """Human-readable row accounting of an ingest result (no ids, no values)."""
    lines = [f"export {export_dir}: usable", ""]
    if profile is not None:
        lines[-1:] = [f"profile: {profile.name} ({profile.source})", ""]
    width = max([len("table"), *(len(name) for name in result.accounting)])
    lines.append(f"{'table':<{width}}  {'read':>9}  {'kept':>9}  {'quarantined':>11}")
    totals = [0, 0, 0]
    for name, entry in result.accounting.items():
        counts = [entry["rows_read"], entry["rows_kept"], entry["rows_quarantined"]]
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
        lines.append(f"{name:<{width}}  {counts[0]:>9}  {counts[1]:>9}  {counts[2]:>11}")
    lines.append(f"{'total':<{width}}  {totals[0]:>9}  {totals[1]:>9}  {totals[2]:>11}")
    ignored = [
        f"{name} ({entry['ignored_columns']})"
        for name, entry in result.accounting.items()
        if entry["ignored_columns"]
    ]
    if ignored:
        lines += ["", "ignored columns: " + "; ".join(ignored)]
    if result.ignored_tables:
        lines += ["", "ignored tables: " + ", ".join(result.ignored_tables)]
    aside = [
        f"  {name}: {reason} ({count})"
        for name, entry in result.accounting.items()
        for reason, count in (entry.get("set_aside") or {}).items()
    ]
    if aside:
        lines += ["", "set aside by the profile (source records, not rows of the table):", *aside]
    if export is not None and export.ignored:
        lines += [""] + [f"ignored: {reason} ({count})" for reason, count in export.ignored.items()]
    if export is not None and len(export.platform_scores):
        per_score = export.platform_scores.groupby("score", sort=True).size()
        shown = ", ".join(f"{score} ({int(n)})" for score, n in per_score.items())
        lines += ["", f"platform scores (compared by the score stage): {shown}"]
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
    lines += ["", f"export date: {result.export_date} ({result.export_date_source})"]
    lines += [_key_line(key_source, pseudonym)]
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
