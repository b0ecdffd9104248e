"""Write a (synthetic) ROM export as Dutch CSV, one xlsx workbook or SPSS sav files.

The formats follow ``docs/input-format.md`` and are written the way Dutch systems write
them. Every format is byte-for-byte deterministic: the same tables give the same bytes (the
xlsx time stamps and zip entry dates and the sav header's creation date are fixed), so a DVC
stage that regenerates the export with the same seed changes nothing.

- ``csv``: one ``<table>.csv`` per table; ``;`` delimiter, decimal comma, dates ``dd-mm-yyyy``,
  ``completed_at`` as ``dd-mm-yyyy hh:mm``, UTF-8 with BOM, CRLF line ends, empty cells for
  missing values.
- ``xlsx``: one workbook ``export.xlsx`` with one sheet per table, named like the table; dates are
  Excel dates (``dd-mm-yyyy`` / ``dd-mm-yyyy hh:mm``), missing values empty cells.
- ``sav``: one ``<table>.sav`` per table; dates in SPSS ``DATE11``, ``completed_at`` in
  ``DATETIME20``, integers as numeric ``F8.0``, missing values system-missing (empty text for
  text).

A date-time column may hold text (a planted unparseable date): it is written as it is (in sav
the whole column is then text).

The export folder also gets ``SYNTHETIC.json`` (the manifest, with the SHA-256 of every file as
written), which ingest uses to recognise an unmodified synthetic export. The folder is written atomically and replaces an earlier export; a folder
that holds anything else than an export written here is never replaced.
"""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.errors import PipelineError
from pipeline.io import atomic_dir, to_json_text
from pipeline.io.export_readers import export_files

FORMATS: tuple[str, ...] = ("csv", "xlsx", "sav")
MANIFEST_NAME = "SYNTHETIC.json"
XLSX_NAME = "export.xlsx"
#: Columns written with a time of day; other date columns are written as dates.
DATETIME_COLUMNS: frozenset[str] = frozenset({"completed_at"})
#: Fixed stamp for every time field the formats carry (xlsx properties, zip entries, sav header).
FIXED_STAMP = dt.datetime(2000, 1, 1, 0, 0, 0)

_CSV_DATE = "%d-%m-%Y"
_CSV_DATETIME = "%d-%m-%Y %H:%M"
_XLSX_DATE = "dd-mm-yyyy"
_XLSX_DATETIME = "dd-mm-yyyy hh:mm"
_SAV_CREATION = slice(92, 109)  # creation date (9 bytes) and time (8 bytes) of the sav header


