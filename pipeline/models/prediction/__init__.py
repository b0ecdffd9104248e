"""Prediction models of treatment success: the family's validation code (``_*.py``) and models.

Family code: :mod:`._prediction` (analysis set, model base classes, outputs),
:mod:`._prediction_engine` (designs and resampling), :mod:`._prediction_evaluate`,
:mod:`._prediction_impute`, :mod:`._prediction_metrics` and :mod:`._samplesize` (Riley et al.).
Every public module here is one registered model.
"""
