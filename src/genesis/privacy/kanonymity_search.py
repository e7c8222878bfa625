"""Search the generalization lattice for the least information loss that meets k.

A node of the lattice gives one level per quasi-identifier, from its floor to
its top level. A node satisfies k-anonymity when the rows in equivalence classes
smaller than k number at most the suppression limit; those rows are then
suppressed. Its information loss is the mean NCP over all quasi-identifier
cells, with each cell of a suppressed row counted as 1.

Satisfaction is monotone. Every class of a node is a union of classes of each
of its specializations, so when a node satisfies, so does every
generalization, and when it fails, so does every specialization. The search
runs in two phases:

1. **Classify** every node with the Flash strategy of Kohlmayer, Prasser,
   Eckert, Kemper and Kuhn, "Flash: efficient, stable and optimal
   k-anonymity" (PASSAT 2012), as implemented in ARX
   (https://arx.deidentifier.org/development/algorithms/). Walk the levels of
   the lattice bottom-up; from each untagged node build a path upwards through
   untagged nodes, and binary-search it. Each checked node tags its
   generalizations (when it satisfies) or its specializations (when it fails)
   without evaluating them.
2. **Optimize** over the satisfying nodes in order of a lower bound of their
   loss: the loss without suppression, which counts suppressed cells at their
   NCP instead of 1. Evaluate nodes until the bound exceeds the best loss
   found. This finds the minimum exactly, although loss with suppression is
   not monotone along generalization.

Ties are broken deterministically: the lower loss rounded to 12 decimals, then
the smaller sum of levels, then the node whose level tuple comes first in
lexicographic order (quasi-identifiers in the caller's order).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from genesis.errors import ConfigError, invalid_value
from genesis.privacy.kanonymity_encoding import EncodedColumn, group_rows

MAX_LATTICE_NODES = 1_000_000
"""Largest lattice the search builds; its node array takes 8 bytes per node and quasi-identifier."""

LOSS_DECIMALS = 12
"""Losses equal to this many decimals count as ties (they differ only by rounding in float sums)."""

_UNKNOWN, _SATISFIES, _FAILS = 0, 1, -1


@dataclass(frozen=True)
class NodeOutcome:
    """The suppressed rows, k-anonymity and information loss of one evaluated node."""

    levels: tuple[int, ...]
    suppressed: int
    satisfies: bool
    loss: float


@dataclass(frozen=True)
class SearchOutcome:
    """The result of a lattice search.

    Attributes
    ----------
    best:
        The chosen node, or None when no node satisfies k.
    top:
        The outcome of the coarsest node, which suppresses the fewest rows.
    naive:
        The naive full-domain generalization for comparison: the lowest
        uniform level that meets k with no row suppressed, or None.
    nodes_evaluated:
        Nodes whose classes were counted during the search.
    lattice_size:
        Nodes between the floors and the top levels.
    """

    best: NodeOutcome | None
    top: NodeOutcome
    naive: NodeOutcome | None
    nodes_evaluated: int
    lattice_size: int


class Lattice:
    """The nodes between the floors and the top levels, with a cache of evaluated nodes."""

    def __init__(self, columns: list[EncodedColumn], floors: list[int], k: int, max_suppressed: int) -> None:
        self.columns = columns
        self.k = k
        self.max_suppressed = max_suppressed
        self.n_rows = columns[0].value_codes.size
        self.floors = np.array(floors, dtype=np.int64)
        self.tops = np.array([column.n_levels - 1 for column in columns], dtype=np.int64)
        self.nodes = _enumerate_nodes(self.floors, self.tops)
        self.strides = _strides(self.tops - self.floors + 1)
        self.loss_sums = [np.array([c.loss_sum(level) for level in range(c.n_levels)]) for c in columns]
        self.bounds = self._lower_bound_sums()
        self.status = np.zeros(len(self.nodes), dtype=np.int8)
        self.cache: dict[int, NodeOutcome] = {}

    @property
    def size(self) -> int:
        return len(self.nodes)

    def index(self, levels: np.ndarray) -> int:
        return int(np.dot(levels - self.floors, self.strides))

    def evaluate(self, index: int) -> NodeOutcome:
        """Count the classes of node `index`, suppress those smaller than k, and measure the loss."""
        if index in self.cache:
            return self.cache[index]
        levels = tuple(int(level) for level in self.nodes[index])
        class_ids, sizes = group_rows(self.columns, levels)
        suppressed_rows = sizes[class_ids] < self.k
        suppressed = int(np.count_nonzero(suppressed_rows))

        # Suppressed cells cost 1 instead of their NCP at this level.
        kept_loss = self.bounds[index]
        if suppressed:
            for column, level in zip(self.columns, levels, strict=True):
                kept_loss -= float(column.value_loss[level][column.value_codes[suppressed_rows]].sum())
        total = kept_loss + suppressed * len(self.columns)
        outcome = NodeOutcome(levels, suppressed, suppressed <= self.max_suppressed,
                              float(total / (self.n_rows * len(self.columns))))
        self.cache[index] = outcome
        return outcome

    def rank(self, index: int, loss: float) -> tuple[float, int, int]:
        """Return the sort key of node `index` at `loss`: rounded loss, level sum, lexicographic index."""
        return round(loss, LOSS_DECIMALS), int(self.nodes[index].sum()), index

    def lower_bound(self, index: int) -> float:
        return float(self.bounds[index]) / (self.n_rows * len(self.columns))

    def tag(self, index: int, satisfies: bool) -> None:
        """Tag the node with its generalizations (satisfied) or its specializations (failed)."""
        node = self.nodes[index]
        if satisfies:
            self.status[(self.nodes >= node).all(axis=1)] = _SATISFIES
        else:
            self.status[(self.nodes <= node).all(axis=1)] = _FAILS

    def _lower_bound_sums(self) -> np.ndarray:
        """Return, per node, the summed cell NCP over all rows with no row suppressed."""
        sums = np.zeros(len(self.nodes))
        for position, loss_sums in enumerate(self.loss_sums):
            sums += loss_sums[self.nodes[:, position]]
        return sums


def search(columns: list[EncodedColumn], floors: list[int], k: int, max_suppressed: int) -> SearchOutcome:
    """Find the node with the least information loss that suppresses at most `max_suppressed` rows."""
    lattice = _build_lattice(columns, floors, k, max_suppressed)
    classify(lattice)
    best = _optimize(lattice)
    evaluated = len(lattice.cache)
    top = lattice.evaluate(lattice.size - 1)
    return SearchOutcome(best, top, _naive_uniform(lattice), evaluated, lattice.size)


def _naive_uniform(lattice: Lattice) -> NodeOutcome | None:
    """Return the lowest uniform node that meets k without suppressing any row, else None.

    A uniform node gives every column the same level index, raised to the
    column's floor and capped at its top level.
    """
    for uniform in range(int(lattice.tops.max()) + 1):
        levels = np.clip(uniform, lattice.floors, lattice.tops)
        outcome = lattice.evaluate(lattice.index(levels))
        if outcome.suppressed == 0:
            return outcome
    return None


def _build_lattice(columns: list[EncodedColumn], floors: list[int], k: int, max_suppressed: int) -> Lattice:
    n_nodes = int(np.prod([column.n_levels - floor for column, floor in zip(columns, floors, strict=True)]))
    if n_nodes > MAX_LATTICE_NODES:
        raise ConfigError(
            invalid_value("The generalization lattice's size", n_nodes, f"the search handles at most "
                          f"{MAX_LATTICE_NODES:,} nodes", "Use fewer quasi-identifiers or hierarchies with "
                          "fewer levels.")
        )
    return Lattice(columns, floors, k, max_suppressed)


def classify(lattice: Lattice) -> None:
    """Phase 1: tag every node as satisfying or failing, checking paths by binary search."""
    heights = lattice.nodes.sum(axis=1)
    for index in np.lexsort((np.arange(lattice.size), heights)):
        if lattice.status[index] != _UNKNOWN:
            continue
        path = _find_path(lattice, int(index))
        _check_path(lattice, path)


def _find_path(lattice: Lattice, start: int) -> list[int]:
    """Walk greedily upwards through untagged nodes, raising the level whose bound grows least."""
    path = [start]
    current = start
    while True:
        successors = _untagged_successors(lattice, current)
        if not successors:
            return path
        current = min(successors, key=lambda index: (lattice.bounds[index], index))
        path.append(current)


def _untagged_successors(lattice: Lattice, index: int) -> list[int]:
    node = lattice.nodes[index]
    successors = []
    for position, stride in enumerate(lattice.strides):
        if node[position] < lattice.tops[position]:
            successor = index + int(stride)
            if lattice.status[successor] == _UNKNOWN:
                successors.append(successor)
    return successors


def _check_path(lattice: Lattice, path: list[int]) -> None:
    """Binary-search the path for its lowest satisfying node, tagging around each checked node."""
    low, high = 0, len(path) - 1
    while low <= high:
        middle = (low + high) // 2
        index = path[middle]
        if lattice.status[index] == _UNKNOWN:
            lattice.tag(index, lattice.evaluate(index).satisfies)
        if lattice.status[index] == _SATISFIES:
            high = middle - 1
        else:
            low = middle + 1


def _optimize(lattice: Lattice) -> NodeOutcome | None:
    """Phase 2: branch and bound over the satisfying nodes, in order of their lower bound."""
    candidates = np.flatnonzero(lattice.status == _SATISFIES)
    if not candidates.size:
        return None
    bounds = np.round(lattice.bounds[candidates] / (lattice.n_rows * len(lattice.columns)), LOSS_DECIMALS)
    order = candidates[np.lexsort((candidates, lattice.nodes[candidates].sum(axis=1), bounds))]

    best_index, best_rank = None, None
    for index in order.tolist():
        if best_rank is not None and lattice.rank(index, lattice.lower_bound(index)) >= best_rank:
            break
        outcome = lattice.evaluate(index)
        node_rank = lattice.rank(index, outcome.loss)
        if outcome.satisfies and (best_rank is None or node_rank < best_rank):
            best_index, best_rank = index, node_rank
    return None if best_index is None else lattice.cache[best_index]


def _enumerate_nodes(floors: np.ndarray, tops: np.ndarray) -> np.ndarray:
    """Return every node as a row of levels, in lexicographic order (first column most significant)."""
    grids = np.indices(tuple(tops - floors + 1)).reshape(len(floors), -1).T
    return grids + floors


def _strides(radices: np.ndarray) -> np.ndarray:
    """Return how far the node index moves per level of each quasi-identifier (mixed radix)."""
    strides = np.ones(len(radices), dtype=np.int64)
    for position in range(len(radices) - 2, -1, -1):
        strides[position] = strides[position + 1] * radices[position + 1]
    return strides
