"""The input contract of docs/input-format.md as data: tables, columns, kinds, ranges, categories.

A small declarative stand-in for a pandera schema: each :class:`ColumnSpec` says how a column is
parsed and checked (vectorised, in :mod:`pipeline.ingest.tables`) and which dtype the ingested
column gets (``docs/architecture.md``, *Internal table contracts*).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from pipeline.ingest.normalise import DIAGNOSIS_VALUES, END_REASON_VALUES, SEX_VALUES
from pipeline.instruments.catalogue import INSTRUMENT_ITEMS, INSTRUMENTS

Kind = Literal[
    "id", "text", "date", "datetime", "integer", "number", "binary", "category", "treatments",
    "item", "instruments",
]  # fmt: skip

TRAJECTORIES = "trajectories"
#: The table of non-response records (docs/input-format.md, *Non-response records*).
NON_RESPONSE = "non_response"

#: SBG non-response reason codes: 01-05 the client was approached for the measurement, 06-10
#: not (10: another reason); 02, 06 and 09 have subcodes a and b (a code without its subcode
#: is accepted as given).
NON_RESPONSE_CODES: tuple[str, ...] = (
    "01", "02", "02a", "02b", "03", "04", "05", "06", "06a", "06b", "07", "08", "09", "09a",
    "09b", "10",
)  # fmt: skip
#: Reason groups of the non-response codes, by the code's number.
NON_RESPONSE_GROUPS: dict[str, str] = {
    **{f"{k:02d}": "approached" for k in range(1, 6)},
    **{f"{k:02d}": "not_approached" for k in range(6, 11)},
}


def _reason_spellings() -> dict[str, str]:
    """Normalised spellings (:func:`pipeline.ingest.normalise.category_key`) of every code:
    ``1``, ``01``, ``2a``, ``02a``, ``02_a`` ..."""
    out: dict[str, str] = {}
    for code in NON_RESPONSE_CODES:
        number, letter = code[:2], code[2:]
        for head in (number, str(int(number))):
            out[head + letter] = code
            if letter:
                out[f"{head}_{letter}"] = code
    return out


def reason_group(code: str) -> str:
    """``approached`` (01-05) or ``not_approached`` (06-10) for a canonical reason code."""
    return NON_RESPONSE_GROUPS[code[:2]]


#: The comorbidity flags of the trajectories table, in contract order.
COMORBIDITIES: tuple[str, ...] = (
    "comorbid_asd", "comorbid_ptsd", "comorbid_personality", "comorbid_mild_id",
    "comorbid_opioid", "comorbid_childhood_trauma", "comorbid_depression", "comorbid_anxiety",
)  # fmt: skip


@dataclass(frozen=True)
class ColumnSpec:
    """One column of an export table.

    Attributes
    ----------
    name
        Canonical column name.
    kind
        How cells are parsed: ``id`` (text, pseudonymised), ``text``, ``date`` (day), ``datetime``,
        ``integer``, ``number``, ``binary`` (0/1), ``category``, ``treatments``, ``item``.
    required
        The column must be present in the export.
    nullable
        An empty cell is kept as missing; otherwise the row is quarantined (``missing <name>``).
    low, high
        Inclusive bounds for numbers (``None``: unbounded).
    categories
        Normalised spelling -> canonical value, for ``category`` columns.
    """

    name: str
    kind: Kind
    required: bool = True
    nullable: bool = True
    low: float | None = None
    high: float | None = None
    categories: Mapping[str, str] | None = None

    @property
    def range_text(self) -> str:
        """The allowed range for messages: ``0–4``, ``≥ 0``."""
        low = None if self.low is None else f"{self.low:g}"
        high = None if self.high is None else f"{self.high:g}"
        if low is not None and high is not None:
            return f"{low}–{high}"
        if low is not None:
            return f"≥ {low}"
        return f"≤ {high}"


@dataclass(frozen=True)
class TableContract:
    """The columns of one export table."""

    name: str
    columns: tuple[ColumnSpec, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """Every canonical column name."""
        return tuple(c.name for c in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        """Columns the export must have."""
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> ColumnSpec:
        """The spec of column ``name``."""
        for spec in self.columns:
            if spec.name == name:
                return spec
        raise KeyError(name)


TRAJECTORY_CONTRACT = TableContract(
    TRAJECTORIES,
    (
        ColumnSpec("client_id", "id", nullable=False),
        ColumnSpec("trajectory_id", "id", nullable=False),
        ColumnSpec("birth_year", "integer", low=1900, high=2100),
        ColumnSpec("sex", "category", categories=SEX_VALUES),
        ColumnSpec("referral_date", "date"),
        ColumnSpec("start_date", "date", nullable=False),
        ColumnSpec("end_date", "date"),
        ColumnSpec("end_reason", "category", categories=END_REASON_VALUES),
        ColumnSpec("diagnosis", "category", categories=DIAGNOSIS_VALUES),
        ColumnSpec("cfs", "binary"),
        *(ColumnSpec(name, "binary") for name in COMORBIDITIES),
        ColumnSpec("symptom_duration_years", "number", low=0),
        ColumnSpec("prior_treatments", "integer", low=0),
        ColumnSpec("treatments", "treatments"),
        ColumnSpec("sessions", "integer", low=0),
        ColumnSpec("research_consent", "binary"),
        ColumnSpec("team", "text", required=False),
    ),
)


def questionnaire_contract(instrument: str) -> TableContract:
    """The contract of one questionnaire table: ids, ``completed_at`` and its item columns."""
    items = tuple(
        ColumnSpec(item.name, "item", low=item.low, high=item.high)
        for item in INSTRUMENT_ITEMS[instrument]
    )
    return TableContract(
        instrument,
        (
            ColumnSpec("client_id", "id", nullable=False),
            ColumnSpec("trajectory_id", "id", required=False),
            ColumnSpec("completed_at", "datetime", nullable=False),
            *items,
        ),
    )


#: Non-response records (a platform's registered reasons why a measurement is missing).
NON_RESPONSE_CONTRACT = TableContract(
    NON_RESPONSE,
    (
        ColumnSpec("client_id", "id", nullable=False),
        ColumnSpec("trajectory_id", "id", required=False),
        ColumnSpec("recorded_at", "datetime", nullable=False),
        ColumnSpec("instruments", "instruments", nullable=False),
        ColumnSpec("reason_code", "category", nullable=False, categories=_reason_spellings()),
    ),
)

#: Every table of the contract, trajectories first, then the instruments in catalogue order,
#: then the non-response records.
CONTRACTS: dict[str, TableContract] = {
    TRAJECTORIES: TRAJECTORY_CONTRACT,
    **{name: questionnaire_contract(name) for name in INSTRUMENTS},
    NON_RESPONSE: NON_RESPONSE_CONTRACT,
}

#: Output columns of the ingested non-response table, in order.
NON_RESPONSE_OUTPUT: tuple[str, ...] = (
    "source_row", "client_key", "trajectory_key", "recorded_at", "instruments", "reason_code",
    "reason_group",
)  # fmt: skip

#: Output columns of the ingested trajectories table, in order (docs/architecture.md).
TRAJECTORY_OUTPUT: tuple[str, ...] = (
    "source_row", "client_key", "trajectory_key", "birth_year", "sex", "referral_date",
    "start_date", "end_date", "end_reason", "diagnosis", "cfs", *COMORBIDITIES,
    "symptom_duration_years", "prior_treatments", "sessions", "treatments", "research_consent",
    "team",
)  # fmt: skip


def table_order(name: str) -> int:
    """Sort key of a table name: contract order, unknown tables last."""
    names = list(CONTRACTS)
    return names.index(name) if name in names else len(names)
