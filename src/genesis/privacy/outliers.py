"""`suppress_outliers`: keep rare extreme values out of the model and out of the output.

A synthetic row that copies a real extreme (the one patient with a cost of
$48,000) can single that patient out even when every other column is
synthetic. `suppress_outliers=True` therefore does two things:

1. **Before training, without differential privacy only**: rows of the real
   table with a numeric value outside that column's [0.5%, 99.5%] quantile
   range are left out of training, and their number is reported. The domain
   is then read from the remaining rows, so the model never sees a real
   extreme. Under differential privacy this step is skipped: reading exact
   quantiles would be a read of the private table outside the ledger, and
   the DP range finding already clips values to bins that many rows share.
2. **On the output, under differential privacy**: synthetic rows with a
   numeric value in the outer 0.5% tails of that column's noisy domain
   histogram are removed (post-processing of released counts, no extra
   budget), and more rows are drawn so that `generate` still returns the
   requested number.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from genesis.domain import Domain
from genesis.schema import Schema

TAIL = 0.005
"""Share cut from each tail of a numeric column."""


def real_outlier_mask(canonical: pd.DataFrame, schema: Schema) -> np.ndarray:
    """Return a mask of real rows with a numeric value outside its [TAIL, 1 - TAIL] quantiles.

    Missing values are never outliers. Only used without differential privacy.
    """
    mask = np.zeros(len(canonical), dtype=bool)
    for column in schema.modelled_columns:
        if not column.kind.is_numeric:
            continue
        values = canonical[column.name].to_numpy(dtype=float)
        present = values[~np.isnan(values)]
        if present.size == 0:
            continue
        # "inverted_cdf" returns observed values, so a table of one or two rows loses nothing.
        lower, upper = np.quantile(present, [TAIL, 1.0 - TAIL], method="inverted_cdf")
        mask |= (values < lower) | (values > upper)
    return mask


def domain_tail_bounds(domain: Domain) -> dict[str, tuple[float, float]]:
    """Return, per numeric column with a noisy histogram, the values cutting TAIL from each end.

    The cut points are read from the histogram's cumulative noisy counts
    (negative counts count as zero) and rounded outward to whole bins, so
    they are post-processing of released DP measurements.
    """
    bounds = {}
    for column in domain.columns:
        if column.is_discrete or column.is_empty or not column.counts:
            continue
        binner = column.histogram_binner()
        counts = np.maximum(np.asarray(column.counts[: binner.n_bins], dtype=float), 0.0)
        total = counts.sum()
        if total <= 0:
            continue
        cumulative = np.cumsum(counts) / total
        first = int(np.searchsorted(cumulative, TAIL, side="right"))
        last = int(np.searchsorted(cumulative, 1.0 - TAIL, side="left"))
        bounds[column.name] = (float(binner.edges[first]), float(binner.edges[min(last + 1, binner.n_bins)]))
    return bounds


def synthetic_outlier_mask(canonical: pd.DataFrame, bounds: dict[str, tuple[float, float]]) -> np.ndarray:
    """Return a mask of synthetic rows with a value outside `bounds` (missing values pass)."""
    mask = np.zeros(len(canonical), dtype=bool)
    for name, (lower, upper) in bounds.items():
        values = canonical[name].to_numpy(dtype=float)
        mask |= (values < lower) | (values > upper)
    return mask
