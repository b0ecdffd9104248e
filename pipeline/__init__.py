"""ALK ROM pipeline: predictors of treatment success in specialist care for persistent
somatic symptoms.

The package is organised as in ``docs/architecture.md``: pure stage functions in
``pipeline.stages`` and its helpers, disk access only in ``pipeline.io``, typed parameters per
stage loaded by :func:`pipeline.config.load_params`.
"""

__version__ = "0.1.0"
