"""Export sweep (``make sweep``): the whole pipeline on many deliberately unusual exports.

Every export is made by the project's own generator (``python -m pipeline synth`` with a varied
``synth`` block of ``params.yaml``), sometimes post-processed the way a real export differs (a
questionnaire table left out, another CSV dialect), and then analysed by ``dvc repro`` to the
end in its own copy of the project (``ingest.export_dir`` pointed at it). One line per export:
stages run, models estimable / not estimable, whether both reports were written, seconds. The
script exits non-zero when any stage crashes (``docs/robustness.md``).

Usage::

    python benchmarks/sweep.py                 # every export (the table in benchmarks/README.md)
    python benchmarks/sweep.py tiny_12 xlsx    # a subset, by name
    python benchmarks/sweep.py --list          # the exports and what each varies
    python benchmarks/sweep.py --full-models   # params.yaml's validation settings unchanged

By default the prediction models are validated with fewer repeats (``LIGHT_PREDICTION``): the
sweep tests that every stage runs to the end on every export, not the precision of the
validated performance. ``--full-models`` keeps the settings of ``params.yaml``.
"""

from __future__ import annotations

import argparse
import codecs
import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
#: The sweep's export inside each project copy (ingest.export_dir).
EXPORT = "data/raw/export"
#: Clients of an export unless the variant says otherwise.
DEFAULT_CLIENTS = 200
#: Faster validation of the prediction models (repeats x folds stay nested, folds unchanged).
LIGHT_PREDICTION: dict[str, Any] = {"repeats": 1, "imputations": 2, "ci_draws": 200, "n_jobs": 1}
FLAGS = (
    "cfs",
    "comorbid_asd",
    "comorbid_ptsd",
    "comorbid_personality",
    "comorbid_mild_id",
    "comorbid_opioid",
    "comorbid_childhood_trauma",
    "comorbid_depression",
    "comorbid_anxiety",
)
QUESTIONNAIRES = ("ssd12", "eq5d5l", "eq5d3l", "rand36", "phq15", "cqi")


# --------------------------------------------------------------------------- post-processing


def drop_tables(*names: str) -> Callable[[Path], None]:
    """Post-processor: delete the named questionnaire tables from a CSV export."""

    def post(export: Path) -> None:
        for name in names:
            (export / f"{name}.csv").unlink()

    return post


@dataclass(frozen=True)
class Dialect:
    """A CSV dialect the readers claim to read (``ingest.csv`` with ``auto``)."""

    delimiter: str
    decimal: str
    encoding: str  # utf-8, utf-8-sig or cp1252
    iso_dates: bool
    eol: str = "\r\n"
    seconds: bool = False


_NUMBER = re.compile(r"^-?\d+,\d+$")
_DATE = re.compile(r"^(\d{2})-(\d{2})-(\d{4})( \d{2}:\d{2})?$")


def _cell(value: str, dialect: Dialect) -> str:
    if dialect.decimal == "." and _NUMBER.match(value):
        return value.replace(",", ".")
    match = _DATE.match(value)
    if match:
        day, month, year, clock = match.groups()
        date = f"{year}-{month}-{day}" if dialect.iso_dates else f"{day}-{month}-{year}"
        if clock:
            date += clock + (":00" if dialect.seconds else "")
        return date
    return value


def rewrite_csv(dialect: Dialect) -> Callable[[Path], None]:
    """Post-processor: rewrite every table of a (Dutch) CSV export in another dialect."""

    def post(export: Path) -> None:
        for path in sorted(export.glob("*.csv")):
            text = path.read_bytes().decode("utf-8-sig")
            rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
            out = io.StringIO()
            writer = csv.writer(out, delimiter=dialect.delimiter, lineterminator=dialect.eol)
            writer.writerow(rows[0])
            writer.writerows([_cell(v, dialect) for v in row] for row in rows[1:])
            encoding = "utf-8" if dialect.encoding == "utf-8-sig" else dialect.encoding
            data = out.getvalue().encode(encoding)
            if dialect.encoding == "utf-8-sig":
                data = codecs.BOM_UTF8 + data
            path.write_bytes(data)

    return post


