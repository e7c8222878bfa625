"""The marginal oracle: the one way marginal-based generators read the private table.

A marginal over a set of columns is the table of row counts for every
combination of their codes (see `genesis.marginals.discretization`). The
oracle returns each table dense over the full domain, zeros included, so that
the caller can add noise to every cell: releasing only the cells that occur
would reveal which value combinations exist.

`MarginalOracle` fixes the call and its checks, and `NumpyOracle` computes the
tables in memory. A database back end (DuckDB, Spark) implements `_count` with a GROUP BY
over the same codes and inherits the rest.
"""

from __future__ import annotations

import abc
import logging
import math
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from genesis.errors import ConfigError, invalid_value
from genesis.marginals.discretization import Discretizer

logger = logging.getLogger(__name__)

DEFAULT_MAX_CELLS = 10_000_000
"""Largest table the oracle builds by default: 80 MB of int64 counts."""

ColumnSet = tuple[str, ...]


class MarginalOracle(abc.ABC):
    """Dense count tables of a discretized private table.

    Parameters
    ----------
    discretizer:
        The codes of each column; axis ``i`` of a table has
        ``discretizer.shape[column_set[i]]`` entries.
    max_cells:
        Largest number of cells one table may have; a larger request raises
        `ConfigError` before any row is read.
    rows_per_unit:
        Largest number of rows one privacy unit contributes to the counted
        table. Adding or removing one unit changes a table by at most this
        much in L1 norm and in L2 norm, which callers use as the sensitivity.
    """

    def __init__(self, discretizer: Discretizer, max_cells: int = DEFAULT_MAX_CELLS,
                 rows_per_unit: int = 1) -> None:
        self.discretizer = discretizer
        self.max_cells = int(max_cells)
        self.rows_per_unit = int(rows_per_unit)

    @property
    def names(self) -> list[str]:
        return self.discretizer.names

    def shape(self, column_set: Sequence[str]) -> tuple[int, ...]:
        """Return the shape of the table over `column_set`, axes in the given order."""
        sizes = self.discretizer.shape
        return tuple(sizes[name] for name in self._check_column_set(column_set))

    def counts(self, column_sets: Iterable[Sequence[str]]) -> dict[ColumnSet, np.ndarray]:
        """Return the count table of each column set.

        Parameters
        ----------
        column_sets:
            Sequences of distinct column names; the empty set gives the number
            of rows as a 0-dimensional array.

        Returns
        -------
        dict
            Maps each column set, as a tuple in the given order, to a dense
            int64 array of shape `shape(column_set)` that sums to the number
            of (capped) rows.

        Raises
        ------
        ConfigError
            For an unknown or repeated column, or a table larger than `max_cells`.
        """
        requested = [self._check_column_set(column_set) for column_set in column_sets]
        for column_set in requested:
            self._check_size(column_set)

        tables = {}
        for column_set in requested:
            table = self._count(column_set)
            expected = self.shape(column_set)
            if table.shape != expected or table.dtype != np.int64:
                raise RuntimeError(
                    f"{type(self).__name__} returned a {table.dtype} table of shape {table.shape} for "
                    f"{column_set}, but the contract is int64 of shape {expected}."
                )
            tables[column_set] = table
        return tables

    @abc.abstractmethod
    def _count(self, column_set: ColumnSet) -> np.ndarray:
        """Return the dense int64 count table over checked, distinct columns."""

    def _check_column_set(self, column_set: Sequence[str]) -> ColumnSet:
        if isinstance(column_set, str):
            raise ConfigError(
                invalid_value("a column set", column_set, "it must be a sequence of column names",
                              f"Wrap a single column in a tuple: ({column_set!r},).")
            )
        column_set = tuple(column_set)
        unknown = [name for name in column_set if name not in self.discretizer.shape]
        if unknown:
            raise ConfigError(
                invalid_value("the columns", unknown, f"the oracle has only {self.names}",
                              "Ask for columns of the domain the oracle was built with.")
            )
        if len(set(column_set)) != len(column_set):
            raise ConfigError(
                invalid_value("the column set", column_set, "a column may appear only once",
                              "Remove the repeated column.")
            )
        return column_set

    def _check_size(self, column_set: ColumnSet) -> None:
        cells = math.prod(self.shape(column_set))
        if cells > self.max_cells:
            raise ConfigError(
                invalid_value(f"the number of cells of the marginal over {column_set}", cells,
                              f"the oracle builds at most max_cells={self.max_cells}",
                              "Use fewer bins or categories, or raise max_cells if memory allows.")
            )


