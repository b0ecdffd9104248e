"""Export profiles: how a centre's files map onto the canonical tables, as data.

A profile is a YAML file (``profiles/<name>.yaml`` in the project, or any path) chosen with
``params.yaml: ingest.profile`` or ``python -m pipeline validate DIR --profile NAME``. It
says, per table, which files hold it, which columns are the ids and dates (or date parts
``_dd``/``_mm``/``_yyyy``), for each questionnaire its key(s), its item columns (or the item
codes of a long, item-per-row file) mapped to the canonical items, how answers are recoded
(``1..5 -> 0..4``, ``9`` = missing), which respondent types are kept, which test dossiers
are dropped, where the non-response records and the platform's own scores are. Everything
the profile does is reported (rows set aside by reason, quarantined rows, agreement counts);
nothing is silently reshaped.

Two layouts:

- ``canonical`` (profile ``alk``): the project's own tables, one file (or sheet) per table named
  like the table, canonical column names (``ingest.file_map``, ``column_map`` and
  ``value_map`` rename the rest). A questionnaire entry may still declare a ``coding``.
- ``mapped`` (profiles ``roqua``, ``long``): every table comes from the files its entry names,
  through its column mapping; a questionnaire is ``wide`` (one row per administration, item
  columns) or ``long`` (one row per answered item, pivoted by :mod:`pipeline.ingest.layout`).

A profile is checked like ``params.yaml``, before any file is read: an unknown key, a
mapping to an item or column that does not exist, an item without a column, or a recoding
that does not reach every answer of the item is a one-line :class:`~pipeline.errors.ParamsError`
naming the profile and the place. The documentation of every key is ``docs/profiles.md``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml

from pipeline.errors import ParamsError
from pipeline.ingest.contract import TRAJECTORY_CONTRACT
from pipeline.ingest.normalise import Coded, parse_number_texts
from pipeline.instruments.catalogue import INSTRUMENT_ITEMS, INSTRUMENTS, ItemSpec

#: The folder of the shipped profiles, relative to the project root.
PROFILES_DIR = "profiles"
#: The profile used when ``ingest.profile`` is not set.
DEFAULT_PROFILE = "alk"
#: The suffixes of the date parts of a date split over several columns (RoQua's convention);
#: day, month and year are required, hour and minute optional.
DATE_PART_SUFFIXES: tuple[str, ...] = ("_dd", "_mm", "_yyyy", "_hh", "_ii")
#: Canonical columns a questionnaire entry maps (besides its items).
QUESTIONNAIRE_COLUMNS: tuple[str, ...] = ("client_id", "trajectory_id", "completed_at")
#: Canonical columns of a long (item-per-row) file.
LONG_COLUMNS: tuple[str, ...] = (
    "client_id", "trajectory_id", "questionnaire", "administration_id", "completed_at", "item",
    "value",
)  # fmt: skip
#: Canonical columns of a table of non-response records.
NON_RESPONSE_COLUMNS: tuple[str, ...] = (
    "id", "client_id", "trajectory_id", "questionnaire", "recorded_at", "reason_code",
)  # fmt: skip
#: Scores a platform may export per instrument (compared, never used as input).
PLATFORM_SCORES: dict[str, tuple[str, ...]] = {
    "ssd12": ("ssd12_total", "ssd12_cognitive", "ssd12_affective", "ssd12_behavioural"),
    "eq5d5l": ("eq5d5l_index", "eq5d_vas"),
    "eq5d3l": ("eq5d3l_index", "eq5d_vas"),
    "rand36": (
        "rand36_pf", "rand36_rp", "rand36_re", "rand36_vt", "rand36_mh", "rand36_sf",
        "rand36_bp", "rand36_gh", "rand36_hc",
    ),
    "phq15": ("phq15_total",),
    "cqi": ("cqi_grade",),
}  # fmt: skip
#: A recoding given value by value must reach every answer of items with at most this many.
COMPLETE_CODING_MAX_OPTIONS = 11

_NAME = re.compile(r"[A-Za-z0-9_\-]+")
Layout = Literal["canonical", "mapped"]


@dataclass(frozen=True)
class DateParts:
    """A date (or date-time) split over columns ``<prefix>_dd``, ``_mm``, ``_yyyy`` and
    optionally ``_hh``, ``_ii`` (hours, minutes). ``prefix`` may hold ``{key}``."""

    prefix: str

    def columns(self, key: str = "") -> tuple[str, ...]:
        """The part columns, in :data:`DATE_PART_SUFFIXES` order, for questionnaire key ``key``."""
        base = self.prefix.replace("{key}", key)
        return tuple(base + suffix for suffix in DATE_PART_SUFFIXES)


Column = str | DateParts


@dataclass(frozen=True)
class Coding:
    """How an export's answer codes become the canonical answers of some items.

    Attributes
    ----------
    items
        Canonical item names it applies to.
    offset
        Added to every numeric code (``-1``: a 1-based scale 1..5 read as 0..4).
    values
        Export code (normalised text: ``"1"``, ``"ja"``) -> canonical answer, instead of
        ``offset``; a code outside it (and outside ``missing``) quarantines the row.
    missing
        Export codes that mean "no answer" (``9`` = niet van toepassing), normalised.
    """

    items: tuple[str, ...]
    offset: int = 0
    values: Mapping[str, float] | None = None
    missing: tuple[str, ...] = ()

    def maps(self, code: float) -> float | None:
        """The canonical answer of a numeric code (``None``: not covered or missing)."""
        text = code_text(code)
        if text in self.missing:
            return None
        if self.values is not None:
            return self.values.get(text)
        return code + self.offset

    def apply(self, coded: Coded, decimal: str = "auto") -> tuple[Coded, np.ndarray]:
        """Recode a column of answer codes into canonical answers (vectorised per distinct text).

        Returns
        -------
        coded, outside
            The column with canonical answers as text (a missing code becomes an empty cell;
            a text that is no number is left for the parser to refuse) and, per cell, whether
            its code is outside a value table (the row is quarantined for it).
        """
        texts = coded.texts
        numbers, not_number = parse_number_texts(texts, decimal)
        new = np.empty(len(texts), dtype=object)
        missing = np.zeros(len(texts), dtype=bool)
        outside = np.zeros(len(texts), dtype=bool)
        for k, text in enumerate(texts.tolist()):
            key = code_text(float(numbers[k])) if not not_number[k] else code_text(text)
            if key in self.missing:
                missing[k] = True
            elif self.values is not None:
                answer = self.values.get(key)
                outside[k] = answer is None
                missing[k] = answer is None
                new[k] = None if answer is None else code_text(answer)
            elif not_number[k]:
                new[k] = text
            else:
                new[k] = code_text(float(numbers[k]) + self.offset)
        gone = missing | outside
        kept_texts, inverse = np.unique(np.where(gone, "", new).astype(str), return_inverse=True)
        remap = np.where(gone, -1, inverse).astype(np.int64)
        extended = np.concatenate((remap, [-1]))
        recoded = Coded(codes=extended[coded.codes], texts=kept_texts.astype(object))
        # the unique '' of the gone texts is never used by a code; drop it from texts
        if gone.any() and "" in kept_texts:
            drop = int(np.flatnonzero(kept_texts == "")[0])
            shift = np.arange(len(kept_texts) + 1) - (np.arange(len(kept_texts) + 1) > drop)
            shift[-1] = -1
            shift[drop] = -1
            codes = recoded.codes
            recoded = Coded(
                codes=np.where(codes >= 0, shift[codes], -1).astype(np.int64),
                texts=np.delete(kept_texts, drop).astype(object),
            )
        return recoded, coded.take(outside, False)

    def describe(self) -> str:
        """One phrase for messages: ``offset -1`` or ``a table of 5 codes``."""
        if self.values is not None:
            return f"a table of {len(self.values)} codes"
        return f"offset {self.offset:+d}" if self.offset else "no recoding"


@dataclass(frozen=True)
class PlatformScore:
    """A score the platform computed, exported as a column: compared with the project's."""

    score: str
    column: str
    tolerance: float = 0.05


