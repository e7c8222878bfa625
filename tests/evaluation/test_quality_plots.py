"""Quality figures and outputs: rendered, and free of real rows, small cells and real extremes."""

import json

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from genesis import QualityEvaluator
from genesis.datasets import patient_table
from genesis.evaluation.quality_columns import CATEGORICAL, prepare_column
from genesis.evaluation.quality_plots import summarize_distribution

RARE_LABEL = "Rare-Condition-XYZ"
EXTREME_COST = 987_654_321


@pytest.fixture(scope="module")
def real() -> pd.DataFrame:
    """Patients with one extreme cost and a condition held by 3 rows only."""
    frame = patient_table(1_500, random_state=11).drop(columns="patient_id")
    frame.loc[0, "annual_cost"] = EXTREME_COST
    frame.loc[1:3, "condition"] = RARE_LABEL
    return frame


@pytest.fixture(scope="module")
def report(real):
    synthetic = patient_table(1_500, random_state=12).drop(columns="patient_id")
    return QualityEvaluator(real, synthetic, random_state=0).evaluate(target_column="condition")


@pytest.fixture(scope="module")
def svgs(report) -> dict[str, str]:
    return report.figures_svg()


def test_figures_svg_has_each_figure(svgs):
    assert set(svgs) == {
        "Column scores",
        "Column distributions",
        "Column pair trends",
        "Correlation difference",
        "ML utility",
    }
    for title, text in svgs.items():
        assert text.startswith("<svg"), title
        assert text.rstrip().endswith("</svg>"), title


def test_plot_returns_matplotlib_figures(report):
    figures = report.plot()

    assert all(isinstance(figure, Figure) for figure in figures.values())


def test_rare_category_never_shown(report, svgs):
    assert all(RARE_LABEL not in text for text in svgs.values())
    assert RARE_LABEL not in json.dumps(report.to_dict())
    assert RARE_LABEL not in str(report)
    assert RARE_LABEL not in report._repr_html_()
    assert RARE_LABEL not in json.dumps(report.distributions)


def test_rare_category_merged_into_withheld_other(report):
    summary = report.distributions["condition"]

    assert summary["labels"][-1].startswith("other")
    assert summary["real"][-1] is None
    assert summary["withheld"] >= 1


def test_numeric_axes_inside_inner_quantiles(real, report):
    for name in ("age", "blood_pressure_systolic", "annual_cost"):
        edges = report.distributions[name]["edges"]
        low, high = np.quantile(real[name], [0.01, 0.99])
        assert edges[0] >= low - 0.5, name
        assert edges[-1] <= high + 1.5, name


def test_extreme_value_not_in_any_output(report, svgs):
    for text in [*svgs.values(), json.dumps(report.to_dict()), json.dumps(report.distributions), str(report)]:
        assert str(EXTREME_COST) not in text
        assert "9.87654321" not in text


def test_small_histogram_bins_withheld(report):
    k = report.k
    for name in ("age", "blood_pressure_systolic", "annual_cost"):
        summary = report.distributions[name]
        shown = [share for share in summary["real"] if share is not None]
        assert all(share * 1_500 >= k for share in shown), name


def test_default_k_is_stated(report):
    assert report.k == 10
    assert "no k recorded" in report.k_source


def test_svg_output_is_reproducible(report):
    assert report.figures_svg() == report.figures_svg()


def summarize_categories(real: list, synthetic: list, k: int) -> dict:
    column = prepare_column("band", CATEGORICAL, pd.Series(real, dtype="str"),
                            pd.Series(synthetic, dtype="str"))
    return summarize_distribution(column, k)


def test_age_bands_sorted_by_lower_bound():
    real = ["90+"] * 12 + ["5-9"] * 30 + ["50-54"] * 20 + ["10-14"] * 15
    summary = summarize_categories(real, real, k=10)

    assert summary["labels"] == ["5-9", "10-14", "50-54", "90+"]


def test_text_categories_sorted_by_frequency():
    real = ["b"] * 12 + ["a"] * 30 + ["c"] * 20
    summary = summarize_categories(real, real, k=10)

    assert summary["labels"] == ["a", "c", "b"]


def test_no_missing_values_no_missing_bar():
    real = ["a"] * 30 + ["b"] * 20 + ["rare"] * 2
    summary = summarize_categories(real, real, k=10)

    assert summary["labels"] == ["a", "b", "other (1 values)"]


def test_synthetic_missing_values_get_own_bar():
    real = ["a"] * 30 + ["b"] * 20
    synthetic = ["a"] * 30 + ["b"] * 10 + [None] * 10
    summary = summarize_categories(real, synthetic, k=10)

    assert summary["labels"] == ["a", "b", "(missing)"]
    assert summary["real"][-1] is None
    assert summary["synthetic"][-1] == pytest.approx(0.2)
    assert summary["withheld"] == 1


def test_real_missing_bar_shown_from_k_rows():
    real = ["a"] * 30 + [None] * 10
    summary = summarize_categories(real, real, k=10)

    assert summary["labels"] == ["a", "(missing)"]
    assert summary["real"][-1] == pytest.approx(0.25)


def test_utility_legend_outside_bars(report):
    figure = report.plot()["ML utility"]
    figure.draw_without_rendering()
    axes = figure.axes[0]

    legend_box = axes.get_legend().get_window_extent()
    assert legend_box.x0 >= axes.get_window_extent().x1


def test_correlation_title_clear_of_colour_bar(report):
    figure = report.plot()["Correlation difference"]
    figure.draw_without_rendering()
    colour_bar = figure.axes[1]

    titles = [text for text in figure.texts if text.get_text() == "Correlation difference of numeric columns"]
    tick_boxes = [label.get_window_extent() for label in colour_bar.get_yticklabels() if label.get_text()]
    assert len(titles) == 1
    assert tick_boxes
    assert all(not titles[0].get_window_extent().overlaps(box) for box in tick_boxes)
