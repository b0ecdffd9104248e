"""Pure, vectorised parsers from raw export cells to typed values.

Every parser works on a :class:`Coded` column: the cells factorised into codes and their unique
canonical texts. Values are parsed once per unique text (an item column of a million cells has a
handful), then spread back to the cells with one ``take``. A parser returns the parsed values and
a mask of the cells it could not parse; an empty cell is missing, never a problem here (the
contract decides whether missing is allowed).

Cell types from every reader are accepted: text from CSV (``""`` = empty; Dutch decimal comma,
``dd-mm-yyyy`` dates), numbers, booleans and date-times from xlsx and sav.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pipeline.io.export_readers import in_order_of_appearance

#: Dutch and English spellings of the ``sex`` categories (keys normalised by ``category_key``).
SEX_VALUES: Mapping[str, str] = {
    "m": "m", "man": "m", "male": "m",
    "v": "f", "f": "f", "vrouw": "f", "female": "f",
    "x": "x", "anders": "x", "other": "x",
}  # fmt: skip

#: ``end_reason`` categories (docs/input-format.md: regulier / voortijdig / verwezen / overig).
END_REASON_VALUES: Mapping[str, str] = {
    "regular": "regular", "regulier": "regular",
    "dropout": "dropout", "drop_out": "dropout", "voortijdig": "dropout",
    "referred": "referred", "verwezen": "referred", "doorverwezen": "referred",
    "other": "other", "overig": "other", "anders": "other",
}  # fmt: skip

#: ``diagnosis`` categories (DSM-5) with common Dutch and English spellings.
DIAGNOSIS_VALUES: Mapping[str, str] = {
    "ssd": "ssd", "sss": "ssd", "somatic_symptom_disorder": "ssd",
    "somatische_symptoomstoornis": "ssd", "somatisch_symptoomstoornis": "ssd",
    "fnd": "fnd", "fns": "fnd", "conversion_disorder": "fnd", "conversiestoornis": "fnd",
    "functional_neurological_disorder": "fnd",
    "functional_neurological_symptom_disorder": "fnd",
    "functionele_neurologische_stoornis": "fnd",
    "functioneel_neurologische_stoornis": "fnd",
    "illness_anxiety": "illness_anxiety", "illness_anxiety_disorder": "illness_anxiety",
    "ziekteangststoornis": "illness_anxiety", "ziekte_angststoornis": "illness_anxiety",
    "other": "other", "overig": "other", "anders": "other",
}  # fmt: skip

#: Answers accepted in 0/1 columns.
BINARY_VALUES: Mapping[str, int] = {
    "1": 1, "0": 0, "ja": 1, "nee": 0, "j": 1, "n": 0, "yes": 1, "no": 0, "y": 1,
    "true": 1, "false": 0, "waar": 1, "onwaar": 0,
}  # fmt: skip

#: The canonical treatment modalities (docs/input-format.md, ``treatments``).
MODALITIES: tuple[str, ...] = (
    "cbt", "emdr", "body_mentalizing", "schema", "pmt", "physio", "hypnotherapy",
    "pharmacotherapy", "act", "systemic", "nursing", "ehealth",
)  # fmt: skip

#: Date formats tried, in order, when the date format is ``auto``.
AUTO_DATE_FORMATS: tuple[str, ...] = (
    "%d-%m-%Y",
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y %H:%M:%S",
    "ISO8601",
)

_ISO_START = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}")
_ISO_TZ = re.compile(
    r"^(\d{4}-\d{1,2}-\d{1,2}[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(?:Z|[+-]\d{2}:?\d{2})$"
)
_NUMBER = {
    "auto": re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)"),
    ",": re.compile(r"[+-]?(?:\d+(?:,\d*)?|,\d+)"),
    ".": re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"),
}
_SEPARATORS = re.compile(r"[\s\-]+")


@dataclass(frozen=True)
class Coded:
    """A column as codes into its unique canonical texts.

    Attributes
    ----------
    codes
        int64 per cell: index into ``texts``, or -1 for an empty cell.
    texts
        Object array of unique, trimmed, non-empty texts. Numbers are written without a
        trailing ``.0`` when whole (so ``12.0`` from a spreadsheet reads as ``12``),
        date-times in ISO 8601, booleans as ``true``/``false``.
    """

    codes: np.ndarray
    texts: np.ndarray

    @property
    def missing(self) -> np.ndarray:
        """Boolean mask of empty cells."""
        return np.asarray(self.codes < 0)

    def counts(self) -> np.ndarray:
        """Number of cells holding each unique text."""
        present = self.codes[self.codes >= 0]
        return np.bincount(present, minlength=len(self.texts)).astype(np.int64)

    def take(self, per_text: np.ndarray, fill: Any) -> np.ndarray:
        """Spread one value per unique text back to the cells (``fill`` for empty cells)."""
        per_text = np.asarray(per_text)
        extended = np.concatenate((per_text, np.asarray([fill], dtype=per_text.dtype)))
        return extended[self.codes]

    def cell_texts(self) -> np.ndarray:
        """The text of every cell (``None`` when empty), as an object array."""
        return self.take(self.texts.astype(object), None)


class TextMemo:
    """Values computed once per distinct text, looked up in bulk.

    Texts given to :meth:`prime` (the ids of every table, known before any table is processed)
    go into a hash index that :meth:`lookup` queries in one vectorised call; texts met later
    (a few category values) go into a small dict.

    Parameters
    ----------
    compute
        Function from an object array of new, distinct texts to an array of their values.
    dtype
        dtype of the values.
    """

    def __init__(self, compute: Callable[[np.ndarray], np.ndarray], dtype: Any) -> None:
        self._compute = compute
        self._dtype = np.dtype(dtype)
        self._bulk = pd.Index([], dtype=object)
        self._bulk_at = np.empty(0, dtype=np.int64)  # value position of each bulk text
        self._extra: dict[str, int] = {}
        self._values = np.empty(0, dtype=self._dtype)

    def prime(self, texts: np.ndarray) -> None:
        """Compute the values of many texts at once and index them for fast lookups."""
        _, unique = pd.factorize(np.asarray(texts, dtype=object))
        unique = np.asarray(unique, dtype=object)
        if len(self._bulk) or self._extra:
            unique = unique[self._positions(unique) < 0]
        if not len(unique):
            return
        first = len(self._values)
        computed = np.asarray(self._compute(unique), dtype=self._dtype)
        self._values = np.concatenate((self._values, computed))
        self._bulk_at = np.concatenate((self._bulk_at, np.arange(first, first + len(unique))))
        self._bulk = self._bulk.append(pd.Index(unique, dtype=object))

    def _positions(self, texts: np.ndarray) -> np.ndarray:
        position = np.full(len(texts), -1, dtype=np.int64)
        if len(self._bulk):
            found = np.asarray(self._bulk.get_indexer(pd.Index(texts, dtype=object)))
            hit = found >= 0
            position[hit] = self._bulk_at[found[hit]]
        if self._extra:
            todo = np.flatnonzero(position < 0)
            extra = self._extra
            position[todo] = [extra.get(t, -1) for t in np.asarray(texts, dtype=object)[todo]]
        return position

    def lookup(self, texts: np.ndarray) -> np.ndarray:
        """The value of every text, computing the unseen ones once."""
        texts = np.asarray(texts, dtype=object)
        position = self._positions(texts)
        new = np.flatnonzero(position < 0)
        if len(new):
            fresh = list(dict.fromkeys(texts[new].tolist()))
            first = len(self._values)
            computed = np.asarray(self._compute(np.asarray(fresh, dtype=object)), dtype=self._dtype)
            self._values = np.concatenate((self._values, computed))
            self._extra.update(zip(fresh, range(first, first + len(fresh)), strict=True))
            position[new] = [self._extra[t] for t in texts[new].tolist()]
        return self._values[position]


def code_cells(values: pd.Series | np.ndarray, labels: Mapping[Any, str] | None = None) -> Coded:
    """Factorise a raw column into a :class:`Coded` column.

    Parameters
    ----------
    values
        Raw cells of any reader (text, numbers, booleans, date-times, missing).
    labels
        Optional value labels (SPSS): a raw value with a label is replaced by its label.

    Returns
    -------
    Coded
        Blank texts count as empty; texts equal after trimming share one code.
    """
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.CategoricalDtype):
        coded = _code_categorical(values.array, labels)
        if coded is not None:
            return coded
    raw = values.to_numpy() if isinstance(values, pd.Series) else np.asarray(values)
    if (
        raw.dtype == object
        and len(raw)
        and pd.api.types.infer_dtype(raw, skipna=True) not in ("string", "empty")
    ):
        # True == 1 and False == 0 hash alike: a spreadsheet's TRUE in a column of 1s would
        # otherwise share the code of 1 (and read as an answer). Booleans become text first.
        is_bool = np.fromiter(
            (isinstance(v, bool | np.bool_) for v in raw), dtype=bool, count=len(raw)
        )
        if is_bool.any():
            raw = raw.copy()
            raw[is_bool] = np.where(raw[is_bool].astype(bool), "true", "false")
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    uniques = np.asarray(uniques)
    if labels:
        uniques = np.asarray([labels.get(u, u) for u in uniques.tolist()], dtype=object)
    texts = canonical_texts(uniques)
    codes2, texts2 = pd.factorize(texts, use_na_sentinel=True)
    remap = np.concatenate((codes2.astype(np.int64), [-1]))
    final = remap[codes.astype(np.int64)]
    return Coded(codes=final, texts=np.asarray(texts2, dtype=object))


def _code_categorical(values: Any, labels: Mapping[Any, str] | None) -> Coded | None:
    """:func:`code_cells` of a categorical column of text (a CSV column as the reader gives it)
    from its codes, without a Python string per cell; ``None`` for other categories.

    The distinct texts come out in order of first appearance, as :func:`pandas.factorize`
    gives them for the same cells as text, so the result is the same :class:`Coded`.
    """
    categories = values.categories
    if labels or categories.dtype != object:
        return None
    texts = categories.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(texts, skipna=False) not in ("string", "empty"):
        return None
    codes = np.asarray(values.codes, dtype=np.int64)
    if in_order_of_appearance(codes, len(texts)):
        # the reader's dictionary order, every category used: the codes are factorize's
        first, seen = codes, np.arange(len(texts), dtype=np.int64)
    else:
        first, seen = pd.factorize(codes)  # the categories used, in order of first appearance
    seen = np.asarray(seen, dtype=np.int64)
    used = seen >= 0  # -1: a missing cell (never from a CSV file)
    position = np.full(len(seen) + 1, -1, dtype=np.int64)
    position[: len(seen)][used] = np.arange(int(used.sum()), dtype=np.int64)
    uniques = texts[seen[used]]
    listed = uniques.tolist()
    stripped = list(map(str.strip, listed))
    if stripped == listed and "" not in listed:
        # nothing trimmed, nothing blank: the texts are the distinct canonical texts already
        return Coded(codes=position[first], texts=uniques)
    canonical = [u or None for u in stripped]
    codes2, texts2 = pd.factorize(np.asarray(canonical, dtype=object), use_na_sentinel=True)
    remap = np.concatenate((codes2.astype(np.int64), [-1]))
    return Coded(codes=remap[position[first]], texts=np.asarray(texts2, dtype=object))


def canonical_texts(uniques: np.ndarray) -> np.ndarray:
    """Canonical text of each raw value (``None`` for missing or blank), as an object array."""
    if uniques.dtype == object and pd.api.types.infer_dtype(uniques, skipna=False) == "string":
        return np.asarray([u.strip() or None for u in uniques.tolist()], dtype=object)
    if np.issubdtype(uniques.dtype, np.datetime64):
        stamps = pd.DatetimeIndex(uniques)
        return np.asarray([_cell_text(v) for v in stamps], dtype=object)
    return np.asarray([_cell_text(v) for v in uniques.tolist()], dtype=object)


def _cell_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        number = float(value)
        if math.isnan(number):
            return None
        if number.is_integer() and abs(number) < 1e15:
            return str(int(number))
        return np.format_float_positional(number, trim="-")
    if isinstance(value, pd.Timestamp | _dt.datetime):
        if pd.isna(value):
            return None
        if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
            return value.strftime("%Y-%m-%d")
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, _dt.date):
        return value.isoformat()
    if value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value).strip() or None


# --------------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------------


def parse_number_texts(texts: np.ndarray, decimal: str = "auto") -> tuple[np.ndarray, np.ndarray]:
    """Parse unique texts as numbers with a decimal comma or point.

    Parameters
    ----------
    texts
        Non-empty texts.
    decimal
        ``"auto"`` (comma or point), ``","`` or ``"."``. Thousands separators and exponents
        are not numbers here.

    Returns
    -------
    values, bad
        float64 values (NaN where bad) and the mask of texts that are not numbers.
    """
    series = pd.Series(texts, dtype=object)
    ok = series.str.fullmatch(_NUMBER.get(decimal, _NUMBER["auto"])).fillna(False)
    ok_mask = ok.to_numpy(dtype=bool)
    values = np.full(len(series), np.nan)
    if ok_mask.any():
        chosen = series[ok_mask].str.replace(",", ".", regex=False)
        values[ok_mask] = chosen.astype(float).to_numpy()
    return values, ~ok_mask


@dataclass(frozen=True)
class NumberCheck:
    """Per-cell outcome of a numeric parse.

    Attributes
    ----------
    values
        float64 per cell (NaN for empty or bad cells).
    not_number, not_whole, out_of_range
        Masks of cells that are not a number, not a whole number (when one was required), or
        outside ``[low, high]``. They are disjoint.
    """

    values: np.ndarray
    not_number: np.ndarray
    not_whole: np.ndarray
    out_of_range: np.ndarray

    @property
    def bad(self) -> np.ndarray:
        """Any problem."""
        return self.not_number | self.not_whole | self.out_of_range


def parse_numbers(
    coded: Coded,
    decimal: str = "auto",
    whole: bool = False,
    low: float | None = None,
    high: float | None = None,
) -> NumberCheck:
    """Parse a column as numbers, optionally whole and inside ``[low, high]``.

    Parameters
    ----------
    coded
        The column.
    decimal
        Decimal mark (see :func:`parse_number_texts`).
    whole
        Require whole numbers (items, counts, years).
    low, high
        Inclusive bounds (``None``: unbounded).

    Returns
    -------
    NumberCheck
        Values with bad cells set to NaN, and one mask per kind of problem.
    """
    values, not_number = parse_number_texts(coded.texts, decimal)
    finite = ~not_number
    not_whole = np.zeros(len(values), dtype=bool)
    if whole:
        not_whole = finite & (np.mod(values, 1.0) != 0)
    ok = finite & ~not_whole
    out = np.zeros(len(values), dtype=bool)
    if low is not None:
        out |= ok & (values < low)
    if high is not None:
        out |= ok & (values > high)
    values = np.where(not_number | not_whole | out, np.nan, values)
    return NumberCheck(
        values=coded.take(values, np.nan),
        not_number=coded.take(not_number, False),
        not_whole=coded.take(not_whole, False),
        out_of_range=coded.take(out, False),
    )


# --------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------


#: Fixed-width Dutch formats parsed by :func:`_parse_fixed_dutch` (text length -> format).
_FIXED_DUTCH: dict[int, str] = {10: "%d-%m-%Y", 16: "%d-%m-%Y %H:%M", 19: "%d-%m-%Y %H:%M:%S"}


def parse_date_texts(texts: np.ndarray, date_format: str = "auto") -> tuple[np.ndarray, np.ndarray]:
    """Parse unique texts as dates or date-times.

    Parameters
    ----------
    texts
        Non-empty texts.
    date_format
        ``"auto"``: ``dd-mm-yyyy``, ``dd-mm-yyyy hh:mm[:ss]`` or ISO 8601 (a time-zone offset is
        dropped: the wall-clock time is kept). Otherwise one strptime format, with ISO 8601 as
        fallback for date cells of spreadsheets and SPSS files.

    Returns
    -------
    values, bad
        datetime64[ns] values (NaT where bad) and the mask of unparseable texts.

    Notes
    -----
    Zero-padded Dutch dates (the usual export) are parsed by fixed-width arithmetic on the
    characters, everything else by :func:`pandas.to_datetime` with explicit formats, each tried
    only on the texts still unparsed.
    """
    texts = np.asarray(texts, dtype=object)
    formats = AUTO_DATE_FORMATS if date_format == "auto" else (date_format, "ISO8601")
    fixed = [length for length, fmt in _FIXED_DUTCH.items() if fmt in formats]
    result, parsed = _parse_fixed_dutch(texts, fixed)
    remaining = ~parsed
    series = pd.Series(texts, dtype=object)
    for fmt in formats:
        if not remaining.any():
            break
        todo = series[remaining]
        if fmt == "ISO8601":
            iso = todo.str.match(_ISO_START).fillna(False).to_numpy(dtype=bool)
            todo = todo[iso].str.replace(_ISO_TZ, r"\1", regex=True)
        if todo.empty:
            continue
        values = pd.to_datetime(todo, format=fmt, errors="coerce")
        if isinstance(values.dtype, pd.DatetimeTZDtype):  # pragma: no cover - offsets stripped
            values = values.dt.tz_localize(None)
        got = values.notna().to_numpy()
        positions = todo.index.to_numpy()[got]
        result[positions] = values.to_numpy(dtype="datetime64[ns]")[got]
        remaining[positions] = False
    return result, remaining


def _parse_fixed_dutch(texts: np.ndarray, lengths: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised ``dd-mm-yyyy[ hh:mm[:ss]]`` for texts of exactly those widths."""
    result = np.full(len(texts), np.datetime64("NaT"), dtype="datetime64[ns]")
    parsed = np.zeros(len(texts), dtype=bool)
    if not lengths or not len(texts):
        return result, parsed
    size = np.fromiter(map(len, texts.tolist()), dtype=np.int64, count=len(texts))
    for length in lengths:
        index = np.flatnonzero(size == length)
        if not len(index):
            continue
        code = _char_codes(texts[index].tolist(), length)
        ok = (code[:, 2] == ord("-")) & (code[:, 5] == ord("-"))
        digits = [0, 1, 3, 4, 6, 7, 8, 9]
        if length >= 16:
            ok &= (code[:, 10] == ord(" ")) & (code[:, 13] == ord(":"))
            digits += [11, 12, 14, 15]
        if length == 19:
            ok &= code[:, 16] == ord(":")
            digits += [17, 18]
        d = code[:, digits].astype(np.int64) - ord("0")
        ok &= ((d >= 0) & (d <= 9)).all(axis=1)
        d = np.where(ok[:, None], d, 0)
        day = d[:, 0] * 10 + d[:, 1]
        month = d[:, 2] * 10 + d[:, 3]
        year = d[:, 4] * 1000 + d[:, 5] * 100 + d[:, 6] * 10 + d[:, 7]
        hour = d[:, 8] * 10 + d[:, 9] if length >= 16 else np.zeros_like(day)
        minute = d[:, 10] * 10 + d[:, 11] if length >= 16 else np.zeros_like(day)
        second = d[:, 12] * 10 + d[:, 13] if length == 19 else np.zeros_like(day)
        ok &= (month >= 1) & (month <= 12) & (day >= 1) & (year >= 1678) & (year <= 2261)
        ok &= (hour <= 23) & (minute <= 59) & (second <= 59)
        months = np.where(ok, (year - 1970) * 12 + month - 1, 0).astype("datetime64[M]")
        first = months.astype("datetime64[D]")
        month_days = ((months + 1).astype("datetime64[D]") - first).astype(np.int64)
        ok &= day <= month_days
        stamp = (
            first.astype("datetime64[ns]")
            + ((day - 1) * 86400 + hour * 3600 + minute * 60 + second).astype("timedelta64[s]")
        ).astype("datetime64[ns]")
        result[index[ok]] = stamp[ok]
        parsed[index[ok]] = True
    return result, parsed


