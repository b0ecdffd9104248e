"""Reporting: pure functions from stage outputs to report figures, tables, HTML and PDF.

- :mod:`~pipeline.reporting.suppression`: small-cell suppression (primary and secondary).
- :mod:`~pipeline.reporting.annual`: the annual quality report's figures (Dutch report).
- :mod:`~pipeline.reporting.research`: the research report's sections (English report).
- :mod:`~pipeline.reporting.figures`: matplotlib figures (Okabe-Ito palette, deterministic).
- :mod:`~pipeline.reporting.html`: HTML rendering with the templates in ``templates/``.
- :mod:`~pipeline.reporting.pdf`: the annual report as a tagged PDF (Typst, one template).
- :mod:`~pipeline.reporting.labels`: English and Dutch labels, Dutch number and date formats.
- :mod:`~pipeline.reporting.provenance`: the provenance record (code fingerprint, DVC hashes,
  params, package versions); for the annual report a separate internal file.

Nothing here reads files, the clock or the environment; :mod:`pipeline.stages.report` does.
"""
