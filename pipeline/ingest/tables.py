"""Pure ingest: raw export tables -> validated, normalised, pseudonymised tables.

:func:`ingest_tables` applies docs/input-format.md to the tables an export reader returned:

1. Column names are trimmed and lower-cased, then renamed by ``ingest.column_map``.
2. Identifiers (docs/input-checks.md) are refused: column names, then values in every
   column that is not a date or item column (:mod:`pipeline.ingest.identifiers`).
3. The export as a whole is checked: a ``trajectories`` table and every required column.
4. Cells are parsed by the contract (:mod:`pipeline.ingest.contract`); a row with any problem
   goes to quarantine with one ``; ``-joined reason and its source row, never a cell value.
   Trajectories: duplicate ``trajectory_id`` (all its rows), ``end_date`` before
   ``start_date``. Administrations: a client that is not among the kept trajectories, a
   ``trajectory_id`` that is unknown or belongs to another client.
5. ``client_id`` and ``trajectory_id`` become keyed pseudonyms; the export ids go nowhere.

Everything is vectorised over columns (values parsed once per distinct text), so a million
administrations ingest in seconds. Row accounting balances by construction: every row read is
kept or quarantined, once.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pipeline.errors import ExportError
from pipeline.ingest import identifiers as ids
from pipeline.ingest.codebook import check_codebooks
from pipeline.ingest.contract import (
    CONTRACTS,
    NON_RESPONSE,
    NON_RESPONSE_OUTPUT,
    TRAJECTORIES,
    TRAJECTORY_OUTPUT,
    ColumnSpec,
    TableContract,
    reason_group,
    table_order,
)
from pipeline.ingest.normalise import (
    Coded,
    code_cells,
    parse_binary,
    parse_category,
    parse_dates,
    parse_numbers,
    parse_treatments,
)
from pipeline.ingest.params import IngestParams
from pipeline.ingest.pseudonym import Domain, Pseudonymiser
from pipeline.instruments.catalogue import INSTRUMENTS
from pipeline.io.export_readers import RawTable

QUARANTINE_COLUMNS: tuple[str, ...] = ("table", "row", "client_key", "reason")
#: Dates before this day are implausible for a ROM export.
EARLIEST_DATE = np.datetime64("1990-01-01", "D")
#: Plausible age at the start of a trajectory (years, start year minus birth year).
AGE_RANGE: tuple[int, int] = (16, 110)
#: Whole numbers beyond this (in absolute value) overflow any count the export may hold.
INTEGER_LIMIT = 2**31 - 1
#: What rare free-text values (``team``) become.
OTHER_TEXT = "overig"
_SCANNED_KINDS = frozenset(
    {"id", "text", "integer", "number", "binary", "category", "treatments", "instruments"}
)
_LABELLED_KINDS = frozenset({"binary", "category"})


@dataclass(frozen=True)
class IngestResult:
    """What :func:`ingest_tables` returns.

    Attributes
    ----------
    tables
        Ingested tables by name (``trajectories`` and every questionnaire table present), with
        exactly the columns of ``docs/architecture.md``, sorted by ``source_row``.
    quarantine
        ``table``, ``row`` (source row), ``client_key`` (``""`` when the row has no client id),
        ``reason`` (never a cell value); sorted by table (contract order) and row.
    accounting
        Per table: ``rows_read``, ``rows_kept``, ``rows_quarantined`` (read = kept +
        quarantined) and ``ignored_columns`` (the number of columns outside the contract,
        never their names); trajectories also ``free_text_grouped`` (per free-text column,
        cells that became ``overig``); a table an export profile built also ``set_aside``
        (source records that are not rows of the table, by reason) and ``source_records``
        (``read`` = ``in_kept_rows`` + ``in_quarantined_rows`` + ``set_aside``).
    ignored_tables
        Names of tables outside the contract (checked for identifiers, otherwise ignored).
    export_date
        The export date used by the date rules (ISO ``YYYY-MM-DD``).
    export_date_source
        ``params`` (``ingest.export_date``), ``data`` (latest administration day),
        ``data, capped by metadata`` or ``metadata`` (no administrations).
    """

    tables: dict[str, pd.DataFrame]
    quarantine: pd.DataFrame
    accounting: dict[str, dict[str, Any]]
    ignored_tables: tuple[str, ...] = ()
    export_date: str | None = None
    export_date_source: str = "params"


@dataclass
class _Table:
    """A raw table with canonical column names resolved to the frame's labels."""

    raw: RawTable
    contract: TableContract | None
    labels: dict[str, Any]  # final (canonical or normalised) name -> frame column label
    ignored: list[str] = field(default_factory=list)
    coded: dict[str, Coded] = field(default_factory=dict)
    value_map: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    dates: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.raw.name

    def values(self, name: str) -> pd.Series:
        return self.raw.frame[self.labels[name]]

    def parse_date(self, name: str, date_format: str) -> tuple[np.ndarray, np.ndarray]:
        """A date column parsed once (with its time of day) and the unparseable mask."""
        if (name, date_format) not in self.dates:
            self.dates[(name, date_format)] = parse_dates(self.values(name), None, date_format)
        return self.dates[(name, date_format)]

    def code(self, name: str, kind: str | None = None) -> Coded:
        if name not in self.coded:
            label = self.labels[name]
            value_labels = self.raw.labels.get(str(label)) if kind in _LABELLED_KINDS else None
            coded = code_cells(self.raw.frame[label], value_labels)
            mapping = self.value_map.get(name)
            if mapping:
                texts = np.asarray(
                    [mapping.get(str(t).strip().lower(), t) for t in coded.texts], dtype=object
                )
                coded = Coded(codes=coded.codes, texts=texts)
            self.coded[name] = coded
        return self.coded[name]


