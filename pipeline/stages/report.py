"""DVC stage ``report``: the annual quality report (Dutch, HTML + PDF) and the research report
(English, HTML + PDF).

Reads ``data/processed/{scores,trajectories,non_response}.parquet``, the export date of
``data/interim/ingested/export.json`` (it sets the default report year), every
``data/models/<name>/`` of the
``models:`` entries in ``params.yaml`` that exists, ``dvc.lock`` (code and data hashes),
``reports/metrics/psychometrics.json`` (the reliable-change norms the score stage used)
and the ``report``, ``reporting``, ``score``, ``clean`` and ``models`` blocks; writes
``reports/annual/annual-report-<year>.html`` and ``.pdf`` (public), the internal technical
record ``reports/annual/verantwoording-<year>.html``,
``reports/research/research-report.html`` and ``.pdf`` with its technical record
``reports/research/research-record.html``, and ``reports/metrics/annual.json``. All
computation is in :mod:`pipeline.reporting`; this module only reads, calls and writes.
"""

from __future__ import annotations

import argparse
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from pipeline import config
from pipeline.errors import PipelineError
from pipeline.instruments.params import ScoreParams, describe_options
from pipeline.io import (
    atomic_dir,
    read_export_date,
    read_json,
    read_parquet,
    write_csv,
    write_json,
)
from pipeline.models import registry
from pipeline.reporting import annual, annual_report, headline, html, pdf, provenance, research

ANNUAL_DIR = config.REPORTS / "annual"
RESEARCH_DIR = config.REPORTS / "research"
ANNUAL_JSON = "annual.json"
#: The research report's technical record (DVC hashes, parameters, versions).
RESEARCH_RECORD = "research-record.html"
#: The one declared DVC metric: a few dozen headline figures (pipeline.reporting.headline).
HEADLINE_JSON = "headline.json"
#: The score stage's record of the reliable-change norms it used (read for the thresholds).
PSYCHOMETRICS_JSON = "psychometrics.json"
#: The clean stage's linked non-response records (registered reasons, for ROM-respons).
NON_RESPONSE_PARQUET = "non_response.parquet"
#: Per-model summaries of every configured model (an output, not a declared metric).
MODELS_JSON = "models.json"
#: Plot folders: one CSV per outcome scale with one line per model.
CURVES: tuple[tuple[str, str], ...] = (
    ("calibration_curve", "calibration"),
    ("decision_curve", "decision_curve"),
)
#: Stage outputs the reports rest on (their DVC hashes go into the provenance block).
BASE_STAGES: tuple[str, ...] = ("ingest", "clean", "score")
#: Params blocks shown in the provenance block of the annual report (which uses no model) and
#: of the research report.
ANNUAL_PARAM_BLOCKS: tuple[str, ...] = ("clean", "report", "reporting", "score")
PARAM_BLOCKS: tuple[str, ...] = ("clean", "fit", "models", "report", "reporting", "score")


def package_versions() -> dict[str, str]:
    """Installed versions of :data:`pipeline.reporting.provenance.PACKAGES` and Python."""
    import platform

    out = {"python": platform.python_version()}
    for name in provenance.PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def load_models(entries: dict[str, Any], models_dir: Path) -> list[research.ModelOutput]:
    """Every ``models:`` entry with its family and, when fitted, its outputs (sorted by name)."""
    out = []
    for name in sorted(entries):
        key = entries[name]["model"]
        family = registry.get(key).family
        folder = models_dir / name
        metrics_path = folder / "metrics.json"
        if not metrics_path.is_file():
            out.append(research.ModelOutput(name=name, family=family, model=key))
            continue
        coefficients_path = folder / "coefficients.csv"
        # Every table but the coefficients; predictions too (the calibration figures draw the
        # distribution of the predicted values from them; they are never printed).
        tables = {
            p.stem: pd.read_csv(p)
            for p in sorted(folder.glob("*.csv"))
            if p.name != "coefficients.csv"
        }
        out.append(
            research.ModelOutput(
                name=name,
                family=family,
                model=key,
                metrics=read_json(metrics_path),
                coefficients=pd.read_csv(coefficients_path)
                if coefficients_path.is_file()
                else None,
                tables=tables,
            )
        )
    return out


def main(argv: list[str] | None = None) -> None:
    """Run the stage with the project's paths and ``params.yaml`` (what ``dvc.yaml`` calls)."""
    parser = argparse.ArgumentParser(
        prog="python -m pipeline stage report",
        description="Build the annual quality report and the research report.",
    )
    parser.parse_args(argv if argv is not None else [])
    run(
        params_path=config.PARAMS_PATH,
        root=config.ROOT,
        processed_dir=config.PROCESSED,
        models_dir=config.MODELS,
        reports_dir=config.REPORTS,
        export_json=config.EXPORT_JSON,
    )


