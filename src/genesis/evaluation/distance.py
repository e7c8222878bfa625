"""Mixed-type row distances and exact nearest neighbours in memory-bounded chunks.

The distance between two rows is the mean over columns of a per-column
distance in [0, 1] (Gower, "A general coefficient of similarity and some of
its properties", Biometrics 1971):

* numeric (and datetime, as nanoseconds): |a - b| / (upper - lower), with
  both values first clipped to [lower, upper]. The bounds are the public or
  DP domain when the caller passes them, else the first table's range. A
  constant column has width 0 and is divided by 1, so distances stay finite;
* categorical (text, booleans, generalized quasi-identifiers): 0 when equal,
  1 otherwise;
* missing values: two missing values are equal (0), a missing value and a
  present one differ by 1, the column's maximum.

Nearest neighbours are exact. Queries are processed in chunks sized so that
one chunk's distance matrix fits in `chunk_bytes`, and each column adds its
contribution to that matrix with vectorised numpy operations. Ties are broken
uniformly at random, never by row order, so two searches over the same
reference do not agree by accident.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from genesis.errors import ConfigError, invalid_value

DEFAULT_CHUNK_BYTES = 512 * 1024
"""Memory for one chunk's distance matrix (float32): small enough to stay in a CPU cache, which is
5x faster."""

MISSING_NUMBER = np.float32(4.0)
"""Scaled position of a missing number: more than 1 from every present value, clipped to a distance of 1."""


@dataclass(frozen=True)
class EncodedRows:
    """Rows in the form the distance kernel reads: scaled numbers and category codes.

    Attributes
    ----------
    numeric:
        float32 array (rows x numeric columns), values in [0, 1], missing at 4.
    categorical:
        int32 array (rows x categorical columns) of codes shared by every
        table encoded with the same `MixedSpace`; missing has its own code.
    """

    numeric: np.ndarray
    categorical: np.ndarray

    def __len__(self) -> int:
        return self.numeric.shape[0]

    def take(self, rows: np.ndarray) -> EncodedRows:
        return EncodedRows(self.numeric[rows], self.categorical[rows])

    def columns(self, numeric: Sequence[int], categorical: Sequence[int]) -> EncodedRows:
        return EncodedRows(self.numeric[:, list(numeric)], self.categorical[:, list(categorical)])


@dataclass(frozen=True)
class MixedSpace:
    """The columns compared, each column's kind, and the numeric bounds used for scaling.

    Build it with `MixedSpace.fit`, then `encode` every table with it so that
    their category codes and scales agree.
    """

    numeric: tuple[Any, ...]
    categorical: tuple[Any, ...]
    lower: np.ndarray
    width: np.ndarray
    vocabularies: tuple[Mapping[Any, int], ...]

    @classmethod
    def fit(cls, frames: Sequence[pd.DataFrame], columns: Sequence[Any],
            bounds: Mapping[Any, tuple[float, float]] | None = None,
            categorical: Sequence[Any] = ()) -> MixedSpace:
        """Choose each column's kind and scale from `frames`; the first frame gives ranges without `bounds`.

        A column is numeric only when it is numeric (or datetime) in every
        frame and not listed in `categorical` (e.g. ZIP codes stored as numbers).
        """
        if not columns:
            raise ConfigError("No columns to compare: the real and synthetic tables share none. Pass tables "
                              "with the same columns.")
        bounds = dict(bounds or {})
        numeric = [name for name in columns if name not in categorical
                   and all(_is_number_like(frame[name]) for frame in frames)]
        categorical = [name for name in columns if name not in numeric]

        lower, width = [], []
        for name in numeric:
            low, high = bounds.get(name) or _range(frames[0][name])
            lower.append(low)
            width.append(high - low if high > low else 1.0)

        vocabularies = []
        for name in categorical:
            values = pd.concat([_as_text(frame[name]) for frame in frames], ignore_index=True)
            uniques = pd.unique(values.dropna())
            vocabularies.append({value: code for code, value in enumerate(uniques)})
        return cls(tuple(numeric), tuple(categorical), np.asarray(lower, dtype=float),
                   np.asarray(width, dtype=float), tuple(vocabularies))

    @property
    def n_columns(self) -> int:
        return len(self.numeric) + len(self.categorical)

    def encode(self, frame: pd.DataFrame) -> EncodedRows:
        """Return `frame`'s rows scaled and coded for `nearest`."""
        numeric = np.empty((len(frame), len(self.numeric)), dtype=np.float32)
        for index, name in enumerate(self.numeric):
            values = _numbers(frame[name])
            scaled = np.clip((values - self.lower[index]) / self.width[index], 0.0, 1.0)
            numeric[:, index] = np.where(np.isnan(values), MISSING_NUMBER, scaled)

        categorical = np.empty((len(frame), len(self.categorical)), dtype=np.int32)
        for index, (name, vocabulary) in enumerate(zip(self.categorical, self.vocabularies, strict=True)):
            codes = _as_text(frame[name]).map(vocabulary)
            # Missing values share one code; values unseen when fitting get another.
            unseen = codes.isna() & frame[name].notna().to_numpy()
            codes = codes.fillna(len(vocabulary)).to_numpy(dtype=np.int64, copy=True)
            codes[unseen.to_numpy()] = len(vocabulary) + 1
            categorical[:, index] = codes
        return EncodedRows(numeric, categorical)

    def column_indices(self, names: Sequence[Any]) -> tuple[list[int], list[int]]:
        """Return the positions of `names` among the numeric and the categorical columns."""
        numeric = [self.numeric.index(name) for name in names if name in self.numeric]
        categorical = [self.categorical.index(name) for name in names if name in self.categorical]
        return numeric, categorical