class _Reasons:
    """Per-row quarantine reasons collected as (mask, reason) pairs."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.items: list[tuple[np.ndarray, str | np.ndarray]] = []

    def add(self, mask: np.ndarray, reason: str | np.ndarray) -> None:
        """Quarantine the rows of ``mask`` for ``reason`` (one text, or one text per row)."""
        mask = np.asarray(mask, dtype=bool)
        if mask.any():
            self.items.append((mask, reason))

    def any(self) -> np.ndarray:
        out = np.zeros(self.n, dtype=bool)
        for mask, _ in self.items:
            out |= mask
        return out

    def texts(self, rows: np.ndarray) -> np.ndarray:
        """The ``; ``-joined reasons of the given row positions."""
        out = np.full(len(rows), "", dtype=object)
        for mask, reason in self.items:
            hit = mask[rows]
            if isinstance(reason, str):
                out[hit] = out[hit] + ("; " + reason)
            else:
                out[hit] = out[hit] + ("; " + np.asarray(reason, dtype=object)[rows[hit]])
        return np.asarray([text[2:] for text in out], dtype=object)


#: The id columns and the pseudonym domain of each.
_ID_COLUMNS: dict[str, Domain] = {"client_id": "client", "trajectory_id": "trajectory"}


@dataclass(frozen=True)
class _IdIndex:
    """The distinct export ids of every table, coded once per pseudonym domain.

    The ids of one client appear in every table; each distinct id text is hashed once here,
    and every table's id column gets, per distinct text of its own, the id's number in the
    export (``local``), so identifier flags, pseudonyms and links are looked up by number.
    """

    texts: dict[Domain, np.ndarray]  # per domain: the distinct id texts of the whole export
    maps: dict[tuple[str, str], np.ndarray]  # (table, column): export number of each text

    @classmethod
    def of(cls, tables: list[_Table]) -> _IdIndex:
        parts: dict[Domain, list[tuple[tuple[str, str], np.ndarray]]] = {
            "client": [],
            "trajectory": [],
        }
        for table in tables:
            if table.contract is None:
                continue
            for column, domain in _ID_COLUMNS.items():
                if column in table.labels:
                    parts[domain].append(((table.name, column), table.code(column, "id").texts))
        texts: dict[Domain, np.ndarray] = {}
        maps: dict[tuple[str, str], np.ndarray] = {}
        for domain, found in parts.items():
            if not found:
                texts[domain] = np.empty(0, dtype=object)
                continue
            codes, uniques = pd.factorize(np.concatenate([t for _, t in found]))
            texts[domain] = np.asarray(uniques, dtype=object)
            start = 0
            for where, part in found:
                maps[where] = np.asarray(codes[start : start + len(part)], dtype=np.int64)
                start += len(part)
        return cls(texts, maps)

    def local(self, table: _Table, column: str) -> np.ndarray:
        """The export number of each distinct text of a table's id column."""
        return self.maps[(table.name, column)]

    def cells(self, table: _Table, column: str) -> np.ndarray:
        """The export number of each cell of a table's id column (-1 when empty)."""
        return table.code(column).take(self.local(table, column), -1)


class _Keys:
    """Per-cell pseudonyms of the id columns: one HMAC per distinct id of the export."""

    def __init__(self, key: bytes, index: _IdIndex) -> None:
        pseudonyms = Pseudonymiser(key)
        self.index = index
        self.distinct = {d: pseudonyms.compute(d, texts) for d, texts in index.texts.items()}

    def of_column(self, table: _Table, column: str) -> np.ndarray:
        """Per cell of ``table.column``: the pseudonym, or ``""`` for an empty cell."""
        per_text = self.distinct[_ID_COLUMNS[column]][self.index.local(table, column)]
        return table.code(column).take(per_text, "")


@dataclass(frozen=True)
class _Kept:
    """The kept trajectories' ids as export numbers (:class:`_IdIndex`), for linking."""

    client_of: np.ndarray  # per export client id: its position among the kept clients, or -1
    trajectory_of: np.ndarray  # per export trajectory id: position among kept ones, or -1
    owner: np.ndarray  # per kept trajectory: the position of its client

    @classmethod
    def of(cls, index: _IdIndex, clients: np.ndarray, trajectories: np.ndarray) -> _Kept:
        """From the export numbers of the kept trajectories' client and trajectory ids (each
        trajectory once); clients are numbered in order of first appearance."""
        distinct = pd.unique(np.asarray(clients, dtype=np.int64))
        client_of = np.full(len(index.texts["client"]), -1, dtype=np.int64)
        client_of[distinct] = np.arange(len(distinct), dtype=np.int64)
        trajectory_of = np.full(len(index.texts["trajectory"]), -1, dtype=np.int64)
        trajectory_of[trajectories] = np.arange(len(trajectories), dtype=np.int64)
        return cls(client_of, trajectory_of, client_of[clients])


