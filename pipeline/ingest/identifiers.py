"""Refuse direct identifiers: column names that mark one, and cell values that look like one.

docs/input-checks.md: an export carrying a name, BSN, address, e-mail address, phone
number or full date of birth is refused before anything is written. Findings name the table, the
column and a count of cells, never a value.

Heuristics, chosen to catch identifiers without stopping a good export on a false hit:

- Column names are normalised (lower case, runs of non-alphanumerics as ``_``) and matched as
  whole words (``name``, ``bsn``, ``mail``, ``tel``, ``dob`` ...) and as parts of compound words
  (``naam``, ``email``, ``telefoon``, ``adres``, ``postcode``, ``geboortedatum`` ...), so
  ``client_email`` and ``Achternaam`` are caught while the canonical columns (``diagnosis``,
  ``team``, ``treatments`` ...) never are. A name column qualified by a non-person word
  (``team_name``, ``teamnaam``, ``instrument_name``) is not an identifier.
- BSN: a run of exactly nine digits (not glued to a letter or digit, so the digits of an id
  such as ``C000123456`` are not a candidate) passing the elevens test. One in eleven random
  nine-digit numbers passes it too, so a column is refused when at least half of its distinct
  nine-digit values pass (a column of BSNs: all; a column of nine-digit record numbers: about
  9 %; a free-text column with one BSN: refused).
- E-mail: ``local@domain.tld``.
- Dutch phone number: ``0`` + area/mobile digit ``1``–``7`` + eight digits, or ``+31``/``0031``
  + nine digits, with optional single spaces, hyphens or dots between digits and an optional
  ``(0)``; not when it runs on into a longer number or a time.
- BSN also written in groups with dots, spaces or hyphens (``1234.56.782``, ``123 456 782``).
  In a free-text column (``team``, columns outside the contract) ONE cell passing the elevens
  test refuses the export.
- Full date (a date of birth): a whole cell that is a day-month-year or ISO date (day 1–31,
  month 1–12, year 1900–2099), also with a two-digit year (``12-3-75``), a Dutch or English
  month name (``12 maart 1975``, ``12-mrt-1975``) or compact (``19750312``, ``12031975``; not
  in id columns), in any column that is not a date column; inside longer text in free-text
  columns (``team``, columns outside the contract whose name does not mark a date).
- File names, sheet names and column headers are scanned like cells (:func:`scan_names`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from pipeline.ingest.normalise import Coded, TextMemo

#: Whole words of a normalised column name that mark an identifier.
IDENTIFIER_WORDS: frozenset[str] = frozenset(
    {
        "name", "names", "naam", "namen", "bsn", "mail", "tel", "telnr", "phone", "dob", "zip",
        "gsm", "initials", "initialen", "voorletters", "street", "straat", "city", "address",
        "adres", "postcode", "zipcode", "mobile", "mobiel", "ssn", "sofi",
    }
)  # fmt: skip

#: Parts of a compacted column name (non-alphanumerics removed) that mark an identifier.
IDENTIFIER_PARTS: tuple[str, ...] = (
    "naam", "firstname", "lastname", "surname", "fullname", "familyname", "givenname",
    "middlename", "maidenname", "username", "nickname", "bsn", "burgerservicenummer",
    "sofinummer", "socialsecurity", "email", "telefoon", "telephone", "phone", "mobiel",
    "mobilenumber", "adres", "address", "straatnaam", "streetname", "huisnummer",
    "housenumber", "postcode", "zipcode", "postalcode", "geboortedatum", "geboortedag",
    "gebdatum", "dateofbirth", "birthdate", "birthday", "woonplaats", "geboorteplaats",
    "placeofbirth", "voorletters", "initialen",
)  # fmt: skip

#: Words that make a ``name``/``naam`` column name something other than a person's name.
_NAME_QUALIFIERS: tuple[str, ...] = (
    "team", "afdeling", "department", "locatie", "location", "instrument", "vragenlijst",
    "questionnaire", "bestand", "file", "sheet", "tabel", "table", "kolom", "column", "variabele",
    "variable", "diagnose", "diagnosis", "behandeling", "treatment", "programma", "program",
    "module", "organisatie", "organisation", "organization", "instelling", "praktijk",
    "practice", "verzekeraar", "insurer", "product", "item", "schaal", "scale", "zorgpad",
)  # fmt: skip

_CANONICAL_SAFE = re.compile(r"[^a-z0-9]+")

_NINE_DIGITS = re.compile(r"(?<![0-9A-Za-z])\d{9}(?![0-9A-Za-z])")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_END = r"(?!\d|[:/.,\-]\d)"
_SEP = r"(?:\s?[\-./]?\s?)"
_PHONE = re.compile(
    rf"(?<![0-9A-Za-z+])(?:0[1-7](?:{_SEP}\d){{8}}"
    rf"|(?:\+|00){_SEP}31{_SEP}(?:0{_SEP})?[1-7](?:{_SEP}\d){{8}}){_END}"
)
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_MONTH = r"(?:0?[1-9]|1[0-2])"
_YEAR = r"(?:19|20)\d{2}"
_MONTH_NAMES = (
    r"(?:januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november"
    r"|december|january|february|march|may|june|july|august|october"
    r"|jan|feb|mrt|mar|apr|jun|jul|aug|sept|sep|okt|oct|nov|dec)\.?"
)
_YEAR2 = r"\d{2}"
_DATE = (
    rf"(?:{_DAY}[-/.]{_MONTH}[-/.]{_YEAR}|{_YEAR}-{_MONTH}-{_DAY}"
    rf"|{_DAY}[-/. ]\s*{_MONTH_NAMES}[-/. ]\s*(?:{_YEAR}|'?{_YEAR2})"
    rf"|{_DAY}[-/.]{_MONTH}[-/.]{_YEAR2}(?![-/.:]?\d))"
)
_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_DATE_CELL = re.compile(rf"\s*{_DATE}{_TIME}\s*", re.IGNORECASE)
_DATE_IN_TEXT = re.compile(rf"(?<!\d){_DATE}(?!\d)", re.IGNORECASE)
#: ``19750312`` (yyyymmdd) and ``12031975`` (ddmmyyyy) as a whole cell.
_COMPACT_DATE = re.compile(
    rf"\s*(?:{_YEAR}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
    rf"|(?:0[1-9]|[12]\d|3[01])(?:0[1-9]|1[0-2]){_YEAR})\s*"
)
#: A BSN written in groups: ``1234.56.782``, ``123 456 782``, ``123-45-6782`` (one separator
#: kind, nine digits in all; not glued to other digits or letters).
_GROUPED_NINE = re.compile(
    r"(?<![0-9A-Za-z])(?<![0-9][.\- ])(\d{2,4})([.\- ])(\d{2,4})(?:\2(\d{2,4}))?(?:\2(\d{2,4}))?"
    r"(?![0-9A-Za-z]|[.\-:/ ]\d)"
)
_DATE_NAME_WORDS = frozenset({"date", "datum", "dat", "time", "tijd", "at", "timestamp", "moment"})

_ELEVENS_WEIGHTS = np.array([9, 8, 7, 6, 5, 4, 3, 2, -1], dtype=np.int64)


@dataclass(frozen=True)
class Finding:
    """One identifier problem: where, what, how many cells (never a value)."""

    table: str
    column: str
    kind: str
    cells: int = 0

    def message(self) -> str:
        """The finding as text for the one-line error."""
        if self.kind == "column name":
            return f"table {self.table} column {self.column}: the column name marks an identifier"
        if self.kind.startswith("name:"):
            where = f"table {self.table}: " if self.table else ""
            return f"{where}a {self.column} holds {self.kind[5:]}"
        cells = "cell" if self.cells == 1 else "cells"
        return f"table {self.table} column {self.column}: {self.cells} {cells} with {self.kind}"


def normalise_name(name: str) -> str:
    """Lower case, trimmed, runs of non-alphanumerics as one ``_``."""
    return _CANONICAL_SAFE.sub("_", str(name).strip().lower()).strip("_")


def is_identifier_name(name: str) -> bool:
    """Whether a column name marks a direct identifier (see the module docstring).

    Examples
    --------
    >>> is_identifier_name("client_email"), is_identifier_name("Achternaam")
    (True, True)
    >>> is_identifier_name("diagnosis"), is_identifier_name("team_name")
    (False, False)
    """
    normal = normalise_name(name)
    words = [w for w in normal.split("_") if w]
    compact = "".join(words)
    if not compact:
        return False
    if _is_qualified_name(words, compact):
        return False
    if any(w in IDENTIFIER_WORDS for w in words):
        return True
    return any(part in compact for part in IDENTIFIER_PARTS)


def _is_qualified_name(words: list[str], compact: str) -> bool:
    """``team_name``, ``teamnaam``, ``afdelingsnaam``: a name of something, not of a person."""
    for suffix in ("naam", "name", "namen", "names"):
        if compact.endswith(suffix):
            stem = compact[: -len(suffix)]
            if stem.endswith("s") and stem[:-1].endswith(_NAME_QUALIFIERS):
                stem = stem[:-1]
            if stem and stem.endswith(_NAME_QUALIFIERS):
                # only the trailing name word may mark an identifier
                rest = compact[: -len(suffix)]
                return not any(part in rest for part in IDENTIFIER_PARTS) and not any(
                    w in IDENTIFIER_WORDS for w in words[:-1]
                )
    return False


def looks_like_date_column(name: str) -> bool:
    """Whether a column's name says it holds dates (``aanmaakdatum``, ``export_date``)."""
    words = normalise_name(name).split("_")
    return any(w in _DATE_NAME_WORDS or w.endswith(("datum", "date")) for w in words)


