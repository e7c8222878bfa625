"""Column pair trends: does the synthetic table keep how pairs of columns move together?

Two continuous columns (numbers or datetimes) are compared by their Pearson
correlations on the rows where both are present: the correlation similarity
``1 - |rho_real - rho_synthetic| / 2``. Every other pair is compared by the
contingency similarity ``1 - TV`` of the two joint distributions, where TV is
the total variation distance and a missing value is a category of its own.
For a pair of one continuous and one categorical column, the continuous
column is first cut into 10 equal-width bins. Both definitions follow
SDMetrics 0.32's Column Pair Trends property (its CorrelationSimilarity and
ContingencySimilarity metrics, as read from the sdmetrics 0.32.0 source).

One deliberate difference from SDMetrics: it cuts each table on that table's
own range. Here both tables are cut on the real range, so that a bin means
the same values on both sides, and synthetic values below or above that
range get one extra bin each.

A pair has a real trend when ``|rho_real| > 0.5`` (continuous pairs) or
Cramér's V of the real contingency table (without bias correction) is above
0.3 (other pairs). These are the thresholds SDMetrics 0.32's QualityReport
uses by default, and its Column Pair Trends score averages only those pairs.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from genesis.evaluation.quality_columns import PreparedColumn

CORRELATION_THRESHOLD = 0.5
"""|Pearson rho| of the real pair above which a continuous pair has a real trend."""

ASSOCIATION_THRESHOLD = 0.3
"""Cramér's V of the real pair above which any other pair has a real trend."""

MAX_DENSE_CELLS = 5_000_000
"""Largest contingency table counted densely with `np.bincount`; larger ones count only occupied cells."""


def pair_results(columns: Sequence[PreparedColumn]) -> list[dict[str, Any]]:
    """Score every pair of prepared columns, in table order, as JSON-safe dicts."""
    return [_pair_result(first, second) for first, second in itertools.combinations(columns, 2)]


def _pair_result(first: PreparedColumn, second: PreparedColumn) -> dict[str, Any]:
    if first.is_continuous and second.is_continuous:
        return _correlation_result(first, second)
    return _contingency_result(first, second)


def _correlation_result(first: PreparedColumn, second: PreparedColumn) -> dict[str, Any]:
    real = _pearson(first.real, second.real)
    synthetic = _pearson(first.synthetic, second.synthetic)
    defined = not (np.isnan(real) or np.isnan(synthetic))
    return {
        "columns": [first.name, second.name],
        "metric": "CorrelationSimilarity",
        "score": float(1.0 - abs(real - synthetic) / 2.0) if defined else None,
        "real_trend": None if np.isnan(real) else float(real),
        "synthetic_trend": None if np.isnan(synthetic) else float(synthetic),
        "trend_measure": "Pearson correlation",
        "has_real_trend": bool(not np.isnan(real) and abs(real) > CORRELATION_THRESHOLD),
        "note": None if defined else "correlation undefined: a column is constant or has fewer than 2 rows",
    }


def _contingency_result(first: PreparedColumn, second: PreparedColumn) -> dict[str, Any]:
    cells, real_counts, synthetic_counts = _joint_counts(first, second)
    real_shares = real_counts / max(real_counts.sum(), 1.0)
    synthetic_shares = synthetic_counts / max(synthetic_counts.sum(), 1.0)
    score = 1.0 - 0.5 * np.abs(real_shares - synthetic_shares).sum()

    rows = cells // second.n_pair_codes
    columns = cells % second.n_pair_codes
    real_association = cramers_v(rows, columns, real_counts)
    return {
        "columns": [first.name, second.name],
        "metric": "ContingencySimilarity",
        "score": float(score),
        "real_trend": real_association,
        "synthetic_trend": cramers_v(rows, columns, synthetic_counts),
        "trend_measure": "Cramér's V",
        "has_real_trend": real_association > ASSOCIATION_THRESHOLD,
        "note": None,
    }


def _pearson(first: np.ndarray, second: np.ndarray) -> float:
    both = ~(np.isnan(first) | np.isnan(second))
    x = first[both]
    y = second[both]
    if x.size < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


def _joint_counts(first: PreparedColumn, second: PreparedColumn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Count both tables' rows per cell of the pair's contingency table.

    Returns the cell ids (``row_code * second.n_pair_codes + column_code``)
    and the real and synthetic counts per cell. Small tables are counted
    densely over every cell. Large ones are counted only over the cells that
    occur, so two text columns with thousands of categories need no dense table.
    """
    real_cells = first.pair_real * second.n_pair_codes + second.pair_real
    synthetic_cells = first.pair_synthetic * second.n_pair_codes + second.pair_synthetic
    n_cells = first.n_pair_codes * second.n_pair_codes

    if n_cells <= MAX_DENSE_CELLS:
        cells = np.arange(n_cells)
        real_counts = np.bincount(real_cells, minlength=n_cells)
        synthetic_counts = np.bincount(synthetic_cells, minlength=n_cells)
    else:
        cells, inverse = np.unique(np.concatenate([real_cells, synthetic_cells]), return_inverse=True)
        real_counts = np.bincount(inverse[: real_cells.size], minlength=cells.size)
        synthetic_counts = np.bincount(inverse[real_cells.size :], minlength=cells.size)
    return cells, real_counts.astype(np.float64), synthetic_counts.astype(np.float64)


def cramers_v(rows: np.ndarray, columns: np.ndarray, counts: np.ndarray) -> float:
    """Return Cramér's V of a contingency table given as (row, column, count) cells, without bias correction.

    V = sqrt(chi2 / (n * (min(r, c) - 1))) over the r rows and c columns that
    hold any count, with Pearson's chi2 = n * (sum n_ij^2 / (n_i. * n_.j) - 1).
    It is 0 when fewer than two rows or columns hold counts. It equals
    ``scipy.stats.contingency.association(table, method="cramer")``, computed
    only over occupied cells so that wide tables need no dense array.
    """
    occupied = counts > 0
    rows, columns, counts = rows[occupied], columns[occupied], counts[occupied]
    n = counts.sum()
    row_ids, row_index = np.unique(rows, return_inverse=True)
    column_ids, column_index = np.unique(columns, return_inverse=True)
    smaller_side = min(row_ids.size, column_ids.size)
    if smaller_side < 2:
        return 0.0

    row_totals = np.bincount(row_index, weights=counts)
    column_totals = np.bincount(column_index, weights=counts)
    chi2 = n * (np.sum(counts**2 / (row_totals[row_index] * column_totals[column_index])) - 1.0)
    return float(np.sqrt(max(chi2, 0.0) / (n * (smaller_side - 1))))
