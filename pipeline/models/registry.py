"""The model registry: registry key = module file name = the ``model:`` value in params.yaml.

Models live in one package per family (:data:`~pipeline.models.base.FAMILIES`):
``pipeline/models/mixed/``, ``pipeline/models/survival/``, ``pipeline/models/prediction/``.
Every public module of a family package holds exactly one model: a concrete
:class:`~pipeline.models.base.Model` subclass of that family, defined in that module. Private
modules (``_*.py``) hold the family's code (analysis sets, numerical engines, outputs). A key is
unique across families. Adding a model is therefore one file in its family's folder plus one
``params.yaml`` entry (``model:`` the key, ``family:`` the folder, which ``dvc.yaml`` lists as
the entry's code); the ``fit`` stage, the contract tests and the reports find it here. Modules
are imported lazily, so fitting one entry imports only its own family.
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


@cache
def _locations() -> dict[str, str]:
    """Registry key -> family package, over every family folder.

    Raises
    ------
    ParamsError
        When two families hold a model module of the same name.
    """
    found: dict[str, str] = {}
    for family in FAMILIES:
        package = importlib.import_module(f"{models_package.__name__}.{family}")
        for info in pkgutil.iter_modules(package.__path__):
            if info.ispkg or info.name.startswith("_"):
                continue
            if info.name in found:
                raise ParamsError(
                    f"model '{info.name}' is defined in two families "
                    f"({found[info.name]} and {family}): registry keys must be unique"
                )
            found[info.name] = family
    return found


def keys() -> tuple[str, ...]:
    """The registry keys (model module names over every family folder), sorted."""
    return tuple(sorted(_locations()))


def family_of(key: str) -> str:
    """The family folder that holds model ``key`` (``mixed``, ``survival`` or ``prediction``)."""
    get(key)
    return _locations()[key]


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
            f"unknown model '{key}': no pipeline/models/<family>/{key}.py "
            f"(available: {', '.join(available) or 'none'})"
        )
    family = _locations()[key]
    where = f"pipeline/models/{family}/{key}.py"
    module = importlib.import_module(f"{models_package.__name__}.{family}.{key}")
    found = [
        obj
        for obj in vars(module).values()
        if inspect.isclass(obj)
        and issubclass(obj, Model)
        and not inspect.isabstract(obj)
        and obj.__module__ == module.__name__
    ]
    if len(found) != 1:
        raise ParamsError(f"{where} must define exactly one model class; found {len(found)}")
    cls = found[0]
    if getattr(cls, "family", None) != family:
        raise ParamsError(f"{where}: the model's family must be '{family}', its folder")
    return cls


def build(entry_name: str, params_entry: Mapping[str, Any] | None) -> Model:
    """Build the model configured by ``models.<entry_name>`` in params.yaml.

    Parameters
    ----------
    entry_name
        The entry's key under ``models:`` (also the output folder ``data/models/<name>/``).
    params_entry
        The entry's mapping: ``model: <registry key>``, ``family: <its folder>`` (what
        ``dvc.yaml`` lists as the entry's code) plus the hyper-parameters, checked by
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
    if "family" not in params_entry:
        raise ParamsError(f"params.yaml '{where}' is missing key 'family' (here: {cls.family})")
    if params_entry["family"] != cls.family:
        raise ParamsError(
            f"params.yaml '{where}.family' is '{params_entry['family']}', "
            f"but model '{key}' is in pipeline/models/{cls.family}/"
        )
    hyper = {k: v for k, v in params_entry.items() if k not in ("model", "family")}
    try:
        return build_params(cls, hyper, where)
    except ModelError as exc:
        # A model's own check of its hyper-parameters (e.g. a formula without '~').
        raise ParamsError(f"params.yaml '{where}': {exc}") from exc