def ingest_tables(
    raw: Mapping[str, RawTable],
    params: IngestParams,
    key: bytes,
    *,
    written_on: str | None = None,
    min_free_text_n: int = 10,
    known_columns: tuple[str, ...] = (),
) -> IngestResult:
    """Validate, normalise and pseudonymise the tables of one export.

    Parameters
    ----------
    raw
        Tables as read by :func:`pipeline.io.export_readers.read_export` (not modified).
    params
        The ``ingest`` parameters (file, column and value maps, CSV decimal mark and date
        format, export date, largest quarantine share).
    key
        The HMAC key for the pseudonyms.
    written_on
        The day the export files were written (ISO), from the export's metadata; ``None``
        when it has none. Caps the export date derived from the data.
    min_free_text_n
        A free-text value (``team``) reaches the output only when at least this many kept
        trajectories carry it; rarer values become ``overig`` (``reporting.min_n``).
    known_columns
        Column names an export profile declares as the platform's own (``emailed_at``): exempt
        from the identifier check of column names (their cells are scanned as any).

    Returns
    -------
    IngestResult
        The ingested tables, the quarantine and the row accounting.

    Raises
    ------
    ExportError
        Duplicate column names, identifiers, no ``trajectories`` table, a missing required
        column, no export date, a table with too many quarantined rows: one line naming
        tables and columns, never a value.
    """
    if not key:
        raise ExportError("the pseudonym key is empty")
    renamed = map_files(raw, params.file_map)
    value_map = {
        str(column).strip().lower(): {str(k).strip().lower(): str(v) for k, v in codes.items()}
        for column, codes in params.value_map.items()
    }
    tables = [_prepare(table, params.column_map, value_map) for table in renamed.values()]
    index = _IdIndex.of(tables)
    flags = {domain: ids.flags_of(texts) for domain, texts in index.texts.items()}
    id_flags = {
        where: flags[_ID_COLUMNS[where[1]]][numbers] for where, numbers in index.maps.items()
    }
    check_identifiers(tables, ids.ValueScanner(), known_columns, id_flags=id_flags)
    _check_structure(tables)
    check_codebooks(tables)
    keys = _Keys(key, index)
    by_name = {t.name: t for t in tables}
    traj = by_name[TRAJECTORIES]
    export_day, export_source = _export_date(tables, params, written_on)
    out: dict[str, pd.DataFrame] = {}
    quarantined: list[pd.DataFrame] = []
    accounting: dict[str, dict[str, Any]] = {}
    frame, quarantine, kept_ids, grouped = _ingest_trajectories(
        traj, params, keys, export_day, min_free_text_n
    )
    out[TRAJECTORIES] = frame
    quarantined.append(quarantine)
    accounting[TRAJECTORIES] = _account(traj, frame, quarantine)
    accounting[TRAJECTORIES]["free_text_grouped"] = grouped
    traj.coded.clear()
    traj.dates.clear()
    for table in tables:
        if table.contract is None or table.name == TRAJECTORIES:
            continue
        ingest = _ingest_non_response if table.name == NON_RESPONSE else _ingest_questionnaire
        frame, quarantine = ingest(table, params, keys, kept_ids, export_day)
        out[table.name] = frame
        quarantined.append(quarantine)
        accounting[table.name] = _account(table, frame, quarantine)
        table.coded.clear()
        table.dates.clear()
    order = sorted(out, key=table_order)
    quarantine = pd.concat(quarantined, ignore_index=True)
    quarantine = quarantine.assign(_order=quarantine["table"].map(table_order))
    quarantine = (
        quarantine.sort_values(["_order", "row"], kind="mergesort")
        .drop(columns="_order")
        .reset_index(drop=True)
    )
    ignored = tuple(t.name for t in tables if t.contract is None)
    accounting = {name: accounting[name] for name in order}
    check_quarantine_share(accounting, quarantine, params.max_quarantine_share)
    return IngestResult(
        tables={name: out[name] for name in order},
        quarantine=quarantine,
        accounting=accounting,
        ignored_tables=ignored,
        export_date=str(export_day),
        export_date_source=export_source,
    )


def map_files(raw: Mapping[str, RawTable], file_map: Mapping[str, str]) -> dict[str, RawTable]:
    """Rename tables by ``ingest.file_map`` (file name, file stem or sheet name -> table).

    Raises
    ------
    ExportError
        Two files end up with the same table name.
    """
    if not file_map:
        return dict(raw)
    wanted = {str(k).strip().lower(): str(v).strip().lower() for k, v in file_map.items()}
    out: dict[str, RawTable] = {}
    for table in raw.values():
        file = table.source.split(", sheet ")[0].strip().lower()
        stem = file.rsplit(".", 1)[0] if "." in file else file
        new = wanted.get(file) or wanted.get(stem) or wanted.get(table.name) or table.name
        if new in out:
            raise ExportError(
                f"table '{new}' appears twice in the export ({out[new].source} and "
                f"{table.source}) after ingest.file_map"
            )
        out[new] = dataclasses.replace(table, name=new) if new != table.name else table
    return out


#: A table is stopped for its quarantine share only when at least this many of its rows are
#: quarantined: three planted errors in a 14-row table of a tiny export are row errors (each in
#: the quarantine with its reason), not a wrong map or dialect.
SHARE_STOP_MIN_ROWS = 10


def check_quarantine_share(
    accounting: Mapping[str, Mapping[str, Any]], quarantine: pd.DataFrame, max_share: float
) -> None:
    """Stop when a table has more than ``max_share`` of its rows quarantined, and at least
    :data:`SHARE_STOP_MIN_ROWS` of them.

    Raises
    ------
    ExportError
        Naming the table, the share and its most common reason (reasons hold column names,
        never values).
    """
    for name, entry in accounting.items():
        read, dropped = int(entry["rows_read"]), int(entry["rows_quarantined"])
        if read == 0 or dropped <= max_share * read or dropped < SHARE_STOP_MIN_ROWS:
            continue
        reasons: Counter[str] = Counter()
        for text in quarantine.loc[quarantine["table"] == name, "reason"]:
            reasons.update(part for part in str(text).split("; ") if part)
        top, count = sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        raise ExportError(
            f"table {name}: {dropped} of {read} rows quarantined ({dropped / read:.0%}), more "
            f"than ingest.max_quarantine_share ({max_share:g}); most common reason: {top} "
            f"({count} rows) - check ingest.column_map, value_map and the CSV options"
        )


