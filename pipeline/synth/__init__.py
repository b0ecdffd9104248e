"""The synthetic ROM export generator (pure: parameters -> export tables).

:func:`generate` returns the tables of a realistic ROM export that follows
``docs/input-format.md`` exactly, with known effects planted (``synth.effects`` in
``params.yaml``; documented in ``data/README.md``):

- the latent SSD-12 total follows a linear mixed model (:mod:`pipeline.synth.latent`): it
  improves over time, comorbid autism and personality disorder slow that improvement, PTSD and
  depression raise baseline severity;
- drop-out has proportional hazards, opioid dependence doubling it (:mod:`pipeline.synth.design`);
- some clients re-enter within two years after a regular end;
- EQ-5D, PHQ-15 and RAND-36 track the latent SSD-12; the CQI grade rises with improvement
  (:mod:`pipeline.synth.items`, :mod:`pipeline.synth.rand36`);
- realistic non-response, missing items and a few planted data errors
  (:mod:`pipeline.synth.response`, :mod:`pipeline.synth.planted`).

The modules are pure (no files, clock, environment or global random state); every draw comes
from a ``numpy`` generator seeded by ``synth.seed`` (:mod:`pipeline.synth._rng`).
"""

from __future__ import annotations

import pandas as pd

from pipeline.synth._rng import stream
from pipeline.synth.cohort import Cohort, simulate
from pipeline.synth.params import SynthParams
from pipeline.synth.planted import plant_errors
from pipeline.synth.tables import export_tables, unknown_ids

__all__ = ["Cohort", "SynthParams", "generate", "simulate"]


def generate(params: SynthParams) -> dict[str, pd.DataFrame]:
    """The tables of a synthetic ROM export.

    Parameters
    ----------
    params
        The ``synth`` block of ``params.yaml``
        (``pipeline.config.load_params("synth", SynthParams)``).

    Returns
    -------
    dict of str to pandas.DataFrame
        ``trajectories``, ``ssd12``, ``eq5d5l``, ``eq5d3l``, ``rand36``, ``phq15``, ``cqi``, each
        with exactly the canonical columns of ``docs/input-format.md`` in contract order. Export ids are
        text, dates ``datetime64[ns]`` (``completed_at`` with a time of day; a planted
        unparseable date makes that column text and date-times), 0/1 flags integers, item
        answers nullable integers (missing = NA). Pure and deterministic for a seed.
    """
    tables = export_tables(simulate(params), params)
    if params.errors == 0:
        return tables
    rng = stream(params.seed, "errors")
    known = tables["trajectories"]["client_id"].to_numpy()
    strangers = unknown_ids(rng, known, params.errors * (len(tables) - 1), "C")
    return plant_errors(rng, tables, params.errors, strangers)
