"""Identifier rules: column names, BSN elevens test, e-mail, phone numbers, dates of birth."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pytest

from pipeline.ingest.contract import CONTRACTS
from pipeline.ingest.identifiers import (
    Finding,
    ValueScanner,
    elevens_test,
    is_identifier_name,
    looks_like_date_column,
    scan_values,
    text_flags,
)
from pipeline.ingest.normalise import code_cells


@pytest.mark.parametrize(
    "name",
    [
        "naam", "Naam", "voornaam", "Achternaam", "client naam", "BSN", "client_bsn", "ClientBSN",
        "burgerservicenummer", "email", "E-mail", "client_email", "emailadres", "telefoon",
        "Telefoonnummer", "tel", "phone", "mobile_phone", "adres", "address", "woonadres",
        "postcode", "zip", "geboortedatum", "Geboorte datum", "date_of_birth", "DOB",
        "birth_date", "woonplaats", "name", "first name", "full_name", "Straat", "huisnummer",
        "voorletters", "initials",
    ],
)  # fmt: skip
def test_identifier_column_names(name: str) -> None:
    assert is_identifier_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "team_name", "Teamnaam", "afdelingsnaam", "instrument_name", "opmerking", "filename",
        "aanname", "birth_year", "geboortejaar", "behandelaar_id", "completed_at", "score",
        "notes", "unnamed_3",
    ],
)  # fmt: skip
def test_other_column_names_are_not_identifiers(name: str) -> None:
    assert not is_identifier_name(name)


def test_no_canonical_column_is_an_identifier_name() -> None:
    for contract in CONTRACTS.values():
        for name in contract.names:
            assert not is_identifier_name(name), name


def test_elevens_test_known_numbers() -> None:
    # 111222333: 9+8+7+12+10+8+9+6-3 = 66 = 6*11;  123456782: 156-2 = 154 = 14*11
    # 123456789: 156-9 = 147 = 13*11+4;  000000000: all zeros is no BSN
    # 999999990: 9*44-0 = 396 = 36*11;  100000009: 9-9 = 0;  100000008: 9-8 = 1
    numbers = [
        "111222333", "123456782", "123456789", "000000000", "999999990", "100000009", "100000008"
    ]  # fmt: skip
    assert elevens_test(numbers).tolist() == [True, True, False, False, True, True, False]
    assert elevens_test([]).tolist() == []


def test_elevens_test_arithmetic_by_hand() -> None:
    weights = [9, 8, 7, 6, 5, 4, 3, 2, -1]
    rng = np.random.default_rng(7)
    numbers = ["".join(str(d) for d in rng.integers(0, 10, 9)) for _ in range(200)]
    expected = [
        sum(w * int(c) for w, c in zip(weights, n, strict=True)) % 11 == 0 and n != "0" * 9
        for n in numbers
    ]
    assert elevens_test(numbers).tolist() == expected


@pytest.mark.parametrize(
    "text",
    [
        "06-12345678", "0612345678", "06 1234 5678", "06 - 12 34 56 78", "+31 6 12345678",
        "+31612345678", "0031 6 1234 5678", "010-1234567", "020 123 4567", "(010) 123 45 67",
        "+31 (0)20 123 4567", "bel 070-1234567 na 5 uur",
    ],
)  # fmt: skip
def test_dutch_phone_numbers(text: str) -> None:
    assert text_flags(text) & 8


@pytest.mark.parametrize(
    "text",
    [
        "01-02-2020 10:30", "2020-01-01", "12345", "C0612345678", "T0101234567", "0,5", "3.5",
        "0800-1234", "06-1234567", "1234567890", "0000012345",
    ],
)  # fmt: skip
def test_not_phone_numbers(text: str) -> None:
    assert not text_flags(text) & 8


@pytest.mark.parametrize("text", ["a.jansen@example.org", "mail: x_y+z@zorg.example.nl"])
def test_email(text: str) -> None:
    assert text_flags(text) & 4


@pytest.mark.parametrize("text", ["a@b", "@team", "noord"])
def test_not_email(text: str) -> None:
    assert not text_flags(text) & 4


@pytest.mark.parametrize(
    "text", ["12-03-1985", "1985-03-12", "12/03/1985", "1.3.1985", "1985-03-12 00:00:00"]
)
def test_whole_cell_dates(text: str) -> None:
    assert text_flags(text) & 16


@pytest.mark.parametrize(
    "text", ["1985", "12-03", "32-01-1985", "12-13-1985", "03-1985", "19850312"]
)
def test_not_dates(text: str) -> None:
    assert not text_flags(text) & (16 | 32)


def test_date_inside_text_only_flagged_as_text_date() -> None:
    flags = text_flags("geboren 12-03-1985 te Utrecht")
    assert flags & 32 and not flags & 16


def test_bsn_candidates_need_nine_free_standing_digits() -> None:
    assert text_flags("111222333") & 2
    assert text_flags("bsn: 123456782.") & 2
    assert not text_flags("C111222333") & 1  # glued to a letter: an id, not a candidate
    assert not text_flags("1112223334") & 1
    assert text_flags("123456789") & 1 and not text_flags("123456789") & 2


def _scan(
    values: Sequence[object], free_text: bool = True, date_cells: bool = True
) -> list[Finding]:
    return scan_values(code_cells(pd.Series(values, dtype=object)), "t", "c", free_text, date_cells)


def test_scan_counts_cells_not_values() -> None:
    findings = _scan(["a@example.org", "a@example.org", "x", None, "b@example.org"])
    assert findings == [Finding("t", "c", "an e-mail address", 3)]
    message = findings[0].message()
    assert "example" not in message and "3 cells" in message and "table t column c" in message


def test_bsn_column_refused_but_random_nine_digit_ids_are_not() -> None:
    assert _scan(["111222333", "123456782"])[0].kind.startswith("a BSN")
    rng = np.random.default_rng(3)
    ids = [f"{n:09d}" for n in rng.integers(10**8, 10**9, 500)]
    passing = int(elevens_test(ids).sum())
    assert 0 < passing < 250  # about one in eleven pass by chance
    assert _scan(ids, free_text=False) == []


def test_numeric_bsn_from_a_spreadsheet_is_caught() -> None:
    assert _scan([111222333.0, np.nan])[0].cells == 1


def test_free_text_and_date_columns() -> None:
    assert _scan(["intake 12-03-2020 gedaan"], free_text=True)[0].kind.startswith("a full date")
    assert _scan(["intake 12-03-2020 gedaan"], free_text=False) == []
    assert _scan(["12-03-2020"], free_text=False, date_cells=False) == []
    assert looks_like_date_column("aanmaakdatum")
    assert looks_like_date_column("export_date")
    assert not looks_like_date_column("opmerking")


def test_scanner_reuses_work_across_columns() -> None:
    scanner = ValueScanner()
    coded = code_cells(pd.Series(["C1", "06-12345678", "C1"], dtype=object))
    first = scanner.scan(coded, "a", "client_id", False)
    again = scanner.scan(coded, "b", "client_id", False)
    assert [f.cells for f in first] == [1] and [f.table for f in again] == ["b"]


def test_scanner_shortcut_for_plain_ids_agrees_with_the_patterns() -> None:
    texts = np.asarray(
        ["C0015234", "T0959250", "C111222333", "111222333", "0612345678", "abc", "Zoë",
         "a@b.nl", "12-03-1985", "x06-12345678"],
        dtype=object,
    )  # fmt: skip
    scanner = ValueScanner()
    scanner.prime(texts[:4])
    assert scanner.flags(texts).tolist() == [text_flags(t) for t in texts]
