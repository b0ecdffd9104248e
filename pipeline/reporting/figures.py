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
    labels: tuple[str, str] = ("without", "with"),
) -> None:
    """Model-predicted mean trajectories with pointwise confidence bands over observed means,
    one panel per comorbidity: without (black, solid) and with (vermilion, dashed).

    ``panels``: ``title``; ``years`` (grid); ``without`` and ``with``, each a mapping with
    ``mean``, ``low``, ``high`` over the grid; optionally ``observed``, a frame with ``group``
    (0 without, 1 with), ``years`` (bin centre), ``mean``, ``low``, ``high`` (bins resting on
    too few trajectories already left out).
    """
    styles = (
        {"color": OKABE_ITO[7], "linestyle": "-", "marker": "o"},
        {"color": OKABE_ITO[4], "linestyle": "--", "marker": "^"},
    )
    for ax, panel in zip(axes, panels, strict=False):
        grid = np.asarray(panel["years"], dtype=float)
        for key, style, name in zip(("without", "with"), styles, labels, strict=True):
            line = panel[key]
            ax.fill_between(
                grid, line["low"], line["high"], color=style["color"], alpha=0.15, linewidth=0
            )
            ax.plot(grid, line["mean"], color=style["color"], linestyle=style["linestyle"],
                    label=name)  # fmt: skip
        observed = panel.get("observed")
        if observed is not None and len(observed):
            for group, style in enumerate(styles):
                part = observed[observed["group"] == group]
                if part.empty:
                    continue
                offset = -0.03 if group == 0 else 0.03
                ax.errorbar(
                    part["years"] + offset,
                    part["mean"],
                    yerr=[part["mean"] - part["low"], part["high"] - part["mean"]],
                    fmt=style["marker"],
                    color=style["color"],
                    markersize=3.5,
                    elinewidth=0.8,
                    capsize=1.5,
                    markerfacecolor="white",
                )
        ax.set_title(str(panel["title"]), fontsize=8.5)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.label_outer()
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    if panels:
        axes[0].legend(frameon=False, loc="best", fontsize=7)


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


def survival_curves(
    ax: Axes,
    risk_ax: Axes | None,
    curves: Mapping[str, pd.DataFrame],
    risk: Mapping[str, pd.DataFrame],
    *,
    xlabel: str,
    ylabel: str,
    ylim: tuple[float, float] = (0.0, 1.02),
    title: str = "",
    legend_loc: str = "best",
) -> None:
    """Step curves (Kaplan-Meier survival or cumulative incidence) with pointwise bands,
    censoring marks and, in ``risk_ax`` (sharing the x axis), the numbers at risk.

    ``curves``: label -> frame with ``time``, ``value``, ``ci_low``, ``ci_high`` and optionally
    ``n_censored`` (a mark where it is above 0), already cut where too few remain at risk;
    ``risk``: label -> frame with ``time`` and ``text`` (the number at risk as printed).
    """
    for i, (label, frame) in enumerate(curves.items()):
        colour = OKABE_ITO[(3, 4, 2, 0, 5, 1, 7, 6)[i % 8]]
        ax.step(frame["time"], frame["value"], where="post", color=colour, label=label,
                linewidth=1.3)  # fmt: skip
        ok = frame["ci_low"].notna() & frame["ci_high"].notna()
        ax.fill_between(
            frame["time"][ok],
            frame["ci_low"][ok],
            frame["ci_high"][ok],
            step="post",
            color=colour,
            alpha=0.15,
            linewidth=0,
        )
        if "n_censored" in frame:
            marks = frame[frame["n_censored"] > 0]
            ax.plot(marks["time"], marks["value"], linestyle="none", marker="|", color=colour,
                    markersize=3.5, markeredgewidth=0.6)  # fmt: skip
    ax.set_ylim(*ylim)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=8.5)
    ax.legend(frameon=False, loc=legend_loc, fontsize=7)  # type: ignore[call-overload]
    times = sorted({float(t) for frame in risk.values() for t in frame["time"]})
    if not times or risk_ax is None:
        return
    ax.set_xticks(times)
    ax.tick_params(axis="x", labelbottom=True)
    labels = list(risk)
    colours = [OKABE_ITO[(3, 4, 2, 0, 5, 1, 7, 6)[i % 8]] for i in range(len(labels))]
    for i, label in enumerate(labels):
        frame = risk[label]
        y = len(labels) - 1 - i
        for t, text in zip(frame["time"].astype(float), frame["text"], strict=True):
            risk_ax.text(t, y, str(text), fontsize=6.5, ha="center", va="center",
                         color=colours[i] if len(labels) > 1 else "#000000")  # fmt: skip
    risk_ax.set_ylim(-0.6, len(labels) - 0.4)
    risk_ax.set_yticks(range(len(labels)), labels[::-1], fontsize=6.5)
    if len(labels) > 1:
        for tick, colour in zip(risk_ax.get_yticklabels(), colours[::-1], strict=True):
            tick.set_color(colour)
    risk_ax.set_title("Number at risk", fontsize=7, loc="left")
    risk_ax.grid(False)
    risk_ax.tick_params(axis="x", bottom=False, labelbottom=False)
    risk_ax.tick_params(axis="y", left=False)
    for side in ("left", "bottom", "top", "right"):
        risk_ax.spines[side].set_visible(False)


