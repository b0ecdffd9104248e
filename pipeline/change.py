"""Change, reliable change and clinical significance (pure functions).

- Change = end - intake, in the score's own units; whether a negative or a positive change is
  an improvement comes from the score's definition (``direction``), never from the caller.
- Reliable Change Index (Jacobson NS, Truax P. Clinical significance: a statistical approach to
  defining meaningful change in psychotherapy research. *J Consult Clin Psychol*
  1991;59(1):12-19): RCI = change / S_diff, S_diff = sqrt(2) x SD_pre x sqrt(1 - r).
- Cut-offs (Jacobson & Truax 1991): a = M_clin -/+ 2 SD_clin (two SDs beyond the clinical mean
  in the direction of improvement), b = M_func +/- 2 SD_func (two SDs inside the functional
  mean), c = (SD_clin M_func + SD_func M_clin) / (SD_clin + SD_func).
- Categories as in the R package ``clinicalsignificance`` (Claus BB, Wager J, Bonnet U,
  *J Stat Softw* 2024), Jacobson method: *recovered* = reliable improvement, intake on the
  clinical side of the cut-off and end on the functional side; *improved* = any other reliable
  improvement (including clients whose intake was already on the functional side: they cannot
  "recover"); *harmed* = reliable deterioration from an intake on the functional side to an end
  on the clinical side; *deteriorated* = any other reliable deterioration; *unchanged* = no
  reliable change. Reliable means direction x RCI > critical value (strictly, as the package);
  on the clinical side means direction x intake < direction x cut-off; on the functional side
  means direction x end > direction x cut-off.
- Effect size = mean change / SD at intake (Kazis LE, Anderson JJ, Meenan RF. Effect sizes for
  interpreting changes in health status. *Med Care* 1989;27(3 Suppl):S178-89).
- Cronbach's alpha (Cronbach LJ. Coefficient alpha and the internal structure of tests.
  *Psychometrika* 1951;16(3):297-334) for re-estimating reliability from the centre's data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

CATEGORIES = ("recovered", "improved", "unchanged", "deteriorated", "harmed")
Direction = Literal["higher_is_better", "lower_is_better"]


def _sign(direction: Direction) -> int:
    return 1 if direction == "higher_is_better" else -1


def s_diff(sd_pre: float, reliability: float) -> float:
    """Standard error of the difference: sqrt(2) x SD_pre x sqrt(1 - r) (Jacobson & Truax)."""
    if not (sd_pre > 0 and 0 <= reliability < 1):
        raise ValueError("S_diff needs SD_pre > 0 and 0 <= reliability < 1")
    return math.sqrt(2.0) * sd_pre * math.sqrt(1.0 - reliability)


def reliable_change_threshold(sd_pre: float, reliability: float, critical: float = 1.96) -> float:
    """Smallest absolute change that is reliable: critical x S_diff."""
    return critical * s_diff(sd_pre, reliability)


def cutoff(
    kind: Literal["a", "b", "c"],
    direction: Direction,
    *,
    m_clin: float | None = None,
    sd_clin: float | None = None,
    m_func: float | None = None,
    sd_func: float | None = None,
) -> float:
    """Jacobson-Truax cut-off ``a``, ``b`` or ``c`` for a score with the given direction.

    ``a`` needs the clinical mean and SD, ``b`` the functional mean and SD, ``c`` both.
    """
    sign = _sign(direction)
    if kind == "a":
        if m_clin is None or sd_clin is None:
            raise ValueError("cut-off a needs M_clin and SD_clin")
        return m_clin + sign * 2.0 * sd_clin
    if kind == "b":
        if m_func is None or sd_func is None:
            raise ValueError("cut-off b needs M_func and SD_func")
        return m_func - sign * 2.0 * sd_func
    if m_clin is None or sd_clin is None or m_func is None or sd_func is None:
        raise ValueError("cut-off c needs M_clin, SD_clin, M_func and SD_func")
    return (sd_clin * m_func + sd_func * m_clin) / (sd_clin + sd_func)


def rci(change: np.ndarray, sdiff: float) -> np.ndarray:
    """Reliable Change Index: change / S_diff (sign of the raw change; NaN stays NaN)."""
    return np.asarray(change, dtype=np.float64) / sdiff


def categorise(
    intake: np.ndarray,
    end: np.ndarray,
    *,
    sdiff: float,
    cut: float | None,
    direction: Direction,
    critical: float = 1.96,
) -> np.ndarray:
    """Jacobson category per client (object array; ``None`` when intake or end is missing).

    With ``cut`` ``None`` (no cut-off available) nobody is recovered or harmed.
    """
    pre = np.asarray(intake, dtype=np.float64)
    post = np.asarray(end, dtype=np.float64)
    sign = _sign(direction)
    index = sign * rci(post - pre, sdiff)
    improved = index > critical
    deteriorated = index < -critical
    if cut is None:
        clinical_pre = np.zeros(pre.shape, dtype=bool)
        functional_post = np.zeros(pre.shape, dtype=bool)
        crossed_back = np.zeros(pre.shape, dtype=bool)
    else:
        clinical_pre = sign * pre < sign * cut
        functional_post = sign * post > sign * cut
        crossed_back = ~clinical_pre & ~functional_post
    recovered = improved & clinical_pre & functional_post
    harmed = deteriorated & crossed_back
    code = np.select(
        [recovered, improved, harmed, deteriorated],
        [0, 1, 4, 3],
        default=2,
    )
    code = np.where(np.isnan(pre) | np.isnan(post), len(CATEGORIES), code)
    labels = np.array([*CATEGORIES, None], dtype=object)
    return labels[code]


def effect_size(intake: np.ndarray, end: np.ndarray) -> float:
    """Mean change / SD at intake over clients with both scores (Kazis et al. 1989).

    Signed as the raw change (end - intake); NaN with fewer than two complete pairs or a zero
    intake SD.
    """
    pre = np.asarray(intake, dtype=np.float64)
    post = np.asarray(end, dtype=np.float64)
    both = ~np.isnan(pre) & ~np.isnan(post)
    if both.sum() < 2:
        return float("nan")
    sd = float(np.std(pre[both], ddof=1))
    if sd == 0:
        return float("nan")
    return float(np.mean(post[both] - pre[both]) / sd)


def cronbach_alpha(items: np.ndarray) -> tuple[float, int]:
    """Cronbach's alpha over the rows with every item answered, and that number of rows.

    alpha = k / (k - 1) x (1 - sum of item variances / variance of the sum), sample variances
    (ddof = 1). NaN with fewer than two items, fewer than three complete rows or a zero
    variance of the sum.
    """
    x = np.asarray(items, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] < 2:
        return float("nan"), 0
    complete = x[~np.isnan(x).any(axis=1)]
    n, k = complete.shape
    if n < 3:
        return float("nan"), int(n)
    total_var = float(np.var(complete.sum(axis=1), ddof=1))
    if total_var == 0:
        return float("nan"), int(n)
    item_var = float(np.var(complete, axis=0, ddof=1).sum())
    return k / (k - 1) * (1.0 - item_var / total_var), int(n)


@dataclass(frozen=True)
class ChangeNorms:
    """Everything the RCI and the category of one outcome score need, resolved."""

    direction: Direction
    sd_pre: float
    reliability: float
    cutoff_kind: Literal["a", "b", "c"]
    cutoff: float | None
    critical: float = 1.96

    @property
    def s_diff(self) -> float:
        return s_diff(self.sd_pre, self.reliability)

    @property
    def reliable_change(self) -> float:
        return self.critical * self.s_diff
