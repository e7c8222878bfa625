"""Bounding what one privacy unit contributes.

Differential privacy protects whatever the neighbouring relation adds or
removes. When several rows belong to one person (encounters of a patient),
row-level DP protects an encounter, not the patient. Keeping at most m rows
per unit, chosen at random, bounds a unit's influence: every count then has
sensitivity m, and with m = 1 row-level DP is unit-level DP.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from genesis.errors import ConfigError


def cap_rows_per_unit(
    data: pd.DataFrame, unit_column: str, max_rows: int, rng: np.random.Generator
) -> tuple[pd.DataFrame, int]:
    """Return (the table with at most `max_rows` random rows per unit, the number of units).

    Row order of the kept rows is preserved. A missing unit value counts as
    a unit of its own for each such row, so it can never merge strangers.
    """
    if unit_column not in data.columns:
        raise ConfigError(
            f"unit_column {unit_column!r} is not in the table. The table has columns "
            f"{[str(c) for c in data.columns]}."
        )
    codes = unit_codes(data[unit_column])

    # A random rank within each unit: shuffle, then count earlier rows of the same unit.
    order = rng.permutation(len(data))
    rank_in_shuffle = pd.Series(codes[order]).groupby(codes[order]).cumcount().to_numpy()
    rank = np.empty(len(data), dtype=np.int64)
    rank[order] = rank_in_shuffle

    keep = rank < max_rows
    return data.loc[keep].reset_index(drop=True), int(np.unique(codes).size)


def unit_codes(units: pd.Series) -> np.ndarray:
    """Return one integer code per row, equal for rows of one unit;
    each missing value is a unit of its own."""
    codes = pd.factorize(units, use_na_sentinel=True)[0]
    missing = codes < 0
    codes[missing] = codes.max(initial=-1) + 1 + np.arange(int(missing.sum()))
    return codes