def calibration(
    ax: Axes,
    curve: pd.DataFrame,
    bins: pd.DataFrame | None,
    *,
    label: str,
    limits: tuple[float, float] = (0.0, 1.0),
    title: str = "",
    legend: bool = True,
) -> None:
    """Smooth validated calibration curve, the apparent curve, grouped observed values with
    CIs and the ideal line, over ``limits`` on both axes."""
    lo, hi = limits
    ax.plot([lo, hi], [lo, hi], color="#999999", linestyle=":", label="ideal")
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
            markersize=3,
            capsize=1.5,
            elinewidth=0.8,
            label="groups (95% CI)",
        )
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_ylabel(f"Observed {label}")
    ax.tick_params(axis="x", labelbottom=False)
    if title:
        ax.set_title(title, fontsize=8)
    if legend:
        ax.legend(frameon=False, loc="upper left", fontsize=6.5)


def prediction_histogram(
    ax: Axes, hist: pd.DataFrame, *, limits: tuple[float, float], xlabel: str
) -> None:
    """The distribution of predicted values (share of trajectories per bin) under a
    calibration plot; bins without a share (too few trajectories) are not drawn."""
    shown = hist[hist["share"].notna()]
    ax.bar(
        shown["left"],
        shown["share"],
        width=shown["right"] - shown["left"],
        align="edge",
        color="#8FA9C2",
        edgecolor="white",
        linewidth=0.4,
    )
    ax.set_xlim(*limits)
    ax.set_yticks([])
    ax.set_xlabel(xlabel)
    ax.grid(False)
    ax.spines["left"].set_visible(False)


def decision_curves(ax: Axes, tables: Mapping[str, pd.DataFrame]) -> None:
    """Net benefit of each model (the first with its interval), of treating all and none."""
    top = 0.05
    for i, (name, table) in enumerate(tables.items()):
        colour = OKABE_ITO[(3, 2, 5, 1, 6)[i % 5]]
        ax.plot(table["threshold"], table["net_benefit_model"], color=colour, label=name,
                linewidth=1.2)  # fmt: skip
        if i == 0 and {"ci_low", "ci_high"} <= set(table.columns):
            ok = table["ci_low"].notna() & table["ci_high"].notna()
            ax.fill_between(table["threshold"][ok], table["ci_low"][ok], table["ci_high"][ok],
                            color=colour, alpha=0.15, linewidth=0)  # fmt: skip
        top = max(top, float(np.nanmax(table[["net_benefit_model", "net_benefit_all"]].to_numpy())))
    first = next(iter(tables.values()))
    ax.plot(first["threshold"], first["net_benefit_all"], color=OKABE_ITO[0], linestyle="--",
            label="treat all")  # fmt: skip
    ax.plot(first["threshold"], first["net_benefit_none"], color="#000000", linewidth=0.8,
            label="treat none")  # fmt: skip
    useful = [
        float(t["threshold"][t["net_benefit_model"] > 0].max())
        for t in tables.values()
        if (t["net_benefit_model"] > 0).any()
    ]
    if useful:
        ax.set_xlim(0.0, min(1.0, max(useful) + 0.1))
    ax.set_ylim(-0.05, top * 1.1)
    ax.set_xlabel("Threshold probability")
    ax.set_ylabel("Net benefit")
    ax.legend(frameon=False, loc="upper right", fontsize=6.5)


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


