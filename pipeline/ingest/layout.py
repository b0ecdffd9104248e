"""Apply an export profile: the files of an export folder -> the canonical raw tables.

:func:`read_profiled_export` is the step between the readers (:mod:`pipeline.io.export_readers`,
which only get cells off disk) and the contract checks (:func:`pipeline.ingest.tables.ingest_tables`,
unchanged for every profile): per table it finds the file the profile names, reads it, and
hands ingest a :class:`~pipeline.io.export_readers.RawTable` with canonical column names.

- ``canonical`` profiles (``alk``): the folder is read as the project's own layout
  (:func:`~pipeline.io.export_readers.read_export`); the profile only adds item codings.
- ``mapped`` profiles: every table from the file its entry names. Wide questionnaires keep one
  row per administration; a long (item-per-row) file is pivoted to one row per administration.

What the profile sets aside is counted per table, by reason, in ``RawTable.set_aside``, never
silently dropped: rows of respondent types the profile does not keep, every row of a flagged
test dossier's client, a platform's non-response rows (they become records of the
``non_response`` table) and pending invitations (no date, no answer). Other columns of every
file stay in the table (ignored, but scanned for identifiers like any column), and files the
profile does not name are read and scanned too.

A long file is pivoted on its administration id (or, without one, on client, trajectory and
date): an item given twice with different values quarantines the administration with the
reason (both rows named); the same value twice is accepted; rows of one administration that
disagree on the client, trajectory or date quarantine it too. Every source row is accounted
for: in a kept administration, in a quarantined one, or set aside (``row_counts``).
"""

from __future__ import annotations

import dataclasses
import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.errors import ExportError
from pipeline.ingest import identifiers as ids
from pipeline.ingest.contract import NON_RESPONSE, TRAJECTORIES
from pipeline.ingest.normalise import Coded, canonical_texts, code_cells, parse_number_texts
from pipeline.ingest.profile import (
    Column,
    DateParts,
    Profile,
    QuestionnaireSpec,
    code_text,
)
from pipeline.instruments.catalogue import INSTRUMENT_ITEMS, INSTRUMENTS
from pipeline.io.export_readers import (
    EXPORT_MANIFEST,
    PROFILE_SUFFIXES,
    SYNTHETIC_MARKER,
    CodedCsv,
    CsvOptions,
    RawTable,
    export_files,
    read_csv_coded,
    read_export,
    read_table_file,
)

#: Columns of the platform-score side table handed to the score stage.
PLATFORM_SCORE_COLUMNS: tuple[str, ...] = (
    "instrument",
    "source_row",
    "score",
    "value",
    "tolerance",
)

#: Reasons a source record is set aside (not a row of its table), as counted.
ASIDE_RESPONDENT = "respondent type not kept"
ASIDE_TEST = "test dossier"
ASIDE_NON_RESPONSE = "non-response record (see table non_response)"
ASIDE_PENDING = "pending (no completion date, no answer)"
ASIDE_ITEM = "item code not in the profile"
ASIDE_UNREFERENCED = "no kept questionnaire row points at it"
ASIDE_QUESTIONNAIRE = "questionnaire not in the profile"
#: Records of a long file outside every table (counted for ``validate``).
IGNORED_LONG = "long-file rows of questionnaires not in the profile"


@dataclass(frozen=True)
class ProfiledExport:
    """An export read through a profile.

    Attributes
    ----------
    tables
        Table name -> raw table with canonical column names (plus the file's other columns),
        ready for :func:`pipeline.ingest.tables.ingest_tables`; files the profile does not name
        are included under their path (outside the contract: scanned, then ignored).
    platform_scores
        The platform's own scores (:data:`PLATFORM_SCORE_COLUMNS`; ``source_row`` is the row of
        the administration in its table), for the cross-check of the score stage.
    ignored
        Source records outside every table, by reason (a long file's other questionnaires).
    csv
        The CSV dialect used (``ingest.csv`` with the profile's settings on top).
    """

    tables: dict[str, RawTable]
    platform_scores: pd.DataFrame
    ignored: dict[str, int] = field(default_factory=dict)
    csv: CsvOptions = field(default_factory=CsvOptions)


def merged_csv(csv: CsvOptions | None, profile: Profile) -> CsvOptions:
    """``ingest.csv`` with the CSV settings the profile gives on top."""
    base = csv or CsvOptions()
    changes: dict[str, Any] = dict(profile.csv)
    return dataclasses.replace(base, **changes) if changes else base


def read_profiled_export(
    export_dir: Path,
    profile: Profile,
    fmt: str = "auto",
    csv: CsvOptions | None = None,
    file_map: Mapping[str, str] | None = None,
) -> ProfiledExport:
    """Read the export folder through ``profile``.

    Parameters
    ----------
    export_dir
        The export folder.
    profile
        The export profile.
    fmt
        ``ingest.format`` (a canonical profile's ``format`` wins when it is not ``auto``).
    csv
        ``ingest.csv`` (the profile's CSV settings win).
    file_map
        ``ingest.file_map`` (canonical profiles).

    Raises
    ------
    ExportError
        A file the profile needs is missing or ambiguous, a mapped column is missing,
        identifiers in a long file: one line naming the file and the profile entry.
    """
    options = merged_csv(csv, profile)
    if not profile.mapped:
        from pipeline.ingest.tables import map_files

        chosen = profile.format if profile.format != "auto" else fmt
        raw = map_files(read_export(Path(export_dir), chosen, options), file_map or {})
        codings = {
            name: spec.coding_of() for name, spec in profile.questionnaires.items() if spec.codings
        }
        tables = {
            name: dataclasses.replace(table, codings=codings[name]) if name in codings else table
            for name, table in raw.items()
        }
        return ProfiledExport(tables, _empty_scores(), {}, options)
    return _Mapped(Path(export_dir), profile, options).read()