# --------------------------------------------------------------------------- the exports


@dataclass(frozen=True)
class Variant:
    """One export of the sweep.

    Attributes
    ----------
    name
        Short name (the project copy's folder, the row of the table).
    what
        What it varies, in words.
    clients
        Clients of the generator.
    synth
        Overrides of the ``synth`` block (nested mappings are merged).
    fmt
        Export format: csv, xlsx or sav.
    post
        Post-processing of the written export (delete a table, rewrite the CSV dialect).
    ingest_csv
        Overrides of ``ingest.csv`` (default: every option ``auto``).
    profile
        The export profile: the generator writes its layout, ingest reads it with it.
    """

    name: str
    what: str
    clients: int = DEFAULT_CLIENTS
    synth: Mapping[str, Any] = field(default_factory=dict)
    fmt: str = "csv"
    post: Callable[[Path], None] | None = None
    ingest_csv: Mapping[str, str] = field(default_factory=dict)
    profile: str = "alk"


def _years(n: int) -> dict[str, Any]:
    first = 2026 - n
    return {
        "calendar": {
            "first_start": f"{first}-01-01",
            "last_start": "2025-12-31",
            "export_date": "2025-12-31",
        }
    }


def _prevalence(absent: str, universal: str) -> dict[str, Any]:
    return {"population": {"prevalence": {absent: 0.0, universal: 1.0}}}


def variants() -> list[Variant]:
    """Every export of the sweep, in run order (small first)."""
    out = [
        Variant("tiny_12", "12 clients", clients=12),
        Variant("small_40", "40 clients", clients=40),
        Variant(
            "no_consent",
            "nobody gave research consent",
            clients=60,
            synth={"population": {"research_consent": 0.0}},
        ),
        Variant(
            "no_ended",
            "no ended trajectories: every start in the last 3 months, no drop-outs",
            clients=60,
            synth={
                "calendar": {
                    "first_start": "2025-10-02",
                    "last_start": "2025-12-31",
                    "export_date": "2025-12-31",
                },
                "effects": {"dropout": {"rate_per_year": 0.0}},
            },
        ),
        Variant("no_ssd12", "no ssd12 table", clients=60, post=drop_tables("ssd12")),
        Variant(
            "no_dropouts",
            "no drop-outs",
            clients=60,
            synth={"effects": {"dropout": {"rate_per_year": 0.0}}},
        ),
        Variant(
            "no_follow_up",
            "no follow-up measurements",
            synth={"schedule": {"follow_up_share": 0.0}},
        ),
        Variant(
            "only_ssd12",
            "eq5d5l, eq5d3l, rand36, phq15 and cqi tables missing",
            post=drop_tables(*(q for q in QUESTIONNAIRES if q != "ssd12")),
        ),
        Variant(
            "all_male",
            "every client male (the reference level f is absent)",
            synth={"population": {"sex": {"f": 0.0, "m": 1.0, "x": 0.0}}},
        ),
        Variant("years_1", "one calendar year (2025)", synth=_years(1)),
        Variant("years_3", "three calendar years (2023-2025)", synth=_years(3)),
    ]
    for i, flag in enumerate(FLAGS):
        universal = FLAGS[(i + 1) % len(FLAGS)]
        out.append(
            Variant(
                f"absent_{flag.removeprefix('comorbid_')}",
                f"{flag} absent, {universal} universal",
                synth=_prevalence(flag, universal),
            )
        )
    out += [
        Variant("xlsx", "one xlsx workbook", fmt="xlsx"),
        Variant("sav", "SPSS sav files", fmt="sav"),
        Variant(
            "csv_comma_point_iso",
            "CSV: ',' delimiter, decimal point, ISO dates, UTF-8 without BOM, LF",
            post=rewrite_csv(Dialect(",", ".", "utf-8", iso_dates=True, eol="\n")),
        ),
        Variant(
            "csv_cp1252",
            "CSV: ';', decimal comma, Windows-1252, dd-mm-yyyy hh:mm:ss",
            post=rewrite_csv(Dialect(";", ",", "cp1252", iso_dates=False, seconds=True)),
        ),
        Variant(
            "csv_semicolon_point",
            "CSV: ';', decimal point, UTF-8 without BOM, ISO dates",
            post=rewrite_csv(Dialect(";", ".", "utf-8", iso_dates=True)),
        ),
        Variant(
            "csv_explicit",
            "CSV: ',' and '.' with the ingest.csv options set explicitly",
            post=rewrite_csv(Dialect(",", ".", "utf-8", iso_dates=True, eol="\n")),
            ingest_csv={"delimiter": ",", "decimal": ".", "encoding": "utf-8"},
        ),
        Variant(
            "profile_roqua",
            "RoQua's export beside an EPD extract, read with profile roqua",
            profile="roqua",
        ),
        Variant(
            "profile_long",
            "one row per answered item, read with profile long",
            profile="long",
        ),
        Variant("years_7_1300", "7 calendar years (2019-2025), 1,300 clients", clients=1300),
        Variant("large_20000", "20,000 clients", clients=20000),
    ]
    return out