@dataclass(frozen=True)
class TableSpec:
    """Where a mapped table's rows come from (the ``trajectories`` entry).

    Attributes
    ----------
    files
        Glob patterns relative to the export folder (``epd/trajecten*.csv``); together they must
        match exactly one file (or workbook sheet, see ``sheet``).
    sheet
        For a workbook: the sheet holding the table (default: the only or first sheet).
    columns
        Canonical column -> export column (or :class:`DateParts`).
    values
        Canonical column -> {export code -> canonical value}, like ``ingest.value_map``.
    csv
        CSV settings of this table's file, on top of the profile's (an EPD extract in
        Windows-1252 beside a platform's UTF-8 files).
    """

    files: tuple[str, ...]
    sheet: str | None = None
    columns: Mapping[str, Column] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    csv: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class QuestionnaireSpec:
    """One questionnaire of a profile.

    Attributes
    ----------
    instrument
        The canonical instrument (= table name).
    layout
        ``canonical`` (the table as in the project's own layout), ``wide`` (one row per
        administration) or ``long`` (item rows of the profile's long file set).
    files, sheet
        Wide: the file (glob patterns; one file must match).
    keys
        The platform's questionnaire key(s): ``{key}`` in column names (wide; the key whose
        item columns the file holds is used) or the values of the long file's questionnaire
        column (long).
    columns
        ``client_id``, ``trajectory_id``, ``completed_at`` -> export column (wide).
    items
        Canonical item -> export column (wide) or item code (long); may hold ``{key}``.
    codings
        Recodings of the answers (every item at most once; items without one are read as
        they are).
    non_response
        Wide: the column pointing into the non-response records (``{key}_non_response``); a
        row with a value there is a non-response, not an administration.
    pending
        Wide: what a row without ``completed_at`` and without any answer is: ``set_aside``
        (a platform's pending or expired invitation) or ``quarantine`` (``missing
        completed_at``, as any row without a date).
    platform_scores
        The platform's own scores of this questionnaire (compared, never used).
    csv
        Wide: CSV settings of the questionnaire's file, on top of the profile's.
    """

    instrument: str
    layout: Literal["canonical", "wide", "long"] = "canonical"
    files: tuple[str, ...] = ()
    sheet: str | None = None
    keys: tuple[str, ...] = ()
    columns: Mapping[str, Column] = field(default_factory=dict)
    items: Mapping[str, str] = field(default_factory=dict)
    codings: tuple[Coding, ...] = ()
    non_response: str | None = None
    pending: Literal["quarantine", "set_aside"] = "quarantine"
    platform_scores: tuple[PlatformScore, ...] = ()
    csv: Mapping[str, str] = field(default_factory=dict)

    def coding_of(self) -> dict[str, Coding]:
        """Canonical item -> its coding."""
        return {item: coding for coding in self.codings for item in coding.items}


