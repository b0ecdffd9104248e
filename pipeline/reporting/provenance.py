"""The provenance block of every report: code and data fingerprints, parameters, versions.

:func:`collect` is pure given what the stage read (``dvc.lock``, ``params.yaml`` and the
installed package versions); :func:`blocks` renders it. Nothing here carries a time stamp, an
absolute path or the git commit: a report is a DVC output recorded in ``dvc.lock``, so it cannot
name the commit that records it without changing with every commit. The code is identified
instead by :func:`code_fingerprint`, a digest of the DVC hashes of every code dependency of the
stages behind the report; the commit whose ``dvc.lock`` holds the same hashes is the code.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from pipeline.reporting.document import Block, Heading, Paragraph, Table

#: Packages whose versions are reported.
PACKAGES: tuple[str, ...] = (
    "dvc",
    "lifelines",
    "matplotlib",
    "numpy",
    "pandas",
    "pyarrow",
    "scikit-learn",
    "scipy",
    "statsmodels",
    "typst",
    "jinja2",
)


def lock_hashes(lock: Mapping[str, Any], stages: Iterable[str]) -> list[dict[str, str]]:
    """DVC hashes of the input export and of every output of ``stages`` (sorted by path).

    The export is the ``ingest`` stage's directory dependency (its path in ``params.yaml``;
    an absolute path, outside the project, is not printed: only its hash); outputs come from
    the ``outs`` of each stage in ``dvc.lock``.
    """
    entries: dict[str, dict[str, str]] = {}
    locked = lock.get("stages", {}) or {}
    ingest = locked.get("ingest", {}) or {}
    for dep in ingest.get("deps", []) or []:
        if str(dep.get("md5", "")).endswith(".dir") and not str(dep["path"]).startswith("pipeline"):
            path = str(dep["path"])
            shown = "(outside the project)" if path.startswith(("/", "~")) or ":" in path else path
            entries[path] = {
                "path": shown,
                "role": "input export",
                "md5": str(dep["md5"]),
            }
    for stage in sorted(set(stages)):
        for out in (locked.get(stage, {}) or {}).get("outs", []) or []:
            entries[str(out["path"])] = {
                "path": str(out["path"]),
                "role": f"output of {stage}",
                "md5": str(out.get("md5", out.get("hash", ""))),
            }
    return [entries[k] for k in sorted(entries)]


def code_fingerprint(lock: Mapping[str, Any], stages: Iterable[str]) -> str:
    """SHA-256 (first 16 hex digits) of the DVC hashes of the code the ``stages`` depend on.

    Every dependency under ``pipeline/`` of each stage in ``dvc.lock`` enters as ``path md5``,
    sorted, so the same code gives the same fingerprint in any clone and at any commit.
    """
    locked = lock.get("stages", {}) or {}
    lines = sorted(
        {
            f"{dep['path']} {dep.get('md5', dep.get('hash', ''))}"
            for stage in set(stages)
            for dep in (locked.get(stage, {}) or {}).get("deps", []) or []
            if str(dep.get("path", "")).startswith("pipeline")
        }
    )
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()[:16]


def flatten(params: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """``params`` as sorted (dotted key, JSON value) pairs."""
    out: list[tuple[str, str]] = []
    for key in sorted(params, key=str):
        value = params[key]
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping) and value:
            out.extend(flatten(value, name))
        else:
            out.append((name, json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)))
    return out


def collect(
    *,
    lock: Mapping[str, Any],
    stages: Iterable[str],
    params: Mapping[str, Any],
    versions: Mapping[str, str],
) -> dict[str, Any]:
    """The provenance record (JSON-able)."""
    stages = sorted(set(stages))
    return {
        "stages": stages,
        "code_fingerprint": code_fingerprint(lock, stages),
        "data": lock_hashes(lock, stages),
        "params": dict(flatten(params)),
        "packages": {k: versions[k] for k in sorted(versions)},
    }


def _role(role: str, dutch: bool) -> str:
    if not dutch:
        return role
    if role == "input export":
        return "ingelezen export"
    return role.replace("output of ", "uitvoer van ")


def blocks(record: Mapping[str, Any], lang: str) -> list[Block]:
    """The provenance section, Dutch (``nl``) or English (``en``)."""
    dutch = lang == "nl"
    intro = (
        f"Gemaakt met code-vingerafdruk {record['code_fingerprint']} (de DVC-hashes van de "
        "gebruikte code; de git commit waarvan dvc.lock dezelfde hashes bevat, is de code). De "
        "DVC-hashes hieronder identificeren de gebruikte gegevens; dezelfde gegevens en "
        "parameters geven hetzelfde verslag, byte voor byte."
        if dutch
        else f"Built with code fingerprint {record['code_fingerprint']} (a digest of the DVC "
        "hashes of the code used; the git commit whose dvc.lock holds the same hashes is the "
        "code). The DVC hashes below identify the data used; the same data and parameters give "
        "the same report, byte for byte."
    )
    data = Table(
        caption="Gegevens (DVC md5)" if dutch else "Data (DVC md5)",
        header=("Pad", "Rol", "md5") if dutch else ("Path", "Role", "md5"),
        rows=tuple((d["path"], _role(d["role"], dutch), d["md5"]) for d in record["data"]),
    )
    params = Table(
        caption="Parameters (params.yaml)",
        header=("Parameter", "Waarde" if dutch else "Value"),
        rows=tuple((k, v) for k, v in record["params"].items()),
    )
    packages = Table(
        caption="Softwareversies" if dutch else "Package versions",
        header=("Pakket" if dutch else "Package", "Versie" if dutch else "Version"),
        rows=tuple((k, v) for k, v in record["packages"].items()),
    )
    stage_list = ", ".join(record.get("stages", []))
    stages = Paragraph(
        f"Stappen (DVC-stages) waarop het verslag berust: {stage_list}, daarna report."
        if dutch
        else f"DVC stages the report rests on: {stage_list}, then report."
    )
    return [
        Heading("Verantwoording" if dutch else "Provenance", 2, "provenance"),
        Paragraph(intro),
        stages,
        data,
        packages,
        params,
    ]
