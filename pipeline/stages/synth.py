"""DVC stage ``synth`` and the ``synth`` command: write the synthetic ROM export.

``main`` (what ``dvc.yaml`` runs) loads the ``synth`` block of ``params.yaml``, generates the
export and writes it to ``synth.out_dir`` in ``synth.format`` and the layout of
``synth.profile`` (``alk``, ``roqua`` or ``long``). ``run_cli`` serves
``python -m pipeline synth --out DIR [--clients N] [--seed S] [--format csv|xlsx|sav]
[--profile alk|roqua|long]``, with ``params.yaml`` supplying whatever is not given.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import Any

from pipeline.config import load_params, resolve
from pipeline.errors import PipelineError
from pipeline.io.export_writers import FORMATS, write_export, write_file_set
from pipeline.synth import SynthParams, generate
from pipeline.synth.profiles import PROFILES, profile_files

GENERATOR = "alk-rom-pipeline synth"


def manifest(params: SynthParams) -> dict[str, Any]:
    """The ``SYNTHETIC.json`` content of an export made with ``params``."""
    content: dict[str, Any] = {
        "synthetic": True,
        "generator": GENERATOR,
        "seed": params.seed,
        "clients": params.clients,
        "format": params.format,
        # the day the export was written (its data cut-off): ingest's export-date metadata
        "written_on": params.calendar.export_date,
    }
    if params.profile != "alk":  # the alk manifest stays as it always was
        content["profile"] = params.profile
    return content


def write_synthetic_export(params: SynthParams, out: Path) -> None:
    """Generate the export of ``params`` and write it to ``out``; report it on stderr."""
    tables = generate(params)
    if params.profile == "alk":
        write_export(tables, out, params.format, manifest(params))
        layout: str = params.format
    else:
        write_file_set(profile_files(tables, params, params.profile), out, manifest(params))
        layout = f"{params.profile} (csv)"
    rows = sum(len(frame) for name, frame in tables.items() if name != "trajectories")
    sys.stderr.write(
        f"synth: wrote {layout} export to {out}: {len(tables['trajectories'])} "
        f"trajectories of {params.clients} clients, {rows} administrations (seed {params.seed})\n"
    )


def run_cli(
    out: Path, clients: int | None, seed: int | None, fmt: str, profile: str | None = None
) -> None:
    """The ``synth`` command: ``None`` takes the value from ``params.yaml`` (the profile:
    ``alk``, whatever ``synth.profile`` says, unless given)."""
    if profile is not None and profile not in PROFILES:
        raise PipelineError(f"unknown profile '{profile}'; use one of {', '.join(PROFILES)}")
    if fmt not in FORMATS:
        raise PipelineError(f"unknown format '{fmt}'; use one of {', '.join(FORMATS)}")
    if clients is not None and clients < 1:
        raise PipelineError("--clients must be at least 1")
    if seed is not None and seed < 0:
        raise PipelineError("--seed must be 0 or more")
    params = load_params("synth", SynthParams)
    params = dataclasses.replace(
        params,
        clients=params.clients if clients is None else clients,
        seed=params.seed if seed is None else seed,
        format=fmt,  # type: ignore[arg-type]
        profile=profile or "alk",  # type: ignore[arg-type]
    )
    if params.profile != "alk" and fmt != "csv":
        raise PipelineError(f"--profile {params.profile} writes CSV files: leave --format csv")
    write_synthetic_export(params, Path(out))


def main(argv: list[str] | None = None) -> None:
    """DVC stage: write the export of the ``synth`` block to ``synth.out_dir``."""
    argparse.ArgumentParser(
        prog="python -m pipeline stage synth",
        description="Write the synthetic ROM export of params.yaml's synth block.",
    ).parse_args(argv if argv is not None else [])
    params = load_params("synth", SynthParams)
    write_synthetic_export(params, resolve(params.out_dir))