@dataclass(frozen=True)
class LongSpec:
    """The long (item-per-row) file: which file, which columns, its CSV settings."""

    files: tuple[str, ...]
    sheet: str | None = None
    columns: Mapping[str, Column] = field(default_factory=dict)
    csv: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class NonResponseSpec:
    """Where the non-response records are.

    ``format: json``: a JSON list of records with an ``id`` that the questionnaire rows'
    ``non_response`` column points at (RoQua); the client and questionnaire come from those
    rows. ``format: table``: a table of records with the client, questionnaire, date and
    reason.
    """

    files: tuple[str, ...]
    format: Literal["json", "table"] = "table"
    sheet: str | None = None
    columns: Mapping[str, Column] = field(default_factory=dict)
    csv: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CodebookSpec:
    """A codebook in the export: one row per answer option of a column (or item code)."""

    files: tuple[str, ...]
    variable: str = "variable"
    value: str = "value"
    label: str = "label"
    csv: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RowFilter:
    """Rows whose ``column`` holds one of ``values`` (compared trimmed, case-insensitively)."""

    column: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Profile:
    """An export profile (see the module docstring and ``docs/profiles.md``).

    Attributes
    ----------
    name, description
        As the file says.
    layout
        ``canonical`` or ``mapped``.
    format
        The files' format for a mapped profile (``auto``: by suffix); for a canonical one,
        ``auto`` leaves ``ingest.format`` in charge.
    csv
        CSV dialect settings that override ``ingest.csv`` (only those given).
    respondents
        The respondent-type column and the types kept (rows of other types are set aside).
    test_dossiers
        The flag column and the values marking a test dossier: every row of a flagged client,
        in every table, is set aside.
    known_columns
        Platform columns whose names look like an identifier but are not (``emailed_at``):
        exempt from the column-name check; their cells are still scanned.
    codebook
        The export's codebook, for the codebook check.
    trajectories, questionnaires, long, non_response
        The tables (mapped profiles; a canonical profile has only ``questionnaires`` with a
        ``coding``).
    source
        Where the profile was read from (for messages).
    """

    name: str
    layout: Layout
    description: str = ""
    format: Literal["auto", "csv", "xlsx", "sav"] = "auto"
    csv: Mapping[str, str] = field(default_factory=dict)
    respondents: RowFilter | None = None
    test_dossiers: RowFilter | None = None
    known_columns: tuple[str, ...] = ()
    codebook: CodebookSpec | None = None
    trajectories: TableSpec | None = None
    questionnaires: Mapping[str, QuestionnaireSpec] = field(default_factory=dict)
    long: LongSpec | None = None
    non_response: NonResponseSpec | None = None
    source: str = ""

    @property
    def mapped(self) -> bool:
        """Whether the tables come from the files the profile names."""
        return self.layout == "mapped"


