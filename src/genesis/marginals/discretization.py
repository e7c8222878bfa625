"""Column values to integer codes and back, using only a column's domain.

Marginal-based generators (MST) count rows over a finite grid of codes. The
grid comes from the `Domain` alone, never from the rows. Categories are coded
in domain order, and numeric and datetime columns are cut into equal-width
bins between the domain's bounds. Quantile edges would be a read of the
private rows that no privacy ledger accounts for. A nullable column gets one
more code, the last one, for missing values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from genesis.domain import ColumnDomain, Domain
from genesis.errors import ConfigError, InvalidDataError, invalid_value
from genesis.schema import ColumnKind
from genesis.transforms.binning import Binner
from genesis.transforms.categorical import CategoricalEncoder


@dataclass(frozen=True)
class ColumnCodes:
    """The codes of one column: categories or bins, then missing when nullable.

    Attributes
    ----------
    column:
        The column's domain.
    encoder:
        For categorical and boolean columns, the category encoder; None otherwise.
    binner:
        For numeric and datetime columns with bounds, equal-width bins over the
        bounds; None otherwise, also for a numeric column without bounds (one
        whose values are all missing).
    """

    column: ColumnDomain
    encoder: CategoricalEncoder | None
    binner: Binner | None

    @classmethod
    def from_domain(cls, column: ColumnDomain, n_bins: int) -> ColumnCodes:
        """Build the codes of `column`; numeric columns get at most `n_bins` bins.

        Integer columns get integer-aligned bins, and never more bins than
        integers between the bounds (see `Binner.uniform`).
        """
        if column.is_discrete:
            return cls(column, CategoricalEncoder(column.categories, column.nullable, column.name), None)
        if column.lower is None or column.upper is None:
            return cls(column, None, None)

        integer = column.kind is ColumnKind.INTEGER
        return cls(column, None, Binner.uniform(column.lower, column.upper, n_bins, integer=integer))

    @property
    def n_values(self) -> int:
        """Number of codes for present values (categories or bins)."""
        if self.encoder is not None:
            return len(self.encoder.categories)
        return self.binner.n_bins if self.binner is not None else 0

    @property
    def n_codes(self) -> int:
        """Number of codes, the missing code included."""
        return self.n_values + int(self.column.nullable)

    @property
    def missing_code(self) -> int | None:
        return self.n_values if self.column.nullable else None

    def encode(self, values: pd.Series | np.ndarray) -> np.ndarray:
        """Return the int64 code of each value.

        Numeric values outside the bounds fall into the end bins. A category
        outside the domain becomes the missing code when the column is
        nullable, because a domain measured with differential privacy may
        leave out rare categories.

        Raises
        ------
        InvalidDataError
            For a missing value in a column that is not nullable, or a category
            outside the domain of a column that is not nullable.
        """
        if self.encoder is not None:
            return self.encoder.encode(values, unknown="missing")

        numbers = np.asarray(values, dtype=float)
        missing = np.isnan(numbers)
        if missing.any() and not self.column.nullable:
            raise InvalidDataError(
                f"Column {self.column.name!r} has {int(missing.sum())} missing values, but its domain "
                "has none. Declare the column as nullable."
            )
        if self.binner is None:
            if not missing.all():
                raise InvalidDataError(
                    f"Column {self.column.name!r} has values, but its domain has no bounds. "
                    "Give the column lower and upper bounds."
                )
            return np.full(numbers.size, self.missing_code, dtype=np.int64)

        codes = self.binner.transform(np.where(missing, self.binner.edges[0], numbers))
        if self.column.nullable:
            codes[missing] = self.missing_code
        return codes

    def decode(self, codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Return values for codes: the category, or a uniform draw inside the bin.

        Numeric draws are uniform inside the bin (integers for integer
        columns), not the bin's midpoint, so that a decoded column has no
        spikes a finer histogram would show. The missing code becomes NaN.
        Categorical columns return an object array, numeric ones float64.
        """
        codes = np.asarray(codes, dtype=np.int64)
        if self.encoder is not None:
            return self.encoder.decode(codes)

        values = np.full(codes.size, np.nan)
        present = codes < self.n_values
        if self.binner is not None and present.any():
            values[present] = self.binner.inverse(codes[present], rng)
        return values


@dataclass(frozen=True)
class Discretizer:
    """The codes of every column of a domain, in domain order."""

    columns: tuple[ColumnCodes, ...]

    @classmethod
    def from_domain(cls, domain: Domain, n_bins: int | Mapping[str, int]) -> Discretizer:
        """Build the codes of each column of `domain`.

        Parameters
        ----------
        domain:
            The columns' categories and bounds.
        n_bins:
            Largest number of bins of a numeric or datetime column: one number
            for all, or a mapping from column name to number (columns it does
            not name must not be numeric).

        Raises
        ------
        ConfigError
            If a bin count is not a positive integer, or a numeric column has none.
        """
        columns = []
        for column in domain.columns:
            bins = _bins_for(column, n_bins)
            columns.append(ColumnCodes.from_domain(column, bins))
        return cls(tuple(columns))

    @property
    def names(self) -> list[str]:
        return [codes.column.name for codes in self.columns]

    @cached_property
    def shape(self) -> dict[str, int]:
        """Number of codes of each column, by name."""
        return {codes.column.name: codes.n_codes for codes in self.columns}

    def __getitem__(self, name: str) -> ColumnCodes:
        for codes in self.columns:
            if codes.column.name == name:
                return codes
        raise KeyError(name)

    def encode(self, data: pd.DataFrame) -> np.ndarray:
        """Return the codes of a canonical frame as an (n_rows, n_columns) int64 matrix."""
        missing = [name for name in self.names if name not in data.columns]
        if missing:
            raise InvalidDataError(
                f"The frame has no columns {missing}, which the domain has. Pass the canonical "
                "frame built from the same schema as the domain."
            )
        matrix = np.empty((len(data), len(self.columns)), dtype=np.int64)
        for position, codes in enumerate(self.columns):
            matrix[:, position] = codes.encode(data[codes.column.name])
        return matrix


def _bins_for(column: ColumnDomain, n_bins: int | Mapping[str, int]) -> int:
    """Return the bin count for one column; 1 for discrete columns, which have no bins."""
    if column.is_discrete:
        return 1
    value: Any = n_bins.get(column.name) if isinstance(n_bins, Mapping) else n_bins
    if value is None:
        raise ConfigError(
            invalid_value(f"the bin count of numeric column {column.name!r}", value,
                          "every numeric or datetime column needs one",
                          "Add the column to the n_bins mapping or pass one number for all.")
        )
    if not _is_integer(value) or value < 1:
        raise ConfigError(
            invalid_value(f"n_bins for column {column.name!r}", value, "it must be a positive integer",
                          "Pass for example n_bins=32.")
        )
    return int(value)


def _is_integer(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)
