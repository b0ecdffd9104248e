"""Small-cell suppression for published figures (statistical disclosure control).

A figure resting on fewer than ``min_n`` trajectories is not published: it is replaced by
``None`` and shown as "n < min_n". Primary suppression alone is not enough where cells add up
to a published total: a single hidden cell could be recovered by subtraction. Secondary
suppression therefore hides further cells of the same distribution, smallest first, until at
least two cells are hidden and the hidden cells together hold at least ``min_n`` trajectories
(so neither a single cell nor the hidden group as a whole is below the threshold), or until
every cell is hidden.

References
----------
Hundepool A, Domingo-Ferrer J, Franconi L, et al. (2012). *Statistical Disclosure Control*.
Wiley, chapter 4 (primary and secondary cell suppression in frequency tables).
"""

from __future__ import annotations

from collections.abc import Mapping


def suppression_label(min_n: int) -> str:
    """The text shown instead of a suppressed figure, e.g. ``"n < 10"``."""
    return f"n < {min_n}"


def check_min_n(min_n: int) -> int:
    """``min_n`` itself, after checking that it is a whole number of at least 2."""
    if isinstance(min_n, bool) or not isinstance(min_n, int) or min_n < 2:
        raise ValueError("reporting.min_n must be a whole number of at least 2")
    return min_n


def suppress_count(n: int, min_n: int) -> int | None:
    """Primary suppression of one count: ``None`` when ``n < min_n``."""
    return None if n < min_n else int(n)


def suppress_distribution(counts: Mapping[str, int], min_n: int) -> dict[str, int | None]:
    """Suppress the cells of a distribution whose total is published.

    Parameters
    ----------
    counts
        Category -> number of trajectories; the cells partition a total that is shown.
    min_n
        Smallest publishable number of trajectories.

    Returns
    -------
    dict
        Category -> count, or ``None`` for a suppressed cell. When the total itself is below
        ``min_n`` every cell is suppressed. Otherwise cells below ``min_n`` are suppressed
        (primary) and then, smallest first (ties by category name), further cells until at
        least two are hidden and the hidden cells hold at least ``min_n`` trajectories together
        (secondary), so no hidden cell can be recovered by subtraction from the total.
    """
    cells = {str(k): int(v) for k, v in counts.items()}
    if sum(cells.values()) < min_n:
        return dict.fromkeys(cells)
    hidden = {k for k, v in cells.items() if v < min_n}
    if hidden:
        order = sorted((v, k) for k, v in cells.items() if k not in hidden)
        while order and (len(hidden) < 2 or sum(cells[k] for k in hidden) < min_n):
            hidden.add(order.pop(0)[1])
    return {k: (None if k in hidden else v) for k, v in cells.items()}