# --------------------------------------------------------------------------------------------
# Finding and loading
# --------------------------------------------------------------------------------------------


def shipped_profiles(root: Path) -> tuple[str, ...]:
    """The names of the profiles shipped in ``<root>/profiles/``."""
    folder = Path(root) / PROFILES_DIR
    if not folder.is_dir():
        return ()
    return tuple(sorted(p.stem for p in folder.glob("*.yaml")))


def profile_path(ref: str | Path, root: Path) -> Path:
    """The file of profile ``ref``: a shipped name (``roqua``) or a path (relative paths are
    relative to ``root``, the project folder).

    Raises
    ------
    ParamsError
        No shipped profile of that name and no such file.
    """
    text = str(ref).strip()
    if not text:
        raise ParamsError("ingest.profile is empty: name a shipped profile or a file")
    if _NAME.fullmatch(text):
        path = Path(root) / PROFILES_DIR / f"{text}.yaml"
        if path.is_file():
            return path
        shipped = ", ".join(shipped_profiles(root)) or "none"
        raise ParamsError(
            f"profile '{text}' is not a shipped profile (shipped: {shipped}); give a path to "
            "a profile file instead"
        )
    path = Path(text).expanduser()
    path = path if path.is_absolute() else Path(root) / path
    if not path.is_file():
        raise ParamsError(f"profile file {path.name} not found")
    return path


def load_profile(ref: str | Path | None, root: Path) -> Profile:
    """Read and check a profile (``None``: the default, :data:`DEFAULT_PROFILE`).

    Raises
    ------
    ParamsError
        The file is missing or not YAML, or the profile is not valid (one line).
    """
    path = profile_path(DEFAULT_PROFILE if ref is None else ref, root)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ParamsError(f"profile file {path.name} cannot be read") from exc
    except yaml.YAMLError as exc:
        raise ParamsError(
            f"profile file {path.name} is not valid YAML ({exc.__class__.__name__})"
        ) from exc
    return parse_profile(data, source=path.name)


def parse_profile(data: Any, source: str = "profile") -> Profile:
    """Build and check a :class:`Profile` from the mapping a profile file holds.

    Raises
    ------
    ParamsError
        ``profile <name>: <where>: <what is wrong>``.
    """
    if not isinstance(data, dict):
        raise ParamsError(f"{source} must hold a mapping (profile, layout, tables ...)")
    name = data.get("profile")
    if not isinstance(name, str) or not name.strip():
        raise ParamsError(f"{source}: 'profile' (the profile's name) is missing")
    check = _Checker(name.strip())
    check.keys(
        data, "", ("profile", "description", "layout", "format", "csv", "respondents",
                   "test_dossiers", "known_columns", "codebook", "trajectories",
                   "questionnaires", "long", "non_response"),
    )  # fmt: skip
    layout = check.choice(data.get("layout", "canonical"), "layout", ("canonical", "mapped"))
    fmt = check.choice(data.get("format", "auto"), "format", ("auto", "csv", "xlsx", "sav"))
    csv = _csv_block(check, data.get("csv"))
    questionnaires = check.mapping(data.get("questionnaires"), "questionnaires")
    specs: dict[str, QuestionnaireSpec] = {}
    for key, entry in questionnaires.items():
        instrument = str(key).strip().lower()
        if instrument not in INSTRUMENT_ITEMS:
            check.fail(
                f"questionnaires: '{key}' is not an instrument (known: {', '.join(INSTRUMENTS)})"
            )
        specs[instrument] = _questionnaire(check, instrument, entry, layout)
    profile = Profile(
        name=check.name,
        layout=layout,  # type: ignore[arg-type]
        description=check.text(data.get("description", ""), "description"),
        format=fmt,  # type: ignore[arg-type]
        csv=csv,
        respondents=_row_filter(check, data.get("respondents"), "respondents", ("patient",)),
        test_dossiers=_row_filter(check, data.get("test_dossiers"), "test_dossiers", None),
        known_columns=check.names(data.get("known_columns", []), "known_columns"),
        codebook=_codebook(check, data.get("codebook")),
        trajectories=_table(check, data.get("trajectories"), "trajectories")
        if data.get("trajectories") is not None
        else None,
        questionnaires=specs,
        long=_long(check, data.get("long")) if data.get("long") is not None else None,
        non_response=_non_response(check, data.get("non_response"))
        if data.get("non_response") is not None
        else None,
        source=source,
    )
    _check_whole(check, profile)
    return profile


