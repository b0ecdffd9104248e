"""Pure ingest: raw export tables -> validated, normalised, pseudonymised tables.

See :func:`pipeline.ingest.tables.ingest_tables` and ``docs/input-format.md``.
"""

from pipeline.ingest.params import CsvOptions, IngestParams, PseudonymParams
from pipeline.ingest.tables import IngestResult, ingest_tables

__all__ = ["CsvOptions", "IngestParams", "IngestResult", "PseudonymParams", "ingest_tables"]
