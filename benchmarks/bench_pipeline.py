"""Benchmark: the whole pipeline, stage by stage, on generated exports of growing size.

Not a test (tests never assert on time). For each size (clients of the project's generator;
default 1,300, 5,200 and 20,800, with ``--largest`` also 83,200) the project's source files are
copied to a scratch folder (no data, no ``dvc.lock``), ``synth.clients`` is set to the size, and
every stage of ``dvc.yaml`` runs in the order ``dvc repro`` runs them (synth, pseudonym_key,
ingest, clean, score, one ``fit`` per ``models:`` entry, report), each as its own process with
the exact command of ``dvc.yaml``. DVC itself is left out so that its hashing and caching do
not blur the stages' figures; the commands, params and outputs are the ones ``dvc repro
--force`` runs.

Per stage it records

- wall time;
- CPU time (user + system) of the stage process and every worker process it waited for (the
  prediction family's joblib workers included), from ``wait4``; on a machine shared with other
  work CPU time is the figure to compare, since wall time grows with the load;
- peak memory: the largest resident set of any one process of the stage (``ru_maxrss``);
- the 1-minute load average (``/proc/loadavg``) before and after the stage.

The growth exponent of a stage is the slope of log CPU time (and of log wall time) against log
clients between the two largest sizes at which the stage was measured (1 = linear). Results go to ``benchmarks/output/pipeline-<label>.json``
and, with ``--readme LABEL``, as a table into ``benchmarks/README.md`` (between the markers
``<!-- bench_pipeline:LABEL -->`` and ``<!-- /bench_pipeline:LABEL -->``, added at the end of the
file the first time). ``--keep DIR`` keeps every scratch project (``DIR/clients-<n>``) so the
outputs of two versions of the code can be compared file by file.

Run ``python benchmarks/bench_pipeline.py [--sizes 1300 5200] [--largest] [--readme LABEL]
[--keep DIR] [--stages synth ingest ...]``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "benchmarks" / "output"
README = ROOT / "benchmarks" / "README.md"
DEFAULT_SIZES = (1300, 5200, 20800)
LARGEST = 83200


@dataclass
class StageRun:
    """Figures of one stage on one export."""

    stage: str
    clients: int
    wall_s: float
    cpu_s: float
    peak_mib: float
    load_before: float
    load_after: float
    returncode: int


def load_average() -> float:
    """The 1-minute load average of the machine."""
    try:
        return float(Path("/proc/loadavg").read_text(encoding="ascii").split()[0])
    except (OSError, ValueError, IndexError):
        return math.nan


def env() -> dict[str, str]:
    """The environment of every stage: this interpreter's bin folder first on PATH, no key."""
    out = {k: v for k, v in os.environ.items() if k != "ROM_PSEUDONYM_KEY"}
    out["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{out.get('PATH', '')}"
    out.update(DVC_NO_ANALYTICS="1", MPLBACKEND="Agg", PYTHONHASHSEED="0")
    return out


def copy_project(dest: Path, clients: int) -> None:
    """The project's tracked and untracked-but-not-ignored source files, no data, at ``dest``."""
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
    path = dest / "params.yaml"
    params = yaml.safe_load(path.read_text(encoding="utf-8"))
    params["synth"]["clients"] = clients
    path.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")


def stage_commands(project: Path) -> list[tuple[str, str]]:
    """``(stage, command)`` of every stage of ``dvc.yaml`` in file order (the order ``dvc
    repro`` runs this linear graph), ``foreach`` stages expanded over their params list."""
    stages = yaml.safe_load((project / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    params = yaml.safe_load((project / "params.yaml").read_text(encoding="utf-8"))
    out: list[tuple[str, str]] = []
    for name, stage in stages.items():
        if "foreach" in stage:
            source = str(stage["foreach"]).strip("${}")
            items = params
            for part in source.split("."):
                items = items[part]
            for key in items:
                out.append((f"{name}@{key}", stage["do"]["cmd"].replace("${key}", str(key))))
        else:
            out.append((name, stage["cmd"]))
    return out


def run_stage(project: Path, stage: str, command: str, clients: int, log: Path) -> StageRun:
    """Run one stage command in ``project``; wall, CPU and peak memory of its process tree."""
    argv = shlex.split(command)
    if argv[0] == "python":
        argv[0] = sys.executable
    load_before = load_average()
    with open(log, "a", encoding="utf-8") as out:
        out.write(f"\n== {stage}: {command}\n")
        out.flush()
        start = time.perf_counter()
        process = subprocess.Popen(argv, cwd=project, env=env(), stdout=out, stderr=out)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
    return StageRun(
        stage=stage,
        clients=clients,
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        peak_mib=usage.ru_maxrss / 1024.0,
        load_before=load_before,
        load_after=load_average(),
        returncode=process.returncode,
    )


def run_size(
    clients: int, work: Path, only: list[str] | None, done: list[StageRun], save: Path
) -> tuple[list[StageRun], int]:
    """Every stage on an export of ``clients`` clients; the runs and the trajectories count.
    After every stage the runs so far (``done`` and this size's) are saved to ``save``, so an
    interrupted benchmark keeps what it measured."""
    project = work / f"clients-{clients}"
    copy_project(project, clients)
    log = work / f"clients-{clients}.log"
    runs: list[StageRun] = []
    for stage, command in stage_commands(project):
        if only and stage.split("@")[0] not in only and stage not in only:
            continue
        run = run_stage(project, stage, command, clients, log)
        runs.append(run)
        save.write_text(
            json.dumps({"runs": [asdict(r) for r in [*done, *runs]]}, indent=2) + "\n",
            encoding="utf-8",
        )
        print(
            f"{clients:>6d} {stage:34s} wall {run.wall_s:8.1f} s  cpu {run.cpu_s:8.1f} s  "
            f"peak {run.peak_mib:7.0f} MiB  load {run.load_before:.2f}->{run.load_after:.2f}",
            flush=True,
        )
        if run.returncode != 0:
            raise SystemExit(f"stage {stage} failed at {clients} clients (log: {log})")
    trajectories = 0
    accounting = project / "data" / "processed" / "row_accounting.json"
    if accounting.exists():
        trajectories = int(
            json.loads(accounting.read_text(encoding="utf-8"))["trajectories"]["rows_read"]
        )
    return runs, trajectories


def exponent(small: float, large: float, n_small: int, n_large: int) -> float:
    """Slope of log time against log size between two sizes."""
    if small <= 0 or large <= 0 or n_small == n_large:
        return math.nan
    return math.log(large / small) / math.log(n_large / n_small)


def summarise(runs: list[StageRun]) -> dict[int, dict[str, StageRun]]:
    """Per size: every stage, plus ``prediction`` (sum of the prediction family's fits) and
    ``total`` (sum of all stages); loads of the sums are the maximum over their stages."""
    models = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))["models"]
    prediction = {f"fit@{k}" for k, v in models.items() if v.get("family") == "prediction"}
    out: dict[int, dict[str, StageRun]] = {}
    for run in runs:
        out.setdefault(run.clients, {})[run.stage] = run
    for clients, stages in out.items():
        for label, members in (
            ("prediction entries", [r for s, r in stages.items() if s in prediction]),
            ("total", list(stages.values())),
        ):
            if not members:
                continue
            stages[label] = StageRun(
                stage=label,
                clients=clients,
                wall_s=sum(r.wall_s for r in members),
                cpu_s=sum(r.cpu_s for r in members),
                peak_mib=max(r.peak_mib for r in members),
                load_before=min(min(r.load_before, r.load_after) for r in members),
                load_after=max(max(r.load_before, r.load_after) for r in members),
                returncode=max(r.returncode for r in members),
            )
    return out


def markdown(
    runs: list[StageRun], trajectories: dict[int, int], label: str, commit: str, python: str
) -> str:
    """The table of one benchmark run: a row per stage, wall / CPU / peak per size, exponent."""
    table = summarise(runs)
    sizes = sorted(table)
    stages = list(dict.fromkeys(stage for n in sizes for stage in table[n]))
    partial = {n for n in sizes if set(stages) - set(table[n])}
    head = ["stage"] + [
        f"{n:,} clients ({trajectories.get(n, 0):,} traj.){' †' if n in partial else ''}"
        for n in sizes
    ]
    if len(sizes) > 1:
        head.append("growth exponent (CPU / wall)")
    lines = [
        f"Code: commit `{commit}` ({label}); Python {python}. Cells: wall s / CPU s / peak MiB.",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for stage in stages:
        cells = [f"**{stage}**" if stage in ("total", "prediction entries") else stage]
        for n in sizes:
            run = table[n].get(stage)
            cells.append(
                "" if run is None else f"{run.wall_s:.1f} / {run.cpu_s:.1f} / {run.peak_mib:.0f}"
            )
        if len(sizes) > 1:
            sums = stage in ("total", "prediction entries")
            measured = [n for n in sizes if stage in table[n] and not (sums and n in partial)]
            if len(measured) < 2:
                cells.append("")
            else:
                (m, a), (n, b) = ((k, table[k][stage]) for k in measured[-2:])
                cpu = exponent(a.cpu_s, b.cpu_s, m, n)
                wall = exponent(a.wall_s, b.wall_s, m, n)
                note = "" if n == sizes[-1] else f" ({m:,}→{n:,})"
                cells.append(f"{cpu:.2f} / {wall:.2f}{note}")
        lines.append("| " + " | ".join(cells) + " |")
    loads = [f"{n:,}: {table[n]['total'].load_before:.1f}–{table[n]['total'].load_after:.1f}"
             for n in sizes if "total" in table[n]]  # fmt: skip
    lines += ["", "1-minute load average over each size's stages (min–max): " + "; ".join(loads)]
    if partial:
        lines.append(
            "† Not every stage was measured at this size: its sums cover the stages shown."
        )
    return "\n".join(lines)


def write_readme(section: str, label: str) -> None:
    """Put ``section`` between this label's markers in benchmarks/README.md."""
    start, end = f"<!-- bench_pipeline:{label} -->", f"<!-- /bench_pipeline:{label} -->"
    text = README.read_text(encoding="utf-8")
    block = f"{start}\n{section}\n{end}"
    if start in text and end in text:
        before = text.split(start, 1)[0]
        after = text.split(end, 1)[1]
        text = before + block + after
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    README.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--largest", action="store_true", help=f"also {LARGEST:,} clients")
    parser.add_argument("--stages", nargs="*", default=None, help="run only these stages")
    parser.add_argument("--label", default="latest", help="name of the JSON output")
    parser.add_argument("--readme", default=None, help="write the table under this label")
    parser.add_argument("--keep", type=Path, default=None, help="keep the scratch projects here")
    parser.add_argument(
        "--render", type=Path, default=None, help="only print (and --readme) the table of a JSON"
    )
    args = parser.parse_args(argv)
    if args.render is not None:
        saved = json.loads(args.render.read_text(encoding="utf-8"))
        runs = [StageRun(**r) for r in saved["runs"]]
        trajectories = {int(k): v for k, v in saved.get("trajectories", {}).items()}
        section = markdown(runs, trajectories, args.readme or args.label,
                           saved.get("commit", "unknown"), saved.get("python", "?"))  # fmt: skip
        print(section)
        if args.readme:
            write_readme(section, args.readme)
        return 0
    sizes = sorted(set(args.sizes) | ({LARGEST} if args.largest else set()))
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    commit = (commit or "unknown") + ("+changes" if dirty else "")
    print(f"code {commit}; cores {os.cpu_count()}; sizes {sizes}", flush=True)
    runs: list[StageRun] = []
    trajectories: dict[int, int] = {}
    OUTPUT.mkdir(parents=True, exist_ok=True)
    save = OUTPUT / f"pipeline-{args.label}.json"
    with tempfile.TemporaryDirectory(prefix="bench_pipeline_") as tmp:
        work = args.keep if args.keep is not None else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        for clients in sizes:
            if (work / f"clients-{clients}").exists():
                shutil.rmtree(work / f"clients-{clients}")
            size_runs, trajectories[clients] = run_size(clients, work, args.stages, runs, save)
            runs.extend(size_runs)
    save.write_text(
        json.dumps(
            {
                "commit": commit,
                "python": platform.python_version(),
                "trajectories": trajectories,
                "runs": [asdict(r) for r in runs],
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    section = markdown(runs, trajectories, args.readme or args.label, commit,
                       platform.python_version())  # fmt: skip
    print(section)
    if args.readme:
        write_readme(section, args.readme)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