def _export_date(
    tables: list[_Table], params: IngestParams, written_on: str | None
) -> tuple[np.datetime64, str]:
    """The export date (docs/input-checks.md, *Export date*).

    ``ingest.export_date`` when set. Otherwise, when the export's metadata says on which day
    its files were written (``written_on``): the latest date the export records (administration
    ``completed_at`` and trajectory referral, start and end dates) that is not after that day.
    Without metadata: the latest ``completed_at`` day (trajectory dates may not raise it: a
    typed ``end_date`` of 2099 would otherwise become the export date). Never the clock.
    """
    if params.export_date is not None:
        return _iso_day(params.export_date, "ingest.export_date"), "params"
    cap = _iso_day(written_on, "the export's written_on") if written_on is not None else None
    latest: np.datetime64 | None = None
    for table in tables:
        if table.contract is None:
            continue
        columns = ["completed_at"]
        if table.name == TRAJECTORIES:
            if cap is None:
                continue
            columns = ["referral_date", "start_date", "end_date"]
        for column in columns:
            if column not in table.labels:
                continue
            found = _latest_day(table, column, params, cap)
            if found is not None and (latest is None or found > latest):
                latest = found
    if latest is not None:
        return latest, "data" if cap is None else "data, capped by metadata"
    if cap is not None:
        return cap, "metadata"
    raise ExportError(
        "no export date: the export has no administration dates and no EXPORT.json "
        "written_on; set ingest.export_date in params.yaml"
    )


def _latest_day(
    table: _Table, column: str, params: IngestParams, cap: np.datetime64 | None
) -> np.datetime64 | None:
    """The latest day of a date column not after ``cap`` (``None`` when there is none)."""
    _, date_format = _options(table, params)
    values, _ = table.parse_date(column, date_format)
    days = values[~np.isnat(values)].astype("datetime64[D]")
    if cap is not None:
        days = days[days <= cap]
    return days.max() if len(days) else None


def _iso_day(text: Any, where: str) -> np.datetime64:
    try:
        day = np.datetime64(str(text).strip(), "D")
    except ValueError as exc:
        raise ExportError(f"{where} is not a date YYYY-MM-DD") from exc
    if np.isnat(day):
        raise ExportError(f"{where} is not a date YYYY-MM-DD")
    return day


# --------------------------------------------------------------------------------------------
# Names, identifiers, structure
# --------------------------------------------------------------------------------------------


def _prepare(
    raw: RawTable,
    column_map: Mapping[str, Mapping[str, str]],
    value_map: Mapping[str, Mapping[str, str]] | None = None,
) -> _Table:
    contract = CONTRACTS.get(raw.name)
    mapping: dict[str, str] = {}
    for table, columns in column_map.items():
        if str(table).strip().lower() == raw.name:
            mapping.update(
                {str(k).strip().lower(): str(v).strip().lower() for k, v in columns.items()}
            )
    labels: dict[str, Any] = {}
    ignored: list[str] = []
    for label in raw.frame.columns:
        normal = str(label).strip().lower()
        final = mapping.get(normal, normal)
        if final in labels:
            raise ExportError(
                f"{raw.source}: table {raw.name} has column {final} more than once "
                "(names compare case-insensitively, after ingest.column_map)"
            )
        labels[final] = label
        if contract is not None and final not in contract.names:
            ignored.append(str(label).strip())
    return _Table(
        raw=raw, contract=contract, labels=labels, ignored=ignored, value_map=value_map or {}
    )


def check_identifiers(
    tables: list[_Table],
    scanner: ids.ValueScanner | None = None,
    known_columns: tuple[str, ...] = (),
    *,
    id_flags: Mapping[tuple[str, str], np.ndarray] | None = None,
) -> None:
    """Refuse identifier column names and identifier-like values (all tables, one error).

    ``known_columns`` (an export profile's platform columns, compared case-insensitively) are
    exempt from the column-name check only. ``id_flags`` holds, per ``(table, column)`` of an
    id column, the identifier flags of its distinct texts already found
    (:func:`pipeline.ingest.identifiers.flags_of`); other columns are examined here.

    Raises
    ------
    ExportError
        Listing every finding as table, column and number of cells.
    """
    findings: list[ids.Finding] = []
    known = {str(c).strip().lower() for c in known_columns}
    for table in tables:
        canonical = set(table.contract.names) if table.contract is not None else set()
        for name in table.labels:
            if name in known:
                continue
            if name not in canonical and ids.is_identifier_name(name):
                findings.append(ids.Finding(table.name, name, "column name"))
    withheld: set[str] = set()
    for table in tables:
        found = ids.scan_names(_names_of(table), table.name)
        if any(not f.table for f in found):
            withheld.add(table.name)  # its own name holds an identifier: never shown
            found = [f for f in found if not f.table]
        findings.extend(found)
    findings = [f for f in findings if f.table not in withheld]
    if not findings:
        scanner = scanner if scanner is not None else ids.ValueScanner()
        for table in tables:
            findings.extend(_scan_table(table, scanner, id_flags or {}))
    if findings:
        detail = "; ".join(f.message() for f in findings)
        raise ExportError(
            f"the export holds direct identifiers, refused before anything is written: {detail}"
        )


def _names_of(table: _Table) -> list[tuple[str, str]]:
    """The file name, sheet name and column headers of a table (scanned like cells)."""
    file = table.raw.source.split(", sheet ")[0]
    stem = file.rsplit(".", 1)[0] if "." in file else file
    names = [("file name", stem)]
    if ", sheet " in table.raw.source:
        names.append(("sheet name", table.raw.source.split(", sheet ", 1)[1]))
    names.extend(("column header", str(label)) for label in table.raw.frame.columns)
    return names