def run(
    *,
    params_path: Path,
    root: Path,
    processed_dir: Path,
    models_dir: Path,
    reports_dir: Path,
    export_json: Path | None = None,
) -> dict[str, Any]:
    """Read, build both reports, write them; returns the annual figures (paths given for
    tests)."""
    all_params = config.read_params_file(params_path)
    report_params = config.build_params(annual.ReportParams, all_params.get("report"), "report")
    reporting_params = config.build_params(
        annual.ReportingParams, all_params.get("reporting"), "reporting"
    )
    score_params = config.build_params(ScoreParams, all_params.get("score"), "score")
    windows = dict((all_params.get("clean") or {}).get("windows") or {})
    entries = dict(all_params.get("models") or {})
    for name in ("scores", "trajectories"):
        if not (processed_dir / f"{name}.parquet").is_file():
            raise PipelineError(f"{name}.parquet not found: run the score stage first")
    scores = read_parquet(processed_dir / "scores.parquet")
    trajectories = read_parquet(processed_dir / "trajectories.parquet")
    families = {name: registry.family_of(str(entry["model"])) for name, entry in entries.items()}
    research.common.check_settings(report_params, entries, families)
    records_path = processed_dir / NON_RESPONSE_PARQUET
    non_response = read_parquet(records_path) if records_path.is_file() else None
    models = load_models(entries, models_dir)
    lock_path = root / "dvc.lock"
    lock = yaml.safe_load(lock_path.read_text(encoding="utf-8")) if lock_path.is_file() else {}
    versions = package_versions()
    annual_record = provenance.collect(
        lock=lock or {},
        stages=BASE_STAGES,
        params={k: all_params.get(k) for k in ANNUAL_PARAM_BLOCKS},
        versions=versions,
    )
    record = provenance.collect(
        lock=lock or {},
        stages=[*BASE_STAGES, *(f"fit@{m.name}" for m in models if m.metrics)],
        params={k: all_params.get(k) for k in PARAM_BLOCKS},
        versions=versions,
    )
    options = describe_options(score_params)
    psychometrics_path = root / "reports" / "metrics" / PSYCHOMETRICS_JSON
    if not psychometrics_path.is_file():
        raise PipelineError(f"{PSYCHOMETRICS_JSON} not found: run the score stage first")
    psychometrics = read_json(psychometrics_path)
    norms = {
        name: entry.get("used", {}) for name, entry in (psychometrics.get("outcomes") or {}).items()
    }
    try:
        figures = annual.annual_figures(
            trajectories,
            scores,
            report_params,
            reporting_params,
            non_response=non_response,
            export_date=None if export_json is None else read_export_date(export_json),
        )
    except ValueError as exc:
        raise PipelineError(str(exc)) from exc
    figures["rci_critical"] = score_params.rci_critical
    annual_doc = annual_report.build_document(
        figures,
        score_options=options,
        windows=windows,
        norms=norms,
        record_kept_by=report_params.record_kept_by,
    )
    record_doc = annual_report.build_verantwoording(figures, provenance.blocks(annual_record, "nl"))
    inputs = research.Inputs(
        trajectories=trajectories,
        scores=scores,
        models=models,
        entries=entries,
        report=report_params,
        min_n=reporting_params.min_n,
        score_options=options,
        norms=norms,
        windows=windows,
        rci_critical=score_params.rci_critical,
        code_fingerprint=str(record["code_fingerprint"]),
        record_file=RESEARCH_RECORD,
    )
    research_doc = research.build_document(inputs, versions)
    research_record = research.build_record(provenance.blocks(record, "en"), inputs)
    year = figures["year"]
    annual_html = html.render(annual_doc)
    annual_pdf = pdf.render(annual_doc)
    record_html = html.render(record_doc)
    research_html = html.render(research_doc)
    research_pdf = pdf.render(research_doc)
    research_record_html = html.render(research_record)
    metrics = {**figures, "scoring_options": options}
    with atomic_dir(reports_dir / "annual") as tmp:
        (tmp / f"annual-report-{year}.html").write_text(annual_html, encoding="utf-8")
        (tmp / f"annual-report-{year}.pdf").write_bytes(annual_pdf)
        (tmp / f"verantwoording-{year}.html").write_text(record_html, encoding="utf-8")
    with atomic_dir(reports_dir / "research") as tmp:
        (tmp / "research-report.html").write_text(research_html, encoding="utf-8")
        (tmp / "research-report.pdf").write_bytes(research_pdf)
        (tmp / RESEARCH_RECORD).write_text(research_record_html, encoding="utf-8")
    write_json(metrics, reports_dir / "metrics" / ANNUAL_JSON)
    write_json(headline.model_headlines(models), reports_dir / "metrics" / MODELS_JSON)
    write_json(
        headline.headline_metrics(trajectories, models), reports_dir / "metrics" / HEADLINE_JSON
    )
    for table, name in CURVES:
        with atomic_dir(reports_dir / "plots" / name) as tmp:
            for group, frame in headline.curve_groups(models, table).items():
                write_csv(frame, tmp / f"{group}.csv")
    return figures
