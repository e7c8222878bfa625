"""MST: differentially private synthetic data from 1-way marginals and a tree of 2-way marginals.

Method
------
MST is the mechanism of McKenna, Miklau and Sheldon, "Winning the NIST
Contest: A scalable and general approach to differentially private synthetic
data", Journal of Privacy and Confidentiality 11(3), 2021, the general form of
their winning entry in the 2018 NIST Differential Privacy Synthetic Data
Challenge. Every column is discretized with the domain's cut points
(`genesis.marginals`). Then, with the budget the ledger has left:

1. MEASURE every 1-way marginal with discrete Gaussian noise.
2. Compress each column's codes: numeric bins are grouped into at most
   `pair_bins` runs of adjacent bins, and codes or runs with a noisy count
   below 3 sigma share one code (`mst_selection.Compression`).
3. SELECT a maximum spanning tree over column pairs. A pair's weight is the
   L1 distance between its true 2-way marginal and the product of the 1-way
   estimates. Each of the r - 1 edges is drawn by the exponential mechanism
   (`mst_selection`).
4. MEASURE the 2-way marginal of each tree edge with discrete Gaussian noise.
5. GENERATE: fit a tree-structured model to all noisy marginals by mirror
   descent and sample rows ancestrally (`mst_estimation`). Merged codes are
   drawn among their original codes in proportion to the clipped noisy
   1-way counts, and numeric values uniformly inside their bin.

A column with a single code (a constant, non-nullable column) is known from
the domain alone, so it is neither measured nor charged, and is sampled as
that code.

Privacy
-------
Every read of the private rows goes through a `NumpyOracle`, whose tables are
dense over the full domain. Every release is charged to the ledger with a
description that names columns, never values. The neighbouring relation is
add-or-remove one privacy unit of at most k rows, k = 1 unless the ledger
says otherwise (see `_rows_per_unit`). Pair weights then have sensitivity k
(see `mst_selection`), and so does each count table in L2 norm.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from genesis.domain import Domain
from genesis.errors import ConfigError, InvalidDataError, ModelFileError, NotFittedError, invalid_value
from genesis.generators.base import Generator, ProgressCallback, register
from genesis.generators.mst_budget import BudgetPlan, plan_budget
from genesis.generators.mst_estimation import (
    DEFAULT_ITERATIONS,
    Forest,
    Measurement,
    TreeModel,
    estimate_total,
    fit_tree_model,
)
from genesis.generators.mst_selection import Compression, pair_weight, select_tree
from genesis.marginals import ColumnCodes, Discretizer, NumpyOracle
from genesis.privacy.ledger import PrivacyLedger
from genesis.privacy.mechanisms import exponential_mechanism, noisy_counts

logger = logging.getLogger(__name__)

STATE_FORMAT = 1
"""Version of the layout that `get_state` writes; `from_state` rejects other versions."""

MAX_N_BINS = 1024
"""Largest `n_bins` and `pair_bins`: a 2-way table of two such columns has about 1e6 cells."""
_PAIR_BATCH = 64
"""Pairs whose true 2-way tables are held in memory at once while scoring."""


@dataclass(frozen=True)
class _Fitted:
    """Everything `sample` needs: which columns are modelled, their compression, and the tree model.

    Attributes
    ----------
    modelled:
        Positions (in domain order) of the columns with at least two codes;
        attribute i of the tree model is column ``modelled[i]``.
    compressions:
        Code compression of each modelled column.
    model:
        The fitted tree model over compressed codes.
    """

    modelled: tuple[int, ...]
    compressions: tuple[Compression, ...]
    model: TreeModel


@register
class MSTGenerator(Generator):
    """MST: noisy 1-way marginals and a private tree of noisy 2-way marginals (see the module docstring).

    Parameters
    ----------
    config:
        Settings; unknown keys raise `ConfigError`.

        - ``n_bins`` (default 256): number of equal-width bins of each numeric
          or datetime column between its domain bounds in its 1-way
          marginal, from 1 to 1024. Integer columns get at most one bin per
          integer.
        - ``pair_bins`` (default 16): largest number of bins of a numeric
          column in the tree model and its 2-way marginals, from 1 to 1024.
          Each is a run of adjacent 1-way bins, so the 2-way tables stay
          small while sampling still draws the fine bin from the 1-way shape.
          On `patient_table` (10,000 rows, epsilon 1 with a tenth already
          spent, seeds 0-4) the median mean 2-way TVD was 0.062 with 256 and
          16 bins, 0.072 with 128 and 16, and 0.082 with 64 and 16.
        - ``shares`` (default one third each): shares of the budget for the
          1-way marginals, the tree selection and the 2-way marginals, three
          positive numbers that sum to 1.
        - ``max_cells`` (default 250,000): largest 2-way table, after code
          compression, that may be measured. Pairs with larger tables are
          not candidates for the tree, so the model may become a forest.
        - ``iterations`` (default 300): mirror-descent steps of the model fit.
    """

    name = "mst"
    supports_dp = True
    default_config = {
        "n_bins": 256,
        "pair_bins": 16,
        "shares": [1 / 3, 1 / 3, 1 / 3],
        "max_cells": 250_000,
        "iterations": DEFAULT_ITERATIONS,
    }

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        super().__init__(config)
        self.fitted_: _Fitted | None = None
        self.discretizer_: Discretizer | None = None

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        """Merge `config` into the defaults and check each value's type and range."""
        merged = super().validate_config(config)

        for key in ("n_bins", "pair_bins"):
            if not _is_integer(merged[key]) or not 1 <= merged[key] <= MAX_N_BINS:
                raise ConfigError(invalid_value(key, merged[key],
                                                f"it must be an integer from 1 to {MAX_N_BINS}",
                                                f"Pass for example {key}={cls.default_config[key]}."))
        shares = merged["shares"]
        if (not isinstance(shares, list | tuple) or len(shares) != 3
                or not all(_is_real(share) and share > 0 for share in shares)
                or abs(sum(shares) - 1.0) > 1e-6):
            raise ConfigError(invalid_value("shares", shares,
                                            "it must be three positive numbers that sum to 1",
                                            "Pass for example shares=[0.33, 0.33, 0.34]."))
        for key in ("max_cells", "iterations"):
            if not _is_integer(merged[key]) or merged[key] < 1:
                raise ConfigError(invalid_value(key, merged[key], "it must be a positive integer",
                                                f"Pass for example {key}={cls.default_config[key]}."))
        integers = {key: int(merged[key]) for key in ("n_bins", "pair_bins", "max_cells", "iterations")}
        return {**merged, **integers, "shares": [float(share) for share in shares]}

    def fit(
        self,
        data: pd.DataFrame,
        domain: Domain,
        ledger: PrivacyLedger | None,
        rng: np.random.Generator,
        progress: ProgressCallback | None = None,
    ) -> MSTGenerator:
        """Measure marginals with differential privacy and fit the tree model.

        `rng` is not used: every random choice of the fit is noise, drawn from
        `ledger.noise`.

        Raises
        ------
        ConfigError
            When `ledger` is None or has no noise source: MST is a
            differentially private method and has no meaning without a budget.
        PrivacyBudgetError
            When the ledger has no budget left.
        InvalidDataError
            When the frame's columns differ from `domain.names`, or a value
            cannot be coded (see `genesis.marginals.ColumnCodes.encode`).
        """
        _check_ledger(ledger)
        _check_frame(data, domain)
        discretizer = Discretizer.from_domain(domain, self.config["n_bins"])
        oracle = NumpyOracle(data, discretizer)
        names = discretizer.names
        modelled = tuple(i for i, codes in enumerate(discretizer.columns) if codes.n_codes >= 2)
        columns = [names[i] for i in modelled]
        report = _progress_reporter(progress, total=4)

        if not columns:
            model = TreeModel(Forest.build((), ()), (), ())
            self._store(domain, discretizer, _Fitted((), (), model))
            report(4)
            return self

        plan = plan_budget(ledger, len(columns), tuple(self.config["shares"]), _rows_per_unit(ledger))

        # MEASURE: every 1-way marginal, then compress codes the noise swamps.
        one_way_noisy = self._measure_one_way(oracle, columns, plan, ledger)
        compressions = tuple(
            Compression.from_noisy_counts(noisy, plan.one_way_sigma,
                                          _coarse_groups(discretizer[name], self.config["pair_bins"]))
            for name, noisy in zip(columns, one_way_noisy, strict=True)
        )
        one_way = [
            Measurement((i,), compression.compress(noisy.astype(float), axis=0),
                        plan.one_way_sigma * np.sqrt(compression.group_sizes))
            for i, (noisy, compression) in enumerate(zip(one_way_noisy, compressions, strict=True))
        ]
        report(1)

        # SELECT: a spanning tree of pairs, each edge drawn by the exponential mechanism.
        edges = self._select(oracle, columns, compressions, one_way, plan, ledger)
        report(2)

        # MEASURE: the 2-way marginal of each tree edge.
        two_way = self._measure_two_way(oracle, columns, compressions, edges, plan, ledger)
        report(3)

        # GENERATE (estimation): a tree model consistent with all noisy marginals.
        sizes = tuple(compression.n_codes for compression in compressions)
        forest = Forest.build(sizes, tuple(edges))
        model = fit_tree_model(forest, one_way + two_way, self.config["iterations"])
        self._store(domain, discretizer, _Fitted(modelled, compressions, model))
        report(4)
        return self

    def _measure_one_way(self, oracle: NumpyOracle, columns: list[str], plan: BudgetPlan,
                         ledger: PrivacyLedger) -> list[np.ndarray]:
        tables = oracle.counts([(name,) for name in columns])
        noisy = []
        for name in columns:
            table = tables[(name,)]
            measured = f"noisy 1-way marginal of {name!r} ({table.size} cells)"
            noisy.append(noisy_counts(table, plan.one_way_sigma, ledger, measured, ledger.noise,
                                      sensitivity=plan.sensitivity))
        return noisy

    def _select(self, oracle: NumpyOracle, columns: list[str], compressions: tuple[Compression, ...],
                one_way: list[Measurement], plan: BudgetPlan, ledger: PrivacyLedger) -> list[tuple[int, int]]:
        """Score every pair that fits `max_cells` and draw the tree's edges.

        The current model is the one fitted to the 1-way measurements alone,
        under which columns are independent: its 2-way marginal is the outer
        product of two 1-way estimates, scaled to the estimated row count.
        """
        sizes = tuple(compression.n_codes for compression in compressions)
        independent = fit_tree_model(Forest.build(sizes, ()), one_way, self.config["iterations"])
        total = estimate_total(one_way)

        pairs = [(a, b) for a in range(len(columns)) for b in range(a + 1, len(columns))]
        candidates = [(a, b) for a, b in pairs if sizes[a] * sizes[b] <= self.config["max_cells"]]
        if len(candidates) < len(pairs):
            logger.info("MST: %d of %d column pairs have more than max_cells=%d cells after compression "
                        "and are not candidates for the tree.", len(pairs) - len(candidates), len(pairs),
                        self.config["max_cells"])

        weights = {}
        for start in range(0, len(candidates), _PAIR_BATCH):
            batch = candidates[start:start + _PAIR_BATCH]
            for (a, b), table in zip(batch, self._compressed_tables(oracle, columns, compressions, batch),
                                     strict=True):
                weights[(a, b)] = pair_weight(table, independent.node_marginals[a],
                                              independent.node_marginals[b], total)

        def choose(scores: np.ndarray, measured: str) -> int:
            return exponential_mechanism(scores, plan.selection_epsilon, plan.sensitivity, ledger, measured,
                                         ledger.noise)

        edges = select_tree(weights, len(columns), choose)
        logger.info("MST tree: %s.", [(columns[a], columns[b]) for a, b in edges])
        return edges

    def _measure_two_way(self, oracle: NumpyOracle, columns: list[str], compressions: tuple[Compression, ...],
                         edges: list[tuple[int, int]], plan: BudgetPlan,
                         ledger: PrivacyLedger) -> list[Measurement]:
        measurements = []
        for (a, b), table in zip(edges, self._compressed_tables(oracle, columns, compressions, edges),
                                 strict=True):
            measured = f"noisy 2-way marginal of {(columns[a], columns[b])!r} ({table.size} cells)"
            noisy = noisy_counts(table, plan.two_way_sigma, ledger, measured, ledger.noise,
                                 sensitivity=plan.sensitivity)
            measurements.append(Measurement((a, b), noisy.astype(float), plan.two_way_sigma))
        return measurements

    @staticmethod
    def _compressed_tables(oracle: NumpyOracle, columns: list[str], compressions: tuple[Compression, ...],
                           pairs: list[tuple[int, int]]) -> list[np.ndarray]:
        """Return the true 2-way tables of `pairs` over compressed codes, dense with zeros."""
        tables = oracle.counts([(columns[a], columns[b]) for a, b in pairs])
        compressed = []
        for a, b in pairs:
            table = tables[(columns[a], columns[b])]
            table = compressions[a].compress(table, axis=0)
            compressed.append(compressions[b].compress(table, axis=1))
        return compressed

    def _store(self, domain: Domain, discretizer: Discretizer, fitted: _Fitted) -> None:
        self.domain_ = domain
        self.discretizer_ = discretizer
        self.fitted_ = fitted

    def sample(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        """Return `n` canonical rows with the columns `domain.names`.

        Numeric and datetime columns are float64 inside their bounds, with NaN
        for missing values. Categorical and boolean columns are object columns
        of domain categories, with NaN for missing values.
        """
        if self.fitted_ is None or self.discretizer_ is None or self.domain_ is None:
            raise NotFittedError("This MSTGenerator is not fitted. Call fit before sample.")
        if not _is_integer(n) or n < 0:
            raise ConfigError(invalid_value("n", n, "it must be a non-negative integer",
                                            "Pass for example n=1000."))
        n = int(n)

        codes = np.zeros((n, len(self.discretizer_.columns)), dtype=np.int64)
        model_codes = self.fitted_.model.sample(n, rng)
        for attribute, (position, compression) in enumerate(
                zip(self.fitted_.modelled, self.fitted_.compressions, strict=True)):
            codes[:, position] = compression.expand(model_codes[:, attribute], rng)

        columns = {}
        for position, column_codes in enumerate(self.discretizer_.columns):
            values = column_codes.decode(codes[:, position], rng)
            # An explicit dtype, because pandas 3 would turn an object array of str into a str column.
            columns[column_codes.column.name] = pd.Series(values, dtype=values.dtype)
        return pd.DataFrame(columns, index=pd.RangeIndex(n))

    def get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Return the domain, bins and tree as JSON, and the compressions and marginals as arrays.

        The arrays are post-processed noisy marginals (probabilities), never
        counts read from the rows without noise.
        """
        if self.fitted_ is None or self.domain_ is None:
            raise NotFittedError("This MSTGenerator is not fitted. Call fit before get_state.")

        fitted = self.fitted_
        state = {
            "format": STATE_FORMAT,
            "domain": self.domain_.to_dict(),
            "n_bins": self.config["n_bins"],
            "modelled": list(fitted.modelled),
            "edges": [list(edge) for edge in fitted.model.forest.edges],
        }
        arrays = {}
        for index, compression in enumerate(fitted.compressions):
            arrays[f"compression_{index}"] = compression.mapping
            arrays[f"expansion_{index}"] = compression.weights
            arrays[f"node_{index}"] = fitted.model.node_marginals[index]
        for index, table in enumerate(fitted.model.edge_marginals):
            arrays[f"edge_{index}"] = table
        return state, arrays

    @classmethod
    def from_state(
        cls, config: dict[str, Any], state: dict[str, Any], arrays: dict[str, np.ndarray]
    ) -> MSTGenerator:
        """Rebuild a fitted generator; it samples exactly as the one that was saved.

        Raises
        ------
        ModelFileError
            When the state has another format version or its arrays do not
            match its domain and tree.
        """
        if state.get("format") != STATE_FORMAT:
            raise ModelFileError(
                invalid_value("the mst state format", state.get("format"),
                              f"this version of genesis reads format {STATE_FORMAT}",
                              "Fit the model again with this version.")
            )
        generator = cls(config)
        domain = Domain.from_dict(state["domain"])
        discretizer = Discretizer.from_domain(domain, int(state["n_bins"]))
        modelled = tuple(int(position) for position in state["modelled"])
        edges = tuple((int(a), int(b)) for a, b in state["edges"])

        try:
            compressions = tuple(Compression(np.asarray(arrays[f"compression_{i}"], dtype=np.int64),
                                             np.asarray(arrays[f"expansion_{i}"], dtype=float))
                                 for i in range(len(modelled)))
            nodes = tuple(np.asarray(arrays[f"node_{i}"], dtype=float) for i in range(len(modelled)))
            tables = tuple(np.asarray(arrays[f"edge_{j}"], dtype=float) for j in range(len(edges)))
            forest = Forest.build(tuple(node.size for node in nodes), edges)
        except (KeyError, ValueError, IndexError) as error:
            raise ModelFileError(f"The mst state is incomplete or inconsistent ({error}). The model file is "
                                 "damaged; fit the model again.") from error
        _check_state_shapes(discretizer, modelled, compressions, nodes, tables, forest)

        model = TreeModel(forest, nodes, tables)
        generator._store(domain, discretizer, _Fitted(modelled, compressions, model))
        return generator


def _coarse_groups(codes: ColumnCodes, pair_bins: int) -> np.ndarray | None:
    """Return the coarse bin of each code of a numeric column: runs of adjacent 1-way bins.

    Each run has ceil(n_bins / pair_bins) bins, so there are at most
    `pair_bins` runs; the missing code is a group of its own. Returns None for
    columns without bins (categorical ones), whose codes stay separate.
    """
    if codes.binner is None:
        return None
    n_bins = codes.binner.n_bins
    run = -(-n_bins // pair_bins)
    groups = np.arange(n_bins) // run
    if codes.missing_code is not None:
        groups = np.append(groups, groups[-1] + 1)
    return groups


def _rows_per_unit(ledger: PrivacyLedger) -> int:
    """Return how many rows one privacy unit may have in `data`: the sensitivity of every count.

    The facade caps the rows of each unit before `fit`, so `data` carries no
    unit ids and the bound travels with the ledger.
    """
    rows = ledger.max_rows_per_unit
    if not _is_integer(rows) or rows < 1:
        raise ConfigError(invalid_value("ledger.max_rows_per_unit", rows, "it must be a positive integer",
                                        "Set it to the cap on rows per privacy unit, or 1."))
    return int(rows)


def _check_ledger(ledger: PrivacyLedger | None) -> None:
    if ledger is None:
        raise ConfigError(
            "mst needs a privacy budget: it is a differentially private method and measures every "
            "statistic with noise sized to the budget. Pass differential_privacy settings (epsilon, delta), "
            "or choose a method that fits without privacy, such as gaussian_copula."
        )
    if ledger.noise is None:
        raise ConfigError("The privacy ledger has no noise source (ledger.noise is None). Set it with "
                          "NoiseSource.from_random_state before fitting.")


def _check_frame(data: pd.DataFrame, domain: Domain) -> None:
    if list(data.columns) != domain.names:
        raise InvalidDataError(
            f"The canonical frame has columns {list(data.columns)!r}, but the domain has "
            f"{domain.names!r}. Build both from the same schema (Schema.to_canonical, Domain.from_data)."
        )


def _check_state_shapes(discretizer: Discretizer, modelled: tuple[int, ...],
                        compressions: tuple[Compression, ...], nodes: tuple[np.ndarray, ...],
                        tables: tuple[np.ndarray, ...], forest: Forest) -> None:
    problems = []
    for attribute, position in enumerate(modelled):
        if not 0 <= position < len(discretizer.columns):
            problems.append(f"modelled column {position} is not in the domain")
            continue
        n_codes = discretizer.columns[position].n_codes
        compression = compressions[attribute]
        if compression.mapping.size != n_codes or compression.weights.size != n_codes:
            problems.append(f"compression {attribute} has {compression.mapping.size} codes and "
                            f"{compression.weights.size} weights")
        if nodes[attribute].size != compressions[attribute].n_codes:
            problems.append(f"node marginal {attribute} has {nodes[attribute].size} cells")
    for (a, b), table in zip(forest.edges, tables, strict=True):
        if table.shape != (nodes[a].size, nodes[b].size):
            problems.append(f"edge marginal ({a}, {b}) has shape {table.shape}")
    if problems:
        raise ModelFileError(f"The mst state does not match its domain: {'; '.join(problems)}. The model "
                             "file is damaged; fit the model again.")


def _progress_reporter(progress: ProgressCallback | None, total: int):
    def report(done: int) -> None:
        if progress is not None:
            progress(done, total)
    return report


def _is_integer(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


def _is_real(value: Any) -> bool:
    if isinstance(value, bool | np.bool_):
        return False
    return isinstance(value, int | float | np.integer | np.floating) and bool(np.isfinite(value))
