"""The interval resamples are evaluated in blocks of :data:`CHUNK` rows of weights (one parallel
task each). Every measure of a resample comes from its own row of weights, so the block size
must not change a figure: checked against one block holding every resample.

To the last bit only where BLAS treats the rows alike: the matrix-vector products of the slope
fit go through OpenBLAS, whose kernels on this machine take rows four at a time and the rest
one by one, so a row can come out one unit in the last place apart when blocks do not start at
multiples of four (blocks of 7 below). :data:`CHUNK` is a multiple of four, so the default
resamples give the same bytes in blocks of 100 as in the blocks of 200 used before (checked on
the pipeline's outputs); the tolerance keeps the test true on other processors."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.models.prediction import _prediction_evaluate as ev
from pipeline.models.prediction import _prediction_metrics as pm


@pytest.mark.parametrize("kind", ["binary", "continuous"])
def test_block_size_does_not_change_the_resampled_measures(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(17)
    n, draws = 600, 30
    x = rng.normal(size=n)
    if kind == "binary":
        y = (rng.random(n) < 1 / (1 + np.exp(-(0.3 + x)))).astype(float)
        predictions = [np.round(1 / (1 + np.exp(-(0.1 + s * x))), 3) for s in (0.8, 1.1)]
    else:
        y = 2.0 + x + rng.normal(size=n)
        predictions = [2.1 + s * x for s in (0.8, 1.1)]
    mask = rng.random(n) < 0.4
    subgroups = [
        ev.Subgroup("sex", level, m, int(m.sum()), None, True)
        for level, m in (("f", mask), ("m", ~mask))
    ]
    weights = pm.cluster_bootstrap_weights(np.arange(n) // 2, draws, rng)
    thresholds = np.array([0.1, 0.2, 0.3]) if kind == "binary" else None
    monkeypatch.setattr(ev, "CHUNK", draws)
    whole = ev._resampled(kind, y, predictions, weights, thresholds, subgroups, 1)
    monkeypatch.setattr(ev, "CHUNK", 7)  # blocks of 7, 7, 7, 7 and 2 resamples
    blocks = ev._resampled(kind, y, predictions, weights, thresholds, subgroups, 1)
    assert whole.keys() == blocks.keys()
    for key in whole:
        assert whole[key].shape[0] == draws
        np.testing.assert_allclose(whole[key], blocks[key], rtol=1e-14, atol=1e-14, err_msg=key)