def _scan_table(
    table: _Table,
    scanner: ids.ValueScanner,
    id_flags: Mapping[tuple[str, str], np.ndarray],
) -> list[ids.Finding]:
    findings: list[ids.Finding] = []
    contract = table.contract
    for name in table.labels:
        spec = _spec(contract, name)
        if spec is not None:
            if spec.kind not in _SCANNED_KINDS:
                continue
            free_text, date_cells = spec.kind == "text", True
        else:
            dated = ids.looks_like_date_column(name)
            free_text, date_cells = not dated, not dated
        kind = spec.kind if spec is not None else None
        coded = table.code(name, kind)
        findings.extend(
            scanner.scan(
                coded,
                table.name,
                name,
                free_text,
                date_cells,
                compact_dates=kind != "id",
                flags=id_flags.get((table.name, name)),
            )  # fmt: skip
        )
        if spec is None:
            del table.coded[name]  # ignored column: not needed again
    return findings


def _spec(contract: TableContract | None, name: str) -> ColumnSpec | None:
    if contract is None or name not in contract.names:
        return None
    return contract.column(name)


def _check_structure(tables: list[_Table]) -> None:
    names = [t.name for t in tables]
    if TRAJECTORIES not in names:
        found = ", ".join(names) if names else "none"
        raise ExportError(
            "the export has no trajectories table (expected trajectories.csv, a workbook sheet "
            f"named trajectories, or trajectories.sav; tables found: {found})"
        )
    problems = []
    for table in tables:
        if table.contract is None:
            continue
        missing = [c for c in table.contract.required if c not in table.labels]
        if missing:
            plural = "column" if len(missing) == 1 else "columns"
            problems.append(
                f"{table.raw.source}: table {table.name} is missing {plural} {', '.join(missing)}"
            )
    if problems:
        raise ExportError("; ".join(problems))


# --------------------------------------------------------------------------------------------
# Parsing by the contract
# --------------------------------------------------------------------------------------------


def _options(table: _Table, params: IngestParams) -> tuple[str, str]:
    """Decimal mark and date format of a table: CSV text by its file's settings (an export
    profile's for that file, else ``ingest.csv``); typed cells (xlsx, sav) by ``auto``."""
    if table.raw.fmt == "csv":
        csv = table.raw.csv or params.csv
        return csv.decimal, csv.date_format
    return "auto", "auto"


def _parse_columns(
    table: _Table, params: IngestParams, reasons: _Reasons, export_day: np.datetime64
) -> dict[str, np.ndarray]:
    """Parse every present contract column; record problems in ``reasons``.

    Plausibility rules: a date after ``export_day`` or before 1990, a whole number beyond
    :data:`INTEGER_LIMIT` (an overflow), a negative count (the contract's lower bound 0).
    """
    assert table.contract is not None
    decimal, date_format = _options(table, params)
    parsed: dict[str, np.ndarray] = {}
    for spec in table.contract.columns:
        if spec.name not in table.labels:
            continue
        name, kind = spec.name, spec.kind
        if kind in ("date", "datetime"):
            values, bad = table.parse_date(name, date_format)
            if kind == "date":  # the day only
                values = values.astype("datetime64[D]").astype("datetime64[ns]")
            reasons.add(bad, f"unparseable {name}")
            missing = np.isnat(values) & ~bad
            days = values.astype("datetime64[D]")
            present = ~np.isnat(values)
            reasons.add(present & (days > export_day), f"{name} after the export date")
            reasons.add(present & (days < EARLIEST_DATE), f"{name} before 1990")
        else:
            coded = table.code(name, kind)
            coding = table.raw.codings.get(name) if kind == "item" else None
            if coding is not None:
                coded, outside = coding.apply(coded, decimal)
                reasons.add(outside, f"item {name} code outside the profile's coding")
            missing = coded.missing
            if kind in ("id", "text"):
                values = coded.cell_texts()
            elif kind in ("integer", "number", "item"):
                check = parse_numbers(
                    coded, decimal, whole=kind != "number", low=spec.low, high=spec.high
                )
                label = f"item {name}" if kind == "item" else name
                reasons.add(check.not_number, f"{label} not a number")
                reasons.add(check.not_whole, f"{label} not a whole number")
                overflow = check.out_of_range & (
                    np.abs(_raw_numbers(coded, decimal)) > INTEGER_LIMIT
                )
                reasons.add(
                    check.out_of_range & ~overflow, f"{label} out of range {spec.range_text}"
                )
                values = check.values
                if kind == "integer":
                    big = ~np.isnan(values) & (np.abs(values) > INTEGER_LIMIT)
                    overflow = overflow | big
                    values = np.where(big, np.nan, values)
                reasons.add(overflow, f"{label} too large (integer overflow)")
            elif kind == "binary":
                values, unknown = parse_binary(coded, decimal)
                reasons.add(unknown, f"unknown {name} value (expected 0/1)")
            elif kind == "category":
                values, unknown = parse_category(coded, spec.categories or {})
                reasons.add(unknown, f"unknown {name} value")
            elif kind == "instruments":
                values, unknown = parse_instruments(coded)
                reasons.add(unknown, f"unknown instrument in {name}")
            else:  # treatments
                values, unknown = parse_treatments(coded)
                reasons.add(unknown, "unknown treatment modality")
        if not spec.nullable:
            reasons.add(missing, f"missing {name}")
        parsed[name] = values
    return parsed