def elevens_test(numbers: Iterable[str]) -> np.ndarray:
    """The BSN elevens test on nine-digit strings.

    ``9·d1 + 8·d2 + … + 2·d8 − 1·d9`` must be divisible by 11, and the number not all zeros.

    Parameters
    ----------
    numbers
        Strings of exactly nine digits.

    Returns
    -------
    numpy.ndarray
        Boolean per number.

    Examples
    --------
    >>> elevens_test(["111222333", "123456782", "123456789"]).tolist()
    [True, True, False]
    """
    items = list(numbers)
    if not items:
        return np.zeros(0, dtype=bool)
    digits = (
        np.frombuffer("".join(items).encode("ascii"), dtype=np.uint8)
        .reshape(-1, 9)
        .astype(np.int64)
        - 48
    )
    total = digits @ _ELEVENS_WEIGHTS
    return np.asarray((total % 11 == 0) & (digits.sum(axis=1) > 0))


_NINE = 1
_BSN = 2
_EMAIL_FLAG = 4
_PHONE_FLAG = 8
_DATE_CELL_FLAG = 16
_DATE_TEXT_FLAG = 32
_COMPACT_DATE_FLAG = 64
_DIGIT = re.compile(r"\d")


def _grouped_bsns(text: str) -> list[str]:
    """The nine-digit runs written in groups (``1234.56.782``), separators removed."""
    found = []
    for match in _GROUPED_NINE.finditer(text):
        digits = "".join(g for g in match.groups()[::1] if g and g.isdigit())
        if len(digits) == 9:
            found.append(digits)
    return found


