"""Conditional vectors and training-by-sampling (Xu et al., 2019, section 4.3).

A condition is one category of one conditional block (see
`ctgan_encoding.Block.conditional`), written as its index among all categories
of all conditional blocks; the one-hot conditional vector of the paper has its
single 1 at that index. Training draws a block uniformly, then a category with
probability proportional to log(1 + count) (or to the count itself when
`log_frequency` is off), then a real row having that category. Generation
draws the category with its real frequency, so that an unconditioned sample
keeps the column's marginal.

Every draw is vectorized: the per-block category distributions are stacked into
one cumulative table, and the rows of each category sit in one sorted index
array, so a batch costs a few numpy calls whatever its size.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class ConditionSampler:
    """Draw conditions, and real rows that satisfy them.

    Parameters
    ----------
    block_sizes:
        Number of categories of each conditional block, in layout order.
    counts:
        Rows per category, all blocks concatenated (length sum(block_sizes)).
    log_frequency:
        Draw training conditions with weight log(1 + count) instead of count.
    rows_by_category:
        Row indices grouped by category, in the order of `counts`; needed for
        training only, so a sampler rebuilt from a saved model has none.
    """

    def __init__(
        self,
        block_sizes: list[int],
        counts: np.ndarray,
        log_frequency: bool,
        rows_by_category: np.ndarray | None = None,
    ) -> None:
        self.block_sizes = [int(s) for s in block_sizes]
        self.counts = np.asarray(counts, dtype=np.int64)
        self.log_frequency = bool(log_frequency)
        self.rows_by_category = rows_by_category

        self.block_starts = np.concatenate([[0], np.cumsum(self.block_sizes)]).astype(np.int64)
        self.block_of_category = np.repeat(np.arange(self.n_blocks), self.block_sizes)
        self.row_starts = np.concatenate([[0], np.cumsum(self.counts)[:-1]]).astype(np.int64)

        weights = self.counts.astype(float)
        training_weights = np.log1p(weights) if self.log_frequency else weights
        self._training_table = self._stacked_cdf(training_weights)
        self._generation_table = self._stacked_cdf(weights)

    @property
    def n_blocks(self) -> int:
        return len(self.block_sizes)

    @property
    def n_categories(self) -> int:
        return int(self.counts.size)

    @classmethod
    def from_codes(cls, codes: np.ndarray, block_sizes: list[int], log_frequency: bool) -> ConditionSampler:
        """Count categories and index rows from an (n, blocks) code matrix.

        This reads the training rows (the category frequencies are what the
        privacy layer must measure under differential privacy).
        """
        offsets = np.concatenate([[0], np.cumsum(block_sizes)[:-1]]).astype(np.int64)
        global_codes = codes + offsets[None, :]
        counts = np.bincount(global_codes.ravel(), minlength=int(np.sum(block_sizes)))

        # Sorting the flattened codes groups each category's rows together, in
        # the order of `counts`; dividing the flat position by the block count
        # recovers the row.
        order = np.argsort(global_codes.ravel(), kind="stable")
        rows_by_category = (order // max(codes.shape[1], 1)).astype(np.int64)
        return cls(block_sizes, counts, log_frequency, rows_by_category)

    def _stacked_cdf(self, weights: np.ndarray) -> np.ndarray:
        """Return each block's category CDF shifted by the block's index.

        Block b's CDF then runs from b to b + 1, so one `searchsorted` of
        b + u finds the category for a uniform u within block b. A block
        whose weights are all zero is left flat and never drawn from.
        """
        table = np.zeros(self.n_categories)
        for block, (start, size) in enumerate(zip(self.block_starts[:-1], self.block_sizes, strict=True)):
            block_weights = weights[start: start + size]
            total = block_weights.sum()
            cdf = np.cumsum(block_weights) / total if total > 0 else np.ones(size)
            table[start: start + size] = block + cdf
        return table

    def _draw_categories(self, n: int, table: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        blocks = rng.integers(0, self.n_blocks, size=n)
        targets = blocks + rng.random(n)
        categories = np.searchsorted(table, targets, side="right")

        # Floating-point ties at a block's end may step one past it.
        last = self.block_starts[blocks + 1] - 1
        return np.minimum(categories, last).astype(np.int64)

    def sample_training(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Return (conditions, rows): n training conditions and a real row having each."""
        if self.rows_by_category is None:
            raise RuntimeError("This sampler has no row index; rebuild it with from_codes to train.")

        conditions = self._draw_categories(n, self._training_table, rng)
        picks = np.floor(rng.random(n) * self.counts[conditions]).astype(np.int64)
        rows = self.rows_by_category[self.row_starts[conditions] + picks]
        return conditions, rows

    def sample_generation(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Return n conditions drawn with the real category frequencies."""
        return self._draw_categories(n, self._generation_table, rng)

    def to_dict(self) -> dict[str, Any]:
        return {
            "block_sizes": self.block_sizes,
            "counts": self.counts.tolist(),
            "log_frequency": self.log_frequency,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ConditionSampler:
        return cls(data["block_sizes"], np.asarray(data["counts"]), data["log_frequency"])