@dataclass(frozen=True)
class Neighbours:
    """The result of `nearest`: per query, the distance to its nearest reference rows and their positions.

    Attributes
    ----------
    distance:
        float array (queries,), mean per-column distance to the nearest row, in [0, 1].
    index:
        int array (queries, n_neighbors) of reference positions, nearest first.
    n_tied:
        int array (queries,): reference rows at exactly the nearest distance.
    """

    distance: np.ndarray
    index: np.ndarray
    n_tied: np.ndarray


def nearest(queries: EncodedRows, reference: EncodedRows, rng: np.random.Generator, *,
            n_neighbors: int = 1, exclude_same_position: bool = False,
            chunk_bytes: int = DEFAULT_CHUNK_BYTES) -> Neighbours:
    """Find each query's exact nearest reference rows under the mixed distance.

    Parameters
    ----------
    queries, reference:
        Rows encoded by one `MixedSpace`.
    rng:
        Breaks ties: among rows at equal distance each is equally likely to
        be returned, independently per query (for several neighbours, the
        reference is searched in a random order instead).
    n_neighbors:
        How many nearest rows to return per query.
    exclude_same_position:
        Skip reference row i for query i (leave-one-out, when queries and
        reference are the same table).
    chunk_bytes:
        Memory for one chunk's float32 distance matrix.
    """
    n_reference = len(reference)
    if n_reference < n_neighbors + int(exclude_same_position):
        raise ConfigError(invalid_value("the reference rows", n_reference, f"at least {n_neighbors} are "
                                        "needed", "Pass a larger table or fewer neighbours."))
    n_columns = queries.numeric.shape[1] + queries.categorical.shape[1]
    order = rng.permutation(n_reference)
    shuffled = reference.take(order)
    chunk = max(8, int(chunk_bytes // (4 * n_reference)))

    distance = np.empty(len(queries))
    index = np.empty((len(queries), n_neighbors), dtype=np.int64)
    n_tied = np.empty(len(queries), dtype=np.int64)
    for start in range(0, len(queries), chunk):
        stop = min(start + chunk, len(queries))
        matrix = _distance_matrix(queries.take(np.arange(start, stop)), shuffled)
        if exclude_same_position:
            positions = np.argsort(order)[start:stop]
            matrix[np.arange(stop - start), positions] = np.inf
        best = _smallest(matrix, n_neighbors)
        smallest = matrix[np.arange(stop - start), best[:, 0]]
        is_tied = matrix == smallest[:, None]
        tied = is_tied.sum(axis=1)
        if n_neighbors == 1:
            best[:, 0] = _random_among_ties(is_tied, best[:, 0], tied, rng)
        distance[start:stop] = smallest
        index[start:stop] = order[best]
        n_tied[start:stop] = tied
    return Neighbours(distance / max(n_columns, 1), index, n_tied)


def nearest_without_each(queries: EncodedRows, reference: EncodedRows, left_out: Sequence[tuple[str, int]],
                         rng: np.random.Generator, *, chunk_bytes: int = DEFAULT_CHUNK_BYTES
                         ) -> list[np.ndarray]:
    """Return, per left-out column, each query's nearest reference row over all the other columns.

    `left_out` lists columns as ("numeric" | "categorical", position). One
    distance matrix per chunk serves every left-out column, which costs one
    column's work each instead of a whole search, so inferring many secrets
    from "every other column" stays fast.
    """
    order = rng.permutation(len(reference))
    shuffled = reference.take(order)
    chunk = max(8, int(chunk_bytes // (4 * max(len(reference), 1))))
    found = [np.empty(len(queries), dtype=np.int64) for _ in left_out]
    for start in range(0, len(queries), chunk):
        rows = queries.take(np.arange(start, min(start + chunk, len(queries))))
        total = _distance_matrix(rows, shuffled)
        for slot, (kind, column) in enumerate(left_out):
            if kind == "numeric":
                part = np.minimum(np.abs(rows.numeric[:, column, None] - shuffled.numeric[None, :, column]),
                                  1.0)
            else:
                part = rows.categorical[:, column, None] != shuffled.categorical[None, :, column]
            found[slot][start:start + len(rows)] = order[np.argmin(total - part, axis=1)]
    return found


def pairwise(left: EncodedRows, right: EncodedRows) -> np.ndarray:
    """Return the full matrix of mean per-column distances between two small sets of rows."""
    n_columns = left.numeric.shape[1] + left.categorical.shape[1]
    return _distance_matrix(left, right).astype(float) / max(n_columns, 1)


def _distance_matrix(queries: EncodedRows, reference: EncodedRows) -> np.ndarray:
    """Return the (queries x reference) sums of per-column distances, float32."""
    total = np.zeros((len(queries), len(reference)), dtype=np.float32)
    buffer = np.empty_like(total)
    for column in range(queries.numeric.shape[1]):
        np.subtract(queries.numeric[:, column, None], reference.numeric[None, :, column], out=buffer)
        np.abs(buffer, out=buffer)
        np.minimum(buffer, 1.0, out=buffer)
        total += buffer

    if queries.categorical.shape[1]:
        mismatches = np.zeros(total.shape, dtype=np.int16)
        unequal = np.empty(total.shape, dtype=bool)
        for column in range(queries.categorical.shape[1]):
            np.not_equal(queries.categorical[:, column, None], reference.categorical[None, :, column],
                         out=unequal)
            mismatches += unequal
        total += mismatches
    return total


def _random_among_ties(is_tied: np.ndarray, first: np.ndarray, tied: np.ndarray, rng: np.random.Generator
                       ) -> np.ndarray:
    """Return, per row, a uniformly random column among its tied minima (the first one when unique)."""
    rows = np.flatnonzero(tied > 1)
    if rows.size == 0:
        return first
    keys = rng.random((rows.size, is_tied.shape[1]))
    keys[~is_tied[rows]] = 2.0
    chosen = first.copy()
    chosen[rows] = np.argmin(keys, axis=1)
    return chosen


def _smallest(matrix: np.ndarray, n_neighbors: int) -> np.ndarray:
    """Return, per row, the columns of the `n_neighbors` smallest entries, smallest first."""
    if n_neighbors == 1:
        return np.argmin(matrix, axis=1)[:, None]
    candidates = np.argpartition(matrix, n_neighbors - 1, axis=1)[:, :n_neighbors]
    values = np.take_along_axis(matrix, candidates, axis=1)
    return np.take_along_axis(candidates, np.argsort(values, axis=1, kind="stable"), axis=1)


def _is_number_like(column: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(column):
        return False
    return pd.api.types.is_numeric_dtype(column) or pd.api.types.is_datetime64_any_dtype(column)


def _numbers(column: pd.Series) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(column):
        stamps = column.dt.tz_convert("UTC").dt.tz_localize(None) if column.dt.tz is not None else column
        values = stamps.to_numpy(dtype="datetime64[ns]").astype(np.int64).astype(float)
        values[stamps.isna().to_numpy()] = np.nan
        return values
    return pd.to_numeric(column, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _range(column: pd.Series) -> tuple[float, float]:
    values = _numbers(column)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return 0.0, 1.0
    return float(values.min()), float(values.max())


def _as_text(column: pd.Series) -> pd.Series:
    """Return the column as object text with missing values kept missing, so codes agree across dtypes."""
    text = column.astype(object).where(column.notna(), None)
    return text.map(lambda value: value if value is None else str(value)).reset_index(drop=True)
