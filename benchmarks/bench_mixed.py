"""Benchmark: fit time of the default SSD-12 mixed model, fast engine vs statsmodels vs lme4.

Not a test (tests never assert on time). For 1,000, 5,000 and 10,000 trajectories drawn from
the planted linear mixed model of :mod:`pipeline.models._simulate`, the ``ssd12_mixed`` entry
of params.yaml (random intercept and slope per trajectory, 8 comorbidities and their
interaction with time, age, sex, diagnosis) is fitted by REML with

- ``profiled``: this project's engine (lme4's profiled REML criterion, vectorised per
  trajectory, L-BFGS-B with an analytic gradient): design matrices + fit + convergence checks;
- ``statsmodels``: statsmodels ``MixedLM`` with default settings, and with L-BFGS only (the
  project's ``engine: statsmodels``);
- ``lmer``: ``lme4::lmer`` with default settings, timed inside R (``system.time`` around
  ``lmer``, model frame included, reading the CSV excluded), when ``Rscript`` is on the PATH.

Every figure is the median wall time of ``--repeats`` runs (statsmodels: one run). The
estimates are compared with lmer's (largest relative difference over fixed effects and
variance components). Run ``python benchmarks/bench_mixed.py [--sizes 1000 5000]
[--repeats 3] [--skip-statsmodels] [--json OUT]``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.config import read_params_file
from pipeline.models import registry
from pipeline.models._simulate import simulate_inputs
from pipeline.models.mixed import _lmm, _mixed
from pipeline.models.mixed.mixed_lm import MixedLM

SEED = 20240607

R_SCRIPT = r"""
suppressPackageStartupMessages(library(lme4))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[[1]], stringsAsFactors = FALSE)
refs <- strsplit(strsplit(args[[3]], ";")[[1]], "=")
for (r in refs) {
  v <- r[[1]]; ref <- r[[2]]
  if (v %in% names(d)) d[[v]] <- factor(d[[v]], levels = c(ref, setdiff(sort(unique(d[[v]])), ref)))
}
f <- as.formula(args[[2]])
times <- numeric(0)
for (i in seq_len(as.integer(args[[4]]))) {
  times <- c(times, system.time(fit <- lmer(f, data = d, REML = TRUE))[["elapsed"]])
}
vc <- as.data.frame(VarCorr(fit))
out <- list(
  seconds = times,
  fixef = as.list(fixef(fit)),
  variance = vc$vcov
)
cat(sprintf("%.17g", times), sep = "\n", file = args[[5]])
write.csv(data.frame(term = names(fixef(fit)), value = unname(fixef(fit))),
          paste0(args[[5]], ".fixef.csv"), row.names = FALSE)
write.csv(data.frame(value = vc$vcov), paste0(args[[5]], ".vc.csv"), row.names = FALSE)
"""


def _median_time(func: Any, repeats: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def _lme4_formula(spec: _mixed.MixedSpec) -> str:
    random = spec.re_formula.split("~", 1)[1].strip()
    return f"{spec.formula} + ({random} | {spec.groups})"


def _run_lmer(
    frame: pd.DataFrame, spec: _mixed.MixedSpec, repeats: int, workdir: Path
) -> dict[str, Any] | None:
    if shutil.which("Rscript") is None:
        return None
    data_path = workdir / "data.csv"
    frame.to_csv(data_path, index=False, float_format="%.17g")
    script = workdir / "bench.R"
    script.write_text(R_SCRIPT, encoding="utf-8")
    out = workdir / "lmer_times.txt"
    refs = ";".join(f"{k}={v}" for k, v in spec.reference_levels.items())
    subprocess.run(
        ["Rscript", str(script), str(data_path), _lme4_formula(spec), refs, str(repeats), str(out)],
        check=True,
    )
    seconds = [float(x) for x in out.read_text().split()]
    fixef = pd.read_csv(f"{out}.fixef.csv")
    variance = pd.read_csv(f"{out}.vc.csv")["value"].to_numpy()
    levels = {
        variable: [ref, *sorted(set(frame[variable].dropna().astype(str)) - {ref})]
        for variable, ref in spec.reference_levels.items()
        if variable in frame.columns
    }
    names = [_project_name(str(n), levels) for n in fixef["term"]]
    return {
        "seconds": statistics.median(seconds),
        "fixef": dict(zip(names, fixef["value"].to_numpy(), strict=True)),
        "variance": variance,
    }


def _project_name(name: str, levels: dict[str, list[str]]) -> str:
    """lme4's coefficient name as patsy spells it: ``(Intercept)`` and ``sexm`` -> ``sex[T.m]``."""
    parts = []
    for part in name.split(":"):
        if part == "(Intercept)":
            part = "Intercept"
        for variable, values in levels.items():
            for level in values[1:]:
                if part == f"{variable}{level}":
                    part = f"{variable}[T.{level}]"
        parts.append(part)
    return ":".join(parts)