# --------------------------------------------------------------------------------------------
# Checking
# --------------------------------------------------------------------------------------------


class _Checker:
    """Builds the one-line messages of a profile's problems."""

    def __init__(self, name: str) -> None:
        self.name = name

    def fail(self, message: str) -> None:
        raise ParamsError(f"profile {self.name}: {message}")

    def keys(self, data: Mapping[str, Any], where: str, allowed: tuple[str, ...]) -> None:
        unknown = [str(k) for k in data if str(k) not in allowed]
        if unknown:
            at = f"{where}: " if where else ""
            self.fail(
                f"{at}unknown key(s) {', '.join(sorted(unknown))} (allowed: {', '.join(allowed)})"
            )

    def mapping(self, value: Any, where: str) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail(f"{where} must be a mapping")
        return {str(k).strip(): v for k, v in value.items()}

    def choice(self, value: Any, where: str, allowed: tuple[str, ...]) -> str:
        if value not in allowed:
            self.fail(f"{where} must be one of {', '.join(allowed)}")
        return str(value)

    def text(self, value: Any, where: str) -> str:
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            self.fail(f"{where} must be text")
        return str(value).strip()

    def names(self, value: Any, where: str) -> tuple[str, ...]:
        if isinstance(value, str | int) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, list):
            self.fail(f"{where} must be a list")
        return tuple(self.text(v, where) for v in value)

    def files(self, value: Any, where: str) -> tuple[str, ...]:
        files = self.names(value, f"{where}.files")
        if not files:
            self.fail(f"{where}.files must name at least one file (a glob pattern)")
        for pattern in files:
            if pattern.startswith("/") or ".." in Path(pattern).parts:
                self.fail(f"{where}.files: '{pattern}' must be a path inside the export folder")
        return files


