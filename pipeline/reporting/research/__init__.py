"""The research report (English, HTML and PDF), structured as a paper: TRIPOD+AI for the
prediction models, STROBE for the other cohort analyses.

Pure functions from the stage outputs to document blocks, one module per part:

- :mod:`~pipeline.reporting.research.common`: the inputs (:class:`Inputs`, :class:`ModelOutput`),
  number formats, suppression of small counts, the :class:`Part` every section returns;
- :mod:`~pipeline.reporting.research.outcomes`: what each entry analyses, in words;
- :mod:`~pipeline.reporting.research.introduction`: introduction and declarations;
- :mod:`~pipeline.reporting.research.methods`: methods generated from ``params.yaml``;
- :mod:`~pipeline.reporting.research.participants`: flow diagram and Table 1;
- :mod:`~pipeline.reporting.research.predictors`: the predictor tables;
- :mod:`~pipeline.reporting.research.mixed`, :mod:`~pipeline.reporting.research.survival`,
  :mod:`~pipeline.reporting.research.prediction`: the results of each model family;
- :mod:`~pipeline.reporting.research.discussion`: summary, discussion and limitations;
- :mod:`~pipeline.reporting.research.tripod`: the TRIPOD+AI checklist;
- :mod:`~pipeline.reporting.research.appendix`: further model outputs, reproducibility;
- :mod:`~pipeline.reporting.research.numbering` and
  :mod:`~pipeline.reporting.research.references`: tables, figures and references numbered;
- :mod:`~pipeline.reporting.research.build`: the document assembled.
"""

from __future__ import annotations

from pipeline.instruments.catalogue import INSTRUMENTS
from pipeline.reporting.research.appendix import (
    EXTRA_TABLE_ROWS,
    FAMILY_TABLES,
    PER_OBSERVATION_TABLES,
    extra_tables,
)
from pipeline.reporting.research.build import build_document, build_record
from pipeline.reporting.research.common import Inputs, ModelOutput, Part

__all__ = [
    "EXTRA_TABLE_ROWS",
    "FAMILY_TABLES",
    "INSTRUMENTS",
    "PER_OBSERVATION_TABLES",
    "Inputs",
    "ModelOutput",
    "Part",
    "build_document",
    "build_record",
    "extra_tables",
]
