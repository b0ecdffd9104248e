"""Typed parameter loading: unknown keys, missing keys and wrong types are one-line errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest

from pipeline.config import ROOT, build_params, load_params, read_params_file, resolve
from pipeline.errors import ParamsError


@dataclass(frozen=True)
class Inner:
    days: int
    ratio: float = 0.5


@dataclass(frozen=True)
class Outer:
    name: str
    mode: Literal["a", "b"]
    inner: Inner
    optional: str | None = None
    items: tuple[str, ...] = field(default_factory=tuple)


def test_builds_nested_frozen_dataclass() -> None:
    got = build_params(Outer, {"name": "x", "mode": "a", "inner": {"days": 3}}, "s")
    assert got == Outer(name="x", mode="a", inner=Inner(days=3, ratio=0.5))
    with pytest.raises(AttributeError):
        got.name = "y"  # type: ignore[misc]


def test_int_is_accepted_for_float_but_not_bool_for_int() -> None:
    got = build_params(Inner, {"days": 1, "ratio": 1}, "s")
    assert got.ratio == 1.0 and isinstance(got.ratio, float)
    with pytest.raises(ParamsError, match="'s.days' must be a whole number"):
        build_params(Inner, {"days": True}, "s")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "x", "mode": "a", "inner": {"days": 1}, "typo": 1}, "unknown key"),
        ({"name": "x", "mode": "a"}, "missing key 'inner'"),
        ({"name": "x", "mode": "c", "inner": {"days": 1}}, "must be one of"),
        ({"name": 3, "mode": "a", "inner": {"days": 1}}, "must be text"),
        ({"name": "x", "mode": "a", "inner": {"days": 1}, "items": "ab"}, "must be a list"),
    ],
)
def test_bad_params_are_one_line_errors(data: dict, message: str) -> None:
    with pytest.raises(ParamsError, match=message) as info:
        build_params(Outer, data, "s")
    assert "\n" not in str(info.value)


def test_load_params_reads_one_block(tmp_path: Path) -> None:
    path = tmp_path / "params.yaml"
    path.write_text("blk:\n  days: 2\nother:\n  x: 1\n", encoding="utf-8")
    assert load_params("blk", Inner, path) == Inner(days=2)
    with pytest.raises(ParamsError, match="no 'nope' block"):
        load_params("nope", Inner, path)


def test_unreadable_params_file(tmp_path: Path) -> None:
    path = tmp_path / "params.yaml"
    path.write_text("a: [unclosed\n", encoding="utf-8")
    with pytest.raises(ParamsError, match="not valid YAML"):
        read_params_file(path)
    with pytest.raises(ParamsError, match="not found"):
        read_params_file(tmp_path / "missing.yaml")


def test_resolve_is_relative_to_project_root(tmp_path: Path) -> None:
    assert resolve("data/raw") == ROOT / "data" / "raw"
    assert resolve(tmp_path) == tmp_path


def test_project_params_file_parses() -> None:
    params = read_params_file()
    assert {"synth", "ingest", "clean"} <= set(params)
