"""MST's SELECT phase: compress rare codes, score column pairs, and pick a tree privately.

MST is the mechanism of McKenna, Miklau and Sheldon, "Winning the NIST
Contest: A scalable and general approach to differentially private synthetic
data", Journal of Privacy and Confidentiality 11(3), 2021.

- Compression: codes whose noisy 1-way count is below 3 sigma are merged into
  one code, so that 2-way tables do not spend cells on values the noise
  swamps. A code whose true count is 0 passes the threshold with probability
  about 0.1 %. Compression reads only noisy counts, so it is post-processing.
  Numeric columns are also coarsened first: the 1-way marginal is measured
  in fine bins, and the tree model works on runs of adjacent fine bins. So
  the 2-way tables stay small while the 1-way shape keeps its detail, and
  `Compression.expand` draws the fine bin back.
- Selection: the weight of a pair (a, b) is the L1 distance between its true
  2-way marginal and the one the current model (fitted to the noisy 1-way
  marginals only) implies. A maximum spanning tree over these weights is
  built the way Kruskal's algorithm builds one, with each of its r - 1 edge
  choices made by the exponential mechanism among the pairs that join two
  components.

Sensitivity of a weight under adding or removing one privacy unit: the model
estimate depends only on noise already released, and the unit changes the
true 2-way table by at most `rows_per_unit` in L1 norm. By the triangle
inequality the weight then changes by at most `rows_per_unit`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from genesis.generators.mst_estimation import draw_rows

logger = logging.getLogger(__name__)

COMPRESSION_SIGMAS = 3.0
"""Codes whose noisy count is below this many noise standard deviations are merged."""


@dataclass(frozen=True)
class Compression:
    """A many-to-one map from a column's codes to the codes the tree model uses, and its inverse draw.

    Attributes
    ----------
    mapping:
        Model code of each original code.
    weights:
        Probability of each original code given its model code; the weights
        of the codes behind one model code sum to 1.
    """

    mapping: np.ndarray
    weights: np.ndarray

    @classmethod
    def from_noisy_counts(cls, noisy: np.ndarray, sigma: float,
                          groups: np.ndarray | None = None) -> Compression:
        """Group codes, then merge the groups the noise swamps into one.

        Parameters
        ----------
        noisy:
            Noisy 1-way counts of the original codes.
        sigma:
            Noise standard deviation of each count.
        groups:
            Base group of each original code, numbered 0, 1, ... (e.g. fine
            numeric bins that share a coarse bin); None gives each code a
            group of its own.

        A group whose noisy total is below `COMPRESSION_SIGMAS` times its
        noise standard deviation (sigma * sqrt(group size)) is merged with
        the other such groups into one last model code. A single such group
        stays as it is, since merging it with nothing changes nothing. Kept
        groups keep their order.

        The weights are the clipped noisy counts, normalized within each model
        code; a model code whose codes all have a noisy count <= 0 spreads
        its weight evenly.
        """
        noisy = np.asarray(noisy, dtype=float)
        groups = np.arange(noisy.size) if groups is None else np.asarray(groups, dtype=np.int64)
        n_groups = int(groups.max()) + 1 if groups.size else 0
        totals = np.bincount(groups, weights=noisy, minlength=n_groups)
        sizes = np.bincount(groups, minlength=n_groups)

        rare = totals < COMPRESSION_SIGMAS * sigma * np.sqrt(np.maximum(sizes, 1))
        if np.count_nonzero(rare) <= 1:
            rare[:] = False
        group_code = np.empty(n_groups, dtype=np.int64)
        group_code[~rare] = np.arange(np.count_nonzero(~rare))
        group_code[rare] = np.count_nonzero(~rare)
        mapping = group_code[groups]

        return cls(mapping, _within_group_weights(mapping, np.maximum(noisy, 0.0)))

    @property
    def n_codes(self) -> int:
        return int(self.mapping.max()) + 1 if self.mapping.size else 0

    @property
    def group_sizes(self) -> np.ndarray:
        """Number of original codes behind each model code."""
        return np.bincount(self.mapping, minlength=self.n_codes)

    def compress(self, table: np.ndarray, axis: int) -> np.ndarray:
        """Sum a table's entries along `axis` into model codes."""
        table = np.asarray(table)
        moved = np.moveaxis(table, axis, 0)
        one_hot = np.zeros((self.mapping.size, self.n_codes))
        one_hot[np.arange(self.mapping.size), self.mapping] = 1.0

        # A matrix product sums the merged rows; float64 adds integer counts
        # below 2^53 exactly, so rounding back restores an integer table.
        summed = (one_hot.T @ moved.reshape(moved.shape[0], -1)).reshape(self.n_codes, *moved.shape[1:])
        if np.issubdtype(table.dtype, np.integer):
            summed = np.rint(summed).astype(table.dtype)
        return np.moveaxis(summed, 0, axis)

    def expand(self, codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Draw an original code for each model code, with probabilities `weights`."""
        distributions = np.zeros((self.n_codes, self.mapping.size))
        distributions[self.mapping, np.arange(self.mapping.size)] = self.weights
        return draw_rows(distributions, np.asarray(codes, dtype=np.int64), rng)


def _within_group_weights(mapping: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Normalize `counts` within each group of `mapping`; a group summing to 0 gets even weights."""
    totals = np.bincount(mapping, weights=counts, minlength=int(mapping.max()) + 1 if mapping.size else 0)
    sizes = np.bincount(mapping, minlength=totals.size)
    empty = totals[mapping] <= 0
    return np.where(empty, 1.0 / sizes[mapping], counts / np.where(empty, 1.0, totals[mapping]))


def pair_weight(true_counts: np.ndarray, marginal_a: np.ndarray, marginal_b: np.ndarray,
                total: float) -> float:
    """Return || true 2-way counts - total * outer(marginal_a, marginal_b) ||_1.

    The product of the 1-way estimates is the 2-way marginal of the model
    fitted to 1-way measurements only, which makes the columns independent.
    """
    expected = total * np.outer(marginal_a, marginal_b)
    return float(np.abs(true_counts - expected).sum())


def select_tree(
    weights: dict[tuple[int, int], float],
    n_nodes: int,
    choose: Callable[[np.ndarray, str], int],
) -> list[tuple[int, int]]:
    """Build a spanning tree (or forest) the way Kruskal's algorithm does, choosing edges privately.

    Parameters
    ----------
    weights:
        Score of each candidate pair (a, b) with a < b; pairs left out are
        never chosen.
    n_nodes:
        Number of attributes.
    choose:
        ``choose(scores, measured)`` returns the index of the chosen score;
        the caller makes it the exponential mechanism charged to the ledger.
        `measured` describes the choice for the privacy ledger.

    Returns
    -------
    list
        The chosen edges, in the order they were chosen. Fewer than
        n_nodes - 1 when the candidates cannot connect every attribute.
    """
    component = list(range(n_nodes))
    chosen: list[tuple[int, int]] = []
    for round_number in range(1, n_nodes):
        candidates = [pair for pair in sorted(weights) if component[pair[0]] != component[pair[1]]]
        if not candidates:
            logger.info("MST selection stopped after %d edges: no candidate pair joins two components.",
                        len(chosen))
            break

        scores = np.array([weights[pair] for pair in candidates])
        measured = (f"choice of tree edge {round_number} of {n_nodes - 1} among {len(candidates)} column "
                    "pairs (exponential mechanism on 2-way marginal L1 errors)")
        a, b = candidates[choose(scores, measured)]
        chosen.append((a, b))

        merged, kept = component[b], component[a]
        component = [kept if label == merged else label for label in component]
    return chosen