def _char_codes(texts: list[str], length: int) -> np.ndarray:
    """The characters of texts of one length as code points, one row per text.

    ASCII texts (every date the usual export holds) are joined and read as bytes; others as
    UCS-4 code points. Both give the same numbers.
    """
    joined = "".join(texts)
    if joined.isascii():
        return np.frombuffer(joined.encode("ascii"), dtype=np.uint8).reshape(len(texts), length)
    chars = np.asarray(texts, dtype=f"<U{length}")
    return chars.view(np.uint32).reshape(len(texts), length).astype(np.int64)


def parse_dates(
    values: pd.Series, coded: Coded | None = None, date_format: str = "auto", day_only: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Parse a raw column as dates.

    Parameters
    ----------
    values
        Raw cells (a datetime64 column from SPSS is taken as is).
    coded
        The factorised column when already computed.
    date_format
        See :func:`parse_date_texts`.
    day_only
        Drop the time of day (date columns such as ``start_date``).

    Returns
    -------
    values, bad
        datetime64[ns] per cell (NaT for empty or bad) and the mask of unparseable cells.
    """
    if pd.api.types.is_datetime64_dtype(values.dtype):
        parsed = pd.to_datetime(values).to_numpy(dtype="datetime64[ns]")
        bad = np.zeros(len(values), dtype=bool)
    else:
        coded = coded if coded is not None else code_cells(values)
        per_text, bad_text = parse_date_texts(coded.texts, date_format)
        parsed = coded.take(per_text, np.datetime64("NaT", "ns"))
        bad = coded.take(bad_text, False)
    if day_only:
        parsed = parsed.astype("datetime64[D]").astype("datetime64[ns]")
    return parsed, bad


# --------------------------------------------------------------------------------------------
# Categories
# --------------------------------------------------------------------------------------------


def category_key(text: str) -> str:
    """Lower-case, trimmed, runs of spaces and hyphens as one underscore."""
    return _SEPARATORS.sub("_", text.strip().lower()).strip("_")


def parse_category(coded: Coded, categories: Mapping[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Map a column onto canonical categories.

    Parameters
    ----------
    coded
        The column.
    categories
        Normalised spelling (:func:`category_key`) -> canonical value.

    Returns
    -------
    values, unknown
        Object array of canonical values (``None`` for empty or unknown cells) and the mask of
        unknown values.
    """
    per_text = np.asarray([categories.get(category_key(t)) for t in coded.texts], dtype=object)
    unknown = np.asarray([v is None for v in per_text], dtype=bool)
    return coded.take(per_text, None), coded.take(unknown, False)


def parse_binary(coded: Coded, decimal: str = "auto") -> tuple[np.ndarray, np.ndarray]:
    """Parse a 0/1 column (also ``ja``/``nee``, ``yes``/``no``, ``true``/``false``).

    Returns
    -------
    values, unknown
        float64 0.0/1.0 per cell (NaN for empty or unknown) and the mask of unknown values.
    """
    per_text = np.full(len(coded.texts), np.nan)
    for i, text in enumerate(coded.texts):
        found = BINARY_VALUES.get(text.lower())
        if found is not None:
            per_text[i] = found
    todo = np.isnan(per_text)
    if todo.any():
        numbers, bad = parse_number_texts(coded.texts[todo], decimal)
        numbers = np.where(bad | ~np.isin(numbers, (0.0, 1.0)), np.nan, numbers)
        per_text[todo] = numbers
    unknown = np.isnan(per_text)
    return coded.take(per_text, np.nan), coded.take(unknown, False)


def normalise_treatments(text: str) -> str | None:
    """Canonical ``|``-separated, sorted modalities of one cell, or ``None`` if one is unknown.

    Case, surrounding whitespace, inner spaces or hyphens (``Body mentalizing``,
    ``e-health``) and repeated modalities are normalised; empty parts are ignored.
    """
    found: set[str] = set()
    for part in text.split("|"):
        key = category_key(part)
        if not key:
            continue
        modality = _MODALITY_KEYS.get(key) or _MODALITY_KEYS.get(key.replace("_", ""))
        if modality is None:
            return None
        found.add(modality)
    return "|".join(sorted(found))


_MODALITY_KEYS: dict[str, str] = {m: m for m in MODALITIES} | {
    m.replace("_", ""): m for m in MODALITIES
}


def parse_treatments(coded: Coded) -> tuple[np.ndarray, np.ndarray]:
    """Parse the ``treatments`` column.

    Returns
    -------
    values, unknown
        Object array of canonical strings (``""`` for an empty cell: no treatment recorded) and
        the mask of cells with an unknown modality.
    """
    per_text = np.asarray([normalise_treatments(t) for t in coded.texts], dtype=object)
    unknown = np.asarray([v is None for v in per_text], dtype=bool)
    per_text = np.where(unknown, "", per_text).astype(object)
    return coded.take(per_text, ""), coded.take(unknown, False)