def _empty_scores() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "instrument": pd.Series([], dtype=object),
            "source_row": pd.Series([], dtype=np.int64),
            "score": pd.Series([], dtype=object),
            "value": pd.Series([], dtype=np.float64),
            "tolerance": pd.Series([], dtype=np.float64),
        }
    )


# --------------------------------------------------------------------------------------------
# Columns as codes
# --------------------------------------------------------------------------------------------


@dataclass
class _Source:
    """A file's table as coded columns (a long CSV file is never held as text)."""

    name: str
    source: str
    columns: tuple[str, ...]
    rows: np.ndarray
    coded: dict[str, Coded] = field(default_factory=dict)
    csv: CodedCsv | None = None
    raw: RawTable | None = None

    def column(self, label: str) -> Coded:
        if label not in self.coded:
            if self.csv is not None:
                uniques = self.csv.uniques[label]
                texts = canonical_texts(uniques)
                codes2, texts2 = pd.factorize(texts, use_na_sentinel=True)
                # int32 codes (a long file has tens of millions of cells per column); the
                # reader's codes are handed over, not copied
                remap = np.concatenate((codes2.astype(np.int32), np.asarray([-1], np.int32)))
                self.coded[label] = Coded(
                    codes=remap[self.csv.codes.pop(label)], texts=np.asarray(texts2, dtype=object)
                )
            else:
                assert self.raw is not None
                self.coded[label] = code_cells(self.raw.frame[label])
        return self.coded[label]


def _find(columns: tuple[str, ...] | list[Any], name: str) -> Any | None:
    wanted = name.strip().lower()
    for label in columns:
        if str(label).strip().lower() == wanted:
            return label
    return None


def _date_text(parts: list[Coded]) -> np.ndarray:
    """``dd-mm-yyyy[ hh:mm]`` text per row from date-part columns (``None`` when all empty)."""
    n = len(parts[0].codes)
    cells = [p.cell_texts() for p in parts]
    out = np.full(n, None, dtype=object)
    for k in range(n):
        values = [c[k] for c in cells]
        if all(v is None for v in values[:3]) and all(v is None for v in values[3:]):
            continue
        day, month, year = (_two(v) for v in values[:3])
        text = f"{day}-{month}-{year}"
        if len(values) > 3 and any(v is not None for v in values[3:]):
            text += f" {_two(values[3])}:{_two(values[4] if len(values) > 4 else '0')}"
        out[k] = text
    return out