def flow_diagram(
    fig: Figure,
    steps: Sequence[str],
    exclusions: Sequence[str | None],
    analyses: Sequence[str | None],
) -> None:
    """A participant flow diagram (STROBE / TRIPOD+AI item 20a) filling ``fig``.

    ``steps`` are the boxes of the main flow, top to bottom (centre column); ``exclusions[i]``
    (right column, or ``None``) what leaves the flow between step ``i`` and ``i + 1``;
    ``analyses[i]`` (left column, or ``None``) the analyses that start from step ``i``. Texts
    may hold line breaks; they are wrapped to the column width. Arrows run between the box
    edges, measured after a first layout.
    """
    import textwrap

    def wrap(text: str, width: int) -> str:
        return "\n".join(textwrap.fill(line, width) if line else line for line in text.split("\n"))

    fig.set_layout_engine("none")
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    box = {"boxstyle": "square,pad=0.5", "facecolor": "white", "edgecolor": "#333333"}
    side = {"boxstyle": "square,pad=0.5", "facecolor": "#F2F6FA", "edgecolor": "#7A8DA0"}
    arrow = {"arrowstyle": "-|>", "color": "#333333", "linewidth": 0.9, "shrinkA": 0, "shrinkB": 0}
    n = len(steps)
    top, bottom = 0.93, 0.07
    ys = [top - i * (top - bottom) / max(n - 1, 1) for i in range(n)]
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.axis("off")
    main = [
        ax.text(0.5, y, wrap(t, 36), ha="center", va="center", fontsize=7.5, bbox=box)
        for y, t in zip(ys, steps, strict=True)
    ]
    right: list[tuple[int, Any]] = []
    for i in range(n - 1):
        text = exclusions[i] if i < len(exclusions) else None
        if text:
            mid = (ys[i] + ys[i + 1]) / 2
            right.append(
                (
                    i,
                    ax.text(
                        0.835, mid, wrap(text, 30), ha="center", va="center", fontsize=7, bbox=side
                    ),
                )  # fmt: skip
            )
    left = [
        (i, ax.text(0.165, y, wrap(t, 30), ha="center", va="center", fontsize=7, bbox=side))
        for i, (y, t) in enumerate(zip(ys, analyses, strict=False))
        if t
    ]
    fig.draw_without_rendering()
    inverse = ax.transData.inverted()

    def extent(item: Any) -> tuple[float, float, float, float]:
        patch = item.get_bbox_patch()
        (x0, y0), (x1, y1) = inverse.transform(patch.get_window_extent().get_points())
        return x0, y0, x1, y1

    boxes = [extent(t) for t in main]
    for i in range(n - 1):
        ax.annotate("", xy=(0.5, boxes[i + 1][3]), xytext=(0.5, boxes[i][1]), arrowprops=arrow)
    for _, item in right:
        x0, y0, x1, y1 = extent(item)
        mid = (y0 + y1) / 2
        ax.annotate("", xy=(x0, mid), xytext=(0.5, mid), arrowprops=arrow)
    for i, item in left:
        x0, y0, x1, y1 = extent(item)
        ax.annotate("", xy=(x1, ys[i]), xytext=(boxes[i][0], ys[i]), arrowprops=arrow)