def parse_instruments(coded: Coded) -> tuple[np.ndarray, np.ndarray]:
    """Parse a ``|``-separated list of instruments (``ssd12|eq5d5l``; spelled as the
    catalogue, compared case-insensitively, repeats and empty parts ignored).

    Returns
    -------
    values, unknown
        Object array of the sorted, ``|``-joined instruments in catalogue order (``None`` for an
        empty or unknown cell) and the mask of cells naming an unknown instrument.
    """
    order = {name: k for k, name in enumerate(INSTRUMENTS)}
    per_text: list[str | None] = []
    for text in coded.texts.tolist():
        parts = {part.strip().lower() for part in str(text).split("|") if part.strip()}
        if not parts or any(part not in order for part in parts):
            per_text.append(None)
        else:
            per_text.append("|".join(sorted(parts, key=order.__getitem__)))
    values = np.asarray(per_text, dtype=object)
    unknown = np.asarray([v is None for v in per_text], dtype=bool)
    return coded.take(values, None), coded.take(unknown, False)


def _ingest_trajectories(
    table: _Table, params: IngestParams, keys: _Keys, export_day: np.datetime64, min_n: int
) -> tuple[pd.DataFrame, pd.DataFrame, _Kept, dict[str, int]]:
    """The trajectories table; also the kept trajectory and client ids (export ids, in
    memory only, for linking administrations) and the number of free-text cells grouped as
    ``overig``."""
    n = len(table.raw.frame)
    reasons = _Reasons(n)
    _add_problems(table, reasons)
    parsed = _parse_columns(table, params, reasons, export_day)
    start, end = parsed["start_date"], parsed["end_date"]
    reasons.add(~np.isnat(start) & ~np.isnat(end) & (end < start), "end_date before start_date")
    referral = parsed["referral_date"]
    reasons.add(
        ~np.isnat(start) & ~np.isnat(referral) & (referral > start),
        "referral_date after start_date",
    )
    birth = np.asarray(parsed["birth_year"], dtype=np.float64)
    start_year = np.where(
        np.isnat(start), np.nan, start.astype("datetime64[Y]").astype(np.int64) + 1970.0
    )
    age = start_year - birth
    low, high = AGE_RANGE
    reasons.add(~np.isnan(age) & ((age < low) | (age > high)), f"age at start outside {low}–{high}")
    traj_ids = pd.Series(parsed["trajectory_id"], dtype=object)
    present = traj_ids.notna().to_numpy()
    duplicated = present & traj_ids.duplicated(keep=False).to_numpy()
    reasons.add(duplicated, "duplicate trajectory_id")
    bad = reasons.any()
    kept = ~bad
    grouped: dict[str, int] = {}
    client_key = keys.of_column(table, "client_id")
    trajectory_key = keys.of_column(table, "trajectory_id")
    columns: dict[str, Any] = {
        "source_row": np.asarray(table.raw.rows, dtype=np.int64)[kept],
        "client_key": client_key[kept],
        "trajectory_key": trajectory_key[kept],
        "birth_year": _int(parsed["birth_year"][kept], pd.Int64Dtype()),
        "sex": parsed["sex"][kept],
        "referral_date": parsed["referral_date"][kept],
        "start_date": start[kept],
        "end_date": end[kept],
        "end_reason": parsed["end_reason"][kept],
        "diagnosis": parsed["diagnosis"][kept],
    }
    for name in TRAJECTORY_OUTPUT:
        if name in columns:
            continue
        kind = _kind(table.contract, name)
        if kind == "binary":
            columns[name] = _int(parsed[name][kept], pd.Int8Dtype())
        elif kind == "integer":
            columns[name] = _int(parsed[name][kept], pd.Int64Dtype())
        elif kind == "number":
            columns[name] = np.asarray(parsed[name][kept], dtype=np.float64)
        elif name == "team":
            team = parsed.get("team")
            columns[name] = (
                np.full(int(kept.sum()), None, dtype=object) if team is None else team[kept]
            )
            columns[name], grouped["team"] = group_rare_texts(columns[name], min_n)
        elif name in parsed:
            columns[name] = parsed[name][kept]
    frame = pd.DataFrame({name: columns[name] for name in TRAJECTORY_OUTPUT})
    frame = _object_columns(frame, ("client_key", "trajectory_key", "sex", "end_reason"))
    frame = _object_columns(frame, ("diagnosis", "treatments", "team"))
    quarantine = _quarantine(table, reasons, bad, client_key)
    kept_ids = _Kept.of(
        keys.index,
        keys.index.cells(table, "client_id")[kept],
        keys.index.cells(table, "trajectory_id")[kept],
    )
    return frame, quarantine, kept_ids, grouped


def group_rare_texts(values: np.ndarray, min_n: int) -> tuple[np.ndarray, int]:
    """Free-text values carried by fewer than ``min_n`` rows become :data:`OTHER_TEXT`.

    Parameters
    ----------
    values
        Object array of texts (``None`` = missing), one per kept trajectory.
    min_n
        Fewest rows a value needs to be kept as it is.

    Returns
    -------
    values, grouped
        The values with rare ones replaced, and the number of cells replaced.

    Examples
    --------
    >>> out, n = group_rare_texts(np.array(["a", "a", "b", None], dtype=object), 2)
    >>> out.tolist(), n
    (['a', 'a', 'overig', None], 1)
    """
    values = np.asarray(values, dtype=object)
    series = pd.Series(values, dtype=object)
    counts = series.map(series.value_counts(dropna=True)).to_numpy(dtype=np.float64)
    rare = series.notna().to_numpy() & (counts < min_n)
    out = values.copy()
    out[rare] = OTHER_TEXT
    return out, int(rare.sum())