def _check_replaceable(out_dir: Path) -> None:
    """Refuse to replace a folder that is not an export written by :func:`write_export`."""
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise PipelineError(f"{out_dir.name} exists and is not a folder; choose another --out")
    names = {p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*") if not p.is_dir()}
    listed: set[str] = set()
    try:
        manifest = json.loads((out_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
        listed = set(manifest.get("sha256") or {}) if isinstance(manifest, dict) else set()
    except (OSError, ValueError):
        pass
    ours = (
        {XLSX_NAME, MANIFEST_NAME}
        | listed
        | {n for n in names if re.fullmatch(r"[a-z0-9_]+\.(csv|sav)", n)}
    )
    if names and (MANIFEST_NAME not in names or names - ours):
        raise PipelineError(
            f"{out_dir.name}/ holds other files than a synthetic export; refusing to replace it"
        )


_DATE_LIKE = np.frompyfunc(lambda v: isinstance(v, dt.datetime | np.datetime64), 1, 1)


def _is_date_like(values: pd.Series) -> np.ndarray:
    return np.asarray(_DATE_LIKE(values.to_numpy(dtype=object)), dtype=bool)


def _as_datetimes(column: pd.Series) -> tuple[pd.Series, np.ndarray] | None:
    """A date column as datetime64 plus the mask of cells that hold other text, else None."""
    if pd.api.types.is_datetime64_any_dtype(column):
        return column, np.zeros(len(column), dtype=bool)
    if column.dtype == object and _is_date_like(column.dropna().head(100)).any():
        dates = _is_date_like(column)
        if dates.any():
            text = column.notna().to_numpy() & ~dates
            return pd.to_datetime(column.where(dates)), text
    return None


def _format_dates(values: pd.Series, with_time: bool) -> np.ndarray:
    """``dd-mm-yyyy`` (``hh:mm``) text of datetime64 values ('' for NaT), formatting each
    distinct day and minute once."""
    stamps = values.to_numpy(dtype="datetime64[ns]")
    missing = np.isnat(stamps)
    stamps = np.where(missing, np.datetime64(0, "ns"), stamps)
    days = stamps.astype("datetime64[D]")
    unique_days, inverse = np.unique(days, return_inverse=True)
    text = pd.DatetimeIndex(unique_days).strftime(_CSV_DATE).to_numpy(dtype=object)[inverse]
    if with_time:
        minute = ((stamps - days) // np.timedelta64(1, "m")).astype(np.int64)
        clock = np.array([f" {m // 60:02d}:{m % 60:02d}" for m in range(24 * 60)], dtype=object)
        text = text + clock[minute]
    text[missing] = ""
    return text


def csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its date columns as Dutch date text, ready for :meth:`DataFrame.to_csv`."""
    out = frame.copy()
    for name in out.columns:
        found = _as_datetimes(out[name])
        if found is None:
            continue
        dates, text = found
        formatted = _format_dates(dates, name in DATETIME_COLUMNS)
        formatted[text] = out[name].to_numpy()[text]
        out[name] = formatted
    return out


def _arrow_table(frame: pd.DataFrame) -> Any:
    """``frame`` as a pyarrow table of CSV cells: Dutch dates and decimal commas as text,
    integers as integers, missing values as nulls."""
    import pyarrow as pa

    text = csv_frame(frame)
    arrays = []
    for name in text.columns:
        column = text[name]
        if pd.api.types.is_float_dtype(column):
            cells = column.astype(str).str.replace(".", ",", regex=False)
            arrays.append(pa.array(cells.where(column.notna(), None), type=pa.string()))
        elif pd.api.types.is_integer_dtype(column):
            arrays.append(pa.array(column, type=pa.int64(), from_pandas=True))
        else:
            cells = column.astype(object).where(column.notna(), None)
            arrays.append(pa.array(cells.to_numpy(dtype=object), type=pa.string()))
    return pa.Table.from_arrays(arrays, names=[str(c) for c in text.columns])


def _write_csv(tables: Mapping[str, pd.DataFrame], folder: Path) -> None:
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    for name, frame in tables.items():
        table = _arrow_table(frame)
        buffer = io.BytesIO()
        try:  # plain cells, as ROM systems write them ...
            options = pa_csv.WriteOptions(
                delimiter=";", eol="\r\n", quoting_style="none", quoting_header="none"
            )
            pa_csv.write_csv(table, buffer, options)
        except pa.ArrowInvalid:  # ... unless a cell holds ; " or a line end: quote text
            buffer = io.BytesIO()
            options = pa_csv.WriteOptions(delimiter=";", eol="\r\n", quoting_header="none")
            pa_csv.write_csv(table, buffer, options)
        (folder / f"{name}.csv").write_bytes(codecs.BOM_UTF8 + buffer.getvalue())


def _cell_rows(frame: pd.DataFrame) -> list[list[Any]]:
    """Rows of plain Python values (None for missing) in column order."""
    columns = []
    for name in frame.columns:
        found = _as_datetimes(frame[name])
        if found is not None:
            dates, text = found
            values: list[Any] = [None if pd.isna(v) else v.to_pydatetime() for v in dates.tolist()]
            raw = frame[name].to_numpy()
            for i in np.flatnonzero(text):
                values[i] = raw[i]
        else:
            column = frame[name].astype(object)
            values = column.where(column.notna(), None).tolist()
        columns.append(values)
    return [list(row) for row in zip(*columns, strict=True)]


def _write_xlsx(tables: Mapping[str, pd.DataFrame], folder: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    for name, frame in tables.items():
        sheet = workbook.create_sheet(title=name)
        sheet.append(list(frame.columns))
        formats = [
            _XLSX_DATETIME if column in DATETIME_COLUMNS else _XLSX_DATE for column in frame.columns
        ]
        for row in _cell_rows(frame):
            cells: list[Any] = []
            for value, number_format in zip(row, formats, strict=True):
                if isinstance(value, dt.datetime):
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.number_format = number_format
                    cells.append(cell)
                else:
                    cells.append(value)
            sheet.append(cells)
    workbook.properties.creator = "alk-rom-pipeline synth"
    workbook.properties.created = FIXED_STAMP
    path = folder / XLSX_NAME
    workbook.save(path)
    _normalise_zip(path)


def _normalise_zip(path: Path) -> None:
    """Rewrite a zip (xlsx) with sorted entries, fixed entry dates and fixed document stamps."""
    stamp = FIXED_STAMP.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(path) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    core = entries.get("docProps/core.xml")
    if core is not None:
        entries["docProps/core.xml"] = re.sub(
            rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)",
            lambda m: m.group(1) + stamp.encode() + m.group(3),
            core,
        )
    with zipfile.ZipFile(path, "w") as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=FIXED_STAMP.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, entries[name], compresslevel=6)


def _sav_frame(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """``frame`` in types pyreadstat writes, plus the SPSS formats of its date columns."""
    out = pd.DataFrame(index=frame.index)
    formats: dict[str, str] = {}
    for name in frame.columns:
        column = frame[name]
        found = _as_datetimes(column)
        if found is not None and found[1].any():
            dates, text = found
            formatted = _format_dates(dates, name in DATETIME_COLUMNS)
            formatted[text] = column.to_numpy()[text]
            out[name] = formatted
        elif found is not None:
            out[name] = found[0].astype("datetime64[ns]")
            formats[name] = "DATETIME20" if name in DATETIME_COLUMNS else "DATE11"
        elif pd.api.types.is_integer_dtype(column):
            out[name] = column.astype("float64")
            formats[name] = "F8.0"
        elif pd.api.types.is_numeric_dtype(column):
            out[name] = column.astype("float64")
        else:
            out[name] = column.astype(object).where(column.notna(), "").astype(str)
    return out, formats


def _write_sav(tables: Mapping[str, pd.DataFrame], folder: Path) -> None:
    import pyreadstat

    creation = FIXED_STAMP.strftime("%d %b %y").encode("ascii") + FIXED_STAMP.strftime(
        "%H:%M:%S"
    ).encode("ascii")
    for name, frame in tables.items():
        path = folder / f"{name}.sav"
        data, formats = _sav_frame(frame)
        pyreadstat.write_sav(data, str(path), variable_format=formats or None)
        raw = bytearray(path.read_bytes())
        if raw[:4] != b"$FL2":
            raise PipelineError(f"{path.name}: unexpected SPSS header written by pyreadstat")
        raw[_SAV_CREATION] = creation
        path.write_bytes(bytes(raw))


def file_digests(folder: Path) -> dict[str, str]:
    """SHA-256 (hex) of every file in ``folder`` and its subfolders except the manifest, by
    relative path (``epd/trajecten.csv``; a file at the top is keyed by its name).

    ``SYNTHETIC.json`` carries them so that ingest allows the public demo key only for an
    export exactly as the generator wrote it (a modified or foreign export needs a real key).
    """
    folder = Path(folder)
    return {
        rel: hashlib.sha256((folder / rel).read_bytes()).hexdigest()
        for rel in export_files(folder)
        if rel != MANIFEST_NAME
    }


def write_export(
    tables: dict[str, pd.DataFrame], out_dir: Path, fmt: str, manifest: dict[str, Any]
) -> None:
    """Write an export folder atomically: the tables in ``fmt`` plus ``SYNTHETIC.json``.

    Parameters
    ----------
    tables
        Table name -> frame (as :func:`pipeline.synth.generate` returns them).
    out_dir
        The export folder; it replaces an earlier export there, and is refused when it holds
        other files.
    fmt
        ``csv``, ``xlsx`` or ``sav``.
    manifest
        Written as deterministic JSON to ``SYNTHETIC.json``.
    """
    if fmt not in FORMATS:
        raise PipelineError(f"unknown export format '{fmt}'; use one of {', '.join(FORMATS)}")
    out_dir = Path(out_dir)
    _check_replaceable(out_dir)
    writers = {"csv": _write_csv, "xlsx": _write_xlsx, "sav": _write_sav}
    with atomic_dir(out_dir) as folder:
        writers[fmt](tables, folder)
        manifest = {**manifest, "sha256": file_digests(folder)}
        (folder / MANIFEST_NAME).write_text(to_json_text(manifest), encoding="utf-8")
        folder.chmod(0o755)


def write_file_set(files: Mapping[str, bytes], out_dir: Path, manifest: dict[str, Any]) -> None:
    """Write an export given as file contents by relative path (an export profile's layout,
    :func:`pipeline.synth.profiles.profile_files`), plus ``SYNTHETIC.json`` with the SHA-256
    of every file, atomically; the same rules for replacing an earlier export as
    :func:`write_export`.
    """
    out_dir = Path(out_dir)
    _check_replaceable(out_dir)
    with atomic_dir(out_dir) as folder:
        for rel, content in sorted(files.items()):
            path = folder / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        manifest = {**manifest, "sha256": file_digests(folder)}
        (folder / MANIFEST_NAME).write_text(to_json_text(manifest), encoding="utf-8")
        folder.chmod(0o755)
