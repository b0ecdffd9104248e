"""Ingest, clean and ``score IN OUT`` outcomes of many exports, recorded to compare readers.

Issue 16 (part 5) replaced the CSV reader and the column parsers of ingest with faster ones; their
outputs must stay byte for byte what they were. This module runs every case of the bad-export
corpus (``tests/test_bad_exports.py``, except its simulated disk failures of ``score``) and a set
of larger synthetic exports (planted errors; the alk, roqua and long layouts; xlsx and sav; every
CSV dialect the readers claim; awkward but valid CSV: quoted cells, line breaks inside quotes,
blank lines, rows of bare delimiters, CR-only line ends) through the ingest stage, then the clean
stage, and records per case the exit status, the one-line error or the ``validate`` report, and
the SHA-256 of every file ingest and clean wrote; plus ``score IN OUT`` on a few files.

``tests/golden/ingest_outputs.json`` holds the outcomes recorded with the code BEFORE the reader
change (its ``recorded_with`` says which commit); ``tests/test_ingest_outputs_golden.py`` runs the
same cases with the current code and requires the same outcomes.

Usage (from the project folder, in its environment)::

    python tests/golden/ingest_outputs.py            # print the outcomes as JSON
    python tests/golden/ingest_outputs.py --write    # rewrite tests/golden/ingest_outputs.json

The parquet digests hold for the pinned pandas and pyarrow (both write their version into the
file); after re-pinning them, re-record with the code of the same commit before comparing.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import errno
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pandas as pd

TESTS = Path(__file__).resolve().parent.parent
ROOT = TESTS.parent
for path in (str(TESTS), str(ROOT / "benchmarks")):
    if path not in sys.path:
        sys.path.insert(0, path)

import test_bad_exports as bad  # noqa: E402
from sweep import Dialect, rewrite_csv  # noqa: E402

from pipeline import cli, config  # noqa: E402
from pipeline.clean import CleanParams  # noqa: E402
from pipeline.config import load_params  # noqa: E402
from pipeline.io.export_writers import write_export, write_file_set  # noqa: E402
from pipeline.stages import clean  # noqa: E402
from pipeline.stages.synth import manifest  # noqa: E402
from pipeline.synth import SynthParams, generate  # noqa: E402
from pipeline.synth.profiles import profile_files  # noqa: E402

GOLDEN = Path(__file__).with_name("ingest_outputs.json")
KEY = bad.KEY
#: Clients of the larger synthetic exports (with planted errors).
PLANTED_CLIENTS = 400
PLANTED_ERRORS = 3
#: The long layout's generator cannot write a planted answer above 100, which three planted
#: errors per table reach at this size: two there.
PLANTED_ERRORS_LONG = 2


# ------------------------------------------------------------------------------------------
# the exports
# ------------------------------------------------------------------------------------------


def _synth(clients: int, errors: int, **changes: Any) -> SynthParams:
    return dataclasses.replace(
        load_params("synth", SynthParams), clients=clients, errors=errors, **changes
    )


def _write(params: SynthParams, folder: Path) -> Path:
    tables = generate(params)
    if params.profile == "alk":
        write_export(tables, folder, params.format, manifest(params))
    else:
        write_file_set(profile_files(tables, params, params.profile), folder, manifest(params))
    return folder


class Exports:
    """The base exports, each written once into ``work`` and copied per case."""

    def __init__(self, work: Path) -> None:
        self.work = Path(work)
        self._made: dict[str, Path] = {}

    def _once(self, name: str, make: Callable[[Path], Path]) -> Path:
        if name not in self._made:
            self._made[name] = make(self.work / "base" / name)
        return self._made[name]

    def generated(self) -> Path:
        """The bad-export corpus's generated export (60 clients, no planted errors)."""
        return self._once("generated", lambda f: _write(_synth(60, 0), f))

    def layouts(self) -> dict[str, Path]:
        """The same in the roqua and long layouts."""
        return {
            p: self._once(f"generated_{p}", lambda f, p=p: _write(_synth(60, 0, profile=p), f))
            for p in ("roqua", "long")
        }

    def planted(self, profile: str = "alk", fmt: str = "csv") -> Path:
        """A larger export with planted errors in the given layout and format."""
        name = f"planted_{profile}_{fmt}"
        errors = PLANTED_ERRORS_LONG if profile == "long" else PLANTED_ERRORS
        params = _synth(PLANTED_CLIENTS, errors, profile=profile, format=fmt)
        return self._once(name, lambda f: _write(params, f))

    def embedded(self) -> Path:
        """The embedded export (``params.yaml``'s synth block as it is)."""
        return self._once("embedded", lambda f: _write(load_params("synth", SynthParams), f))