def _passes_elevens(run: str) -> bool:
    total = sum(w * (ord(c) - 48) for w, c in zip(_ELEVENS_WEIGHTS.tolist(), run, strict=True))
    return total % 11 == 0 and run != "000000000"


def text_flags(text: str) -> int:
    """Bit flags of the identifier patterns one text matches (see the module docstring)."""
    flags = 0
    if "@" in text and _EMAIL.search(text):
        flags |= _EMAIL_FLAG
    if not _DIGIT.search(text):
        return flags
    runs = _NINE_DIGITS.findall(text) + _grouped_bsns(text)
    if runs:
        flags |= _NINE
        if any(_passes_elevens(run) for run in runs):
            flags |= _BSN
    phone_text = text.replace("(0)", "0").replace("(", "").replace(")", "") if "(" in text else text
    if _PHONE.search(phone_text):
        flags |= _PHONE_FLAG
    if _DATE_CELL.fullmatch(text):
        flags |= _DATE_CELL_FLAG
    if _DATE_IN_TEXT.search(text):
        flags |= _DATE_TEXT_FLAG
    if _COMPACT_DATE.fullmatch(text):
        flags |= _COMPACT_DATE_FLAG
    return flags


def flags_of(texts: np.ndarray) -> np.ndarray:
    """:func:`text_flags` of many texts. Ids such as ``C0015234`` (ASCII letters and digits,
    at least one letter) match no pattern: digits glued to a letter are never a BSN or phone
    number, and dates and e-mail addresses need separators."""
    return np.fromiter(
        (
            0 if t.isascii() and t.isalnum() and not t.isdigit() and _plain_id(t) else text_flags(t)
            for t in texts
        ),
        dtype=np.int64,
        count=len(texts),
    )


def _plain_id(text: str) -> bool:
    """Letters and digits only, and no month name glued to digits (``12maart1975``)."""
    return not _DATE_CELL.fullmatch(text)


