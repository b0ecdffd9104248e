"""The report stage: byte-identical reruns, annual figures = annual.json = an independent pandas
computation, and the report prints those numbers.

Runs on the project copy reproduced by ``dvc repro`` (the ``repro_project`` fixture of
``conftest.py``, shared with the end-to-end tests), so it never depends on the working tree's data.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from pipeline import config
from pipeline.reporting.annual_report import nl
from pipeline.stages import report

MODELS = ("dropout_cox", "dropout_km", "ssd12_mixed")

pytestmark = pytest.mark.slow


def _processed(project: Path) -> Path:
    return project / "data" / "processed"


def _params(project: Path, tmp: Path, **report_block: object) -> Path:
    params = config.read_params_file(project / "params.yaml")
    params["models"] = {k: v for k, v in params["models"].items() if k in MODELS}
    # The primary model must be an entry of models: (checked by the stage); none here.
    params["report"] = {**params.get("report", {}), "primary_model": None, **report_block}
    path = tmp / "params.yaml"
    path.write_text(yaml.safe_dump(params, sort_keys=True), encoding="utf-8")
    return path


def _run(project: Path, tmp: Path, params: Path, out: str) -> Path:
    reports = tmp / out
    report.run(
        params_path=params,
        root=project,
        processed_dir=_processed(project),
        models_dir=project / "data" / "models",
        reports_dir=reports,
    )
    return reports


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def built(repro_project: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("report")
    params = _params(repro_project, tmp)
    first = _run(repro_project, tmp, params, "run1")
    second = _run(repro_project, tmp, params, "run2")
    return first, second


def test_two_runs_byte_identical(built: tuple[Path, Path]) -> None:
    first, second = built
    a, b = _digests(first), _digests(second)
    assert a == b
    names = set(a)
    assert any(n.startswith("annual/annual-report-") and n.endswith(".pdf") for n in names)
    assert any(n.startswith("annual/annual-report-") and n.endswith(".html") for n in names)
    assert "research/research-report.html" in names
    assert "research/research-report.pdf" in names
    assert "research/research-record.html" in names
    assert "metrics/annual.json" in names


def test_no_timestamps_or_paths(built: tuple[Path, Path], repro_project: Path) -> None:
    first, _ = built
    root = str(repro_project)
    for path in first.rglob("*"):
        if path.suffix in {".html", ".json"}:
            text = path.read_text(encoding="utf-8")
            assert root not in text and "/tmp" not in text
    pdf = next(first.glob("annual/*.pdf")).read_bytes()
    assert root.encode() not in pdf
    # The only date in the PDF is the configured publication date (never the clock).
    published = config.read_params_file(repro_project / "params.yaml")["report"]["publication_date"]
    stamp = published.replace("-", "").encode()
    assert re.findall(rb"/CreationDate ?\(D:(\d{8})", pdf) == [stamp]


def _independent(project: Path, year: int) -> dict[str, object]:
    t = pd.read_parquet(_processed(project) / "trajectories.parquet")
    ended = t[t["end_date"].dt.year == year]
    pre, post = ended["ssd12_total_intake"], ended["ssd12_total_end"]
    both = pre.notna() & post.notna()
    change = (post - pre)[both]
    n = int(both.sum())
    half = stats.t.ppf(0.975, n - 1) * change.std(ddof=1) / np.sqrt(n)
    return {
        "ended": len(ended),
        "intakes": int((t["start_date"].dt.year == year).sum()),
        "referrals": int((t["referral_date"].dt.year == year).sum()),
        "ssd12_rate": float((ended["response_ssd12"] == "completer").mean()),
        "n": n,
        "change": float(change.mean()),
        "low": float(change.mean() - half),
        "high": float(change.mean() + half),
        "es": float(change.mean() / pre[both].std(ddof=1)),
        "unchanged": float(
            (ended["ssd12_total_category"] == "unchanged").sum()
            * 100
            / ended["ssd12_total_category"].notna().sum()
        ),
    }


def test_annual_json_equals_independent_pandas(
    built: tuple[Path, Path], repro_project: Path
) -> None:
    first, _ = built
    data = json.loads((first / "metrics" / "annual.json").read_text(encoding="utf-8"))
    year = data["year"]
    assert year == 2025  # data end on 2025-12-31: the last complete year
    fig = data["by_year"][str(year)]
    ref = _independent(repro_project, year)
    assert fig["counts"]["ended"] == ref["ended"]
    assert fig["counts"]["intakes"] == ref["intakes"]
    assert fig["counts"]["referrals"] == ref["referrals"]
    assert fig["response"]["ssd12"]["rate"] == pytest.approx(ref["ssd12_rate"], abs=1e-6)
    o = fig["outcomes"]["ssd12_total"]
    assert o["n"] == ref["n"]
    assert o["change_mean"] == pytest.approx(ref["change"], abs=1e-6)
    assert o["change_ci_low"] == pytest.approx(ref["low"], abs=1e-6)
    assert o["change_ci_high"] == pytest.approx(ref["high"], abs=1e-6)
    assert o["effect_size"] == pytest.approx(ref["es"], abs=1e-6)
    assert fig["categories"]["ssd12_total"]["percent"]["unchanged"] == pytest.approx(
        ref["unchanged"], abs=1e-6
    )


def test_report_prints_the_json_numbers(built: tuple[Path, Path]) -> None:
    first, _ = built
    data = json.loads((first / "metrics" / "annual.json").read_text(encoding="utf-8"))
    year = data["year"]
    page = (first / "annual" / f"annual-report-{year}.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", " ", re.sub(r'src="data:[^"]+"', "", page))
    fig = data["by_year"][str(year)]
    o = fig["outcomes"]["ssd12_total"]
    # One sign convention: improvement positive (SSD-12: voormeting - nameting).
    assert o["improvement_mean"] == pytest.approx(-o["change_mean"])
    assert o["effect_size_improvement"] == pytest.approx(-o["effect_size"])
    for value, decimals in (
        (fig["counts"]["ended"], 0),
        (o["intake_mean"], 1),
        (o["end_mean"], 1),
        (o["improvement_mean"], 1),
        (o["effect_size_improvement"], 2),
        (fig["cqi"]["mean"], 1),
    ):
        assert nl(value, decimals, 10) in text
    assert nl(o["effect_size"], 2, 10) not in text  # the raw (negative) effect size is not printed
    assert f"{nl(o['improvement_ci_low'], 1, 10)} tot {nl(o['improvement_ci_high'], 1, 10)}" in text
    rate = fig["response"]["ssd12"]
    assert f"{nl(100 * rate['rate'], 0, 10)}% ({rate['responders']})" in text
    # Scoring options and population are named.
    assert "Versteegh" in text and "Lamers" in text and "alle behandeltrajecten" in text
    # The public report carries no technical record; the internal verantwoording does.
    for word in ("md5", "commit", "vingerafdruk", "params.yaml", "numpy"):
        assert word not in text
    record = (first / "annual" / f"verantwoording-{year}.html").read_text(encoding="utf-8")
    assert "code-vingerafdruk" in record and "md5" in record and "numpy" in record


def test_research_report_sections(built: tuple[Path, Path]) -> None:
    first, _ = built
    page = (first / "research" / "research-report.html").read_text(encoding="utf-8")
    for anchor in (
        "summary",
        "methods",
        "flow",
        "table1",
        "predictors",
        "results-mixed",
        "results-survival",
        "tripod",
        "limitations",
        "reproducibility",
    ):
        assert f'id="{anchor}"' in page
    assert "mixed-ssd12-mixed" in page and "survival-dropout" in page
    assert "code fingerprint" in page
    record = (first / "research" / "research-record.html").read_text(encoding="utf-8")
    assert "Provenance" in record and "md5" in record and "numpy" in record
    pdf = (first / "research" / "research-report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-") and b"StructTreeRoot" in pdf


def test_research_predictor_table_equals_the_coefficient_files(
    built: tuple[Path, Path], repro_project: Path
) -> None:
    """Every hazard ratio and mixed-model interaction of the predictor tables, as printed,
    equals data/models/<entry>/coefficients.csv read from the disk."""
    first, _ = built
    page = (first / "research" / "research-report.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", "|", re.sub(r'src="data:[^"]+"', "", page))
    models = repro_project / "data" / "models"
    cox = pd.read_csv(models / "dropout_cox" / "coefficients.csv").set_index("term")
    row = cox.loc["comorbid_opioid"]
    shown = f"{row['hazard_ratio']:.2f} ({row['hr_ci_low']:.2f} to {row['hr_ci_high']:.2f})"
    assert "|Opioid dependence|" in text and shown.replace("-", "\u2212") in text
    mixed = pd.read_csv(models / "ssd12_mixed" / "coefficients.csv").set_index("term")
    for flag in ("comorbid_asd", "comorbid_personality"):
        r = mixed.loc[f"years:{flag}"]
        cell = f"{r['estimate']:.2f} ({r['ci_low']:.2f} to {r['ci_high']:.2f})".replace(
            "-", "\u2212"
        )
        assert cell in text, cell


def test_population_switch(repro_project: Path, tmp_path: Path) -> None:
    params = _params(repro_project, tmp_path, population="research_consent", year=2024)
    reports = _run(repro_project, tmp_path, params, "consent")
    data = json.loads((reports / "metrics" / "annual.json").read_text(encoding="utf-8"))
    t = pd.read_parquet(_processed(repro_project) / "trajectories.parquet")
    t = t[t["research_consent"] == 1]
    assert data["population"] == "research_consent" and data["year"] == 2024
    assert data["by_year"]["2024"]["counts"]["ended"] == int((t["end_date"].dt.year == 2024).sum())
    page = (reports / "annual" / "annual-report-2024.html").read_text(encoding="utf-8")
    assert "toestemming" in page
