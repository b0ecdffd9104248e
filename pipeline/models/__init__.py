"""Registered models: one module per model (the registry key), plus shared family code.

See :mod:`pipeline.models.registry` for how models are found, :mod:`pipeline.models.base` for
the contract every model follows, and ``docs/guides/adding-a-model.md`` for a worked example.
"""
