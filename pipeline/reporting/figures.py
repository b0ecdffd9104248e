"""Report figures: matplotlib (Agg), readable in print, colour-blind-safe, byte-deterministic.

Every plotting function draws on an :class:`~matplotlib.axes.Axes` it is given (so the HTML
report and the PDF pages share the same drawing code) from plain data, with the texts passed in
(the annual report is Dutch, the research report English). :func:`to_svg_data_uri` and
:func:`new_figure` give deterministic SVG: a fixed ``svg.hashsalt``, no date metadata, text kept
as text.

Palette: Okabe & Ito (2008), *Color Universal Design*; distinct for the common colour-vision
deficiencies and in grey print when combined with markers and hatching.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

#: Okabe-Ito colours (black last).
OKABE_ITO: tuple[str, ...] = (
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#0072B2",
    "#D55E00",
    "#CC79A7",
    "#F0E442",
    "#000000",
)
#: Category colours, best to worst (blue-green for better, orange-red for worse).
CATEGORY_COLOURS: dict[str, str] = {
    "recovered": "#0072B2",
    "improved": "#56B4E9",
    "unchanged": "#BBBBBB",
    "deteriorated": "#E69F00",
    "harmed": "#D55E00",
}
DPI = 250  # figures rastered for the PDF
MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P", "X", "*")

RC: dict[str, Any] = {
    "svg.hashsalt": "alk-rom-report",
    "svg.fonttype": "none",
    "pdf.fonttype": 42,
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#DDDDDD",
    "grid.linewidth": 0.6,
    "lines.linewidth": 1.6,
    "image.composite_image": False,
}


@contextmanager
def style() -> Iterator[None]:
    """The report style (fonts, sizes, deterministic SVG) for the duration of a block."""
    with matplotlib.rc_context(RC):  # type: ignore[arg-type]
        yield


def new_figure(width: float, height: float) -> Figure:
    """A figure of ``width`` x ``height`` inches outside pyplot's global state."""
    return Figure(figsize=(width, height), layout="constrained", dpi=DPI)


def to_svg_text(fig: Figure) -> str:
    """The figure as SVG text (vector, text kept as text), without date metadata."""
    buffer = io.BytesIO()
    with style():
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    plt.close(fig)
    return buffer.getvalue().decode("utf-8")


def to_svg_data_uri(fig: Figure) -> str:
    """The figure as a base64 ``data:image/svg+xml`` URI, without date metadata."""
    return "data:image/svg+xml;base64," + base64.b64encode(to_svg_text(fig).encode("utf-8")).decode(
        "ascii"
    )


def effect_forest(
    ax: Axes,
    rows: Sequence[Mapping[str, Any]],
    *,
    xlabel: str,
    suppressed_text: str,
) -> None:
    """Effect sizes with 95% intervals, signed so that right = improvement.

    ``rows``: ``label``, ``effect`` (improvement-signed, or ``None`` when suppressed),
    ``low``, ``high``.
    """
    y = np.arange(len(rows))[::-1]
    for yi, row in zip(y, rows, strict=True):
        if row["effect"] is None:
            ax.text(0, yi, suppressed_text, va="center", ha="center", fontsize=8, color="#555555")
            continue
        if row["low"] is not None and row["high"] is not None:
            ax.plot([row["low"], row["high"]], [yi, yi], color=OKABE_ITO[3], linewidth=2)
        ax.plot(row["effect"], yi, "o", color=OKABE_ITO[3], markersize=6)
    ax.axvline(0, color="#000000", linewidth=0.8)
    ax.set_yticks(y, [str(r["label"]) for r in rows])
    ax.set_xlabel(xlabel)
    ax.grid(axis="y", visible=False)
    ax.set_ylim(-0.7, len(rows) - 0.3)


def decimal_comma(ax: Axes, axis: str, decimals: int) -> None:
    """Tick labels of ``axis`` (``"x"`` or ``"y"``) in Dutch notation: decimal comma and a
    true minus sign (``0,5``, ``−0,2``), independent of the machine's locale."""

    def text(value: float, _pos: object) -> str:
        out = f"{abs(value):.{decimals}f}".replace(".", ",")
        return ("−" + out) if value < 0 and any(c not in "0," for c in out) else out

    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_formatter(FuncFormatter(text))