def code_text(value: Any) -> str:
    """The normalised text of an answer code: trimmed, lower case, whole numbers without
    decimals (``1``, ``1.0`` and ``1,0`` are all ``1``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        number = float(value)
        return str(int(number)) if number.is_integer() else repr(number)
    text = str(value).strip().lower()
    number_text = text.replace(",", ".")
    try:
        number = float(number_text)
    except ValueError:
        return text
    if number != number or number in (float("inf"), float("-inf")):
        return text
    return str(int(number)) if number.is_integer() else repr(number)


def _csv_block(check: _Checker, value: Any, where: str = "csv") -> dict[str, str]:
    block = check.mapping(value, where)
    allowed = {
        "delimiter": ("auto", ";", ","),
        "decimal": ("auto", ",", "."),
        "encoding": ("auto", "utf-8", "utf-8-sig", "cp1252"),
    }
    check.keys(block, where, (*allowed, "date_format"))
    out: dict[str, str] = {}
    for key, entry in block.items():
        if key in allowed:
            out[key] = check.choice(entry, f"{where}.{key}", allowed[key])
        else:
            out[key] = check.text(entry, f"{where}.{key}")
    return out


def _column(check: _Checker, value: Any, where: str) -> Column:
    if isinstance(value, dict):
        check.keys(value, where, ("parts",))
        return DateParts(check.text(value.get("parts"), f"{where}.parts"))
    return check.text(value, where)


def _columns(
    check: _Checker, value: Any, where: str, allowed: tuple[str, ...], dates: tuple[str, ...]
) -> dict[str, Column]:
    block = check.mapping(value, where)
    out: dict[str, Column] = {}
    for key, entry in block.items():
        canonical = key.lower()
        if canonical not in allowed:
            check.fail(
                f"{where}: '{key}' is not a column of the table (known: {', '.join(allowed)})"
            )
        column = _column(check, entry, f"{where}.{key}")
        if isinstance(column, DateParts) and canonical not in dates:
            check.fail(f"{where}.{key}: date parts are only for date columns")
        out[canonical] = column
    return out


def _row_filter(
    check: _Checker, value: Any, where: str, default: tuple[str, ...] | None
) -> RowFilter | None:
    if value is None:
        return None
    block = check.mapping(value, where)
    keys = ("column", "keep") if default is not None else ("column", "values")
    check.keys(block, where, keys)
    if "column" not in block:
        check.fail(f"{where}.column is missing")
    listed = block.get(keys[1], list(default) if default is not None else None)
    if listed is None:
        check.fail(f"{where}.{keys[1]} is missing")
    values = tuple(v.lower() for v in check.names(listed, f"{where}.{keys[1]}"))
    if not values:
        check.fail(f"{where}.{keys[1]} must list at least one value")
    return RowFilter(check.text(block["column"], f"{where}.column"), values)


def _codebook(check: _Checker, value: Any) -> CodebookSpec | None:
    if value is None:
        return None
    block = check.mapping(value, "codebook")
    check.keys(block, "codebook", ("files", "variable", "value", "label", "csv"))
    return CodebookSpec(
        csv=_csv_block(check, block.get("csv"), "codebook.csv"),
        files=check.files(block.get("files"), "codebook"),
        variable=check.text(block.get("variable", "variable"), "codebook.variable"),
        value=check.text(block.get("value", "value"), "codebook.value"),
        label=check.text(block.get("label", "label"), "codebook.label"),
    )


def _table(check: _Checker, value: Any, where: str) -> TableSpec:
    block = check.mapping(value, where)
    check.keys(block, where, ("files", "sheet", "columns", "values", "csv"))
    names = TRAJECTORY_CONTRACT.names
    dates = tuple(c.name for c in TRAJECTORY_CONTRACT.columns if c.kind in ("date", "datetime"))
    coded = tuple(
        c.name for c in TRAJECTORY_CONTRACT.columns if c.kind in ("category", "binary", "text")
    )
    values = check.mapping(block.get("values"), f"{where}.values")
    out_values: dict[str, dict[str, str]] = {}
    for column, codes in values.items():
        if column.lower() not in coded:
            check.fail(
                f"{where}.values: '{column}' is not a coded column (known: {', '.join(coded)})"
            )
        mapping = check.mapping(codes, f"{where}.values.{column}")
        out_values[column.lower()] = {
            code_text(k): check.text(v, f"{where}.values.{column}") for k, v in mapping.items()
        }
    return TableSpec(
        csv=_csv_block(check, block.get("csv"), f"{where}.csv"),
        files=check.files(block.get("files"), where),
        sheet=check.text(block["sheet"], f"{where}.sheet") if "sheet" in block else None,
        columns=_columns(check, block.get("columns"), f"{where}.columns", names, dates),
        values=out_values,
    )


def _items_block(check: _Checker, instrument: str, value: Any, where: str) -> dict[str, str]:
    specs = INSTRUMENT_ITEMS[instrument]
    names = [s.name for s in specs]
    if isinstance(value, str):
        if "{n}" not in value:
            check.fail(f"{where}: a template needs {{n}} (the item's number), e.g. '{{key}}_{{n}}'")
        return {s.name: value.replace("{n}", str(k)) for k, s in enumerate(specs, start=1)}
    block = check.mapping(value, where)
    out: dict[str, str] = {}
    for key, entry in block.items():
        item = key.lower()
        if item not in names:
            check.fail(
                f"{where}: '{key}' is not an item of {instrument} (items: {', '.join(names)})"
            )
        out[item] = check.text(entry, f"{where}.{key}")
    missing = [n for n in names if n not in out]
    if missing:
        check.fail(f"{where}: no column or code for item(s) {', '.join(missing)} of {instrument}")
    return out


def _coding(check: _Checker, instrument: str, value: Any, where: str) -> tuple[Coding, ...]:
    entries = value if isinstance(value, list) else [value]
    specs = {s.name: s for s in INSTRUMENT_ITEMS[instrument]}
    seen: set[str] = set()
    out: list[Coding] = []
    for k, entry in enumerate(entries, start=1):
        at = f"{where}[{k}]"
        block = check.mapping(entry, at)
        check.keys(block, at, ("items", "offset", "values", "missing"))
        listed = block.get("items", "all")
        if listed == "all":
            items = tuple(specs)
        else:
            items = tuple(v.lower() for v in check.names(listed, f"{at}.items"))
        for item in items:
            if item not in specs:
                check.fail(
                    f"{at}.items: '{item}' is not an item of {instrument} "
                    f"(items: {', '.join(specs)})"
                )
            if item in seen:
                check.fail(f"{at}.items: item {item} has a coding already")
            seen.add(item)
        missing = tuple(code_text(v) for v in (block.get("missing") or []))
        if not isinstance(block.get("missing", []), list):
            check.fail(f"{at}.missing must be a list of codes")
        if "values" in block and "offset" in block:
            check.fail(f"{at}: give either offset or values, not both")
        values: dict[str, float] | None = None
        offset = block.get("offset", 0)
        if isinstance(offset, bool) or not isinstance(offset, int):
            check.fail(f"{at}.offset must be a whole number")
        if "values" in block:
            table = check.mapping(block["values"], f"{at}.values")
            values = {}
            for code, answer in table.items():
                if isinstance(answer, bool) or not isinstance(answer, int | float):
                    check.fail(f"{at}.values: code {code} must map to a number (an answer)")
                if code_text(code) in missing:
                    check.fail(f"{at}.values: code {code} is also listed as missing")
                values[code_text(code)] = float(answer)
        coding = Coding(items=items, offset=int(offset), values=values, missing=missing)
        for item in items:
            _check_reach(check, specs[item], coding, at)
        out.append(coding)
    return tuple(out)


def _check_reach(check: _Checker, spec: ItemSpec, coding: Coding, where: str) -> None:
    """A value table maps into the item's answers and reaches every one of them."""
    if coding.values is None:
        return
    targets = set(coding.values.values())
    outside = sorted(t for t in targets if not spec.low <= t <= spec.high or t != int(t))
    if outside:
        shown = ", ".join(f"{t:g}" for t in outside)
        check.fail(
            f"{where}.values: item {spec.name} answers are {spec.low}–{spec.high}; the coding "
            f"maps to {shown}"
        )
    options = spec.high - spec.low + 1
    if options <= COMPLETE_CODING_MAX_OPTIONS:
        unreached = [v for v in range(spec.low, spec.high + 1) if float(v) not in targets]
        if unreached:
            shown = ", ".join(str(v) for v in unreached)
            check.fail(
                f"{where}.values: incomplete recoding of item {spec.name}: no code maps to "
                f"answer(s) {shown} (answers {spec.low}–{spec.high})"
            )


