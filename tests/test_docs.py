"""The user documentation (``docs/``) against the code it documents.

The tables of accepted codes, columns and item ranges in ``docs/input-format.md`` and the column
lists of ``docs/outputs.md`` are checked against the code (``pipeline.ingest.normalise``,
``pipeline.ingest.contract``, ``pipeline.instruments.catalogue``) and against what the ``score``
stage writes on a small generated export, so a code added, a column added or a type changed
without its documentation fails here. Tables are marked in the pages by HTML comments
(``<!-- columns:NAME -->`` ... ``<!-- /columns -->``, ``<!-- codes:NAME -->`` ... ``<!-- /codes -->``).
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
from collections.abc import Mapping

import pandas as pd
import pytest

from pipeline import clean as clean_module
from pipeline.clean import CleanParams, WindowParams, clean_tables
from pipeline.config import ROOT, load_params
from pipeline.ingest import IngestParams, ingest_tables, normalise
from pipeline.ingest.contract import TRAJECTORY_CONTRACT, questionnaire_contract
from pipeline.ingest.pseudonym import DEMO_KEY
from pipeline.ingest.tables import QUARANTINE_COLUMNS
from pipeline.instruments.catalogue import INSTRUMENT_ITEMS
from pipeline.instruments.params import ScoreParams
from pipeline.instruments.registry import build_instruments, outcome_scores
from pipeline.io import read_parquet, write_parquet
from pipeline.io.export_readers import read_export
from pipeline.io.export_writers import write_export
from pipeline.models.base import COEFFICIENT_COLUMNS
from pipeline.stages import score as score_stage
from pipeline.synth import SynthParams, generate

DOCS = ROOT / "docs"
CODE = re.compile(r"`([^`]+)`")
#: A path into the requirements folder next to the repository (spelt in pieces so that this
#: file does not match itself).
OUTSIDE = re.compile(r"\.\./(\.\./)*" + "shared" + r"\b|/work/" + "shared")


def _block(page: str, kind: str, name: str) -> list[list[str]]:
    """The body rows of the marked table ``kind:name`` of ``docs/<page>``, as cell lists."""
    text = (DOCS / page).read_text(encoding="utf-8")
    match = re.search(rf"<!-- {kind}:{re.escape(name)} -->\n(.*?)<!-- /{kind} -->", text, re.S)
    assert match, f"docs/{page} has no table marked {kind}:{name}"
    rows = []
    for line in match.group(1).strip().splitlines()[2:]:  # skip header and rule
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
        rows.append(cells)
    return rows


def _codes(cell: str) -> list[str]:
    return CODE.findall(cell)


# --------------------------------------------------------------------------------------------
# docs/input-format.md


@pytest.mark.parametrize(
    ("name", "mapping"),
    [
        ("sex", normalise.SEX_VALUES),
        ("end_reason", normalise.END_REASON_VALUES),
        ("diagnosis", normalise.DIAGNOSIS_VALUES),
    ],
)
def test_every_accepted_category_spelling_is_documented(
    name: str, mapping: Mapping[str, str]
) -> None:
    documented = {}
    for column, canonical, spellings in _block("input-format.md", "codes", name):
        assert _codes(column) == [name]
        documented[_codes(canonical)[0]] = set(_codes(spellings))
    expected: dict[str, set[str]] = {}
    for spelling, canonical in mapping.items():
        expected.setdefault(canonical, set()).add(spelling)
    assert documented == expected


def test_every_accepted_binary_spelling_is_documented() -> None:
    documented = {
        int(_codes(value)[0]): set(_codes(spellings))
        for value, spellings in _block("input-format.md", "codes", "binary")
    }
    expected: dict[int, set[str]] = {}
    for spelling, value in normalise.BINARY_VALUES.items():
        expected.setdefault(value, set()).add(spelling)
    assert documented == expected


def test_every_treatment_modality_is_documented_in_order() -> None:
    documented = [_codes(row[0])[0] for row in _block("input-format.md", "codes", "modalities")]
    assert tuple(documented) == normalise.MODALITIES == clean_module.MODALITIES


def _column_rows(page: str, name: str) -> list[tuple[str, list[str]]]:
    return [(_codes(row[0])[0], row) for row in _block(page, "columns", name)]


def test_trajectory_columns_kinds_and_requirement_are_documented() -> None:
    rows = _column_rows("input-format.md", "trajectories")
    assert [name for name, _ in rows] == list(TRAJECTORY_CONTRACT.names)
    for name, row in rows:
        spec = TRAJECTORY_CONTRACT.column(name)
        assert row[1] == spec.kind, name
        assert row[2] == ("yes" if spec.required else "no"), name
        assert row[3].startswith("quarantined") == (not spec.nullable), name


def test_questionnaire_columns_are_documented() -> None:
    rows = _column_rows("input-format.md", "questionnaire")
    for instrument in INSTRUMENT_ITEMS:
        contract = questionnaire_contract(instrument)
        common = [c for c in contract.columns if c.kind != "item"]
        assert [name for name, _ in rows] == [c.name for c in common]
        for (name, row), spec in zip(rows, common, strict=True):
            assert row[1] == spec.kind, name
            assert row[2] == ("yes" if spec.required else "no"), name
            assert row[3].startswith("quarantined") == (not spec.nullable), name


def _expand(cell: str, table: str) -> list[str]:
    """``a`` … ``b`` as every item name between them; a list of names as itself."""
    names = _codes(cell)
    if "…" not in cell:
        return names
    first, last = names
    order = [item.name for item in INSTRUMENT_ITEMS[table]]
    return order[order.index(first) : order.index(last) + 1]


def test_every_item_and_its_range_is_documented() -> None:
    documented: dict[str, list[tuple[str, int, int]]] = {}
    for table_cell, items_cell, answers in _block("input-format.md", "codes", "items"):
        table = _codes(table_cell)[0]
        low, high = (int(v) for v in re.match(r"(\d+)–(\d+)", answers).groups())  # type: ignore[union-attr]
        documented.setdefault(table, []).extend((i, low, high) for i in _expand(items_cell, table))
    expected = {
        table: [(item.name, item.low, item.high) for item in items]
        for table, items in INSTRUMENT_ITEMS.items()
    }
    assert documented == expected


def test_timepoint_window_defaults_are_documented() -> None:
    text = (DOCS / "input-format.md").read_text(encoding="utf-8")
    w = WindowParams()
    for default in (
        f"s − {w.intake_before_days} … s + {w.intake_after_days}",
        f"s + {w.intake_after_days + 1} … e − {w.end_before_days + 1}",
        f"e − {w.end_before_days} … e + {w.end_after_days}",
        f"e + {w.end_after_days + 1} … e + {w.follow_up_days}",
    ):
        assert default in text, default


# --------------------------------------------------------------------------------------------
# docs/outputs.md against what the score stage writes


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    """``scores.parquet`` and ``trajectories.parquet`` as the score stage writes them for a
    small generated export (synth -> ingest -> clean -> score, the project's parameters)."""
    tmp = tmp_path_factory.mktemp("docs_outputs")
    params = dataclasses.replace(load_params("synth", SynthParams), clients=60)
    write_export(generate(params), tmp / "export", "csv", {"synthetic": True})
    ingested = ingest_tables(
        read_export(tmp / "export"), load_params("ingest", IngestParams), DEMO_KEY
    )
    clean = clean_tables(ingested.tables, load_params("clean", CleanParams))
    write_parquet(clean.administrations, tmp / "clean" / "administrations.parquet")
    write_parquet(clean.trajectories, tmp / "clean" / "trajectories.parquet")
    score_stage.run(
        load_params("score", ScoreParams),
        clean_dir=tmp / "clean",
        processed_dir=tmp / "processed",
        metrics_dir=tmp / "metrics",
    )
    return {
        name: read_parquet(tmp / "processed" / f"{name}.parquet")
        for name in ("scores", "trajectories")
    }


def _documented_type(cell: str) -> str:
    """The pandas dtype name of a documented type (``str`` and ``str, null`` are object)."""
    return "object" if cell.split(",")[0] == "str" else cell


def _outcome_columns() -> list[tuple[str, str]]:
    scores = [_codes(row[0])[0] for row in _block("outputs.md", "columns", "outcome-scores")]
    suffixes = [
        (_codes(row[0])[0], row[1]) for row in _block("outputs.md", "columns", "outcome-suffixes")
    ]
    return [(f"{s}{suffix}", kind) for s in scores for suffix, kind in suffixes]


def test_scores_parquet_columns_and_types_are_documented(
    written: dict[str, pd.DataFrame],
) -> None:
    documented = [
        (name, _documented_type(row[1])) for name, row in _column_rows("outputs.md", "scores")
    ]
    actual = [(str(c), str(t)) for c, t in written["scores"].dtypes.items()]
    assert documented == actual


def test_trajectories_parquet_columns_and_types_are_documented(
    written: dict[str, pd.DataFrame],
) -> None:
    documented = [
        (name, _documented_type(row[1])) for name, row in _column_rows("outputs.md", "trajectories")
    ]
    documented += _outcome_columns()
    actual = [(str(c), str(t)) for c, t in written["trajectories"].dtypes.items()]
    assert documented == actual
    text = (DOCS / "outputs.md").read_text(encoding="utf-8")
    assert f"{len(actual)} columns in this order" in text


def test_outcome_scores_are_those_of_the_instruments() -> None:
    documented = [_codes(row[0])[0] for row in _block("outputs.md", "columns", "outcome-scores")]
    assert tuple(documented) == outcome_scores(build_instruments())


def test_quarantine_and_coefficient_columns_are_documented() -> None:
    text = (DOCS / "outputs.md").read_text(encoding="utf-8")
    quarantine = text.split("## Quarantine", 1)[1].split("Reasons", 1)[0]
    assert [c for c in CODE.findall(quarantine) if c in QUARANTINE_COLUMNS] == list(
        QUARANTINE_COLUMNS
    )
    models = text.split("## Models", 1)[1].split("`metrics.json`:", 1)[0]
    rows = [_codes(line.split("|")[1]) for line in models.splitlines() if line.startswith("| `")]
    assert [c for row in rows for c in row][: len(COEFFICIENT_COLUMNS)] == list(COEFFICIENT_COLUMNS)


# --------------------------------------------------------------------------------------------
# Nothing points outside the repository


def test_no_file_refers_to_documents_outside_the_repository() -> None:
    """Code, tests, docs and configuration name the project's own pages, never a folder
    outside the repository (the requirements documents a user's clone does not have)."""
    listed = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    offenders = []
    for name in listed:
        path = ROOT / name
        if name == "dvc.lock" or not path.is_file() or path.suffix in {".parquet", ".pdf", ".png"}:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        if OUTSIDE.search(text):
            offenders.append(name)
    assert offenders == []


def test_every_page_named_in_a_docstring_exists() -> None:
    """``docs/<page>.md`` named in the package, tests, notebooks, configuration or READMEs
    exists."""
    files = [
        *(ROOT / "pipeline").rglob("*.py"),
        *(ROOT / "tests").rglob("*.py"),
        *(ROOT / "notebooks").glob("*.py"),
        *(ROOT / name for name in ("params.yaml", "dvc.yaml", "README.md", "data/README.md")),
    ]
    named = set()
    for path in files:
        text = path.read_text(encoding="utf-8")
        named.update(re.findall(r"(?<![\w/.])docs/([a-z0-9/_-]+\.md)", text))
    missing = sorted(p for p in named if not (DOCS / p).is_file())
    assert missing == []
