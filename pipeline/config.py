"""Paths defined once, and typed, frozen parameters per stage.

Every stage reads only its own block of ``params.yaml`` through :func:`load_params`, which builds
the stage's frozen dataclass and refuses unknown or missing keys, so a typo in ``params.yaml``
is an error instead of a silently ignored setting.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml

from pipeline.errors import ParamsError

#: The project root: the folder holding ``params.yaml`` and ``dvc.yaml``.
ROOT = Path(__file__).resolve().parent.parent
PARAMS_PATH = ROOT / "params.yaml"
DATA = ROOT / "data"
RAW = DATA / "raw"
INTERIM = DATA / "interim"
PROCESSED = DATA / "processed"
#: The export date ingest settled (ingest.export_date, else from the data and the export's
#: metadata), read by the fit and report stages.
EXPORT_JSON = INTERIM / "ingested" / "export.json"
MODELS = DATA / "models"
REPORTS = ROOT / "reports"
METRICS = REPORTS / "metrics"
#: The published reference tables (coefficients, recoding keys), shipped inside the package.
PACKAGE_REFERENCE = Path(__file__).resolve().parent / "instruments" / "reference"

T = TypeVar("T")


def read_params_file(path: Path = PARAMS_PATH) -> dict[str, Any]:
    """Read the whole ``params.yaml`` as a mapping."""
    try:
        with open(path, encoding="utf-8") as fh:
            loaded = yaml.safe_load(fh)
    except FileNotFoundError as exc:
        raise ParamsError(f"{path.name} not found in {path.parent.name}/") from exc
    except yaml.YAMLError as exc:
        raise ParamsError(f"{path.name} is not valid YAML: {exc.__class__.__name__}") from exc
    if not isinstance(loaded, dict):
        raise ParamsError(f"{path.name} must hold a mapping of stage blocks")
    return loaded


def load_params(section: str, cls: type[T], path: Path = PARAMS_PATH) -> T:
    """Build the frozen dataclass ``cls`` from the ``section`` block of ``params.yaml``.

    Parameters
    ----------
    section
        Top-level key of ``params.yaml`` (``synth``, ``ingest``, ``clean`` ...).
    cls
        A (frozen) dataclass; nested dataclass fields are built recursively.
    path
        The params file; tests pass their own.
    """
    params = read_params_file(path)
    if section not in params:
        raise ParamsError(f"params.yaml has no '{section}' block")
    return build_params(cls, params[section], section)


def build_params(cls: type[T], data: Any, where: str) -> T:
    """Build dataclass ``cls`` from a mapping, checking keys and simple types."""
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls!r} is not a dataclass")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ParamsError(f"params.yaml '{where}' must be a mapping")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ParamsError(f"params.yaml '{where}' has unknown key(s): {', '.join(unknown)}")
    kwargs: dict[str, Any] = {}
    for name, field in fields.items():
        if name not in data:
            has_default = (
                field.default is not dataclasses.MISSING
                or field.default_factory is not dataclasses.MISSING
            )
            if not has_default:
                raise ParamsError(f"params.yaml '{where}' is missing key '{name}'")
            continue
        kwargs[name] = _coerce(hints[name], data[name], f"{where}.{name}")
    return cls(**kwargs)


def _coerce(hint: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return build_params(hint, value, where)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _coerce(arg, value, where)
            except ParamsError as exc:
                errors.append(str(exc))
        raise ParamsError(errors[0] if errors else f"params.yaml '{where}' has a wrong type")
    if origin is typing.Literal:
        if value not in args:
            allowed = ", ".join(repr(a) for a in args)
            raise ParamsError(f"params.yaml '{where}' must be one of {allowed}")
        return value
    if origin in (tuple, list):
        if not isinstance(value, list | tuple):
            raise ParamsError(f"params.yaml '{where}' must be a list")
        inner = args[0] if args else Any
        return tuple(_coerce(inner, v, f"{where}[{i}]") for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            raise ParamsError(f"params.yaml '{where}' must be a mapping")
        kt, vt = args if args else (Any, Any)
        return types.MappingProxyType(
            {_coerce(kt, k, where): _coerce(vt, v, f"{where}.{k}") for k, v in value.items()}
        )
    if hint is Any:
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ParamsError(f"params.yaml '{where}' must be a number")
        return float(value)
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParamsError(f"params.yaml '{where}' must be a whole number")
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise ParamsError(f"params.yaml '{where}' must be true or false")
        return value
    if hint is str:
        if not isinstance(value, str):
            raise ParamsError(f"params.yaml '{where}' must be text")
        return value
    if hint is Path:
        if not isinstance(value, str):
            raise ParamsError(f"params.yaml '{where}' must be a path")
        return Path(value)
    return value


def resolve(path: Path | str) -> Path:
    """A path from ``params.yaml``: relative paths are relative to the project root."""
    p = Path(path)
    return p if p.is_absolute() else ROOT / p
