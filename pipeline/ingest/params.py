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
    format
        ``auto``, ``csv``, ``xlsx`` or ``sav``.
    csv
        CSV dialect: delimiter, decimal mark, encoding, date format.
    column_map
        Per table, export column name -> canonical column name (names compared
        case-insensitively after trimming).
    pseudonym
        Key source for the pseudonyms.
    """

    export_dir: Path = Path("data/raw/synthetic")
    format: Literal["auto", "csv", "xlsx", "sav"] = "auto"
    csv: CsvOptions = field(default_factory=CsvOptions)
    column_map: dict[str, dict[str, str]] = field(default_factory=dict)
    pseudonym: PseudonymParams = field(default_factory=PseudonymParams)
