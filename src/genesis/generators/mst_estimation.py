"""Estimate a tree-structured distribution from noisy marginals, and sample from it (MST's GENERATE).

MST (McKenna, Miklau and Sheldon, "Winning the NIST Contest: A scalable and
general approach to differentially private synthetic data", Journal of
Privacy and Confidentiality 11(3), 2021) measures every 1-way marginal and
the 2-way marginals of a spanning tree. It then fits a graphical model to the
noisy measurements with Private-PGM (McKenna, Sheldon and Miklau, "Graphical-
model based estimation and inference for differential privacy", ICML 2019).

Here the graph is a forest (a spanning tree, or a forest when some pairs were
too large to measure), so the model is a pairwise Markov random field

    p(x) ∝ exp( sum_a phi_a(x_a) + sum_(a,b) theta_ab(x_a, x_b) )

whose node and edge marginals belief propagation computes exactly. As in
Private-PGM, the fit runs entropic mirror descent over the marginals mu of
such models: the gradient of the loss with respect to a marginal is
subtracted from that marginal's log-potential. The loss is the negative
log-likelihood of the Gaussian noise, up to a constant,

    L(mu) = sum_m || N mu_m - y_m ||^2 / sigma_m^2,

with N the estimated number of rows. The result is a set of non-negative,
mutually consistent marginals, from which rows are sampled ancestrally: a
root from its marginal, then each child given its parent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

logger = logging.getLogger(__name__)

DEFAULT_ITERATIONS = 300
"""Mirror-descent steps of a fit.

On `patient_table` (10,000 rows, epsilon 1, seeds 0-2), 50, 100, 300 and 1000
steps gave the same median mean 2-way TVD to within 0.0003, and 300 steps
take about 0.2 s there.
"""

_FLOOR = 1e-9
"""Smallest probability a warm-start table gets, so that its logarithm is finite."""


@dataclass(frozen=True)
class Measurement:
    """A noisy count table over one attribute or a pair of attributes.

    Attributes
    ----------
    attributes:
        Indices of the attributes, in the order of the table's axes.
    values:
        Noisy counts (float), one per cell of the attributes' codes.
    sigma:
        Standard deviation of the noise, one number or one per cell (a
        merged cell of a compressed 1-way marginal has a larger one).
    """

    attributes: tuple[int, ...]
    values: np.ndarray
    sigma: float | np.ndarray


@dataclass(frozen=True)
class Forest:
    """The undirected graph of the model, with a traversal order for message passing.

    Attributes
    ----------
    sizes:
        Number of codes of each attribute.
    edges:
        Pairs (a, b) of attribute indices; together they contain no cycle.
    order:
        All attributes, each component in breadth-first order from its
        smallest attribute, so every attribute comes after its parent.
    parents:
        Parent of each attribute in that traversal, -1 for a root.
    """

    sizes: tuple[int, ...]
    edges: tuple[tuple[int, int], ...]
    order: tuple[int, ...]
    parents: tuple[int, ...]

    @classmethod
    def build(cls, sizes: tuple[int, ...], edges: tuple[tuple[int, int], ...]) -> Forest:
        """Order the attributes for message passing; raise `ValueError` if `edges` has a cycle."""
        neighbours: list[list[int]] = [[] for _ in sizes]
        for a, b in edges:
            neighbours[a].append(b)
            neighbours[b].append(a)

        parents = [-1] * len(sizes)
        order: list[int] = []
        visited = [False] * len(sizes)
        for root in range(len(sizes)):
            if visited[root]:
                continue
            visited[root] = True
            queue = [root]
            while queue:
                node = queue.pop(0)
                order.append(node)
                for neighbour in sorted(neighbours[node]):
                    if neighbour == parents[node]:
                        continue
                    if visited[neighbour]:
                        raise ValueError(f"The edges {edges} contain a cycle; a tree model needs a forest.")
                    visited[neighbour] = True
                    parents[neighbour] = node
                    queue.append(neighbour)
        return cls(tuple(sizes), tuple(edges), tuple(order), tuple(parents))

    def children(self, node: int) -> list[int]:
        return [child for child in self.order if self.parents[child] == node]


@dataclass(frozen=True)
class TreeModel:
    """Consistent marginals of a forest-structured distribution over attribute codes.

    Attributes
    ----------
    forest:
        The graph and its traversal order.
    node_marginals:
        Probability of each code of each attribute.
    edge_marginals:
        Joint probabilities of each edge (a, b), axes in that order.
    """

    forest: Forest
    node_marginals: tuple[np.ndarray, ...]
    edge_marginals: tuple[np.ndarray, ...]

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Draw `n` rows of codes ancestrally, as an (n, n_attributes) int64 matrix.

        A root is drawn from its marginal, and every other attribute from its
        conditional distribution given its parent, edge / parent marginal. A
        parent code with probability 0 (never drawn) gets the child's marginal.
        """
        codes = np.zeros((n, len(self.forest.sizes)), dtype=np.int64)
        for node in self.forest.order:
            parent = self.forest.parents[node]
            if parent < 0:
                roots = np.zeros(n, dtype=np.int64)
                codes[:, node] = draw_rows(self.node_marginals[node][None, :], roots, rng)
                continue

            joint = self._oriented_edge(parent, node)
            parent_marginal = joint.sum(axis=1, keepdims=True)
            conditional = np.where(parent_marginal > 0, joint / np.maximum(parent_marginal, 1e-300),
                                   self.node_marginals[node][None, :])
            codes[:, node] = draw_rows(conditional, codes[:, parent], rng)
        return codes

    def _oriented_edge(self, a: int, b: int) -> np.ndarray:
        for (x, y), table in zip(self.forest.edges, self.edge_marginals, strict=True):
            if (x, y) == (a, b):
                return table
            if (x, y) == (b, a):
                return table.T
        raise KeyError((a, b))


