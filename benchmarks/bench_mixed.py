"""Benchmark: fit time of the default SSD-12 mixed model, fast engine vs statsmodels vs lme4.

Not a test (tests never assert on time). For 1,000, 5,000 and 10,000 trajectories drawn from
the planted linear mixed model of :mod:`pipeline.models._simulate`, the ``ssd12_mixed`` entry
of params.yaml (random intercept and slope per trajectory, 8 comorbidities and their
interaction with time, age, sex, diagnosis) is fitted by REML with

- ``profiled``: this project's engine (lme4's profiled REML criterion, vectorised per
  trajectory, L-BFGS-B with an analytic gradient): design matrices + fit + convergence checks;
- ``lmer``: ``lme4::lmer`` with default settings, timed inside R (``system.time`` around
  ``lmer``, model frame included, reading the CSV and starting R excluded), when ``Rscript`` is
  on the PATH;
- ``statsmodels``: statsmodels ``MixedLM`` with default settings, and with L-BFGS only (the
  project's ``engine: statsmodels``).

The contenders alternate within each of ``--repeats`` rounds (profiled, lmer, statsmodels
default, statsmodels lbfgs; the order rotates by one each round), so that every contender meets
the same load from other processes and a ratio compares like with like. Each fit records wall
time and CPU time (user + system of all its threads; R's ``system.time`` user + system); the
tables give the median of each, the ratios to lmer of both, and the 1-minute load average
during the rounds. On a shared machine read the CPU ratios: wall time grows with the load,
CPU time much less (the engine's BLAS may use two cores where lmer uses one, which the CPU
figures show). The estimates are compared with lmer's (largest relative difference over fixed
effects and variance components). Run ``python benchmarks/bench_mixed.py [--sizes 1000 5000]
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
st <- system.time(fit <- lmer(f, data = d, REML = TRUE))
cpu <- sum(st[c("user.self", "sys.self")], st[c("user.child", "sys.child")], na.rm = TRUE)
cat(sprintf("%.17g", c(st[["elapsed"]], cpu)), sep = "\n", file = args[[4]])
vc <- as.data.frame(VarCorr(fit))
write.csv(data.frame(term = names(fixef(fit)), value = unname(fixef(fit))),
          paste0(args[[4]], ".fixef.csv"), row.names = FALSE)
write.csv(data.frame(value = vc$vcov), paste0(args[[4]], ".vc.csv"), row.names = FALSE)
"""


def load_average() -> float:
    """The 1-minute load average of the machine."""
    try:
        return float(Path("/proc/loadavg").read_text(encoding="ascii").split()[0])
    except (OSError, ValueError, IndexError):
        return float("nan")


