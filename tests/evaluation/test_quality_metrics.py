"""Column-shape and pair-trend metrics against scipy and values computed by hand."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp
from scipy.stats.contingency import association

from genesis.evaluation.quality_columns import (
    CATEGORICAL,
    DATETIME,
    NUMERIC,
    PAIR_BINS,
    comparison_kind,
    prepare_column,
    shape_score,
)
from genesis.evaluation.quality_pairs import cramers_v, pair_results


def test_ks_complement_matches_scipy():
    rng = np.random.default_rng(0)
    real = pd.Series(rng.normal(0, 1, 500))
    synthetic = pd.Series(rng.normal(0.3, 1.2, 400))

    column = prepare_column("x", NUMERIC, real, synthetic)

    assert shape_score(column) == pytest.approx(1 - ks_2samp(real, synthetic).statistic)


def test_tv_complement_by_hand():
    real = pd.Series(["a"] * 6 + ["b"] * 4)
    synthetic = pd.Series(["a"] * 3 + ["b"] * 5 + ["c"] * 2)

    column = prepare_column("x", CATEGORICAL, real, synthetic)

    # |0.6 - 0.3| + |0.4 - 0.5| + |0 - 0.2| = 0.6, so TV = 0.3.
    assert shape_score(column) == pytest.approx(0.7)


def test_shape_ignores_missing_values():
    real = pd.Series(["a", "b", None, "a"])
    synthetic = pd.Series(["a", "b", "a", None])

    column = prepare_column("x", CATEGORICAL, real, synthetic)

    assert shape_score(column) == pytest.approx(1.0)
    assert column.missing_shares() == (0.25, 0.25)


def test_numbers_and_text_labels_meet():
    column = prepare_column("x", CATEGORICAL, pd.Series([1, 2, 2]), pd.Series(["1", "2", "2"]))

    assert shape_score(column) == pytest.approx(1.0)


def test_datetime_compared_in_utc():
    stamps = pd.Series(pd.date_range("2021-01-01", periods=50, freq="D", tz="Europe/Berlin"))

    column = prepare_column("t", DATETIME, stamps, stamps.dt.tz_convert("UTC"))

    assert shape_score(column) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("real", "synthetic", "discrete", "generalized", "expected"),
    [
        (pd.Series([1, 2]), pd.Series([1.5, 2.5]), False, False, NUMERIC),
        (pd.Series([1, 2]), pd.Series([1, 2]), True, False, CATEGORICAL),
        (pd.Series([1, 2]), pd.Series(["50-54", "55-59"]), False, True, CATEGORICAL),
        (pd.Series([True, False]), pd.Series([True, True]), False, False, CATEGORICAL),
        (
            pd.Series(pd.to_datetime(["2020-01-01"])),
            pd.Series(pd.to_datetime(["2021-01-01"])),
            False,
            False,
            DATETIME,
        ),
    ],
)
def test_comparison_kind(real, synthetic, discrete, generalized, expected):
    assert comparison_kind(real, synthetic, discrete=discrete, generalized=generalized) == expected


def test_bin_codes_cover_real_range_and_outside():
    real = pd.Series(np.arange(0.0, 101.0))
    synthetic = pd.Series([-5.0, 0.0, 100.0, 150.0, np.nan])

    column = prepare_column("x", NUMERIC, real, synthetic)

    assert column.pair_real.min() == 1
    assert column.pair_real.max() == PAIR_BINS
    assert column.pair_synthetic.tolist() == [0, 1, PAIR_BINS, PAIR_BINS + 1, PAIR_BINS + 2]


def test_cramers_v_matches_scipy():
    table = np.array([[30, 5, 0], [10, 25, 8], [0, 0, 12]])
    rows, columns = np.nonzero(np.ones_like(table))

    value = cramers_v(rows, columns, table.ravel().astype(float))

    assert value == pytest.approx(association(table[:, :], method="cramer"))


def test_cramers_v_of_one_row_is_zero():
    assert cramers_v(np.array([0, 0]), np.array([0, 1]), np.array([4.0, 6.0])) == 0.0


def test_correlation_similarity_by_hand():
    rng = np.random.default_rng(1)
    x = rng.normal(size=2_000)
    real_y = x + rng.normal(scale=0.5, size=2_000)
    first = prepare_column("x", NUMERIC, pd.Series(x), pd.Series(x))
    second = prepare_column("y", NUMERIC, pd.Series(real_y), pd.Series(rng.normal(size=2_000)))

    [pair] = pair_results([first, second])

    rho_real = np.corrcoef(x, real_y)[0, 1]
    assert pair["metric"] == "CorrelationSimilarity"
    assert pair["real_trend"] == pytest.approx(rho_real)
    assert pair["score"] == pytest.approx(1 - abs(rho_real - pair["synthetic_trend"]) / 2)
    assert pair["has_real_trend"] is True


def test_constant_column_pair_is_undefined():
    first = prepare_column("x", NUMERIC, pd.Series([1.0, 1.0, 1.0]), pd.Series([1.0, 2.0, 3.0]))
    second = prepare_column("y", NUMERIC, pd.Series([1.0, 2.0, 3.0]), pd.Series([1.0, 2.0, 3.0]))

    [pair] = pair_results([first, second])

    assert pair["score"] is None
    assert "constant" in pair["note"]


def test_contingency_similarity_by_hand():
    first = prepare_column("a", CATEGORICAL, pd.Series(["x", "x", "y", "y"]), pd.Series(["x", "y", "x", "y"]))
    second = prepare_column(
        "b", CATEGORICAL, pd.Series(["p", "p", "q", "q"]), pd.Series(["p", "p", "q", "q"])
    )

    [pair] = pair_results([first, second])

    # Real cells (x,p) (y,q) hold half each; synthetic spreads a quarter over each of four cells.
    assert pair["score"] == pytest.approx(0.5)
    assert pair["real_trend"] == pytest.approx(1.0)
    assert pair["synthetic_trend"] == pytest.approx(0.0)
