"""Integer codes and one-hot vectors for categorical columns."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from genesis.errors import InvalidDataError


class CategoricalEncoder:
    """Map a column's categories to codes 0..k-1, and missing values to code k.

    Parameters
    ----------
    categories:
        The allowed values from the column's domain, in code order.
    nullable:
        Whether missing values get a code of their own (the last one).
    column:
        Column name, used in error messages.
    """

    def __init__(self, categories: Sequence[Any], nullable: bool, column: str = "") -> None:
        self.categories = tuple(categories)
        self.nullable = bool(nullable)
        self.column = column

    @property
    def n_codes(self) -> int:
        return len(self.categories) + int(self.nullable)

    @property
    def missing_code(self) -> int | None:
        return len(self.categories) if self.nullable else None

    def encode(self, values: pd.Series | np.ndarray, unknown: str = "error") -> np.ndarray:
        """Return int64 codes. Values outside the domain raise, or become missing
        when ``unknown="missing"`` and the column is nullable."""
        series = pd.Series(np.asarray(values, dtype=object))
        missing = series.isna().to_numpy()
        lookup = pd.Index(list(self.categories), dtype=object)
        codes = lookup.get_indexer(series.to_numpy()).astype(np.int64)

        outside = (codes < 0) & ~missing
        if outside.any():
            if unknown != "missing" or not self.nullable:
                example = series[outside].iloc[0]
                raise InvalidDataError(
                    f"Column {self.column!r} has value {example!r} ({int(outside.sum())} rows), "
                    "which is not in the column's domain. Add it to the declared categories."
                )
            missing = missing | outside
        if missing.any():
            if not self.nullable:
                raise InvalidDataError(
                    f"Column {self.column!r} has {int(missing.sum())} missing values, but its "
                    "domain has none. Declare the column as nullable."
                )
            codes[missing] = self.missing_code
        return codes

    def decode(self, codes: np.ndarray) -> np.ndarray:
        """Return an object array of categories, NaN for the missing code."""
        lookup = np.empty(self.n_codes, dtype=object)
        lookup[: len(self.categories)] = self.categories
        if self.nullable:
            lookup[-1] = np.nan
        return lookup[np.asarray(codes, dtype=np.int64)]

    def one_hot(self, codes: np.ndarray, dtype: Any = np.float32) -> np.ndarray:
        matrix = np.zeros((len(codes), self.n_codes), dtype=dtype)
        matrix[np.arange(len(codes)), codes] = 1
        return matrix

    def to_dict(self) -> dict[str, Any]:
        return {"categories": list(self.categories), "nullable": self.nullable, "column": self.column}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CategoricalEncoder:
        return cls(data["categories"], data["nullable"], data["column"])
