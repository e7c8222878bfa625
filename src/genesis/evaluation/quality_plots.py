"""Figures of a quality report, safe to show outside the data custodian's office.

`summarize_distribution` reduces one column to binned shares before anything
is drawn, and the report keeps only that summary:

* numbers and datetimes are binned over the real 1st-99th percentile range,
  so no real extreme sets an axis limit, and values outside it are not drawn;
* a histogram bin or category with fewer than k real rows has its real bar
  withheld (categories are first merged into "other" when they are that rare);
* no single real row is drawn.

Figures are `matplotlib.figure.Figure` objects built without pyplot, so
nothing opens a window and no global matplotlib state changes.
"""

from __future__ import annotations

import io
import math
import re
from typing import TYPE_CHECKING, Any

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from genesis.evaluation.quality_columns import CATEGORICAL, DATETIME, PreparedColumn

if TYPE_CHECKING:
    from genesis.evaluation.quality_report import QualityReport

INNER_QUANTILES = (0.01, 0.99)
"""The real quantiles that bound each numeric axis, so real extremes stay off the figures."""

HISTOGRAM_BINS = 30
MAX_INTEGER_BINS = 50
"""Integer columns spanning at most this many values get one bin per value."""

MAX_CATEGORY_BARS = 20
MAX_PLOTTED_COLUMNS = 24
"""Columns in the distribution figure, weakest score first."""

MISSING_LABEL = "(missing)"

LEADING_NUMBER = re.compile(r"^\s*[\[(<>≥≤]?\s*(-?\d+(?:\.\d+)?)")
"""A label's leading number, e.g. 50 in "50-54", 90 in "90+", 70 in "[70-80)" and 100 in "100**"."""

REAL_COLOR = "#1f4e79"
SYNTHETIC_COLOR = "#e07b39"
NANOSECONDS_PER_DAY = 86_400 * 10**9


def summarize_distribution(column: PreparedColumn, k: int) -> dict[str, Any]:
    """Return the k-safe binned shares of one column that the distribution figure draws."""
    if column.kind == CATEGORICAL:
        return _summarize_categories(column, k)
    return _summarize_histogram(column, k)


def build_figures(report: QualityReport) -> dict[str, Figure]:
    """Build every figure of the report, keyed by title."""
    figures = {
        "Column scores": _column_scores_figure(report),
        "Column distributions": _distributions_figure(report),
        "Column pair trends": _pair_trends_figure(report),
    }
    correlation = _correlation_difference_figure(report)
    if correlation is not None:
        figures["Correlation difference"] = correlation
    figures["ML utility"] = _utility_figure(report)
    return figures


def figure_to_svg(figure: Figure) -> str:
    """Render a figure as SVG text with live text (not paths) and no creation date, so output is stable."""
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "genesis"}):
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _summarize_histogram(column: PreparedColumn, k: int) -> dict[str, Any]:
    real = column.real[~np.isnan(column.real)]
    synthetic = column.synthetic[~np.isnan(column.synthetic)]
    if real.size == 0:
        return {"kind": column.kind, "edges": [], "real": [], "synthetic": [], "withheld": 0}

    low, high = np.quantile(real, INNER_QUANTILES)
    edges = _histogram_edges(real, low, high, column.kind)
    real_counts = np.histogram(real, bins=edges)[0]
    synthetic_counts = np.histogram(synthetic, bins=edges)[0]
    real_shares = real_counts / real.size
    real_shares[real_counts < k] = np.nan
    synthetic_shares = synthetic_counts / max(synthetic.size, 1)
    return {
        "kind": column.kind,
        "edges": edges.tolist(),
        "real": [None if np.isnan(value) else float(value) for value in real_shares],
        "synthetic": synthetic_shares.tolist(),
        "withheld": int(np.sum(real_counts < k)),
    }


def _histogram_edges(real: np.ndarray, low: float, high: float, kind: str) -> np.ndarray:
    whole_numbers = kind != DATETIME and np.all(np.mod(real, 1) == 0)
    if whole_numbers and high - low <= MAX_INTEGER_BINS:
        return np.arange(low - 0.5, high + 1.5)
    if high <= low:
        half_width = NANOSECONDS_PER_DAY / 2 if kind == DATETIME else 0.5
        return np.array([low - half_width, low + half_width])
    return np.linspace(low, high, HISTOGRAM_BINS + 1)


