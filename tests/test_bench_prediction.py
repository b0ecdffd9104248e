"""The estimator clock of ``benchmarks/bench_prediction.py --estimator-time``: it counts each
outer call once and leaves the estimator class as it found it."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from pipeline.config import ROOT


def _bench() -> ModuleType:
    path = ROOT / "benchmarks" / "bench_prediction.py"
    spec = importlib.util.spec_from_file_location("bench_prediction", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_prediction", module)
    spec.loader.exec_module(module)
    return module


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(200, 3))
    return x, (x[:, 0] + rng.normal(size=200) > 0).astype(int)


def test_clock_counts_outer_calls_once_and_restores_inherited_methods() -> None:
    x, y = _data()
    before = {n: getattr(RandomForestClassifier, n) for n in ("fit", "predict", "predict_proba")}
    with _bench().estimator_clock(RandomForestClassifier) as spent:
        model = RandomForestClassifier(n_estimators=5, random_state=0).fit(x, y)
        model.predict(x)  # calls predict_proba inside: one call, not two
        model.predict_proba(x)
    assert spent["calls"] == 3
    assert spent["fit"] > 0 and spent["predict"] > 0
    for name, method in before.items():
        assert getattr(RandomForestClassifier, name) is method
        assert name not in RandomForestClassifier.__dict__  # inherited, as before


def test_clock_restores_own_methods_and_stops_counting() -> None:
    x, y = _data()
    own = LogisticRegression.__dict__["fit"]
    with _bench().estimator_clock(LogisticRegression) as spent:
        LogisticRegression().fit(x, y)
    LogisticRegression().fit(x, y)
    assert spent["calls"] == 1
    assert LogisticRegression.__dict__["fit"] is own