def estimate_total(measurements: list[Measurement]) -> float:
    """Estimate the number of rows from the noisy tables' sums, weighted by inverse variance.

    Each table's sum is the row count plus noise of variance sum(sigma^2) over
    its cells. The estimate is at least 1, so probabilities stay defined.
    """
    estimates = []
    weights = []
    for measurement in measurements:
        variance = float(np.sum(np.broadcast_to(np.asarray(measurement.sigma, dtype=float) ** 2,
                                                measurement.values.shape)))
        estimates.append(float(measurement.values.sum()))
        weights.append(1.0 / max(variance, 1e-12))
    return max(1.0, float(np.dot(estimates, weights) / np.sum(weights)))


def fit_tree_model(
    forest: Forest,
    measurements: list[Measurement],
    iterations: int = DEFAULT_ITERATIONS,
) -> TreeModel:
    """Fit the forest's marginals to noisy measurements by entropic mirror descent.

    Parameters
    ----------
    forest:
        The graph; every 2-way measurement must be over one of its edges.
    measurements:
        Noisy 1-way and 2-way tables, with their noise scales.
    iterations:
        Number of mirror-descent steps, each one message-passing sweep plus
        those of rejected step sizes.

    Returns
    -------
    TreeModel
        Marginals of the fitted distribution, consistent with each other.
    """
    total = estimate_total(measurements)
    problem = _Problem(forest, measurements, total)
    potentials = problem.warm_start()

    beliefs = problem.beliefs(potentials)
    loss, gradient = problem.loss_and_gradient(beliefs)
    step = 1.0 / problem.smoothness
    for _ in range(iterations):
        # Armijo backtracking: halve the step until the loss falls by at least half
        # the decrease the linear model promises; grow it after each accepted step.
        while True:
            candidate = [p - step * g for p, g in zip(potentials, gradient, strict=True)]
            candidate_beliefs = problem.beliefs(candidate)
            candidate_loss, candidate_gradient = problem.loss_and_gradient(candidate_beliefs)
            promised = sum(float(np.sum(g * (c - b))) for g, c, b in
                           zip(gradient, candidate_beliefs, beliefs, strict=True))
            if candidate_loss <= loss + 0.5 * promised or step < 1e-12 / problem.smoothness:
                break
            step *= 0.5

        potentials, beliefs = candidate, candidate_beliefs
        loss, gradient = candidate_loss, candidate_gradient
        step *= 1.5

    logger.debug("Tree model fit: loss %.4g after %d steps, estimated rows %.1f.", loss, iterations, total)
    n_nodes = len(forest.sizes)
    return TreeModel(forest, tuple(beliefs[:n_nodes]), tuple(beliefs[n_nodes:]))