def category_bars(
    ax: Axes,
    rows: Sequence[Mapping[str, Any]],
    *,
    category_labels: Mapping[str, str],
    suppressed_label: str,
    xlabel: str,
    colours: Mapping[str, str] | None = None,
) -> None:
    """Stacked horizontal bars of category percentages; suppressed cells pooled, hatched grey.

    ``rows``: ``label`` and ``percent`` (category -> percentage or ``None``). A row whose cells
    are all suppressed shows one hatched bar.
    """
    palette = dict(colours) if colours is not None else CATEGORY_COLOURS
    dark = {k for k, c in palette.items() if c in ("#0072B2", "#D55E00", "#000000")}
    y = np.arange(len(rows))[::-1]
    handles: dict[str, Any] = {}
    for yi, row in zip(y, rows, strict=True):
        left = 0.0
        for category, colour in palette.items():
            value = row["percent"].get(category)
            if value is None:
                continue
            bar = ax.barh(yi, value, left=left, color=colour, edgecolor="white", height=0.6)
            handles.setdefault(category, bar)
            if value >= 6:
                ax.text(
                    left + value / 2,
                    yi,
                    f"{value:.0f}%",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if category in dark else "black",
                )
            left += value
        rest = 100.0 - left
        if rest > 0.05:
            bar = ax.barh(
                yi,
                rest,
                left=left,
                color="#F2F2F2",
                edgecolor="#777777",
                hatch="///",
                height=0.6,
                linewidth=0.5,
            )
            handles.setdefault("suppressed", bar)
    ax.set_yticks(y, [str(r["label"]) for r in rows])
    ax.set_xlim(0, 100)
    ax.set_xlabel(xlabel)
    ax.grid(axis="y", visible=False)
    order = [c for c in (*palette, "suppressed") if c in handles]
    names = {**category_labels, "suppressed": suppressed_label}
    ax.legend(
        [handles[c] for c in order],
        [names[c] for c in order],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.28),
        ncol=min(len(order), 3),
        frameon=False,
    )


def trend_lines(
    ax: Axes,
    years: Sequence[int],
    series: Mapping[str, Sequence[tuple[float | None, float | None, float | None]]],
    *,
    ylabel: str,
    zero_line: bool,
) -> None:
    """One line per series over the years: (value, low, high) per year, ``None`` = suppressed
    (a gap); intervals as error bars."""
    x = np.asarray(years, dtype=float)
    width = 0.08 * (len(series) - 1)
    for i, (label, values) in enumerate(series.items()):
        offset = (i - (len(series) - 1) / 2) * 0.08 if len(series) > 1 else 0.0
        v = np.array([np.nan if p[0] is None else p[0] for p in values], dtype=float)
        lo = np.array([np.nan if p[1] is None else p[1] for p in values], dtype=float)
        hi = np.array([np.nan if p[2] is None else p[2] for p in values], dtype=float)
        colour = OKABE_ITO[i % len(OKABE_ITO)]
        ax.plot(x + offset, v, marker=MARKERS[i % len(MARKERS)], color=colour, label=label)
        has_ci = np.isfinite(lo) & np.isfinite(hi)
        if has_ci.any():
            ax.errorbar(
                (x + offset)[has_ci],
                v[has_ci],
                yerr=[v[has_ci] - lo[has_ci], hi[has_ci] - v[has_ci]],
                fmt="none",
                ecolor=colour,
                elinewidth=1,
                capsize=2,
            )
    if zero_line:
        ax.axhline(0, color="#000000", linewidth=0.8)
    ax.set_xticks(x, [str(y) for y in years])
    ax.set_xlim(x.min() - 0.5 - width, x.max() + 0.5 + width)
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False, loc="best")


def model_trajectories(
    axes: Sequence[Axes],
    panels: Sequence[Mapping[str, Any]],
    *,
    xlabel: str,
    ylabel: str,
) -> None:
    """Model-implied mean trajectories, one panel per comorbidity: without (reference) and
    with. ``panels``: ``title``, ``years`` (grid), ``without``, ``with`` (predicted means)."""
    for ax, panel in zip(axes, panels, strict=False):
        ax.plot(panel["years"], panel["without"], color=OKABE_ITO[7], label="without")
        ax.plot(panel["years"], panel["with"], color=OKABE_ITO[4], linestyle="--", label="with")
        ax.set_title(str(panel["title"]), fontsize=9)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    if panels:
        axes[0].legend(frameon=False, loc="best")


