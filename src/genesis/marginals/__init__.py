"""Marginal count tables of a private table, for marginal-based generators."""

from genesis.marginals.discretization import ColumnCodes, Discretizer
from genesis.marginals.oracle import (
    DEFAULT_MAX_CELLS,
    MarginalOracle,
    NumpyOracle,
    cap_rows_per_unit,
)

__all__ = [
    "DEFAULT_MAX_CELLS",
    "ColumnCodes",
    "Discretizer",
    "MarginalOracle",
    "NumpyOracle",
    "cap_rows_per_unit",
]
