"""The fit stage writes the same bytes whichever SIMD path numpy takes.

numpy picks its vectorised loops at run time (AVX2 on one CPU, AVX-512 on another); their
results differ in the last bits (up to 5e-12 relative in the survival tables). Model outputs are
written to ``DIGITS`` significant digits so that a fresh clone's ``dvc repro`` on another machine
reproduces the committed ``dvc.lock``. Emulated here by switching the AVX-512 paths off
(``NPY_DISABLE_CPU_FEATURES``) in a second process; skipped on a CPU without AVX-512.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.config import ROOT

AVX512 = ("X86_V4", "AVX512_ICL", "AVX512_SKX")

FIT = """
import sys
from pathlib import Path
sys.path.insert(0, {tests!r})
from test_survival import _simulated_dropout
from pipeline.models.survival.cox_ph import CoxPH
from pipeline.models.survival.kaplan_meier import KaplanMeier
from pipeline.stages.fit import write_result
inputs = _simulated_dropout(400, seed=11, log_hr={{"comorbid_opioid": 0.7}})
out = Path(sys.argv[1])
cox = CoxPH(outcome="dropout", covariates=("comorbid_opioid", "comorbid_depression", "cfs"))
write_result(cox.fit(inputs), out / "cox")
km = KaplanMeier(outcome="dropout", groups=("comorbid_opioid",))
write_result(km.fit(inputs), out / "km")
"""


def _found_features() -> set[str]:
    from numpy._core._multiarray_umath import __cpu_features__  # type: ignore[import-not-found]

    return {name for name, on in __cpu_features__.items() if on}


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*.*"))
    }


@pytest.mark.skipif(
    not {"AVX512F", "AVX512_SKX"} <= _found_features(), reason="no AVX-512 path to compare"
)
def test_model_outputs_are_the_same_bytes_on_the_avx2_and_avx512_paths(tmp_path: Path) -> None:
    script = FIT.format(tests=str(ROOT / "tests"))
    runs = {}
    for label, disabled in (("native", ""), ("avx2", " ".join(AVX512))):
        env = {**os.environ, "NPY_DISABLE_CPU_FEATURES": disabled}
        out = tmp_path / label
        subprocess.run([sys.executable, "-c", script, str(out)], env=env, check=True, cwd=ROOT)
        runs[label] = _digests(out)
    assert runs["native"] and runs["native"] == runs["avx2"]