def _summarize_categories(column: PreparedColumn, k: int) -> dict[str, Any]:
    """Return bar shares of the most common real categories, then missing values, then "other".

    Categories under k real rows merge into "other". Missing values get their
    own bar whenever either table has any, with the real bar withheld under
    k like any other cell. When every shown label starts with a number
    (age bands such as "50-54" and "90+", "[70-80)", ZIP3 "100**"), bars are
    in the order of that lower bound instead of by frequency.
    """
    n_categories = len(column.categories)
    missing_code = n_categories
    real_counts = np.bincount(
        np.where(column.real < 0, missing_code, column.real), minlength=n_categories + 1
    )
    synthetic_counts = np.bincount(
        np.where(column.synthetic < 0, missing_code, column.synthetic), minlength=n_categories + 1
    )
    labels = list(column.categories)

    order = np.argsort(-real_counts[:n_categories], kind="stable")
    shown = [int(code) for code in order if real_counts[code] >= k][:MAX_CATEGORY_BARS]
    shown = _in_label_order(shown, labels)
    bar_labels = [labels[code] for code in shown]
    bars_real = [float(real_counts[code]) for code in shown]
    bars_synthetic = [float(synthetic_counts[code]) for code in shown]

    if real_counts[missing_code] + synthetic_counts[missing_code] > 0:
        bar_labels.append(MISSING_LABEL)
        bars_real.append(float(real_counts[missing_code]))
        bars_synthetic.append(float(synthetic_counts[missing_code]))

    rest = np.setdiff1d(np.arange(n_categories), shown)
    occurring = rest[(real_counts[rest] + synthetic_counts[rest]) > 0]
    if occurring.size:
        bar_labels.append(f"other ({occurring.size} values)")
        bars_real.append(float(real_counts[occurring].sum()))
        bars_synthetic.append(float(synthetic_counts[occurring].sum()))

    real_total = max(real_counts.sum(), 1)
    synthetic_total = max(synthetic_counts.sum(), 1)
    return {
        "kind": CATEGORICAL,
        "labels": bar_labels,
        "real": [None if count < k else count / real_total for count in bars_real],
        "synthetic": [count / synthetic_total for count in bars_synthetic],
        "withheld": int(sum(count < k for count in bars_real)),
    }


def _in_label_order(codes: list[int], labels: list[str]) -> list[int]:
    """Sort codes by the number their label starts with, when every label starts with one."""
    bounds = [LEADING_NUMBER.match(labels[code]) for code in codes]
    if not all(bounds):
        return codes
    return [code for _, code in sorted(zip((float(match.group(1)) for match in bounds), codes, strict=True))]


def _column_scores_figure(report: QualityReport) -> Figure:
    names = list(report.column_scores)
    scores = [report.column_scores[name]["score"] for name in names]
    figure = Figure(figsize=(7, max(2.0, 0.28 * len(names) + 1)))
    axes = figure.add_subplot()
    axes.barh(range(len(names)), scores, color=REAL_COLOR)
    axes.set_yticks(range(len(names)), [str(name) for name in names], fontsize=8)
    axes.invert_yaxis()
    axes.set_xlim(0, 1)
    axes.set_xlabel("column score (1 = same distribution and missing share)")
    axes.set_title(f"Column scores, fidelity {report.fidelity_score:.1%}")
    figure.tight_layout()
    return figure


def _distributions_figure(report: QualityReport) -> Figure:
    names = sorted(report.distributions, key=lambda name: report.column_scores[name]["score"])
    names = names[:MAX_PLOTTED_COLUMNS]
    n_columns = min(3, max(len(names), 1))
    n_rows = max(1, math.ceil(len(names) / n_columns))
    figure = Figure(figsize=(4.2 * n_columns, 2.9 * n_rows))
    for index, name in enumerate(names):
        axes = figure.add_subplot(n_rows, n_columns, index + 1)
        summary = report.distributions[name]
        if summary["kind"] == CATEGORICAL:
            _draw_bars(axes, summary)
        else:
            _draw_histogram(axes, summary)
        axes.set_title(f"{name} ({report.column_scores[name]['score']:.0%})", fontsize=9)
        axes.tick_params(labelsize=7)
    if names:
        figure.axes[0].legend(fontsize=7)
    figure.suptitle(
        f"Real and synthetic distributions (real cells under {report.k} rows withheld; "
        "numeric axes cut at the real 1st-99th percentiles)",
        fontsize=9,
    )
    figure.tight_layout()
    return figure


def _draw_histogram(axes: Any, summary: dict[str, Any]) -> None:
    edges = np.asarray(summary["edges"], dtype=np.float64)
    if edges.size == 0:
        axes.text(0.5, 0.5, "no real values", ha="center", transform=axes.transAxes)
        return
    if summary["kind"] == DATETIME:
        edges = edges / NANOSECONDS_PER_DAY  # matplotlib date numbers count days since 1970-01-01
        axes.xaxis_date()
    real = np.array([np.nan if value is None else value for value in summary["real"]])
    axes.stairs(np.nan_to_num(real), edges, color=REAL_COLOR, fill=True, alpha=0.45, label="real")
    axes.stairs(
        np.asarray(summary["synthetic"]), edges, color=SYNTHETIC_COLOR, linewidth=1.5, label="synthetic"
    )
    axes.set_ylabel("share of rows", fontsize=7)


