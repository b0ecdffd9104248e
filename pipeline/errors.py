"""Domain errors: one line a researcher can act on, never a patient value or an export id."""

from __future__ import annotations


class PipelineError(Exception):
    """An error the user can act on; the command line prints it as one line, no traceback.

    Messages name tables, columns, files, row numbers and counts, never cell values.
    """

    def __init__(self, message: str) -> None:
        one_line = " ".join(str(message).split())
        super().__init__(one_line)


class ExportError(PipelineError):
    """The export as a whole is unusable (missing table or column, unreadable file,
    identifiers). Nothing is written."""


class ParamsError(PipelineError):
    """``params.yaml`` is missing a key, has an unknown key, or a value of the wrong type."""