def _variance_vector(fitted: _mixed.EngineFit) -> np.ndarray:
    cov = fitted.cov_re
    # lme4's VarCorr order for (years | g): var(Intercept), var(years), cov, residual.
    return np.array([cov[0, 0], cov[1, 1], cov[1, 0], fitted.sigma2])


def _max_rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-12)))


def bench(
    sizes: list[int], repeats: int, with_statsmodels: bool, workdir: Path
) -> list[dict[str, Any]]:
    """Run the benchmark; one row of figures per size."""
    entry = read_params_file()["models"]["ssd12_mixed"]
    model = registry.build("ssd12_mixed", entry)
    assert isinstance(model, MixedLM)
    spec = _mixed.MixedSpec(
        formula=model.formula,
        re_formula=model.re_formula,
        groups=model.groups,
        reference_levels=dict(model.reference_levels),
        lrt_blocks={},
        engine="profiled",
        ci_level=0.95,
    )
    rows = []
    for size in sizes:
        inputs = simulate_inputs(size, seed=SEED)
        frame = _mixed.build_mixed_analysis_set(
            inputs,
            model.outcome,
            instrument=model.instrument,
        ).frame
        row: dict[str, Any] = {"trajectories": size, "measurements": len(frame)}

        def fast(frame: pd.DataFrame = frame) -> tuple[_mixed.Design, _mixed.EngineFit]:
            design = _mixed.build_design(frame, spec)
            return design, _mixed.fit_design(design, "profiled", reml=True)

        row["profiled_s"], (design, fitted) = _median_time(fast, repeats)
        row["profiled_converged"] = fitted.converged
        start = time.perf_counter()
        model.fit(inputs)
        row["profiled_with_lrt_s"] = time.perf_counter() - start
        problem = _lmm.prepare(design.y, design.x, design.z, design.groups)
        row["profiled_evaluations"] = _lmm.fit(problem).n_evaluations
        if with_statsmodels:
            from statsmodels.regression.mixed_linear_model import MixedLM as SmMixedLM

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sm_model = SmMixedLM(design.y, design.x, groups=design.groups, exog_re=design.z)
                start = time.perf_counter()
                sm_default = sm_model.fit(reml=True)
                row["statsmodels_default_s"] = time.perf_counter() - start
                start = time.perf_counter()
                sm_model.fit(reml=True, method=["lbfgs"])
                row["statsmodels_lbfgs_s"] = time.perf_counter() - start
            row["statsmodels_vs_profiled_fixef_max_rel"] = _max_rel(
                np.asarray(sm_default.fe_params), fitted.beta
            )
        lmer = _run_lmer(frame, spec, repeats, workdir)
        if lmer is not None:
            names = list(design.x_names)
            row["lmer_s"] = lmer["seconds"]
            row["profiled_over_lmer"] = row["profiled_s"] / lmer["seconds"]
            if "statsmodels_default_s" in row:
                row["statsmodels_default_over_lmer"] = (
                    row["statsmodels_default_s"] / lmer["seconds"]
                )
                row["statsmodels_lbfgs_over_lmer"] = row["statsmodels_lbfgs_s"] / lmer["seconds"]
            reference = np.array([lmer["fixef"][name] for name in names])
            row["fixef_max_rel_diff_vs_lmer"] = _max_rel(fitted.beta, reference)
            row["variance_max_rel_diff_vs_lmer"] = _max_rel(
                _variance_vector(fitted), lmer["variance"]
            )
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    return rows


def _markdown(rows: list[dict[str, Any]]) -> str:
    columns = [
        ("trajectories", "trajectories", "{:d}"),
        ("measurements", "measurements", "{:d}"),
        ("profiled_s", "profiled s", "{:.2f}"),
        ("statsmodels_default_s", "statsmodels default s", "{:.1f}"),
        ("statsmodels_lbfgs_s", "statsmodels lbfgs s", "{:.1f}"),
        ("lmer_s", "lmer s", "{:.2f}"),
        ("profiled_over_lmer", "profiled / lmer", "{:.2f}"),
        ("statsmodels_default_over_lmer", "statsmodels / lmer", "{:.0f}"),
        ("fixef_max_rel_diff_vs_lmer", "max rel diff fixef", "{:.1e}"),
        ("variance_max_rel_diff_vs_lmer", "max rel diff var", "{:.1e}"),
    ]
    present = [c for c in columns if any(c[0] in r for r in rows)]
    lines = ["| " + " | ".join(c[1] for c in present) + " |"]
    lines.append("|" + "---|" * len(present))
    for row in rows:
        cells = [fmt.format(row[key]) if key in row else "" for key, _, fmt in present]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 10000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-statsmodels", action="store_true")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows as JSON")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        rows = bench(args.sizes, args.repeats, not args.skip_statsmodels, Path(tmp))
    print(_markdown(rows))
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=2, default=float) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
