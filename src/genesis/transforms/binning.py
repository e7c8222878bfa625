"""Numeric columns to bin codes and back, for marginal-based generators."""

from __future__ import annotations

from typing import Any

import numpy as np

from genesis.errors import InvalidDataError


class Binner:
    """Cut a numeric column into bins [edge_i, edge_i+1) given by increasing edges.

    `uniform` spaces edges evenly between the domain's bounds (no data read);
    `quantile` places them at quantiles of values the caller passes in, which
    is a read of raw data the privacy layer must account for. Values below
    the first edge or above the last fall into the end bins.
    """

    def __init__(self, edges: np.ndarray, integer: bool = False) -> None:
        edges = np.asarray(edges, dtype=float)
        if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
            raise ValueError(f"bin edges must be at least 2 strictly increasing numbers, got {edges}")
        self.edges = edges
        self.integer = integer

    @classmethod
    def uniform(cls, lower: float, upper: float, n_bins: int, integer: bool = False) -> Binner:
        """Return `n_bins` equal bins over [lower, upper].

        For integer columns the bins cover [lower, upper + 1) and there are at
        most as many bins as integers, so every bin holds at least one integer.
        """
        if integer:
            lower, upper = float(np.floor(lower)), float(np.floor(upper)) + 1.0
            n_bins = max(1, min(n_bins, int(upper - lower)))
        if upper <= lower:
            upper = lower + _unit_span(lower)
        edges = np.unique(np.linspace(lower, upper, n_bins + 1))
        return cls(edges if edges.size >= 2 else np.array([lower, lower + _unit_span(lower)]), integer)

    @classmethod
    def quantile(cls, values: np.ndarray, n_bins: int, integer: bool = False) -> Binner:
        """Return bins whose edges are observed values at evenly spaced quantiles.

        The "inverted_cdf" quantile returns observed values, so ties cannot
        create a bin between two edges 1e-16 apart that no value can fill.
        """
        values = np.asarray(values, dtype=float)
        values = values[~np.isnan(values)]
        if values.size == 0:
            raise InvalidDataError("Cannot place quantile bins: the column has no non-missing values.")
        edges = np.unique(np.quantile(values, np.linspace(0, 1, n_bins + 1), method="inverted_cdf"))
        top = edges[-1] + (1.0 if integer else _unit_span(edges[-1]))
        return cls(np.append(edges[:-1], top) if edges.size >= 2 else np.array([edges[0], top]), integer)

    @property
    def n_bins(self) -> int:
        return self.edges.size - 1

    def transform(self, values: np.ndarray) -> np.ndarray:
        """Return the bin code of each value."""
        codes = np.searchsorted(self.edges, np.asarray(values, dtype=float), side="right") - 1
        return np.clip(codes, 0, self.n_bins - 1).astype(np.int64)

    def inverse(self, codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Draw a value uniformly inside each code's bin (an integer one for integer columns)."""
        codes = np.asarray(codes, dtype=np.int64)
        low, high = self.edges[codes], self.edges[codes + 1]

        if self.integer:
            smallest = np.ceil(low)
            largest = np.maximum(np.ceil(high) - 1.0, smallest)
            return smallest + np.floor(rng.random(codes.size) * (largest - smallest + 1.0))

        values = low + rng.random(codes.size) * (high - low)
        # Rounding can land a draw on `high`, the first value of the next bin.
        return np.minimum(values, np.nextafter(high, low))

    def to_dict(self) -> dict[str, Any]:
        return {"edges": self.edges.tolist(), "integer": self.integer}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Binner:
        return cls(np.asarray(data["edges"]), data["integer"])


def _unit_span(value: float) -> float:
    """Return a width that is at least 1 and still representable next to `value`.

    Above 2**53, float64 cannot tell value + 1 from value (nanosecond
    timestamps are around 1.6e18), so the width grows with the magnitude.
    """
    return max(1.0, abs(float(value)) * 2.0**-40)