def _ingest_questionnaire(
    table: _Table, params: IngestParams, keys: _Keys, kept_ids: _Kept, export_day: np.datetime64
) -> tuple[pd.DataFrame, pd.DataFrame]:
    assert table.contract is not None
    n = len(table.raw.frame)
    reasons = _Reasons(n)
    _add_problems(table, reasons)
    parsed = _parse_columns(table, params, reasons, export_day)
    client_coded, has_traj_column = _check_links(table, kept_ids, keys.index, reasons)
    item_names = [spec.name for spec in table.contract.columns if spec.kind == "item"]
    traj_codes = table.code("trajectory_id").codes if has_traj_column else None
    # Rows already quarantined (unparseable answers, unknown client ...) take no part: their
    # parsed answers are incomplete, so they cannot be compared.
    eligible = ~reasons.any()
    positions, texts = conflicting_duplicates(
        np.where(eligible, client_coded.codes, -1), traj_codes, parsed["completed_at"],
        [parsed[i] for i in item_names], np.asarray(table.raw.rows, dtype=np.int64),
    )  # fmt: skip
    for text in np.unique(texts):
        mask = np.zeros(n, dtype=bool)
        mask[positions[texts == text]] = True
        reasons.add(mask, str(text))
    bad = reasons.any()
    kept = ~bad
    client_key = keys.of_column(table, "client_id")
    if has_traj_column:
        trajectory_key = keys.of_column(table, "trajectory_id")[kept]
        trajectory_key = np.asarray(
            np.where(trajectory_key == "", None, trajectory_key), dtype=object
        )
    else:
        trajectory_key = np.full(int(kept.sum()), None, dtype=object)
    columns: dict[str, Any] = {
        "source_row": np.asarray(table.raw.rows, dtype=np.int64)[kept],
        "client_key": client_key[kept],
        "trajectory_key": trajectory_key,
        "completed_at": parsed["completed_at"][kept],
    }
    for spec in table.contract.columns:
        if spec.kind == "item":
            columns[spec.name] = np.asarray(parsed[spec.name][kept], dtype=np.float32)
    frame = pd.DataFrame(columns)
    frame = _object_columns(frame, ("client_key", "trajectory_key"))
    quarantine = _quarantine(table, reasons, bad, client_key)
    return frame, quarantine


def _add_problems(table: _Table, reasons: _Reasons) -> None:
    """Quarantine reasons found before ingest (a long file's pivot, an export profile)."""
    for mask, reason in table.raw.problems:
        reasons.add(mask, reason)


def _check_links(
    table: _Table, kept_ids: _Kept, index: _IdIndex, reasons: _Reasons
) -> tuple[Coded, bool]:
    """Quarantine rows whose client is not among the kept trajectories, or whose
    ``trajectory_id`` is unknown or another client's; returns the coded ``client_id`` and
    whether the table has a ``trajectory_id`` column."""
    # Linking works on distinct ids: positions in the kept trajectories' clients.
    client_coded = table.code("client_id")
    client_pos = client_coded.take(kept_ids.client_of[index.local(table, "client_id")], -1)
    has_client = ~client_coded.missing
    unknown_client = has_client & (client_pos < 0)
    reasons.add(unknown_client, "unknown client (not among kept trajectories)")
    has_traj_column = "trajectory_id" in table.labels
    if has_traj_column:
        traj_coded = table.code("trajectory_id")
        traj_pos_text = kept_ids.trajectory_of[index.local(table, "trajectory_id")]
        owner_of = np.concatenate((kept_ids.owner, [-2]))
        owner_text = owner_of[traj_pos_text]  # -1 (unknown trajectory) picks the -2 sentinel
        traj_pos = traj_coded.take(traj_pos_text, -1)
        owner = traj_coded.take(owner_text, -2)
        has_traj = ~traj_coded.missing
        unknown_traj = has_traj & (traj_pos < 0)
        reasons.add(unknown_traj, "unknown trajectory_id (not among kept trajectories)")
        other = has_traj & has_client & ~unknown_client & ~unknown_traj & (owner != client_pos)
        reasons.add(other, "trajectory_id belongs to another client")
    return client_coded, has_traj_column