def _two(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.zfill(2) if text.isdigit() and len(text) < 2 else text


# --------------------------------------------------------------------------------------------
# Mapped profiles
# --------------------------------------------------------------------------------------------


class _Mapped:
    """Reads a mapped profile's files into canonical raw tables."""

    def __init__(self, export_dir: Path, profile: Profile, csv: CsvOptions) -> None:
        if not export_dir.is_dir():
            raise ExportError(f"export folder {export_dir} not found")
        self.dir = export_dir
        self.profile = profile
        self.csv = csv
        self.files = [
            f
            for f in export_files(export_dir)
            if f not in (SYNTHETIC_MARKER, EXPORT_MANIFEST)
            and f.rsplit(".", 1)[-1].lower() in PROFILE_SUFFIXES
        ]
        self.claimed: dict[str, str] = {}
        self.test_clients: set[str] = set()
        self.test_pointers: set[str] = set()

    # ---- files

    def match(self, patterns: tuple[str, ...], where: str, *, many: bool = False) -> list[str]:
        """The files matching ``patterns`` (case-insensitive); one unless ``many``."""
        hits = [
            f
            for f in self.files
            if any(fnmatch.fnmatchcase(f.lower(), p.lower()) for p in patterns)
        ]
        if len(hits) > 1 and not many:
            raise ExportError(
                f"profile {self.profile.name}: {where}.files ({', '.join(patterns)}) matches "
                f"{len(hits)} files ({', '.join(hits[:4])}): it must match one"
            )
        for hit in hits:
            if hit in self.claimed:
                raise ExportError(
                    f"profile {self.profile.name}: {hit} is matched by both "
                    f"{self.claimed[hit]}.files and {where}.files"
                )
            self.claimed[hit] = where
        return hits

    def options(self, table_csv: Mapping[str, str]) -> CsvOptions:
        """The profile's CSV settings with a table's own on top."""
        changes: dict[str, Any] = dict(table_csv)
        return dataclasses.replace(self.csv, **changes) if changes else self.csv

    def read_one(
        self, rel: str, sheet: str | None, where: str, table_csv: Mapping[str, str]
    ) -> RawTable:
        options = self.options(table_csv)
        tables = read_table_file(self.dir / rel, options)
        if sheet is not None:
            chosen = [
                t for t in tables if t.source.split(", sheet ", 1)[-1].lower() == sheet.lower()
            ]
            if not chosen:
                raise ExportError(
                    f"profile {self.profile.name}: {rel} has no sheet named as {where}.sheet"
                )
            table = chosen[0]
        elif len(tables) != 1:
            raise ExportError(
                f"profile {self.profile.name}: {rel} holds {len(tables)} sheets; name one in "
                f"{where}.sheet"
            )
        else:
            table = tables[0]
        sheet_name = table.source.split(", sheet ", 1)[1] if ", sheet " in table.source else ""
        source = f"{rel}, sheet {sheet_name}" if sheet_name else rel
        csv = options if options != self.csv else None
        return dataclasses.replace(table, source=source, csv=csv)

    def source_of(
        self, rel: str, sheet: str | None, where: str, table_csv: Mapping[str, str]
    ) -> _Source:
        if rel.lower().endswith(".csv"):
            coded = read_csv_coded(self.dir / rel, self.options(table_csv))
            return _Source(coded.name, rel, coded.columns, coded.rows, csv=coded)
        raw = self.read_one(rel, sheet, where, table_csv)
        return _Source(raw.name, raw.source, tuple(raw.frame.columns), raw.rows, raw=raw)

    def column(self, columns: Any, name: str, rel: str, where: str) -> Any:
        label = _find(list(columns), name)
        if label is None:
            raise ExportError(
                f"{rel}: column '{name}' of profile {self.profile.name} {where} is missing "
                "(check the profile or the export's version)"
            )
        return label

    # ---- the whole export

    def read(self) -> ProfiledExport:
        profile = self.profile
        assert profile.trajectories is not None
        traj_files = self.match(profile.trajectories.files, "trajectories")
        if not traj_files:
            raise ExportError(
                f"the export has no trajectories table: no file matches profile {profile.name} "
                f"trajectories.files ({', '.join(profile.trajectories.files)})"
            )
        traj_raw = self.read_one(
            traj_files[0], profile.trajectories.sheet, "trajectories", profile.trajectories.csv
        )
        wide: dict[str, RawTable] = {}
        for name, spec in profile.questionnaires.items():
            if spec.layout != "wide":
                continue
            hits = self.match(spec.files, f"questionnaires.{name}")
            if hits:
                wide[name] = self.read_one(hits[0], spec.sheet, f"questionnaires.{name}", spec.csv)
        long_source = None
        if profile.long is not None:
            hits = self.match(profile.long.files, "long")
            if hits:
                long_source = self.source_of(hits[0], profile.long.sheet, "long", profile.long.csv)
        nr_raw = None
        if profile.non_response is not None:
            hits = self.match(profile.non_response.files, "non_response")
            if hits:
                nr_raw = self.read_one(
                    hits[0], profile.non_response.sheet, "non_response", profile.non_response.csv
                )
        codebook = self._codebook()
        # files the profile does not name are read and scanned like tables outside the
        # contract (as in the alk layout, only CSV, workbook and SPSS files)
        others = [
            f for f in self.files if f not in self.claimed and not f.lower().endswith(".json")
        ]
        extra: dict[str, RawTable] = {}
        for rel in others:
            for table in read_table_file(self.dir / rel, self.csv):
                name = rel.lower() if ", sheet " not in table.source else (
                    f"{rel.lower()}, sheet {table.name}"
                )  # fmt: skip
                extra[name] = dataclasses.replace(table, name=name, source=rel)

        self._collect_test_clients(traj_raw, wide, long_source, nr_raw)
        tables: dict[str, RawTable] = {TRAJECTORIES: self._trajectories(traj_raw)}
        scores: list[pd.DataFrame] = []
        pointers: list[tuple[np.ndarray, np.ndarray, str]] = []
        for name, raw in wide.items():
            table, score, pointer = self._wide(profile.questionnaires[name], raw, codebook)
            tables[name] = table
            scores.append(score)
            if pointer is not None:
                pointers.append(pointer)
        ignored: dict[str, int] = {}
        if long_source is not None:
            long_tables, ignored = self._long(long_source, codebook)
            for name, table in long_tables.items():
                if name in tables:
                    raise ExportError(
                        f"profile {profile.name}: questionnaire {name} is both wide and long"
                    )
                tables[name] = table
        if nr_raw is not None:
            tables[NON_RESPONSE] = self._non_response(nr_raw, pointers)
        for name, table in extra.items():
            tables.setdefault(name, table)
        platform = pd.concat(scores, ignore_index=True) if scores else _empty_scores()
        return ProfiledExport(tables, platform, ignored, self.csv)

    def _codebook(self) -> dict[str, dict[Any, str]]:
        """Variable (lower case) -> {code: label} from the codebook files."""
        spec = self.profile.codebook
        if spec is None:
            return {}
        out: dict[str, dict[Any, str]] = {}
        for rel in self.match(spec.files, "codebook", many=True):
            for table in read_table_file(self.dir / rel, self.options(spec.csv)):
                columns = list(table.frame.columns)
                variable = self.column(columns, spec.variable, rel, "codebook.variable")
                value = self.column(columns, spec.value, rel, "codebook.value")
                label = self.column(columns, spec.label, rel, "codebook.label")
                names = code_cells(table.frame[variable]).cell_texts()
                codes = code_cells(table.frame[value]).cell_texts()
                texts = code_cells(table.frame[label]).cell_texts()
                for n, c, t in zip(names, codes, texts, strict=True):
                    if n is None or c is None:
                        continue
                    out.setdefault(str(n).lower(), {})[c] = "" if t is None else str(t)
        return out

    def _collect_test_clients(
        self,
        traj: RawTable,
        wide: dict[str, RawTable],
        long_source: _Source | None,
        nr_raw: RawTable | None,
    ) -> None:
        """Client ids (text) of every row flagged as a test dossier, in any table."""
        flag = self.profile.test_dossiers
        if flag is None:
            return
        profile = self.profile
        assert profile.trajectories is not None
        sources: list[tuple[_Source, Column | None]] = [
            (_Source(traj.name, traj.source, tuple(traj.frame.columns), traj.rows, raw=traj),
             profile.trajectories.columns.get("client_id", "client_id")),
        ]  # fmt: skip
        for name, raw in wide.items():
            spec = profile.questionnaires[name]
            client = spec.columns.get("client_id")
            if isinstance(client, str):
                client = client.replace(
                    "{key}", self._key(spec, list(raw.frame.columns), raw.source)
                )
            sources.append(
                (_Source(raw.name, raw.source, tuple(raw.frame.columns), raw.rows, raw=raw),
                 client)
            )  # fmt: skip
        if long_source is not None and profile.long is not None:
            sources.append((long_source, profile.long.columns.get("client_id")))
        if nr_raw is not None and profile.non_response is not None:
            source = _Source(nr_raw.name, nr_raw.source, tuple(nr_raw.frame.columns), nr_raw.rows)
            source.raw = nr_raw
            sources.append((source, profile.non_response.columns.get("client_id")))
        for source, client in sources:
            label = _find(source.columns, flag.column)
            if label is None or not isinstance(client, str):
                continue
            client_label = _find(source.columns, client)
            if client_label is None:
                continue
            marks = source.column(label)
            flagged = np.asarray(
                [str(t).strip().lower() in flag.values for t in marks.texts.tolist()], dtype=bool
            )
            hit = marks.take(flagged, False)
            clients = source.column(client_label).cell_texts()[hit]
            self.test_clients.update(str(c) for c in clients if c is not None)

    # ---- trajectories

    def _trajectories(self, raw: RawTable) -> RawTable:
        spec = self.profile.trajectories
        assert spec is not None
        frame, keep_from = self._canonical_frame(raw, spec.columns, "", "trajectories")
        for column, codes in spec.values.items():
            if column in frame.columns:
                frame[column] = _recode_cells(frame[column], codes)
        client = code_cells(frame["client_id"]).cell_texts() if "client_id" in frame else None
        aside: dict[str, np.ndarray] = {}
        if client is not None and self.test_clients:
            aside[ASIDE_TEST] = np.isin(client.astype(str), list(self.test_clients)) & (
                client != None  # noqa: E711 - elementwise
            )
        return _finish(raw, frame, aside, keep_from, name=TRAJECTORIES)

    def _canonical_frame(
        self, raw: RawTable, columns: Mapping[str, Column], key: str, where: str
    ) -> tuple[pd.DataFrame, list[Any]]:
        """A frame with the mapped columns under their canonical names (date parts joined),
        then every other column of the file under its own name."""
        out: dict[Any, Any] = {}
        used: list[Any] = []
        for canonical, ref in columns.items():
            if isinstance(ref, DateParts):
                labels = []
                for k, part in enumerate(ref.columns(key)):
                    label = _find(list(raw.frame.columns), part)
                    if label is None and k < 3:
                        self.column(raw.frame.columns, part, raw.source, f"{where}.{canonical}")
                    labels.append(label)
                present = [
                    code_cells(raw.frame[lab]) if lab is not None else None for lab in labels
                ]
                parts = [p for p in present if p is not None]
                out[canonical] = _date_text(parts[:3] + [p for p in present[3:] if p is not None])
                continue
            name = ref.replace("{key}", key)
            label = self.column(raw.frame.columns, name, raw.source, f"{where}.columns.{canonical}")
            out[canonical] = raw.frame[label].to_numpy(dtype=object)
            used.append(label)
        rest = [c for c in raw.frame.columns if c not in used]
        clash = sorted({str(c).strip().lower() for c in rest} & set(out))
        if clash:
            raise ExportError(
                f"{raw.source}: column {clash[0]} is both mapped by profile {self.profile.name} "
                f"({where}) and present under its own name: rename or drop one"
            )
        return pd.DataFrame(out | {c: raw.frame[c].to_numpy(dtype=object) for c in rest}), rest

    # ---- wide questionnaires

    def _key(self, spec: QuestionnaireSpec, columns: list[Any], source: str) -> str:
        keys = spec.keys or ("",)
        counts = [
            sum(_find(columns, c.replace("{key}", k)) is not None for c in spec.items.values())
            for k in keys
        ]
        best = int(np.argmax(counts))
        if counts[best] == 0:
            shown = ", ".join(spec.keys) if spec.keys else "none"
            raise ExportError(
                f"{source}: none of the item columns of profile {self.profile.name} "
                f"questionnaires.{spec.instrument} is in the file (keys: {shown})"
            )
        return keys[best]

    def _wide(
        self, spec: QuestionnaireSpec, raw: RawTable, codebook: Mapping[str, Mapping[Any, str]]
    ) -> tuple[RawTable, pd.DataFrame, tuple[np.ndarray, np.ndarray, str] | None]:
        where = f"questionnaires.{spec.instrument}"
        columns = list(raw.frame.columns)
        key = self._key(spec, columns, raw.source)
        mapped: dict[str, Column] = dict(spec.columns)
        item_labels: dict[str, Any] = {}
        for item, template in spec.items.items():
            name = template.replace("{key}", key)
            item_labels[item] = self.column(columns, name, raw.source, f"{where}.items.{item}")
            mapped[item] = name
        frame, rest = self._canonical_frame(raw, mapped, key, where)
        n = len(frame)
        aside: dict[str, np.ndarray] = {}
        taken = np.zeros(n, dtype=bool)

        def set_aside(reason: str, mask: np.ndarray) -> None:
            mask = np.asarray(mask, dtype=bool) & ~taken
            if mask.any():
                aside[reason] = mask
                taken[mask] = True

        respondents = self.profile.respondents
        if respondents is not None:
            label = self.column(columns, respondents.column, raw.source, "respondents.column")
            coded = code_cells(raw.frame[label])
            keep = np.asarray([t.lower() in respondents.values for t in coded.texts.tolist()], bool)
            set_aside(ASIDE_RESPONDENT, ~coded.take(keep, False))
        client = code_cells(frame["client_id"]).cell_texts()
        if self.test_clients:
            test = np.isin(client.astype(str), list(self.test_clients)) & (client != None)  # noqa: E711
            set_aside(ASIDE_TEST, test)
        pointer = None
        if spec.non_response is not None:
            label = self.column(
                columns, spec.non_response.replace("{key}", key), raw.source,
                f"{where}.non_response",
            )  # fmt: skip
            ids_coded = code_cells(raw.frame[label])
            is_nr = ~ids_coded.missing
            nr_ids = ids_coded.cell_texts()
            tested = is_nr & taken & (aside.get(ASIDE_TEST, np.zeros(n, bool)))
            self.test_pointers.update(str(v) for v in nr_ids[tested])
            kept_nr = is_nr & ~taken
            pointer = (nr_ids[kept_nr], client[kept_nr], spec.instrument)
            set_aside(ASIDE_NON_RESPONSE, is_nr)
        if spec.pending == "set_aside":
            empty = code_cells(frame["completed_at"]).missing
            for item in spec.items:
                empty = empty & code_cells(frame[item]).missing
            set_aside(ASIDE_PENDING, empty)
        kept = ~taken
        scores = []
        for score in spec.platform_scores:
            label = _find(columns, score.column.replace("{key}", key))
            if label is None:
                continue
            coded = code_cells(raw.frame[label])
            values, _ = parse_number_texts(coded.texts, self.options(spec.csv).decimal)
            per_row = coded.take(values, np.nan)[kept]
            scores.append(
                pd.DataFrame(
                    {
                        "instrument": spec.instrument,
                        "source_row": np.asarray(raw.rows, dtype=np.int64)[kept],
                        "score": score.score,
                        "value": per_row.astype(np.float64),
                        "tolerance": score.tolerance,
                    }
                )
            )
        table = _finish(raw, frame, aside, rest)
        labels = {
            item: dict(codebook.get(str(item_labels[item]).strip().lower(), {}))
            or dict(raw.labels.get(str(item_labels[item]).strip(), {}))
            for item in spec.items
        }
        missing = {
            item: raw.missing_codes[str(item_labels[item]).strip()]
            for item in spec.items
            if str(item_labels[item]).strip() in raw.missing_codes
        }
        table = dataclasses.replace(
            table,
            name=spec.instrument,
            labels={k: v for k, v in labels.items() if v},
            missing_codes=missing,
            codings=spec.coding_of(),
        )
        score_frame = pd.concat(scores, ignore_index=True) if scores else _empty_scores()
        return table, score_frame, pointer

    # ---- long files

    def _long(
        self, source: _Source, codebook: Mapping[str, Mapping[Any, str]]
    ) -> tuple[dict[str, RawTable], dict[str, int]]:
        profile = self.profile
        assert profile.long is not None
        where = "long.columns"
        spec_cols = profile.long.columns
        labels: dict[str, Any] = {}
        for canonical, ref in spec_cols.items():
            if isinstance(ref, DateParts):
                continue
            labels[canonical] = self.column(
                source.columns, ref, source.source, f"{where}.{canonical}"
            )
        _scan_long(source, labels, self.profile)
        n = len(source.rows)
        # the completion date (one column or parts)
        completed_ref = spec_cols["completed_at"]
        if isinstance(completed_ref, DateParts):
            parts = []
            for k, part in enumerate(completed_ref.columns()):
                label = _find(source.columns, part)
                if label is None:
                    if k < 3:
                        self.column(source.columns, part, source.source, f"{where}.completed_at")
                    continue
                parts.append(source.column(label))
            completed = code_cells(_date_text(parts))
        else:
            completed = source.column(labels["completed_at"])
        longs = {
            name: spec for name, spec in profile.questionnaires.items() if spec.layout == "long"
        }
        names = list(longs)
        key_to = {k.strip().lower(): i for i, name in enumerate(names) for k in longs[name].keys}
        questionnaire = source.column(labels["questionnaire"])
        per_text = np.asarray(
            [key_to.get(t.strip().lower(), -1) for t in questionnaire.texts.tolist()], np.int64
        )
        instrument = questionnaire.take(per_text, -1)
        ignored = {IGNORED_LONG: int((instrument < 0).sum())} if (instrument < 0).any() else {}
        aside_reason = np.full(n, -1, dtype=np.int8)  # index into REASONS
        reasons = (ASIDE_RESPONDENT, ASIDE_TEST, ASIDE_ITEM)
        respondents = profile.respondents
        if respondents is not None:
            label = self.column(
                source.columns, respondents.column, source.source, "respondents.column"
            )
            coded = source.column(label)
            keep = np.asarray([t.lower() in respondents.values for t in coded.texts.tolist()], bool)
            aside_reason[~coded.take(keep, False) & (aside_reason < 0)] = 0
        client = source.column(labels["client_id"])
        if self.test_clients:
            test_text = np.isin(client.texts.astype(str), list(self.test_clients))
            aside_reason[client.take(test_text, False) & (aside_reason < 0)] = 1
        item = source.column(labels["item"])
        width = max(len(INSTRUMENT_ITEMS[name]) for name in names)
        lookup = np.full((len(names), len(item.texts) + 1), -1, dtype=np.int64)
        item_codes: dict[str, dict[str, str]] = {}
        for i, name in enumerate(names):
            spec = longs[name]
            position = {s.name: k for k, s in enumerate(INSTRUMENT_ITEMS[name])}
            wanted: dict[str, list[int]] = {}
            for canonical, code in spec.items.items():
                for key in spec.keys:
                    wanted.setdefault(code.replace("{key}", key).strip().lower(), []).append(
                        position[canonical]
                    )
            item_codes[name] = {
                canonical: code.replace("{key}", spec.keys[0])
                for canonical, code in spec.items.items()
            }
            for t, text in enumerate(item.texts.tolist()):
                found = wanted.get(str(text).strip().lower())
                if found:
                    lookup[i, t] = found[0]
        item_index = np.where(instrument >= 0, lookup[np.maximum(instrument, 0), item.codes], -1)
        aside_reason[(instrument >= 0) & (item_index < 0) & (aside_reason < 0)] = 2
        active = (instrument >= 0) & (aside_reason < 0)
        trajectory = source.column(labels["trajectory_id"]) if "trajectory_id" in labels else None
        admin_id = (
            source.column(labels["administration_id"]) if "administration_id" in labels else None
        )
        value = source.column(labels["value"])
        out: dict[str, RawTable] = {}
        for i, name in enumerate(names):
            rows_i = np.flatnonzero(active & (instrument == i))
            aside_i = {
                reason: int(((instrument == i) & (aside_reason == k)).sum())
                for k, reason in enumerate(reasons)
            }
            aside_i = {k: v for k, v in aside_i.items() if v}
            if not len(rows_i) and not aside_i:
                continue
            table = _pivot(
                name, rows_i, source, client, trajectory, completed, admin_id, item_index,
                value, len(INSTRUMENT_ITEMS[name]), width,
            )  # fmt: skip
            spec = longs[name]
            book = {
                canonical: dict(codebook.get(code.strip().lower(), {}))
                for canonical, code in item_codes[name].items()
            }
            options = self.options(profile.long.csv)
            out[name] = dataclasses.replace(
                table,
                csv=options if options != self.csv and source.csv is not None else None,
                set_aside=aside_i,
                codings=spec.coding_of(),
                labels={k: v for k, v in book.items() if v},
            )
        return out, ignored

    # ---- non-response records

    def _non_response(
        self, raw: RawTable, pointers: list[tuple[np.ndarray, np.ndarray, str]]
    ) -> RawTable:
        spec = self.profile.non_response
        assert spec is not None
        columns = dict(spec.columns)
        if spec.format == "table":
            questionnaire_ref = columns.pop("questionnaire")
            assert isinstance(questionnaire_ref, str)
            frame, rest = self._canonical_frame(raw, columns, "", "non_response")
            label = self.column(raw.frame.columns, questionnaire_ref, raw.source,
                                "non_response.columns.questionnaire")  # fmt: skip
            keys = {
                k.strip().lower(): name
                for name, q in self.profile.questionnaires.items()
                for k in (*q.keys, name)
            }
            coded = code_cells(raw.frame[label])
            per_text = np.asarray(
                [keys.get(t.strip().lower()) for t in coded.texts.tolist()], object
            )
            named = coded.take(per_text, None)
            frame.insert(2, "instruments", named)
            aside: dict[str, np.ndarray] = {}
            taken = np.zeros(len(frame), dtype=bool)
            client = code_cells(frame["client_id"]).cell_texts()
            if self.test_clients:
                test = np.isin(client.astype(str), list(self.test_clients)) & (client != None)  # noqa: E711
                aside[ASIDE_TEST] = test
                taken |= test
            unknown = (named == None) & ~coded.missing & ~taken  # noqa: E711
            if unknown.any():
                aside[ASIDE_QUESTIONNAIRE] = unknown
            return _finish(raw, frame, aside, rest, name=NON_RESPONSE)
        id_ref = columns.pop("id")
        assert isinstance(id_ref, str)
        frame, rest = self._canonical_frame(raw, columns, "", "non_response")
        id_label = self.column(raw.frame.columns, id_ref, raw.source, "non_response.columns.id")
        rest = [c for c in rest if c != id_label]
        frame = frame.drop(columns=[id_label]) if id_label in frame.columns else frame
        record_ids = code_cells(raw.frame[id_label]).cell_texts()
        clients: dict[str, set[str]] = {}
        instruments: dict[str, set[str]] = {}
        for nr_ids, client_ids, instrument in pointers:
            for nr_id, client_id in zip(nr_ids.tolist(), client_ids.tolist(), strict=True):
                if nr_id is None:
                    continue
                if client_id is not None:
                    clients.setdefault(str(nr_id), set()).add(str(client_id))
                instruments.setdefault(str(nr_id), set()).add(instrument)
        n = len(frame)
        client_col = np.full(n, None, dtype=object)
        instrument_col = np.full(n, None, dtype=object)
        several = np.zeros(n, dtype=bool)
        unreferenced = np.zeros(n, dtype=bool)
        test = np.zeros(n, dtype=bool)
        order = {name: k for k, name in enumerate(INSTRUMENTS)}
        for k, record in enumerate(record_ids.tolist()):
            key = None if record is None else str(record)
            if key is None or key not in instruments:
                if key is not None and key in self.test_pointers:
                    test[k] = True
                else:
                    unreferenced[k] = True
                continue
            found = sorted(clients.get(key, set()))
            client_col[k] = found[0] if found else None
            several[k] = len(found) > 1
            instrument_col[k] = "|".join(sorted(instruments[key], key=order.__getitem__))
        frame.insert(0, "client_id", client_col)
        frame.insert(2, "instruments", instrument_col)
        aside = {ASIDE_TEST: test, ASIDE_UNREFERENCED: unreferenced & ~test}
        table = _finish(raw, frame, aside, rest, name=NON_RESPONSE)
        kept = ~(test | unreferenced)
        if several[kept].any():
            table = dataclasses.replace(
                table,
                problems=(
                    (several[kept], "non-response record pointed at by rows of several clients"),
                ),
            )
        return table


def _recode_cells(values: pd.Series, codes: Mapping[str, str]) -> np.ndarray:
    """Cells whose normalised text is a key of ``codes`` replaced by its canonical value."""
    cells = values.to_numpy(dtype=object)
    coded = code_cells(cells)
    per_text = np.asarray([codes.get(code_text(t), t) for t in coded.texts.tolist()], object)
    return coded.take(per_text, None)


def _finish(
    raw: RawTable,
    frame: pd.DataFrame,
    aside: Mapping[str, np.ndarray],
    rest: list[Any],
    name: str | None = None,
) -> RawTable:
    """The raw table less the rows set aside (counted by reason), with the canonical frame."""
    n = len(frame)
    taken = np.zeros(n, dtype=bool)
    counts: dict[str, int] = {}
    for reason, mask in aside.items():
        mask = np.asarray(mask, dtype=bool) & ~taken
        if mask.any():
            counts[reason] = int(mask.sum())
            taken |= mask
    keep = ~taken
    frame = frame.loc[keep].reset_index(drop=True) if taken.any() else frame
    frame.columns = pd.Index([str(c) for c in frame.columns], dtype=object)
    labels = {str(k): v for k, v in raw.labels.items() if k in rest}
    missing = {str(k): v for k, v in raw.missing_codes.items() if k in rest}
    return dataclasses.replace(
        raw,
        name=raw.name if name is None else name,
        frame=frame,
        rows=np.asarray(raw.rows, dtype=np.int64)[keep],
        labels=labels,
        missing_codes=missing,
        set_aside=counts,
    )


def _pivot(
    name: str,
    rows: np.ndarray,
    source: _Source,
    client: Coded,
    trajectory: Coded | None,
    completed: Coded,
    admin_id: Coded | None,
    item_index: np.ndarray,
    value: Coded,
    n_items: int,
    width: int,
) -> RawTable:
    """One row per administration of instrument ``name`` from its item rows ``rows``."""
    items = INSTRUMENT_ITEMS[name]
    lines = np.asarray(source.rows, dtype=np.int64)[rows]
    c_code = client.codes[rows]
    t_code = trajectory.codes[rows] if trajectory is not None else np.zeros(len(rows), np.int64)
    d_code = completed.codes[rows]
    if admin_id is not None:
        group, _ = pd.factorize(admin_id.codes[rows])
    else:
        first, _ = pd.factorize(c_code.astype(np.int64) * (len(client.texts) + 2) + t_code + 1)
        group, _ = pd.factorize(
            first.astype(np.int64) * (len(completed.texts) + 2) + d_code.astype(np.int64) + 1
        )
    group = np.asarray(group, dtype=np.int64)
    n_admin = int(group.max()) + 1 if len(group) else 0
    order = np.lexsort((lines, group))
    g_sorted = group[order]
    starts = np.flatnonzero(np.append(True, g_sorted[1:] != g_sorted[:-1])) if len(order) else (
        np.empty(0, dtype=np.int64)
    )  # fmt: skip
    head = order[starts]  # the first source row of each administration (lowest line)
    admin_of_head = g_sorted[starts]
    position = np.empty(n_admin, dtype=np.int64)
    position[admin_of_head] = np.arange(n_admin)  # administrations in order of first row
    counts = np.bincount(position[group], minlength=n_admin).astype(np.int64)
    first_lines = lines[head]
    admin_order = np.argsort(first_lines, kind="stable")
    rank = np.empty(n_admin, dtype=np.int64)
    rank[admin_order] = np.arange(n_admin)
    row_of = rank[position[group]]  # output row of every source row
    problems: list[tuple[np.ndarray, Any]] = []
    # rows of one administration must agree on client, trajectory and date
    for what, codes in (("client_id", c_code), ("trajectory_id", t_code), ("completed_at", d_code)):
        if admin_id is None or (what == "trajectory_id" and trajectory is None):
            continue
        lo = np.full(n_admin, np.iinfo(np.int64).max, dtype=np.int64)
        hi = np.full(n_admin, np.iinfo(np.int64).min, dtype=np.int64)
        np.minimum.at(lo, row_of, codes.astype(np.int64))
        np.maximum.at(hi, row_of, codes.astype(np.int64))
        if (lo != hi).any():
            problems.append(
                (lo != hi, f"rows of one administration disagree on {what} (long file)")
            )
    # items: one value per administration and item
    item_pos = item_index[rows]
    cell = row_of * width + item_pos
    cell_order = np.lexsort((lines, cell))
    c_sorted = cell[cell_order]
    v_sorted = value.codes[rows][cell_order]
    repeat = np.append(False, c_sorted[1:] == c_sorted[:-1])
    differs = repeat & (v_sorted != np.append(-9, v_sorted[:-1]))
    if differs.any():
        hit = np.flatnonzero(differs)
        admins = c_sorted[hit] // width
        which = c_sorted[hit] % width
        first_of = np.flatnonzero(~repeat)
        start_of = first_of[np.searchsorted(first_of, hit, side="right") - 1]
        line_a = lines[cell_order[start_of]]
        line_b = lines[cell_order[hit]]
        reasons = np.full(n_admin, None, dtype=object)
        for a, k, la, lb in zip(
            admins.tolist(), which.tolist(), line_a.tolist(), line_b.tolist(), strict=True
        ):
            if reasons[a] is None:
                reasons[a] = (
                    f"item {items[k].name} given twice with different values (long file rows "
                    f"{la} and {lb})"
                )
        mask = np.asarray([r is not None for r in reasons], dtype=bool)
        problems.append((mask, reasons))
    matrix = np.full((n_admin, n_items), -1, dtype=np.int64)
    keep_first = ~repeat
    matrix[c_sorted[keep_first] // width, c_sorted[keep_first] % width] = v_sorted[keep_first]
    value_texts: np.ndarray = np.concatenate(
        (value.texts.astype(object), np.asarray([None], dtype=object))
    )
    heads = rows[head[admin_order]]
    columns: dict[str, Any] = {"client_id": _texts_at(client, heads)}
    if trajectory is not None:
        columns["trajectory_id"] = _texts_at(trajectory, heads)
    columns["completed_at"] = _texts_at(completed, heads)
    for k, spec in enumerate(items):
        columns[spec.name] = value_texts[matrix[:, k]]
    frame = pd.DataFrame(columns)
    return RawTable(
        name=name,
        frame=frame,
        rows=first_lines[admin_order],
        source=source.source,
        fmt="csv" if source.csv is not None else (source.raw.fmt if source.raw else "csv"),
        problems=tuple(problems),
        row_counts=counts[admin_order],
    )


def _texts_at(coded: Coded, positions: np.ndarray) -> np.ndarray:
    """The cell texts (``None`` when empty) of the rows at ``positions``."""
    texts = np.concatenate((coded.texts.astype(object), np.asarray([None], dtype=object)))
    return texts[coded.codes[positions]]


def _scan_long(source: _Source, labels: Mapping[str, Any], profile: Profile) -> None:
    """Refuse identifiers in a long file before it is pivoted (every column, the file name and
    the headers), with the rules of ``docs/input-checks.md``: id columns by the half rule,
    the answers and every unmapped column as free text."""
    roles = {str(v): k for k, v in labels.items()}
    findings: list[ids.Finding] = []
    known = {c.lower() for c in profile.known_columns}
    table = source.source
    for label in source.columns:
        name = str(label).strip()
        role = roles.get(str(label))
        if role is None and name.lower() not in known and ids.is_identifier_name(name):
            findings.append(ids.Finding(table, name, "column name"))
    stem = table.rsplit(".", 1)[0]
    names = [("file name", stem), *(("column header", str(c)) for c in source.columns)]
    named = ids.scan_names(names, table)
    if any(not f.table for f in named):  # the file name holds one: never name the file
        findings = [f for f in named if not f.table]
    else:
        findings.extend(named)
    if not findings:
        scanner = ids.ValueScanner()
        for label in source.columns:
            role = roles.get(str(label))
            if role == "completed_at":
                continue
            coded = source.column(label)
            if role in ("client_id", "trajectory_id", "administration_id"):
                found = scanner.scan(coded, table, str(label), False, True, compact_dates=False)
            elif role in ("questionnaire", "item"):
                found = scanner.scan(coded, table, str(label), False, True)
            else:
                dated = ids.looks_like_date_column(str(label))
                found = scanner.scan(coded, table, str(label), not dated, not dated)
            findings.extend(found)
    if findings:
        detail = "; ".join(f.message() for f in findings)
        raise ExportError(
            f"the export holds direct identifiers, refused before anything is written: {detail}"
        )