# ------------------------------------------------------------------------------------------
# awkward but valid CSV files (the readers must give the same cells)
# ------------------------------------------------------------------------------------------


def _records(path: Path) -> list[list[str]]:
    return bad._rows(path, "utf-8-sig")


def awkward_csv(folder: Path) -> None:
    """Quoted cells (with the delimiter, a doubled quote, a line break), blank lines, rows of
    bare delimiters, spaces around values, a quoted empty cell, an all-quoted file."""
    rows = _records(folder / "trajectories.csv")
    header, body = rows[0], rows[1:]
    team = header.index("team")
    body[0][team] = "Noord; west"
    body[1][team] = 'team "A"'
    body[2][team] = "Noord\nwest"
    body[3][header.index("diagnosis")] = "  ssd "
    body[4][header.index("sessions")] = " 12"
    lines = [";".join(_quote(c) for c in header)]
    for k, r in enumerate(body):
        lines.append(";".join(_quote(c) for c in r))
        if k in (3, 10):
            lines.append("")
        if k == 7:
            lines.append(";" * (len(header) - 1))
    (folder / "trajectories.csv").write_bytes(("\r\n".join(lines) + "\r\n\r\n").encode())
    rows = _records(folder / "ssd12.csv")
    text = io.StringIO()
    import csv

    csv.writer(text, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
    (folder / "ssd12.csv").write_bytes(text.getvalue().encode("utf-8"))


def _quote(cell: str) -> str:
    if any(c in cell for c in ';"\n\r'):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def cr_line_ends(folder: Path) -> None:
    """Old Mac line ends (CR only) in every CSV file; no BOM."""
    for path in sorted(folder.glob("*.csv")):
        text = path.read_bytes().decode("utf-8-sig")
        path.write_bytes(text.replace("\r\n", "\r").encode("utf-8"))


def utf8_bom_lf(folder: Path) -> None:
    """UTF-8 with BOM and LF line ends, a header of mixed case with spaces around names."""
    for path in sorted(folder.glob("*.csv")):
        text = path.read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
        head, rest = text.split("\n", 1)
        head = ";".join(f" {name.upper()} " if k % 3 == 0 else name
                        for k, name in enumerate(head.split(";")))  # fmt: skip
        path.write_bytes(b"\xef\xbb\xbf" + (head + "\n" + rest).encode("utf-8"))


def unnamed_and_other_columns(folder: Path) -> None:
    """An unnamed column and an extra column outside the contract, in two tables."""
    for table in ("trajectories", "eq5d5l"):
        rows = _records(folder / f"{table}.csv")
        rows[0] += ["", "locatie"]
        for k, r in enumerate(rows[1:]):
            r += [str(k % 3) if k % 2 else "", "Utrecht" if k % 2 else "Zwolle"]
        bad._rewrite(folder / f"{table}.csv", rows)


#: The larger exports: name -> (base, post-processing, extra ``ingest`` params).
Post = Callable[[Path], Any] | None
EXPORT_CASES: dict[str, tuple[str, Post, dict[str, Any]]] = {
    "embedded": ("embedded", None, {}),
    "planted_alk_csv": ("planted_alk_csv", None, {}),
    "planted_alk_xlsx": ("planted_alk_xlsx", None, {}),
    "planted_alk_sav": ("planted_alk_sav", None, {}),
    "planted_roqua": ("planted_roqua_csv", None, {"profile": "roqua"}),
    "planted_long": ("planted_long_csv", None, {"profile": "long"}),
    "dialect_comma_point_iso": (
        "planted_alk_csv", rewrite_csv(Dialect(",", ".", "utf-8", iso_dates=True, eol="\n")), {},
    ),
    "dialect_cp1252_seconds": (
        "planted_alk_csv",
        rewrite_csv(Dialect(";", ",", "cp1252", iso_dates=False, seconds=True)), {},
    ),
    "dialect_semicolon_point_iso": (
        "planted_alk_csv", rewrite_csv(Dialect(";", ".", "utf-8", iso_dates=True)), {},
    ),
    "dialect_utf8_sig": (
        "planted_alk_csv", rewrite_csv(Dialect(";", ",", "utf-8-sig", iso_dates=False)), {},
    ),
    "dialect_explicit": (
        "planted_alk_csv", rewrite_csv(Dialect(",", ".", "utf-8", iso_dates=True, eol="\n")),
        {"csv": {"delimiter": ",", "decimal": ".", "encoding": "utf-8"}},
    ),
    "dialect_date_format": (
        "planted_alk_csv", rewrite_csv(Dialect(";", ".", "utf-8", iso_dates=True)),
        {"csv": {"date_format": "%Y-%m-%d"}},
    ),
    "awkward_csv": ("planted_alk_csv", awkward_csv, {}),
    "cr_line_ends": ("planted_alk_csv", cr_line_ends, {}),
    "utf8_bom_lf_header_case": ("planted_alk_csv", utf8_bom_lf, {}),
    "unnamed_and_other_columns": ("planted_alk_csv", unnamed_and_other_columns, {}),
}  # fmt: skip

#: ``score IN OUT`` runs: name -> (base export, file).
SCORE_CASES: dict[str, tuple[str, str]] = {
    "score_ssd12": ("planted_alk_csv", "ssd12.csv"),
    "score_phq15": ("planted_alk_csv", "phq15.csv"),
    "score_eq5d5l": ("planted_alk_csv", "eq5d5l.csv"),
    "score_rand36_comma": ("dialect_comma_point_iso", "rand36.csv"),
    "score_awkward_ssd12": ("awkward_csv", "ssd12.csv"),
}


# ------------------------------------------------------------------------------------------
# running a case
# ------------------------------------------------------------------------------------------


def digests(folder: Path) -> dict[str, str]:
    """SHA-256 of every file below ``folder``, by relative path."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@contextlib.contextmanager
def _environment(params_path: Path, key: str | None) -> Iterator[None]:
    saved = os.environ.get("ROM_PSEUDONYM_KEY")
    if key is None:
        os.environ.pop("ROM_PSEUDONYM_KEY", None)
    else:
        os.environ["ROM_PSEUDONYM_KEY"] = key
    try:
        with mock.patch.object(config, "PARAMS_PATH", params_path):
            yield
    finally:
        if saved is None:
            os.environ.pop("ROM_PSEUDONYM_KEY", None)
        else:
            os.environ["ROM_PSEUDONYM_KEY"] = saved


def _run_cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)
    return code, out.getvalue(), err.getvalue()


def _shown(text: str, tmp: Path) -> str:
    return text.replace(str(tmp), "<tmp>")


def ingest_and_clean(
    export: Path,
    tmp: Path,
    params: dict[str, Any],
    key: str | None = KEY,
    fail_writes: int | None = None,
) -> dict[str, Any]:
    """Run the ingest stage (then, when it succeeds, the clean stage) and describe the result."""
    params_path = bad._params_file(tmp, export, params)
    out_dir = tmp / "data" / "ingested"
    argv = ["stage", "ingest", "--params", str(params_path), "--out", str(out_dir)]
    argv += ["--fingerprint-file", str(tmp / "fingerprint.json")]
    with contextlib.ExitStack() as stack:
        stack.enter_context(_environment(params_path, key))
        if fail_writes is not None:

            def fail(*args: object, **kwargs: object) -> None:
                raise OSError(fail_writes, "simulated")

            stack.enter_context(mock.patch.object(pd.DataFrame, "to_parquet", fail))
        code, _, err = _run_cli(argv)
    outcome: dict[str, Any] = {"status": code, "stderr": _shown(err, tmp)}
    if code != 0:
        return outcome
    outcome["ingested"] = digests(out_dir)
    accounting = json.loads((out_dir / "accounting.json").read_text("utf-8"))
    outcome["rows"] = {
        name: [e["rows_read"], e["rows_kept"], e["rows_quarantined"]]
        for name, e in accounting.items()
    }
    work = tmp / "clean_run"
    clean.run(
        load_params("clean", CleanParams),
        ingested_dir=out_dir,
        clean_dir=work / "clean",
        processed_dir=work / "processed",
        metrics_dir=work / "metrics",
    )
    outcome["clean"] = digests(work)
    return outcome


def validate(export: Path, tmp: Path, params: dict[str, Any], key: str | None) -> dict[str, Any]:
    params_path = bad._params_file(tmp, export, params)
    with _environment(params_path, key):
        code, out, err = _run_cli(["validate", str(export)])
    return {"status": code, "stdout": _shown(out, tmp), "stderr": _shown(err, tmp)}


def bad_export_case(case: bad.Case, exports: Exports, tmp: Path) -> dict[str, Any]:
    """One case of the bad-export corpus (``run`` ingest or validate)."""
    layouts = exports.layouts() if case.profile != "alk" else None
    export, _ = bad._prepare(case, exports.generated(), tmp, layouts)
    params = {**case.params, **bad._profile_param(case, tmp)}
    if case.run == "validate":
        return validate(export, tmp, params, case.key)
    fail = {"disk_full": errno.ENOSPC, "read_only_output": errno.EROFS}.get(case.name)
    return ingest_and_clean(export, tmp, params, case.key, fail)


def export_case(name: str, exports: Exports, tmp: Path) -> dict[str, Any]:
    """One of :data:`EXPORT_CASES`."""
    base, post, params = EXPORT_CASES[name]
    export = tmp / "export"
    source = exports.embedded() if base == "embedded" else _base(base, exports)
    shutil.copytree(source, export)
    if post is not None:
        post(export)
    return ingest_and_clean(export, tmp, params)


def _base(base: str, exports: Exports) -> Path:
    profile, fmt = base.removeprefix("planted_").rsplit("_", 1)
    return exports.planted(profile, fmt)


def score_case(name: str, exports: Exports, tmp: Path) -> dict[str, Any]:
    """One of :data:`SCORE_CASES`: ``score IN OUT`` on a file of an export."""
    base, file = SCORE_CASES[name]
    folder = tmp / "export"
    if base in EXPORT_CASES and EXPORT_CASES[base][1] is not None:
        shutil.copytree(_base(EXPORT_CASES[base][0], exports), folder)
        post = EXPORT_CASES[base][1]
        assert post is not None
        post(folder)
    else:
        shutil.copytree(_base(base, exports), folder)
    out = tmp / "scored.csv"
    code, stdout, err = _run_cli(["score", str(folder / file), str(out)])
    outcome: dict[str, Any] = {"status": code, "stdout": _shown(stdout, tmp)}
    outcome["stderr"] = _shown(err, tmp)
    if out.is_file():
        outcome["scored"] = hashlib.sha256(out.read_bytes()).hexdigest()
    return outcome


def case_names() -> list[str]:
    """Every recorded case, as ``group/name``."""
    names = [f"bad_exports/{c.name}" for c in bad.CASES if c.run != "score"]
    names += [f"exports/{n}" for n in EXPORT_CASES]
    names += [f"score/{n}" for n in SCORE_CASES]
    return names


def outcome(name: str, exports: Exports, tmp: Path) -> dict[str, Any]:
    """The outcome of one case (``tmp``: an empty folder of its own)."""
    group, case = name.split("/", 1)
    if group == "bad_exports":
        return bad_export_case(next(c for c in bad.CASES if c.name == case), exports, tmp)
    if group == "exports":
        return export_case(case, exports, tmp)
    return score_case(case, exports, tmp)


def record(work: Path) -> dict[str, Any]:
    exports = Exports(work)
    results = {}
    for k, name in enumerate(case_names()):
        tmp = work / "cases" / f"{k:03d}"
        tmp.mkdir(parents=True)
        results[name] = outcome(name, exports, tmp)
        print(f"{name}: status {results[name]['status']}", file=sys.stderr, flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"write {GOLDEN.name}")
    args = parser.parse_args()
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no", "pipeline"],
        cwd=ROOT, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="ingest_outputs_") as tmp:
        results = record(Path(tmp))
    data = {
        "note": "Outcomes of tests/golden/ingest_outputs.py (status, one-line error or validate "
        "report, SHA-256 of every file ingest and clean wrote; score IN OUT digests), recorded "
        "with the code of recorded_with, before the pyarrow reader of issue 16.",
        "recorded_with": commit + (" (pipeline/ modified)" if dirty else ""),
        "cases": results,
    }
    text = json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    if args.write:
        GOLDEN.write_text(text, encoding="utf-8")
        print(f"wrote {GOLDEN} ({len(results)} cases)", file=sys.stderr)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