class ValueScanner:
    """Finds identifier-like values in columns; each distinct text is examined once.

    The cache makes scanning the same ids in every questionnaire table cheap.
    """

    def __init__(self) -> None:
        self._memo = TextMemo(flags_of, np.int64)

    def prime(self, texts: np.ndarray) -> None:
        """Examine many texts at once (the ids of every table) for fast later scans."""
        self._memo.prime(texts)

    def flags(self, texts: np.ndarray) -> np.ndarray:
        """Bit flags per distinct text (:func:`text_flags`)."""
        return np.asarray(self._memo.lookup(texts), dtype=np.int64)

    def scan(
        self,
        coded: Coded,
        table: str,
        column: str,
        free_text: bool,
        date_cells: bool = True,
        compact_dates: bool = True,
        flags: np.ndarray | None = None,
    ) -> list[Finding]:
        """Identifier-like values in one column.

        Parameters
        ----------
        coded
            The column.
        table, column
            For the findings.
        free_text
            Look for dates inside longer text too (free-text columns).
        date_cells
            Refuse whole cells that are a full date (off for columns whose name marks a date).
        compact_dates
            Also refuse whole cells ``yyyymmdd`` / ``ddmmyyyy`` (off for id columns, where an
            eight-digit number is an ordinary record number).
        flags
            The flags of the column's distinct texts (:func:`flags_of`) when already known.

        Notes
        -----
        In a free-text column a single cell with a nine-digit number passing the elevens test
        refuses the export; elsewhere (ids, numbers) at least half of the column's distinct
        nine-digit values must pass (one in eleven random numbers passes).

        Returns
        -------
        list of Finding
            One per kind of identifier found, with the number of cells.
        """
        if len(coded.texts) == 0:
            return []
        flags = self.flags(coded.texts) if flags is None else np.asarray(flags, dtype=np.int64)
        if not flags.any():
            return []
        counts = coded.counts()
        findings: list[Finding] = []
        nine = (flags & _NINE) > 0
        bsn = (flags & _BSN) > 0
        if bsn.any() and (free_text or 2 * int(bsn.sum()) >= int(nine.sum())):
            kind = "a BSN (passes the elevens test)"
            findings.append(Finding(table, column, kind, _cells(counts, bsn)))
        for flag, kind in ((_EMAIL_FLAG, "an e-mail address"), (_PHONE_FLAG, "a phone number")):
            hit = (flags & flag) > 0
            if hit.any():
                findings.append(Finding(table, column, kind, _cells(counts, hit)))
        date_mask = (_DATE_CELL_FLAG if date_cells else 0) | (_DATE_TEXT_FLAG if free_text else 0)
        if date_cells and compact_dates:
            date_mask |= _COMPACT_DATE_FLAG
        dates = (flags & date_mask) > 0
        if dates.any():
            kind = "a full date (date of birth?)"
            findings.append(Finding(table, column, kind, _cells(counts, dates)))
        return findings


def scan_names(texts: list[tuple[str, str]], table: str) -> list[Finding]:
    """Identifier-like values in names (file names, sheet names, column headers).

    Parameters
    ----------
    texts
        ``(what, text)`` pairs: ``what`` says where the name is (``"file name"``,
        ``"sheet name"``, ``"column header"``) and is reported, the text never.
    table
        The table the names belong to.

    Returns
    -------
    list of Finding
        One per name that holds a BSN, e-mail address, phone number or full date.
    """
    findings = []
    for what, text in texts:
        # a file or sheet name may be the table's name: never repeat it in the message
        shown = table if what == "column header" else ""
        flags = text_flags(str(text).strip()) if str(text).strip() else 0
        kinds = []
        if flags & _BSN:
            kinds.append("a BSN (passes the elevens test)")
        if flags & _EMAIL_FLAG:
            kinds.append("an e-mail address")
        if flags & _PHONE_FLAG:
            kinds.append("a phone number")
        if flags & (_DATE_CELL_FLAG | _DATE_TEXT_FLAG | _COMPACT_DATE_FLAG):
            kinds.append("a full date (date of birth?)")
        for kind in kinds:
            findings.append(Finding(shown, what, f"name:{kind}"))
    return findings


def scan_values(
    coded: Coded, table: str, column: str, free_text: bool, date_cells: bool = True
) -> list[Finding]:
    """Identifier-like values in one column (:meth:`ValueScanner.scan` without a cache)."""
    return ValueScanner().scan(coded, table, column, free_text, date_cells)


def _cells(counts: np.ndarray, mask: np.ndarray) -> int:
    return int(counts[mask].sum())