# --------------------------------------------------------------------------- running


#: The sweep's own pseudonym key. Exports the sweep changes after the generator wrote them (a
#: table deleted, a dialect rewritten) no longer match their SYNTHETIC.json digests, so ingest
#: rightly treats them as real exports, which need a key.
SWEEP_KEY = "export sweep only: a fixed test key, never for real data"


def env() -> dict[str, str]:
    """The environment of every subprocess: the venv first on PATH, the sweep's own key."""
    out = {k: v for k, v in os.environ.items() if k != "ROM_PSEUDONYM_KEY"}
    out["ROM_PSEUDONYM_KEY"] = SWEEP_KEY
    out["PATH"] = f"{BIN}{os.pathsep}{out.get('PATH', '')}"
    out.update(
        GIT_AUTHOR_NAME="sweep",
        GIT_AUTHOR_EMAIL="sweep@example.invalid",
        GIT_COMMITTER_NAME="sweep",
        GIT_COMMITTER_EMAIL="sweep@example.invalid",
        DVC_NO_ANALYTICS="1",
        MPLBACKEND="Agg",
    )
    return out


def _run(args: Sequence[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args), cwd=cwd, env=env(), capture_output=True, text=True, check=False
    )


def _merge(base: dict[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(dict(out[key]), value)
        else:
            out[key] = value
    return out


def make_project(dest: Path, *, light: bool = True) -> Path:
    """Copy the project's source files (no data, no dvc.lock) to ``dest`` as a git repo."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    for rel in filter(None, listed):
        src = ROOT / rel
        if src.is_file() and not rel.startswith(("data/", "reports/")) and rel != "dvc.lock":
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    params_path = dest / "params.yaml"
    params = yaml.safe_load(params_path.read_text(encoding="utf-8"))
    if light:
        for entry in params["models"].values():
            if entry.get("family") == "prediction":
                entry.update(LIGHT_PREDICTION)
    params["ingest"]["export_dir"] = EXPORT
    params_path.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    for args in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-qm", "copy"]):
        result = _run(args, dest)
        if result.returncode:
            raise RuntimeError(f"{' '.join(args)} failed: {result.stderr.strip()}")
    return dest


@dataclass
class Row:
    """The outcome of one export."""

    name: str
    clients: int
    fmt: str
    ok: bool
    stages_run: int
    stages_total: int
    estimable: int
    not_estimable: int
    reports: bool
    seconds: float
    reasons: dict[str, str]
    error: str = ""

    def line(self) -> str:
        models = f"{self.estimable} estimable / {self.not_estimable} not"
        state = "ok" if self.ok else f"FAILED: {self.error}"
        return (
            f"{self.name:<24} {self.clients:>6} {self.fmt:<4} stages {self.stages_run:>2}/"
            f"{self.stages_total:<2} models {models:<22} report {'yes' if self.reports else 'no'}"
            f" {self.seconds:7.1f} s  {state}"
        )


def run_variant(project: Path, variant: Variant, base_params: Mapping[str, Any]) -> Row:
    """Generate ``variant``'s export in ``project`` and run ``dvc repro`` to the end."""
    started = time.perf_counter()
    params = dict(base_params)
    params["synth"] = _merge(
        dict(base_params["synth"]),
        {**variant.synth, "clients": variant.clients, "format": variant.fmt},
    )
    params["ingest"] = _merge(
        dict(base_params["ingest"]),
        {"export_dir": EXPORT, "csv": dict(variant.ingest_csv), "profile": variant.profile},
    )
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False), "utf-8")
    export = project / EXPORT
    shutil.rmtree(export, ignore_errors=True)
    python = str(BIN / "python")
    made = _run(
        [python, "-m", "pipeline", "synth", "--out", EXPORT, "--format", variant.fmt,
         "--profile", variant.profile],
        project,
    )  # fmt: skip
    error = ""
    if made.returncode:
        error = "synth: " + made.stderr.strip().splitlines()[-1]
    elif variant.post is not None:
        variant.post(export)
    repro = _run([str(BIN / "dvc"), "repro"], project) if not error else None
    if repro is not None and repro.returncode:
        lines = [x for x in (repro.stderr + repro.stdout).splitlines() if x.strip()]
        crash = [x for x in lines if x.startswith(("error:", "ERROR", "Traceback"))]
        error = (crash or lines or ["dvc repro failed"])[-1][:300]
    stages_run = len(re.findall(r"Running stage '", repro.stdout)) if repro else 0
    dvc_yaml = yaml.safe_load((project / "dvc.yaml").read_text(encoding="utf-8"))
    total = len(dvc_yaml["stages"]) - 1 + len(params["models"])
    estimable = not_estimable = 0
    reasons: dict[str, str] = {}
    for name in params["models"]:
        path = project / "data" / "models" / name / "metrics.json"
        if not path.is_file():
            continue
        metrics = json.loads(path.read_text(encoding="utf-8"))
        if metrics.get("estimable") is False:
            not_estimable += 1
            reasons[name] = str(metrics.get("reason", ""))
        else:
            estimable += 1
    reports = all(
        any((project / "reports" / folder).glob("*")) for folder in ("annual", "research")
    )
    return Row(
        name=variant.name,
        clients=variant.clients,
        fmt=variant.fmt,
        ok=not error,
        stages_run=stages_run,
        stages_total=total,
        estimable=estimable,
        not_estimable=not_estimable,
        reports=reports,
        seconds=time.perf_counter() - started,
        reasons=reasons,
        error=error,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="run only these exports")
    parser.add_argument("--list", action="store_true", help="list the exports and exit")
    parser.add_argument("--full-models", action="store_true", help="keep params.yaml's models")
    parser.add_argument("--keep", action="store_true", help="keep the project copies")
    parser.add_argument("--reasons", action="store_true", help="print every not-estimable reason")
    parser.add_argument("--out", type=Path, default=None, help="folder for the project copies")
    args = parser.parse_args(argv)
    chosen = variants()
    if args.list:
        for v in chosen:
            print(f"{v.name:<24} {v.clients:>6} {v.fmt:<4} {v.what}")
        return 0
    if args.names:
        unknown = sorted(set(args.names) - {v.name for v in chosen})
        if unknown:
            parser.error(f"unknown export(s): {', '.join(unknown)}")
        chosen = [v for v in chosen if v.name in args.names]
    base = Path(args.out or tempfile.mkdtemp(prefix="alk-sweep-"))
    failed = 0
    print(f"sweep: {len(chosen)} exports; project copies under {base}", flush=True)
    for variant in chosen:
        project = make_project(base / variant.name, light=not args.full_models)
        params = yaml.safe_load((project / "params.yaml").read_text(encoding="utf-8"))
        row = run_variant(project, variant, params)
        print(row.line(), flush=True)
        if args.reasons:
            for name, reason in sorted(row.reasons.items()):
                print(f"    {name}: not estimable: {reason}", flush=True)
        failed += not row.ok
        if row.ok and not args.keep:
            shutil.rmtree(project, ignore_errors=True)
    print(f"sweep: {len(chosen) - failed} of {len(chosen)} exports ran to the end", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