class NumpyOracle(MarginalOracle):
    """An in-memory oracle: codes every row once, then counts with `np.bincount`.

    Parameters
    ----------
    data:
        Canonical frame (see `genesis.schema.Schema.to_canonical`) with at
        least the discretizer's columns.
    discretizer:
        The codes of each column.
    unit_ids:
        Optional privacy unit of each row (e.g. patient of each visit). When
        given, `max_rows_per_unit` is required and each unit keeps at most that
        many of its rows, chosen uniformly at random with `rng`.
    max_rows_per_unit:
        Largest number of rows a unit keeps; the counts' sensitivity.
    rng:
        Chooses which rows a unit keeps; required with `unit_ids`.
    max_cells:
        Largest table size, see `MarginalOracle`.

    Raises
    ------
    ConfigError
        If only one of `unit_ids` and `max_rows_per_unit` is given, the limit
        is not a positive integer, or `unit_ids` has the wrong length.
    InvalidDataError
        If a value cannot be coded (see `ColumnCodes.encode`).
    """

    def __init__(
        self,
        data: pd.DataFrame,
        discretizer: Discretizer,
        unit_ids: Sequence | np.ndarray | pd.Series | None = None,
        max_rows_per_unit: int | None = None,
        rng: np.random.Generator | None = None,
        max_cells: int = DEFAULT_MAX_CELLS,
    ) -> None:
        _check_unit_arguments(data, unit_ids, max_rows_per_unit, rng)
        super().__init__(discretizer, max_cells, rows_per_unit=max_rows_per_unit or 1)

        codes = discretizer.encode(data)
        if unit_ids is not None:
            kept = cap_rows_per_unit(np.asarray(unit_ids, dtype=object), int(max_rows_per_unit), rng)
            logger.debug("Capping rows per privacy unit kept %d of %d rows.", kept.sum(), kept.size)
            codes = codes[kept]

        # Column-major, so that the columns of one table are contiguous in memory.
        self._codes = np.asfortranarray(codes)
        self._position = {name: index for index, name in enumerate(discretizer.names)}

    def _count(self, column_set: ColumnSet) -> np.ndarray:
        shape = self.shape(column_set)
        if not column_set:
            return np.array(self._codes.shape[0], dtype=np.int64)

        # Row-major flat index of each row's cell; codes are in range by construction.
        flat = np.zeros(self._codes.shape[0], dtype=np.int64)
        for name, size in zip(column_set, shape, strict=True):
            flat *= size
            flat += self._codes[:, self._position[name]]
        return np.bincount(flat, minlength=math.prod(shape)).astype(np.int64).reshape(shape)


def cap_rows_per_unit(unit_ids: np.ndarray, max_rows: int, rng: np.random.Generator) -> np.ndarray:
    """Return a mask that keeps at most `max_rows` rows of each unit, chosen uniformly at random.

    Missing unit ids count as one unit each, so a row without an id is never
    merged with another.
    """
    order = rng.permutation(unit_ids.size)
    shuffled = pd.Series(unit_ids[order])
    present = shuffled.notna().to_numpy()

    keep_shuffled = np.ones(unit_ids.size, dtype=bool)
    rank = shuffled[present].groupby(shuffled[present], sort=False).cumcount().to_numpy()
    keep_shuffled[present] = rank < max_rows

    keep = np.empty(unit_ids.size, dtype=bool)
    keep[order] = keep_shuffled
    return keep


def _check_unit_arguments(data: pd.DataFrame, unit_ids, max_rows_per_unit, rng) -> None:
    if (unit_ids is None) != (max_rows_per_unit is None):
        raise ConfigError(
            invalid_value("max_rows_per_unit", max_rows_per_unit,
                          "unit_ids and max_rows_per_unit must be given together",
                          "Pass both to cap the rows of each privacy unit, or neither.")
        )
    if unit_ids is None:
        return
    if isinstance(max_rows_per_unit, bool) or not isinstance(max_rows_per_unit, int | np.integer) \
            or max_rows_per_unit < 1:
        raise ConfigError(
            invalid_value("max_rows_per_unit", max_rows_per_unit, "it must be a positive integer",
                          "Pass for example max_rows_per_unit=1.")
        )
    if len(unit_ids) != len(data):
        raise ConfigError(
            invalid_value("the length of unit_ids", len(unit_ids), f"the table has {len(data)} rows",
                          "Pass one unit id per row.")
        )
    if rng is None:
        raise ConfigError("rng is None, but capping rows per unit needs it to choose the rows kept. "
                          "Pass rng, a numpy Generator.")