def _ingest_non_response(
    table: _Table, params: IngestParams, keys: _Keys, kept_ids: _Kept, export_day: np.datetime64
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The non-response records: parsed, linked to a kept client (and trajectory, when the
    record names one), pseudonymised; the reason group follows from the code."""
    assert table.contract is not None
    n = len(table.raw.frame)
    reasons = _Reasons(n)
    _add_problems(table, reasons)
    parsed = _parse_columns(table, params, reasons, export_day)
    _, has_traj_column = _check_links(table, kept_ids, keys.index, reasons)
    bad = reasons.any()
    kept = ~bad
    client_key = keys.of_column(table, "client_id")
    if has_traj_column:
        trajectory_key = keys.of_column(table, "trajectory_id")[kept]
        trajectory_key = np.asarray(
            np.where(trajectory_key == "", None, trajectory_key), dtype=object
        )
    else:
        trajectory_key = np.full(int(kept.sum()), None, dtype=object)
    codes = np.asarray(parsed["reason_code"][kept], dtype=object)
    columns: dict[str, Any] = {
        "source_row": np.asarray(table.raw.rows, dtype=np.int64)[kept],
        "client_key": client_key[kept],
        "trajectory_key": trajectory_key,
        "recorded_at": parsed["recorded_at"][kept],
        "instruments": np.asarray(parsed["instruments"][kept], dtype=object),
        "reason_code": codes,
        "reason_group": np.asarray([reason_group(str(c)) for c in codes], dtype=object),
    }
    frame = pd.DataFrame({name: columns[name] for name in NON_RESPONSE_OUTPUT})
    frame = _object_columns(
        frame, ("client_key", "trajectory_key", "instruments", "reason_code", "reason_group")
    )
    return frame, _quarantine(table, reasons, bad, client_key)


def conflicting_duplicates(
    client: np.ndarray,
    trajectory: np.ndarray | None,
    completed_at: np.ndarray,
    items: list[np.ndarray],
    rows: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Administrations of one table with the same client, trajectory and ``completed_at`` but
    different answers (missing answers equal each other).

    Exact duplicates are left to the clean stage, which keeps the first; of a conflicting set
    no row can be preferred, so every one is quarantined, naming another row of the set.

    Parameters
    ----------
    client, trajectory
        Per row the code of the export id (``-1`` = empty, or a row that takes no part);
        ``trajectory`` ``None`` when the table has no ``trajectory_id``.
    completed_at
        datetime64 per row (NaT rows never conflict).
    items
        Parsed answers per item column (float, NaN = missing).
    rows
        Source row numbers.

    Returns
    -------
    positions, reasons
        Positions of the conflicting rows and their reasons.
    """
    n = len(client)
    stamp = np.asarray(completed_at, dtype="datetime64[ns]")
    valid = (np.asarray(client) >= 0) & ~np.isnat(stamp)
    key = pd.DataFrame(
        {
            "c": np.asarray(client, dtype=np.int64),
            "t": np.full(n, -1, dtype=np.int64) if trajectory is None else trajectory,
            "at": stamp.view(np.int64),
        }
    )
    candidate = valid & key.duplicated(keep=False).to_numpy()
    index = np.flatnonzero(candidate)
    if not len(index):
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=object)
    sub = key.iloc[index].reset_index(drop=True)
    base = sub.groupby(["c", "t", "at"], sort=False).ngroup().to_numpy()
    answers = pd.DataFrame({f"i{k}": np.asarray(v)[index] for k, v in enumerate(items)})
    full = pd.concat([sub, answers], axis=1)
    answer_group = full.groupby(list(full.columns), sort=False, dropna=False).ngroup().to_numpy()
    distinct = pd.Series(answer_group).groupby(base).nunique().to_numpy()
    conflict = distinct[base] > 1
    index, base = index[conflict], base[conflict]
    if not len(index):
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=object)
    order = np.lexsort((rows[index], base))
    index, base = index[order], base[order]
    first = np.append(True, base[1:] != base[:-1])
    set_start = np.flatnonzero(first)[np.cumsum(first) - 1]
    other = np.where(first, rows[index[set_start + 1]], rows[index[set_start]])
    reasons = np.asarray(
        [
            f"conflicting duplicate of row {k} (same client, trajectory and completed_at, "
            "different answers)"
            for k in other
        ],
        dtype=object,
    )
    return index.astype(np.int64), reasons


def _kind(contract: TableContract | None, name: str) -> str:
    assert contract is not None
    return contract.column(name).kind


def _int(values: np.ndarray, dtype: pd.api.extensions.ExtensionDtype) -> Any:
    """Whole numbers (NaN = missing) as a nullable integer array of ``dtype``."""
    floats = np.asarray(values, dtype=np.float64)
    return pd.array(floats, dtype="Float64").astype(dtype)


def _object_columns(frame: pd.DataFrame, names: tuple[str, ...]) -> pd.DataFrame:
    return frame.astype({name: object for name in names})


def _quarantine(
    table: _Table, reasons: _Reasons, bad: np.ndarray, client_key: np.ndarray
) -> pd.DataFrame:
    rows = np.flatnonzero(bad)
    return pd.DataFrame(
        {
            "table": np.full(len(rows), table.name, dtype=object),
            "row": np.asarray(table.raw.rows, dtype=np.int64)[rows],
            "client_key": np.asarray(client_key[rows], dtype=object),
            "reason": reasons.texts(rows),
        },
        columns=list(QUARANTINE_COLUMNS),
    )


def _account(table: _Table, frame: pd.DataFrame, quarantine: pd.DataFrame) -> dict[str, Any]:
    """Rows read, kept and quarantined (and ignored columns); for a table an export profile
    built, also the source records set aside by reason and, per source record, where it went
    (``source_records``: read = in kept rows + in quarantined rows + set aside)."""
    read = len(table.raw.frame)
    kept, dropped = len(frame), len(quarantine)
    if read != kept + dropped:  # pragma: no cover - guaranteed by construction
        raise ExportError(f"row accounting of {table.name} does not balance")
    entry: dict[str, Any] = {
        "rows_read": read,
        "rows_kept": kept,
        "rows_quarantined": dropped,
        "ignored_columns": len(table.ignored),
    }
    raw = table.raw
    if raw.set_aside or raw.row_counts is not None:
        counts = (
            np.ones(read, dtype=np.int64)
            if raw.row_counts is None
            else np.asarray(raw.row_counts, dtype=np.int64)
        )
        bad = np.isin(np.asarray(raw.rows, dtype=np.int64), quarantine["row"].to_numpy())
        aside = {str(k): int(v) for k, v in sorted(raw.set_aside.items()) if v}
        records = {
            "read": int(counts.sum()) + sum(aside.values()),
            "in_kept_rows": int(counts[~bad].sum()),
            "in_quarantined_rows": int(counts[bad].sum()),
            "set_aside": sum(aside.values()),
        }
        if records["read"] != sum(v for k, v in records.items() if k != "read"):
            raise ExportError(  # pragma: no cover - guaranteed by construction
                f"source record accounting of {table.name} does not balance"
            )
        entry["source_records"] = records
        if aside:
            entry["set_aside"] = aside
    return entry


def _raw_numbers(coded: Coded, decimal: str) -> np.ndarray:
    """Per cell the number its text reads as (NaN when none), before any range check."""
    from pipeline.ingest.normalise import parse_number_texts

    values, _ = parse_number_texts(coded.texts, decimal)
    return coded.take(values, np.nan)
