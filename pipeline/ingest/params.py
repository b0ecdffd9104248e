"""The frozen parameters of the ingest stage (the ``ingest:`` block of ``params.yaml``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pipeline.io.export_readers import CsvOptions

__all__ = ["CsvOptions", "IngestParams", "PseudonymParams"]


@dataclass(frozen=True)
class PseudonymParams:
    """Where the HMAC key for client and trajectory pseudonyms comes from.

    Attributes
    ----------
    key_env
        Name of the environment variable holding the key (used first when set).
    key_file
        A file holding the key, outside the project folder; relative paths are relative to the
        project root. ``None``: no key file.
    """

    key_env: str = "ROM_PSEUDONYM_KEY"
    key_file: Path | None = None


@dataclass(frozen=True)
class IngestParams:
    """The ``ingest:`` block of ``params.yaml``.

    Attributes
    ----------
    export_dir
        The export folder to analyse (relative to the project root).
    profile
        The export profile: a profile shipped in ``profiles/`` (``alk``, the project's own
        layout; ``roqua``; ``long``) or the path of a profile file (relative to the project
        root). See ``docs/profiles.md``.
    format
        ``auto``, ``csv``, ``xlsx`` or ``sav``.
    csv
        CSV dialect: delimiter, decimal mark, encoding, date format.
    column_map
        Per table, export column name -> canonical column name (names compared
        case-insensitively after trimming).
    file_map
        Export file name (``Trajecten 2025.csv``), file stem or workbook sheet name -> table
        name (``trajectories``), compared case-insensitively after trimming; files need not be
        named like tables.
    value_map
        Per canonical column, a centre's code -> the canonical spelling (``end_reason:
        {Afgerond: regular}``), compared case-insensitively after trimming, applied in every
        table before parsing (not to date columns).
    export_date
        The export's cut-off day, ``"YYYY-MM-DD"``; ``None``: the latest administration day
        that is not after the day the files were written (``written_on`` of the export's
        ``EXPORT.json`` or ``SYNTHETIC.json``, when there is one). Never the clock.
    max_quarantine_share
        A table with a larger share of quarantined rows stops the run.
    pseudonym
        Key source for the pseudonyms.
    """

    export_dir: Path = Path("data/raw/synthetic")
    profile: str = "alk"
    format: Literal["auto", "csv", "xlsx", "sav"] = "auto"
    csv: CsvOptions = field(default_factory=CsvOptions)
    column_map: dict[str, dict[str, str]] = field(default_factory=dict)
    file_map: dict[str, str] = field(default_factory=dict)
    value_map: dict[str, dict[str, str]] = field(default_factory=dict)
    export_date: str | None = None
    max_quarantine_share: float = 0.2
    pseudonym: PseudonymParams = field(default_factory=PseudonymParams)
