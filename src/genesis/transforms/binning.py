"""Numeric columns to bin codes and back, for marginal-based generators."""

from __future__ import annotations

from typing import Any

import numpy as np


class Binner:
    """Cut a numeric column into bins given by increasing edges.

    `uniform` spaces edges evenly between the domain's bounds (no data read);
    `quantile` places them at quantiles of values the caller passes in, which
    is a read of raw data the privacy layer must account for.
    """

    def __init__(self, edges: np.ndarray, integer: bool = False) -> None:
        edges = np.asarray(edges, dtype=float)
        if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
            raise ValueError(f"bin edges must be at least 2 strictly increasing numbers, got {edges}")
        self.edges = edges
        self.integer = integer

    @classmethod
    def uniform(cls, lower: float, upper: float, n_bins: int, integer: bool = False) -> Binner:
        if upper <= lower:
            upper = lower + 1.0
        return cls(np.linspace(lower, upper, n_bins + 1), integer)

    @classmethod
    def quantile(cls, values: np.ndarray, n_bins: int, integer: bool = False) -> Binner:
        values = np.asarray(values, dtype=float)
        values = values[~np.isnan(values)]
        edges = np.unique(np.quantile(values, np.linspace(0, 1, n_bins + 1)))
        if edges.size < 2:
            edges = np.array([edges[0], edges[0] + 1.0])
        return cls(edges, integer)

    @property
    def n_bins(self) -> int:
        return self.edges.size - 1

    def transform(self, values: np.ndarray) -> np.ndarray:
        """Return the bin code of each value; values outside the edges go to the end bins."""
        codes = np.searchsorted(self.edges, np.asarray(values, dtype=float), side="right") - 1
        return np.clip(codes, 0, self.n_bins - 1).astype(np.int64)

    def inverse(self, codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Draw a value uniformly inside each code's bin (rounded for integer columns)."""
        codes = np.asarray(codes, dtype=np.int64)
        low, high = self.edges[codes], self.edges[codes + 1]
        values = low + rng.random(codes.size) * (high - low)
        if self.integer:
            values = np.clip(np.round(values), np.ceil(low), np.floor(high))
        return values

    def to_dict(self) -> dict[str, Any]:
        return {"edges": self.edges.tolist(), "integer": self.integer}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Binner:
        return cls(np.asarray(data["edges"]), data["integer"])
