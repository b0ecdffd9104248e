"""The published checks of the instruments (``docs/instruments.md``), and the shipped reference tables."""

from __future__ import annotations

import hashlib
import itertools

import numpy as np
import pytest

from pipeline.change import cutoff, reliable_change_threshold, s_diff
from pipeline.config import PACKAGE_REFERENCE
from pipeline.instruments import eq5d3l, eq5d5l
from pipeline.instruments.base import score_items
from pipeline.instruments.params import Eq5d3lParams, Eq5d5lParams, ScoreParams
from pipeline.instruments.registry import build_instruments


def _state(text: str) -> np.ndarray:
    return np.array([[int(c) for c in text]], dtype=np.intp)


@pytest.mark.parametrize(
    ("state", "expected"),
    [("11111", 1.0), ("21111", 0.918), ("55511", 0.390), ("44444", -0.289), ("55555", -0.446)],
)
def test_eq5d5l_published_checks(state: str, expected: float) -> None:
    for option in ("published", "full_precision"):
        assert eq5d5l.index_function(option)(_state(state))[0] == pytest.approx(expected, abs=1e-12)


def test_eq5d5l_33333_published_vs_full_precision() -> None:
    assert eq5d5l.index_function("published")(_state("33333"))[0] == pytest.approx(0.511)
    assert eq5d5l.index_function("full_precision")(_state("33333"))[0] == pytest.approx(0.513)


def test_eq5d5l_coefficient_sets_differ_as_documented() -> None:
    """docs/instruments.md: the two differ by up to 0.0018 in 1268 of the 3125 states."""
    states = np.array(list(itertools.product(range(1, 6), repeat=5)), dtype=np.intp)
    published = eq5d5l.index_function("published")(states)
    full = eq5d5l.index_function("full_precision")(states)
    assert len(states) == 3125
    assert int((published != full).sum()) == 1268
    assert np.abs(published - full).max() <= 0.002 + 1e-12


@pytest.mark.parametrize(
    ("value_set", "expected"), [("NL_2006_Lamers", -0.329), ("NL_2026_RoudijkJonker", -0.723)]
)
def test_eq5d3l_33333(value_set: str, expected: float) -> None:
    assert eq5d3l.index_function(value_set)(_state("33333"))[0] == pytest.approx(expected)
    assert eq5d3l.index_function(value_set)(_state("11111"))[0] == 1.0


def test_index_through_the_scorer_uses_the_option() -> None:
    for option, expected in (("published", 0.511), ("full_precision", 0.513)):
        instrument = build_instruments(ScoreParams(eq5d5l=Eq5d5lParams(option)))["eq5d5l"]
        block = score_items(instrument, np.array([[3, 3, 3, 3, 3, 50.0]]))
        assert block.scores["eq5d5l_index"][0] == pytest.approx(expected)
    instrument = build_instruments(ScoreParams(eq5d3l=Eq5d3lParams("NL_2026_RoudijkJonker")))[
        "eq5d3l"
    ]
    assert score_items(instrument, np.array([[3, 3, 3, 3, 3, np.nan]])).scores["eq5d3l_index"][
        0
    ] == pytest.approx(-0.723)


def test_ssd12_reliable_change_and_cutoff_c() -> None:
    """SEM 2.963, S_diff 4.191, RC 8.21 (>= 9 points on whole sums), c = 14.45."""
    assert 11.2 * np.sqrt(1 - 0.93) == pytest.approx(2.963, abs=5e-4)
    assert s_diff(11.2, 0.93) == pytest.approx(4.191, abs=5e-4)
    rc = reliable_change_threshold(11.2, 0.93)
    assert rc == pytest.approx(8.21, abs=5e-3)
    assert 8 < rc < 9
    c = cutoff("c", "lower_is_better", m_clin=28.3, sd_clin=11.2, m_func=5.8, sd_func=7.0)
    assert c == pytest.approx(14.45, abs=5e-3)


def test_bdi_worked_example_of_clinicalsignificance() -> None:
    """BDI-II, M_clin 35.48, SD_clin 8.16, M_func 7.69, SD_func 7.52: a = 19.16, c = 21.02."""
    norms = {"m_clin": 35.48, "sd_clin": 8.16, "m_func": 7.69, "sd_func": 7.52}
    assert cutoff("a", "lower_is_better", **norms) == pytest.approx(19.16, abs=5e-3)
    assert cutoff("c", "lower_is_better", **norms) == pytest.approx(21.02, abs=5e-3)
    assert cutoff("b", "lower_is_better", **norms) == pytest.approx(7.69 + 2 * 7.52)
    assert cutoff("a", "higher_is_better", **norms) == pytest.approx(35.48 + 2 * 8.16)


#: SHA-256 of the published tables as shipped; they were checked byte for byte against the
#: tables distributed with the project's requirements when they were added. A changed table must
#: be a deliberate, reviewed change of these digests.
REFERENCE_DIGESTS = {
    "eq5d3l_nl.csv": "6f0ba742b589361c524f80047162fbaebdc6954fa41b11d760f50d7736f6bd36",
    "eq5d5l_nl_2016.csv": "def1f857e453711602cc96a29fec7e29ad5ce3cbaabc615b16957891450f03d7",
    "rand36_recode.csv": "c76afaf62857673f4a1db02a3e8b6d64c0d2147077c47f7a264b2fc6e67b7be6",
}


def test_shipped_reference_tables_are_the_published_ones() -> None:
    shipped = {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(PACKAGE_REFERENCE.glob("*.csv"))
    }
    assert shipped == REFERENCE_DIGESTS