def _platform_scores(
    check: _Checker, instrument: str, value: Any, where: str
) -> tuple[PlatformScore, ...]:
    block = check.mapping(value, where)
    allowed = PLATFORM_SCORES[instrument]
    out = []
    for key, entry in block.items():
        score = key.lower()
        if score not in allowed:
            check.fail(
                f"{where}: '{key}' is not a score of {instrument} (scores: {', '.join(allowed)})"
            )
        if isinstance(entry, dict):
            check.keys(entry, f"{where}.{key}", ("column", "tolerance"))
            column = check.text(entry.get("column"), f"{where}.{key}.column")
            tolerance = entry.get("tolerance", 0.05)
            if isinstance(tolerance, bool) or not isinstance(tolerance, int | float):
                check.fail(f"{where}.{key}.tolerance must be a number")
            if tolerance < 0:
                check.fail(f"{where}.{key}.tolerance must be 0 or more")
            out.append(PlatformScore(score, column, float(tolerance)))
        else:
            out.append(PlatformScore(score, check.text(entry, f"{where}.{key}")))
    return tuple(out)


def _questionnaire(check: _Checker, instrument: str, value: Any, layout: str) -> QuestionnaireSpec:
    where = f"questionnaires.{instrument}"
    block = check.mapping(value, where)
    if layout == "canonical":
        check.keys(block, where, ("coding",))
        return QuestionnaireSpec(
            instrument=instrument,
            codings=_coding(check, instrument, block["coding"], f"{where}.coding")
            if "coding" in block
            else (),
        )
    kind = check.choice(block.get("layout", "wide"), f"{where}.layout", ("wide", "long"))
    wide_keys = ("layout", "files", "sheet", "keys", "columns", "items", "coding",
                 "non_response", "pending", "platform_scores", "csv")  # fmt: skip
    long_keys = ("layout", "keys", "items", "coding")
    check.keys(block, where, wide_keys if kind == "wide" else long_keys)
    if "items" not in block:
        check.fail(f"{where}.items is missing (the item columns or codes)")
    keys = check.names(block.get("keys", []), f"{where}.keys")
    if kind == "long" and not keys:
        check.fail(f"{where}.keys must list the questionnaire's code(s) in the long file")
    columns: dict[str, Column] = {}
    if kind == "wide":
        columns = _columns(
            check, block.get("columns"), f"{where}.columns", QUESTIONNAIRE_COLUMNS,
            ("completed_at",),
        )  # fmt: skip
        for needed in ("client_id", "completed_at"):
            if needed not in columns:
                check.fail(f"{where}.columns.{needed} is missing")
    pending = check.choice(
        block.get("pending", "quarantine"), f"{where}.pending", ("quarantine", "set_aside")
    )
    return QuestionnaireSpec(
        csv=_csv_block(check, block.get("csv"), f"{where}.csv"),
        instrument=instrument,
        layout=kind,  # type: ignore[arg-type]
        files=check.files(block.get("files"), where) if kind == "wide" else (),
        sheet=check.text(block["sheet"], f"{where}.sheet") if "sheet" in block else None,
        keys=keys,
        columns=columns,
        items=_items_block(check, instrument, block["items"], f"{where}.items"),
        codings=_coding(check, instrument, block["coding"], f"{where}.coding")
        if "coding" in block
        else (),
        non_response=check.text(block["non_response"], f"{where}.non_response")
        if block.get("non_response") is not None
        else None,
        pending=pending,  # type: ignore[arg-type]
        platform_scores=_platform_scores(
            check, instrument, block.get("platform_scores"), f"{where}.platform_scores"
        ),
    )


