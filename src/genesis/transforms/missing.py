"""Missing-value indicators for numeric columns."""

from __future__ import annotations

import numpy as np


def fill_missing(values: np.ndarray, fill: float) -> tuple[np.ndarray, np.ndarray]:
    """Split a float array into (values with NaN replaced by `fill`, missing mask).

    Generators model the mask as a binary column of its own, so the missing
    rate is learned together with the other columns instead of being dropped.
    """
    values = np.asarray(values, dtype=float)
    missing = np.isnan(values)
    return np.where(missing, fill, values), missing


def apply_missing(values: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """Inverse of `fill_missing`: put NaN back where the mask is set."""
    return np.where(np.asarray(missing, dtype=bool), np.nan, np.asarray(values, dtype=float))
