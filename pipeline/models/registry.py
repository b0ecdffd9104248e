"""The model registry: registry key = module file name = the ``model:`` value in params.yaml.

Every public module of :mod:`pipeline.models` other than :mod:`~pipeline.models.base` and this
one holds exactly one model: a concrete :class:`~pipeline.models.base.Model` subclass defined
in that module. Private modules (``_*.py``) hold code shared by a family (analysis sets,
numerical engines, synthetic inputs for tests). Adding a model is therefore one file plus one
``params.yaml`` entry; the ``fit`` stage, the contract tests and the reports find it here.
Modules are imported lazily, so fitting one entry imports only its own model module.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Mapping
from functools import cache
from typing import Any

import pipeline.models as models_package
from pipeline.config import build_params
from pipeline.errors import ParamsError
from pipeline.models.base import FAMILIES, Model, ModelError

#: Modules of :mod:`pipeline.models` that are infrastructure, not models.
_INFRASTRUCTURE = frozenset({"base", "registry"})


def keys() -> tuple[str, ...]:
    """The registry keys (model module names), sorted."""
    names = (
        info.name
        for info in pkgutil.iter_modules(models_package.__path__)
        if not info.ispkg and not info.name.startswith("_") and info.name not in _INFRASTRUCTURE
    )
    return tuple(sorted(names))


@cache
def get(key: str) -> type[Model]:
    """The model class registered under ``key``.

    Raises
    ------
    ParamsError
        When no module ``pipeline/models/<key>.py`` exists, or it does not define exactly one
        concrete model class of a known family.
    """
    available = keys()
    if key not in available:
        raise ParamsError(
            f"unknown model '{key}': no pipeline/models/{key}.py "
            f"(available: {', '.join(available) or 'none'})"
        )
    module = importlib.import_module(f"{models_package.__name__}.{key}")
    found = [
        obj
        for obj in vars(module).values()
        if inspect.isclass(obj)
        and issubclass(obj, Model)
        and not inspect.isabstract(obj)
        and obj.__module__ == module.__name__
    ]
    if len(found) != 1:
        raise ParamsError(
            f"pipeline/models/{key}.py must define exactly one model class; found {len(found)}"
        )
    cls = found[0]
    if getattr(cls, "family", None) not in FAMILIES:
        raise ParamsError(f"pipeline/models/{key}.py: family must be one of {', '.join(FAMILIES)}")
    return cls


def build(entry_name: str, params_entry: Mapping[str, Any] | None) -> Model:
    """Build the model configured by ``models.<entry_name>`` in params.yaml.

    Parameters
    ----------
    entry_name
        The entry's key under ``models:`` (also the output folder ``data/models/<name>/``).
    params_entry
        The entry's mapping: ``model: <registry key>`` plus the hyper-parameters, checked by
        :func:`pipeline.config.build_params` (unknown or missing keys, wrong types are one-line
        :class:`~pipeline.errors.ParamsError`).
    """
    where = f"models.{entry_name}"
    if not isinstance(params_entry, Mapping):
        raise ParamsError(f"params.yaml '{where}' must be a mapping")
    if "model" not in params_entry:
        raise ParamsError(f"params.yaml '{where}' is missing key 'model'")
    key = params_entry["model"]
    if not isinstance(key, str):
        raise ParamsError(f"params.yaml '{where}.model' must be text")
    cls = get(key)
    hyper = {k: v for k, v in params_entry.items() if k != "model"}
    try:
        return build_params(cls, hyper, where)
    except ModelError as exc:
        # A model's own check of its hyper-parameters (e.g. a formula without '~').
        raise ParamsError(f"params.yaml '{where}': {exc}") from exc