def _long(check: _Checker, value: Any) -> LongSpec:
    block = check.mapping(value, "long")
    check.keys(block, "long", ("files", "sheet", "columns", "csv"))
    columns = _columns(check, block.get("columns"), "long.columns", LONG_COLUMNS, ("completed_at",))
    for needed in ("client_id", "questionnaire", "item", "value"):
        if needed not in columns:
            check.fail(f"long.columns.{needed} is missing")
    if "completed_at" not in columns:
        check.fail("long.columns.completed_at is missing (the date of the administration)")
    return LongSpec(
        csv=_csv_block(check, block.get("csv"), "long.csv"),
        files=check.files(block.get("files"), "long"),
        sheet=check.text(block["sheet"], "long.sheet") if "sheet" in block else None,
        columns=columns,
    )


def _non_response(check: _Checker, value: Any) -> NonResponseSpec:
    block = check.mapping(value, "non_response")
    check.keys(block, "non_response", ("files", "format", "sheet", "columns", "csv"))
    fmt = check.choice(block.get("format", "table"), "non_response.format", ("json", "table"))
    columns = _columns(
        check, block.get("columns"), "non_response.columns", NON_RESPONSE_COLUMNS,
        ("recorded_at",),
    )  # fmt: skip
    needed = ("id", "recorded_at", "reason_code") if fmt == "json" else (
        "client_id", "questionnaire", "recorded_at", "reason_code",
    )  # fmt: skip
    for column in needed:
        if column not in columns:
            check.fail(f"non_response.columns.{column} is missing")
    return NonResponseSpec(
        csv=_csv_block(check, block.get("csv"), "non_response.csv"),
        files=check.files(block.get("files"), "non_response"),
        format=fmt,  # type: ignore[arg-type]
        sheet=check.text(block["sheet"], "non_response.sheet") if "sheet" in block else None,
        columns=columns,
    )


def _check_whole(check: _Checker, profile: Profile) -> None:
    """Checks across entries."""
    if not profile.mapped:
        for key in ("trajectories", "long", "non_response", "codebook"):
            if getattr(profile, key) is not None and key != "codebook":
                check.fail(f"{key}: only a mapped profile (layout: mapped) names files")
        if profile.respondents is not None or profile.test_dossiers is not None:
            check.fail("respondents and test_dossiers need a mapped profile (layout: mapped)")
        return
    if profile.trajectories is None:
        check.fail("trajectories: a mapped profile must say where the trajectories are")
    if not profile.questionnaires:
        check.fail("questionnaires: a mapped profile must map at least one questionnaire")
    longs = [q for q in profile.questionnaires.values() if q.layout == "long"]
    if longs and profile.long is None:
        check.fail("long: questionnaires with layout long need the long file (key 'long')")
    if profile.long is not None and not longs:
        check.fail("long: no questionnaire has layout long")
    seen: dict[str, str] = {}
    for spec in longs:
        for key in spec.keys:
            other = seen.get(key.lower())
            if other is not None:
                check.fail(f"questionnaires: key '{key}' of {spec.instrument} is also {other}'s")
            seen[key.lower()] = spec.instrument
    nr = profile.non_response
    pointers = [q for q in profile.questionnaires.values() if q.non_response]
    if nr is not None and nr.format == "json" and not pointers:
        check.fail(
            "non_response: JSON records need questionnaires whose non_response column points "
            "at them"
        )
    if pointers and (nr is None or nr.format != "json"):
        check.fail(
            "questionnaires: a non_response column needs non_response.format json (the records)"
        )