def kaplan_meier(
    ax: Axes,
    risk_ax: Axes | None,
    curves: Mapping[str, pd.DataFrame],
    risk: Mapping[str, pd.DataFrame],
    *,
    xlabel: str,
    ylabel: str,
) -> None:
    """Kaplan-Meier step curves with pointwise CIs and, in ``risk_ax`` (sharing the x axis),
    the numbers at risk.

    ``curves``: label -> frame with ``time``, ``survival``, ``ci_low``, ``ci_high``;
    ``risk``: label -> frame with ``time``, ``n_at_risk``.
    """
    for i, (label, frame) in enumerate(curves.items()):
        colour = OKABE_ITO[(3, 4, 2, 0, 5, 1, 7, 6)[i % 8]]
        ax.step(frame["time"], frame["survival"], where="post", color=colour, label=label)
        ok = frame["ci_low"].notna() & frame["ci_high"].notna()
        ax.fill_between(
            frame["time"][ok],
            frame["ci_low"][ok],
            frame["ci_high"][ok],
            step="post",
            color=colour,
            alpha=0.18,
            linewidth=0,
        )
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False, loc="lower left")
    times = sorted({float(t) for frame in risk.values() for t in frame["time"]})
    if not times or risk_ax is None:
        return
    ax.set_xticks(times)
    ax.tick_params(axis="x", labelbottom=True)
    labels = list(risk)
    for i, label in enumerate(labels):
        frame = risk[label]
        y = len(labels) - 1 - i
        for t, n in zip(frame["time"].astype(float), frame["n_at_risk"], strict=True):
            risk_ax.text(t, y, str(int(n)), fontsize=7, ha="center", va="center")
    risk_ax.set_ylim(-0.6, len(labels) - 0.4)
    risk_ax.set_yticks(range(len(labels)), labels[::-1], fontsize=7)
    risk_ax.set_title("Number at risk", fontsize=8, loc="left")
    risk_ax.grid(False)
    risk_ax.tick_params(axis="x", bottom=False, labelbottom=False)
    risk_ax.tick_params(axis="y", left=False)
    for side in ("left", "bottom", "top", "right"):
        risk_ax.spines[side].set_visible(False)


def calibration(ax: Axes, curve: pd.DataFrame, bins: pd.DataFrame | None, *, label: str) -> None:
    """Smooth validated calibration curve, grouped observed proportions with CIs, ideal line."""
    ax.plot([0, 1], [0, 1], color="#999999", linestyle=":", label="ideal")
    if "observed_apparent" in curve:
        ax.plot(
            curve["predicted"],
            curve["observed_apparent"],
            color=OKABE_ITO[0],
            linestyle="--",
            label="apparent",
        )
    ax.plot(curve["predicted"], curve["observed"], color=OKABE_ITO[3], label="validated")
    if bins is not None and len(bins):
        ax.errorbar(
            bins["mean_predicted"],
            bins["observed"],
            yerr=[bins["observed"] - bins["ci_low"], bins["ci_high"] - bins["observed"]],
            fmt="o",
            color=OKABE_ITO[4],
            markersize=4,
            capsize=2,
            label="grouped (95% CI)",
        )
    ax.set_xlabel(f"Predicted {label}")
    ax.set_ylabel(f"Observed {label}")
    ax.legend(frameon=False, loc="upper left")


def decision_curve(ax: Axes, table: pd.DataFrame) -> None:
    """Net benefit of the model (validated, with interval), of treating all and of none."""
    ax.plot(table["threshold"], table["net_benefit_model"], color=OKABE_ITO[3], label="model")
    if {"ci_low", "ci_high"} <= set(table.columns):
        ok = table["ci_low"].notna() & table["ci_high"].notna()
        ax.fill_between(
            table["threshold"][ok],
            table["ci_low"][ok],
            table["ci_high"][ok],
            color=OKABE_ITO[3],
            alpha=0.18,
            linewidth=0,
        )
    ax.plot(
        table["threshold"],
        table["net_benefit_all"],
        color=OKABE_ITO[0],
        linestyle="--",
        label="treat all",
    )
    ax.plot(
        table["threshold"],
        table["net_benefit_none"],
        color="#000000",
        linewidth=0.8,
        label="treat none",
    )
    top = float(np.nanmax(table[["net_benefit_model", "net_benefit_all"]].to_numpy()))
    ax.set_ylim(-0.05, max(top, 0.05) * 1.1)
    ax.set_xlabel("Threshold probability")
    ax.set_ylabel("Net benefit")
    ax.legend(frameon=False, loc="upper right")