class _Problem:
    """The loss over node and edge marginals, and exact message passing on the forest.

    Potentials and beliefs are lists: one array per attribute (node), then one
    per edge, with axes as in `forest.edges`. Measurement targets are divided
    by the estimated row count, so beliefs are probabilities.
    """

    def __init__(self, forest: Forest, measurements: list[Measurement], total: float) -> None:
        self.forest = forest
        self.n_nodes = len(forest.sizes)
        edge_position = {edge: index for index, edge in enumerate(forest.edges)}

        # Each term: (index of the belief it reads, target, weight per cell), axes as the belief.
        self.terms = []
        for measurement in measurements:
            attributes = measurement.attributes
            if len(attributes) == 1:
                index, transpose = attributes[0], False
            elif attributes in edge_position:
                index, transpose = self.n_nodes + edge_position[attributes], False
            elif attributes[::-1] in edge_position:
                index, transpose = self.n_nodes + edge_position[attributes[::-1]], True
            else:
                raise ValueError(f"The measurement over {attributes} is not over a node or an edge "
                                 "of the forest.")
            sigma = np.broadcast_to(np.asarray(measurement.sigma, dtype=float), measurement.values.shape)
            target = np.asarray(measurement.values, dtype=float) / total
            weight = (total / sigma) ** 2
            if transpose:
                target, weight = target.T, weight.T
            self.terms.append((index, target, weight))

        # The loss is smooth relative to negative entropy with constant at most
        # 2 * sum of the largest weight of each term, since marginalizing does not
        # increase an L1 norm; 1 / constant is a step size that always descends.
        self.smoothness = 2.0 * sum(float(weight.max()) for _, _, weight in self.terms)

    def warm_start(self) -> list[np.ndarray]:
        """Return potentials whose model is close to the measurements.

        Each node's potential is the log of its clipped, normalized 1-way
        table. Each edge's potential is the log of its clipped 2-way table
        divided by the product of its margins, so that a measured dependence
        shows from the first step.
        """
        node_tables = [np.ones(size) for size in self.forest.sizes]
        edge_tables = [np.ones((self.forest.sizes[a], self.forest.sizes[b])) for a, b in self.forest.edges]
        for index, target, _ in self.terms:
            if index < self.n_nodes:
                node_tables[index] = _normalized(target)
            else:
                edge_tables[index - self.n_nodes] = _normalized(target)

        potentials = [np.log(table) for table in node_tables]
        for table in edge_tables:
            rows = _normalized(table.sum(axis=1))
            columns = _normalized(table.sum(axis=0))
            potentials.append(np.log(table) - np.log(rows)[:, None] - np.log(columns)[None, :])
        return potentials

    def loss_and_gradient(self, beliefs: list[np.ndarray]) -> tuple[float, list[np.ndarray]]:
        loss = 0.0
        gradient = [np.zeros_like(belief) for belief in beliefs]
        for index, target, weight in self.terms:
            residual = beliefs[index] - target
            loss += float(np.sum(weight * residual**2))
            gradient[index] += 2.0 * weight * residual
        return loss, gradient

    def beliefs(self, potentials: list[np.ndarray]) -> list[np.ndarray]:
        """Return the exact node and edge marginals of the model with these log-potentials.

        Sum-product belief propagation in log space: messages go from the
        leaves up to each root, then back down; a node's belief is its
        potential plus all incoming messages.
        """
        forest = self.forest
        node_potentials = potentials[: self.n_nodes]
        edge_potentials = potentials[self.n_nodes:]
        oriented = {}
        for (a, b), table in zip(forest.edges, edge_potentials, strict=True):
            oriented[(a, b)] = table
            oriented[(b, a)] = table.T

        incoming = [np.array(p, dtype=float) for p in node_potentials]
        messages: dict[tuple[int, int], np.ndarray] = {}

        def send(source: int, target: int, exclude: np.ndarray | None) -> None:
            field = incoming[source] if exclude is None else incoming[source] - exclude
            message = _logsumexp_rows(field[:, None] + oriented[(source, target)])
            messages[(source, target)] = message
            incoming[target] = incoming[target] + message

        # Upward: a node sends to its parent once all its children have sent.
        for node in reversed(forest.order):
            parent = forest.parents[node]
            if parent >= 0:
                send(node, parent, None)
        # Downward: a parent sends to each child everything but what that child sent.
        for node in forest.order:
            parent = forest.parents[node]
            if parent >= 0:
                send(parent, node, messages[(node, parent)])

        beliefs = [_softmax(field) for field in incoming]
        for a, b in forest.edges:
            field_a = incoming[a] - messages[(b, a)]
            field_b = incoming[b] - messages[(a, b)]
            beliefs.append(_softmax(oriented[(a, b)] + field_a[:, None] + field_b[None, :]))
        return beliefs


def _normalized(table: np.ndarray) -> np.ndarray:
    clipped = np.maximum(np.asarray(table, dtype=float), 0.0)
    total = clipped.sum()
    if total <= 0:
        return np.full(clipped.shape, 1.0 / clipped.size)
    return np.maximum(clipped / total, _FLOOR)


def _logsumexp_rows(matrix: np.ndarray) -> np.ndarray:
    """Return log(sum(exp(.))) over axis 0, shifted by the column maximum."""
    peak = matrix.max(axis=0)
    return peak + np.log(np.exp(matrix - peak[None, :]).sum(axis=0))


def _softmax(log_table: np.ndarray) -> np.ndarray:
    shifted = np.exp(log_table - log_table.max())
    return shifted / shifted.sum()


def draw_rows(distributions: np.ndarray, rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draw one code per entry of `rows` from the distribution in that row of `distributions`.

    Row r's cumulative distribution is shifted to [r, r + 1], so one
    `searchsorted` over the flattened table serves every row at once without
    an (n, n_codes) intermediate. A code with probability 0 is never drawn.
    """
    n_rows, n_codes = distributions.shape
    cumulative = np.cumsum(distributions, axis=1)
    cumulative = cumulative / np.maximum(cumulative[:, -1:], 1e-300)
    shifted = (cumulative + np.arange(n_rows)[:, None]).ravel()

    draws = rows + rng.random(rows.size)
    flat = np.searchsorted(shifted, draws, side="right")
    return np.clip(flat - rows * n_codes, 0, n_codes - 1).astype(np.int64)
