"""The DVC workflow as researchers use it: reviewable params, readable metrics, a fresh lock.

- ``dvc exp run -S key=value`` rewrites ``params.yaml`` with DVC's own YAML round trip; the file
  is kept in the form that round trip leaves unchanged, so a one-value change is a one-line diff.
- ``dvc metrics show`` / ``dvc exp show`` print the one declared metric (the headline set); every
  declared metric and plot not in the DVC cache is tracked by git, so it loads for HEAD.
- On a checkout where ``make repro`` has run (CI runs it on a fresh clone before ``make test``),
  ``dvc status`` is clean and ``dvc.lock`` equals the committed one.
"""

from __future__ import annotations

import difflib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import BIN, stale_stages, subprocess_env
from dvc.utils.serialize import modify_yaml

from pipeline.config import PARAMS_PATH, ROOT

#: Values a researcher might set with ``dvc exp run -S``.
EXPERIMENT_SETTINGS: tuple[tuple[tuple[str, ...], Any], ...] = (
    (("models", "improvement_logistic", "repeats"), 5),
    (("synth", "clients"), 2000),
    (("reporting", "min_n"), 5),
    (("models", "ssd12_mixed", "ci_level"), 0.9),
)


@pytest.mark.parametrize(("path", "value"), EXPERIMENT_SETTINGS, ids=lambda p: str(p))
def test_dvc_exp_set_changes_one_line_of_params(
    tmp_path: Path, path: tuple[str, ...], value: Any
) -> None:
    copy = tmp_path / "params.yaml"
    shutil.copy(PARAMS_PATH, copy)
    before = copy.read_text(encoding="utf-8").splitlines()
    with modify_yaml(copy) as data:
        node = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    after = copy.read_text(encoding="utf-8").splitlines()
    changed = [
        line
        for line in difflib.unified_diff(before, after, lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert len(changed) == 2, (
        "params.yaml is not in the form DVC writes back (block style for long lists and "
        "mappings, single quotes, no anchors), so `dvc exp run -S` rewrites more than the value:\n"
        + "\n".join(changed[:40])
    )


def test_params_have_no_anchors_or_aliases() -> None:
    text = PARAMS_PATH.read_text(encoding="utf-8")
    events = yaml.parse(text)
    assert not [e for e in events if getattr(e, "anchor", None)]


def _dvc_yaml() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "dvc.yaml").read_text(encoding="utf-8"))


def _declared(kind: str) -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    for stage in _dvc_yaml()["stages"].values():
        body = stage.get("do", stage)
        for item in body.get(kind, []) or []:
            if isinstance(item, str):
                out.append((item, {}))
            else:
                ((path, props),) = item.items()
                out.append((path, props or {}))
    return out


def test_the_only_declared_metric_is_the_headline_set() -> None:
    assert [path for path, _ in _declared("metrics")] == ["reports/metrics/headline.json"]


def test_uncached_metrics_and_plots_are_tracked_by_git() -> None:
    """`dvc metrics diff` / `dvc plots diff` / `dvc exp show` read HEAD's copy from git."""
    uncached = [
        path
        for kind in ("metrics", "plots")
        for path, props in _declared(kind)
        if props.get("cache") is False
    ]
    assert uncached
    for path in uncached:
        ignored = subprocess.run(
            ["git", "check-ignore", "-q", "--no-index", path], cwd=ROOT, check=False
        )
        assert ignored.returncode == 1, f"{path} is cache: false but git-ignored"


def test_stale_stages_ignores_only_an_always_changed_stage_that_is_otherwise_fresh() -> None:
    assert stale_stages({"pseudonym_key": ["always changed"]}) == {}
    changed = {"pseudonym_key": [{"changed outs": {"x": "deleted"}}, "always changed"]}
    assert stale_stages(changed) == changed
    assert stale_stages({"ingest": ["always changed"]}) == {"ingest": ["always changed"]}


def _reproduced() -> bool:
    lock = yaml.safe_load((ROOT / "dvc.lock").read_text(encoding="utf-8"))
    outs = [
        out["path"]
        for stage in (lock.get("stages") or {}).values()
        for out in stage.get("outs", []) or []
    ]
    return bool(outs) and all((ROOT / path).exists() for path in outs)


def test_committed_lock_is_what_this_checkout_reproduces() -> None:
    """After `make repro` (CI: on a fresh clone, before `make test`) nothing is stale."""
    if not _reproduced():
        pytest.skip("the pipeline has not been reproduced in this checkout (run `make repro`)")
    status = subprocess.run(
        [str(BIN / "dvc"), "status", "--json"],
        cwd=ROOT,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    assert stale_stages(json.loads(status.stdout or "{}")) == {}
    diff = subprocess.run(["git", "diff", "--quiet", "--", "dvc.lock"], cwd=ROOT, check=False)
    assert diff.returncode == 0, "dvc.lock differs from the committed one: commit it"


def _covered(path: str, deps: list[str]) -> bool:
    return any(path == dep or path.startswith(dep.rstrip("/") + "/") for dep in deps)


def test_report_depends_on_everything_its_provenance_records() -> None:
    """The provenance records print the hashes of the export, of every output of ingest, clean,
    score and the fits, and a fingerprint of those stages' code (read from ``dvc.lock``). A
    record of something the report does not depend on goes stale without DVC rerunning the
    report: a fresh clone then writes another report than the committed ``dvc.lock`` says."""
    from pipeline.stages.report import BASE_STAGES

    lock = yaml.safe_load((ROOT / "dvc.lock").read_text(encoding="utf-8"))["stages"]
    deps = [str(dep["path"]) for dep in lock["report"]["deps"]]
    recorded = [*BASE_STAGES, *(name for name in lock if name.startswith("fit@"))]
    code = {
        str(dep["path"])
        for stage in recorded
        for dep in lock[stage]["deps"]
        if str(dep["path"]).startswith("pipeline")
    }
    data = {str(out["path"]) for stage in recorded for out in lock[stage].get("outs", [])}
    data |= {
        str(dep["path"])
        for dep in lock["ingest"]["deps"]
        if str(dep["md5"]).endswith(".dir") and not str(dep["path"]).startswith("pipeline")
    }  # the export (and the profiles folder), as provenance.lock_hashes reads them
    missing = sorted(p for p in code | data if not _covered(p, deps))
    assert not missing, f"the report stage does not depend on: {missing}"
