"""Six small exports of the export sweep (benchmarks/sweep.py) through ``dvc repro``.

One project copy; only the export (and the ``synth`` block that generates it) changes between
runs. Each run must reach the end (both reports written); the models that the export cannot
support must say 'not estimable' with a reason, and the research report must show it.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from pipeline.config import ROOT

SMALL = ("tiny_12", "no_consent", "no_ended", "no_ssd12", "no_dropouts", "csv_comma_point_iso")


def _sweep() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sweep", ROOT / "benchmarks" / "sweep.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["sweep"] = module
    spec.loader.exec_module(module)
    return module


def _metrics(project: Path, name: str) -> dict[str, object]:
    path = project / "data" / "models" / name / "metrics.json"
    return dict(json.loads(path.read_text(encoding="utf-8")))


@pytest.mark.slow
def test_small_exports_run_to_the_end(tmp_path: Path) -> None:
    sweep = _sweep()
    variants = {v.name: v for v in sweep.variants()}
    project = sweep.make_project(tmp_path / "project")
    params = yaml.safe_load((project / "params.yaml").read_text(encoding="utf-8"))
    # Smaller still than the sweep's own versions: the point is the shape, not the size.
    rows = {}
    for name in SMALL:
        variant = variants[name]
        variant = type(variant)(**{**variant.__dict__, "clients": min(variant.clients, 40)})
        row = sweep.run_variant(project, variant, params)
        assert row.ok, row.line()
        assert row.reports, row.line()
        assert row.stages_run > 0
        assert row.estimable + row.not_estimable == len(params["models"])
        rows[name] = row
        research = (project / "reports" / "research" / "research-report.html").read_text(
            encoding="utf-8"
        )
        for model, reason in row.reasons.items():
            metrics = _metrics(project, model)
            assert metrics["estimable"] is False and metrics["reason"] == reason
            header = (project / "data" / "models" / model / "coefficients.csv").read_text()
            assert header.strip() == "term,estimate,std_error,ci_low,ci_high,p_value"
            assert "not estimable: " in research
        if name == "no_consent":
            assert rows[name].estimable == 0  # every model needs research consent
        if name == "no_dropouts":
            assert "dropout_cox" in row.reasons
            assert row.reasons["dropout_cox"].startswith("no events among")
        if name == "no_ended":
            # Prediction models need ended trajectories.
            assert all(m in row.reasons for m in params["models"] if "change" in m)
    assert set(rows) == set(SMALL)
