"""Longitudinal mixed models: the family's analysis set and engine (``_*.py``) and its models.

Family code: :mod:`._mixed` (analysis set, outputs, likelihood-ratio tests) and :mod:`._lmm`
(the profiled-REML engine). Every public module here is one registered model.
"""