def _timed(func: Any) -> tuple[float, float, Any]:
    """Wall and CPU seconds (this process, every thread) of one call, and its result."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = func()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def _lme4_formula(spec: _mixed.MixedSpec) -> str:
    random = spec.re_formula.split("~", 1)[1].strip()
    return f"{spec.formula} + ({random} | {spec.groups})"


def _lmer_once(
    data_path: Path, spec: _mixed.MixedSpec, workdir: Path
) -> tuple[float, float, Path] | None:
    """One lmer fit in a fresh R process: its wall and CPU seconds (inside R) and the
    prefix of its estimate files."""
    if shutil.which("Rscript") is None:
        return None
    script = workdir / "bench.R"
    if not script.exists():
        script.write_text(R_SCRIPT, encoding="utf-8")
    out = workdir / "lmer_times.txt"
    refs = ";".join(f"{k}={v}" for k, v in spec.reference_levels.items())
    subprocess.run(
        ["Rscript", str(script), str(data_path), _lme4_formula(spec), refs, str(out)],
        check=True,
    )
    wall, cpu = (float(x) for x in out.read_text().split())
    return wall, cpu, out


def _lmer_estimates(out: Path, frame: pd.DataFrame, spec: _mixed.MixedSpec) -> dict[str, Any]:
    fixef = pd.read_csv(f"{out}.fixef.csv")
    variance = pd.read_csv(f"{out}.vc.csv")["value"].to_numpy()
    levels = {
        variable: [ref, *sorted(set(frame[variable].dropna().astype(str)) - {ref})]
        for variable, ref in spec.reference_levels.items()
        if variable in frame.columns
    }
    names = [_project_name(str(n), levels) for n in fixef["term"]]
    return {"fixef": dict(zip(names, fixef["value"].to_numpy(), strict=True)), "variance": variance}


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
        data_path = workdir / f"data_{size}.csv"
        frame.to_csv(data_path, index=False, float_format="%.17g")
        design = _mixed.build_design(frame, spec)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from statsmodels.regression.mixed_linear_model import MixedLM as SmMixedLM

            sm_model = SmMixedLM(design.y, design.x, groups=design.groups, exog_re=design.z)

        def profiled(frame: pd.DataFrame = frame) -> tuple[_mixed.Design, _mixed.EngineFit]:
            design = _mixed.build_design(frame, spec)
            return design, _mixed.fit_design(design, "profiled", reml=True)

        def sm_default(model: Any = sm_model) -> Any:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return model.fit(reml=True)

        def sm_lbfgs(model: Any = sm_model) -> Any:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return model.fit(reml=True, method=["lbfgs"])

        contenders = ["profiled", "lmer"]
        if with_statsmodels:
            contenders += ["statsmodels_default", "statsmodels_lbfgs"]
        times: dict[str, list[tuple[float, float]]] = {c: [] for c in contenders}
        results: dict[str, Any] = {}
        loads = [load_average()]
        for round_ in range(repeats):
            shift = round_ % len(contenders)
            for name in contenders[shift:] + contenders[:shift]:
                if name == "lmer":
                    measured = _lmer_once(data_path, spec, workdir)
                    if measured is None:
                        continue
                    wall, cpu, results["lmer"] = measured
                else:
                    func = {"profiled": profiled, "statsmodels_default": sm_default,
                            "statsmodels_lbfgs": sm_lbfgs}[name]  # fmt: skip
                    wall, cpu, results[name] = _timed(func)
                times[name].append((wall, cpu))
                loads.append(load_average())
        row["rounds"] = repeats
        row["order"] = ", ".join(contenders)
        row["load_min"], row["load_max"] = min(loads), max(loads)
        for name, pairs in times.items():
            if pairs:
                row[f"{name}_s"] = statistics.median(w for w, _ in pairs)
                row[f"{name}_cpu_s"] = statistics.median(c for _, c in pairs)
        _, fitted = results["profiled"]
        row["profiled_converged"] = fitted.converged
        wall, cpu, _ = _timed(lambda inputs=inputs: model.fit(inputs))
        row["profiled_with_lrt_s"], row["profiled_with_lrt_cpu_s"] = wall, cpu
        problem = _lmm.prepare(design.y, design.x, design.z, design.groups)
        row["profiled_evaluations"] = _lmm.fit(problem).n_evaluations
        if "statsmodels_default" in results:
            row["statsmodels_vs_profiled_fixef_max_rel"] = _max_rel(
                np.asarray(results["statsmodels_default"].fe_params), fitted.beta
            )
        if "lmer" in results and "lmer_s" in row:
            lmer = _lmer_estimates(results["lmer"], frame, spec)
            for name in contenders:
                if name != "lmer" and f"{name}_s" in row:
                    row[f"{name}_over_lmer"] = row[f"{name}_s"] / row["lmer_s"]
                    row[f"{name}_cpu_over_lmer"] = row[f"{name}_cpu_s"] / row["lmer_cpu_s"]
            reference = np.array([lmer["fixef"][name] for name in design.x_names])
            row["fixef_max_rel_diff_vs_lmer"] = _max_rel(fitted.beta, reference)
            row["variance_max_rel_diff_vs_lmer"] = _max_rel(
                _variance_vector(fitted), lmer["variance"]
            )
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    return rows


def _markdown(rows: list[dict[str, Any]]) -> str:
    columns = [
        ("trajectories", "trajectories", "{:,d}"),
        ("measurements", "measurements", "{:,d}"),
        ("profiled_s", "profiled wall / CPU s", "{:.2f}", "profiled_cpu_s"),
        ("lmer_s", "lmer wall / CPU s", "{:.2f}", "lmer_cpu_s"),
        ("statsmodels_default_s", "statsmodels default wall / CPU s", "{:.1f}",
         "statsmodels_default_cpu_s"),
        ("statsmodels_lbfgs_s", "statsmodels lbfgs wall / CPU s", "{:.1f}",
         "statsmodels_lbfgs_cpu_s"),
        ("profiled_over_lmer", "profiled / lmer wall / CPU", "{:.2f}", "profiled_cpu_over_lmer"),
        ("statsmodels_default_over_lmer", "statsmodels / lmer wall / CPU", "{:.0f}",
         "statsmodels_default_cpu_over_lmer"),
        ("fixef_max_rel_diff_vs_lmer", "max rel diff fixef", "{:.1e}"),
        ("variance_max_rel_diff_vs_lmer", "max rel diff var", "{:.1e}"),
        ("load_min", "load (1-min avg)", "{:.1f}", "load_max"),
    ]  # fmt: skip
    present = [c for c in columns if any(c[0] in r for r in rows)]
    lines = ["| " + " | ".join(c[1] for c in present) + " |"]
    lines.append("|" + "---|" * len(present))
    for row in rows:
        cells = []
        for column in present:
            key, fmt = column[0], column[2]
            if key not in row:
                cells.append("")
                continue
            cell = fmt.format(row[key])
            if len(column) > 3 and column[3] in row:
                sep = "–" if key == "load_min" else " / "
                cell += sep + fmt.format(row[column[3]])
            cells.append(cell)
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