def _draw_bars(axes: Any, summary: dict[str, Any]) -> None:
    positions = np.arange(len(summary["labels"]))
    real = [0.0 if value is None else value for value in summary["real"]]
    axes.bar(positions - 0.2, real, width=0.4, color=REAL_COLOR, label="real")
    axes.bar(positions + 0.2, summary["synthetic"], width=0.4, color=SYNTHETIC_COLOR, label="synthetic")
    labels = [label if len(label) <= 18 else label[:17] + "…" for label in summary["labels"]]
    axes.set_xticks(positions, labels, rotation=60, ha="right", fontsize=6)
    axes.set_ylabel("share of rows", fontsize=7)


def _pair_trends_figure(report: QualityReport) -> Figure:
    names = list(report.column_scores)
    matrix = _pair_matrix(names, report.pair_scores, lambda pair: pair["score"], diagonal=1.0)
    figure = Figure(figsize=(max(4.0, 0.32 * len(names) + 2.5), max(3.5, 0.32 * len(names) + 1.5)))
    axes = figure.add_subplot()
    image = axes.imshow(matrix, vmin=0, vmax=1, cmap="RdYlGn")
    _label_matrix(axes, names)
    figure.colorbar(image, ax=axes, label="pair trend score (1 = same trend)")
    axes.set_title(f"Column pair trends, score {report.correlation_score:.1%}", fontsize=10)
    figure.tight_layout()
    return figure


def _correlation_difference_figure(report: QualityReport) -> Figure | None:
    names = [name for name, entry in report.column_scores.items() if entry["kind"] != CATEGORICAL]
    if len(names) < 2:
        return None

    def difference(pair: dict[str, Any]) -> float | None:
        if pair["metric"] != "CorrelationSimilarity" or pair["score"] is None:
            return None
        return pair["synthetic_trend"] - pair["real_trend"]

    matrix = _pair_matrix(names, report.pair_scores, difference, diagonal=0.0)
    # Constrained layout places the figure title above the colour bar, so its top tick label stays clear.
    figure = Figure(
        figsize=(max(4.5, 0.4 * len(names) + 3.0), max(3.5, 0.4 * len(names) + 1.5)), layout="constrained"
    )
    axes = figure.add_subplot()
    image = axes.imshow(matrix, vmin=-1, vmax=1, cmap="RdBu_r")
    _label_matrix(axes, names)
    figure.colorbar(image, ax=axes, label="Pearson correlation, synthetic − real")
    figure.suptitle("Correlation difference of numeric columns", fontsize=10)
    return figure


def _pair_matrix(names: list[str], pairs: list[dict[str, Any]], value: Any, diagonal: float) -> np.ndarray:
    index = {name: position for position, name in enumerate(names)}
    matrix = np.full((len(names), len(names)), np.nan)
    np.fill_diagonal(matrix, diagonal)
    for pair in pairs:
        first, second = pair["columns"]
        if first in index and second in index:
            entry = value(pair)
            if entry is not None:
                matrix[index[first], index[second]] = matrix[index[second], index[first]] = entry
    return matrix


def _label_matrix(axes: Any, names: list[str]) -> None:
    labels = [str(name) for name in names]
    axes.set_xticks(range(len(names)), labels, rotation=90, fontsize=7)
    axes.set_yticks(range(len(names)), labels, fontsize=7)


def _utility_figure(report: QualityReport) -> Figure:
    """Draw each target's real and synthetic model scores, with the chance baseline as a dashed line."""
    targets = report.utility["targets"]
    positions = np.arange(len(targets))
    figure = Figure(figsize=(max(5.0, 1.6 * len(targets) + 3.5), 3.2))
    axes = figure.add_subplot()

    axes.bar(
        positions - 0.2,
        [entry["score_real"] or 0.0 for entry in targets],
        width=0.4,
        color=REAL_COLOR,
        label="trained on real",
    )
    axes.bar(
        positions + 0.2,
        [entry["score_synthetic"] or 0.0 for entry in targets],
        width=0.4,
        color=SYNTHETIC_COLOR,
        label="trained on synthetic",
    )
    with_baseline = [index for index, entry in enumerate(targets) if entry["baseline"] is not None]
    if with_baseline:
        axes.hlines(
            [targets[index]["baseline"] for index in with_baseline],
            positions[with_baseline] - 0.4,
            positions[with_baseline] + 0.4,
            colors="black",
            linestyles="dashed",
            label="chance baseline",
        )

    axes.set_xticks(positions, [_utility_label(entry) for entry in targets], fontsize=8)
    axes.set_ylim(0, 1)
    axes.set_ylabel("score on real test rows")
    tested_on = "holdout" if report.utility["holdout_used"] else "held-out real rows (seen by the generator)"
    score = f"{report.utility_score:.1%}" if report.utility_measured else "not measured"
    axes.set_title(f"ML utility {score}, tested on {tested_on}", fontsize=10)
    # Outside the axes, so the legend never covers a bar that reaches the top.
    axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    figure.tight_layout()
    return figure


def _utility_label(entry: dict[str, Any]) -> str:
    label = f"{entry['target']}\n({entry['metric']})"
    if entry["utility"] is None:
        return f"{label}\nnot measured"
    return label
