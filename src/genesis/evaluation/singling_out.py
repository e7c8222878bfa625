"""Singling-out risk: can predicates read off the synthetic table isolate one real person?

After Giomi et al., "A Unified Framework for Quantifying Privacy Risk in
Synthetic Data", PETS 2023, section 4.1: the attacker writes predicates
(conjunctions of column = value conditions) that match exactly one synthetic
row, and succeeds when a predicate also matches exactly one row of the real
table. Univariate predicates use one column, multivariate ones two or more.

Whether a predicate isolates a row depends on the table's size, so the
attack and its control use equal sizes: in each round, m training rows
(m = the holdout's size), the m holdout rows and m synthetic rows are drawn,
predicates are read off the synthetic sample, and each is checked on both
real samples. A model that copies no one then gives both the same success
rate in expectation. Comparing tables of different sizes with one predicate
set makes a fresh draw of the same process look risky, because a predicate
is more likely to isolate a row in the larger table. The price is that a
copy of the training table scores only about m / n_training, the chance that
the copied row is in the sample, beyond the control.

Numbers with more than `MAX_EXACT_VALUES` distinct values are written as
one of `N_BINS` quantile bins of the synthetic column before predicates are
made, because an exact continuous value is unique in every table by chance.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from genesis.evaluation.audit_inputs import AuditInputs
from genesis.evaluation.inference import risk_metric
from genesis.evaluation.sampling import Groups
from genesis.evaluation.stats import MetricResult

MAX_EXACT_VALUES = 100
N_BINS = 100
MAX_COLUMN_SETS = 64
MAX_MATCH_LIMIT = 1
MAX_ROUNDS = 10
METHOD = ("predicates that match one row of a synthetic sample, checked for matching exactly one row of "
          "equal-size training and holdout samples; risk = (target - control) / (1 - control)")


def singling_out_metrics(inputs: AuditInputs, groups: Groups, n_attacks: int, rng: np.random.Generator
                         ) -> dict[str, MetricResult]:
    """Return the "univariate" and "multivariate" singling-out metrics."""
    columns = list(inputs.quasi_identifiers) or list(inputs.columns)
    codes = _predicate_codes(inputs, columns)
    synthetic, training = codes["synthetic"], codes["training"]
    if groups.holdout_used:
        unseen, attacked = codes["holdout"], training
    else:
        unseen, attacked = training[groups.controls], np.delete(training, groups.controls, axis=0)
    size = min(len(unseen), len(attacked), len(synthetic))

    results = {}
    for kind, sizes in (("univariate", [1]), ("multivariate", list(range(2, len(columns) + 1)) or [1])):
        column_sets = _column_sets(len(columns), sizes, rng)
        attack = control = 0.0
        n_predicates, limit = 0, None
        for _ in range(MAX_ROUNDS):
            sample = synthetic[rng.choice(len(synthetic), size, replace=False)]
            targets = attacked[rng.choice(len(attacked), size, replace=False)]
            controls = unseen[rng.choice(len(unseen), size, replace=False)]
            predicates, limit = _predicates(sample, column_sets, n_attacks - n_predicates, limit, rng)
            if not predicates:
                break
            attack += _isolating(predicates, targets, column_sets).sum()
            control += _isolating(predicates, controls, column_sets).sum()
            n_predicates += len(predicates)
            if n_predicates >= n_attacks:
                break
        baseline = _random_predicate_success(synthetic, attacked[:size], column_sets, n_attacks, rng)
        metric_groups = Groups(np.arange(n_predicates), np.arange(n_predicates), groups.holdout_used)
        results[kind] = risk_metric(
            "singling_out", attack / max(n_predicates, 1), control / max(n_predicates, 1), baseline,
            metric_groups, METHOD,
            {"kind": kind, "columns": [str(c) for c in columns], "predicates": n_predicates,
             "predicates_requested": n_attacks, "max_synthetic_matches": limit, "sample_rows": size},
        )
    return results


def _predicate_codes(inputs: AuditInputs, columns: Sequence[Any]) -> dict[str, np.ndarray]:
    """Return int64 codes per table (rows x columns): category codes, or quantile bins for continuous numbers."""
    tables = {"synthetic": inputs.synthetic, "training": inputs.training}
    if inputs.holdout is not None:
        tables["holdout"] = inputs.holdout
    codes = {name: np.empty((len(frame), len(columns)), dtype=np.int64) for name, frame in tables.items()}
    for position, column in enumerate(columns):
        values = {name: frame[column] for name, frame in tables.items()}
        numeric = column in inputs.space.numeric
        many = numeric and values["synthetic"].nunique() > MAX_EXACT_VALUES
        if many:
            numbers = pd.to_numeric(values["synthetic"], errors="coerce").dropna().to_numpy(dtype=float)
            edges = np.unique(np.quantile(numbers, np.linspace(0, 1, N_BINS + 1)[1:-1])) if numbers.size else []
            for name, series in values.items():
                numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
                codes[name][:, position] = np.where(np.isnan(numbers), -1, np.searchsorted(edges, numbers))
        else:
            text = pd.concat([series.astype(str).where(series.notna(), None) for series in values.values()])
            shared, _ = pd.factorize(text, use_na_sentinel=True)
            start = 0
            for name, series in values.items():
                codes[name][:, position] = shared[start:start + len(series)]
                start += len(series)
    return codes


def _column_sets(n_columns: int, sizes: Sequence[int], rng: np.random.Generator) -> list[tuple[int, ...]]:
    sets = [combo for size in sizes if size <= n_columns for combo in itertools.combinations(range(n_columns), size)]
    if len(sets) > MAX_COLUMN_SETS:
        sets = [sets[i] for i in rng.choice(len(sets), MAX_COLUMN_SETS, replace=False)]
    return sets


def _predicates(sample: np.ndarray, column_sets: list[tuple[int, ...]], wanted: int, limit: int | None,
                rng: np.random.Generator) -> tuple[list[tuple[int, int]], int]:
    """Return up to `wanted` predicates (column set index, key) matching at most `limit` sample rows.

    The limit is one when that gives enough predicates, else up to
    `MAX_MATCH_LIMIT`; once chosen, later rounds keep it.
    """
    pools = [_key_counts(sample[:, list(columns)]) for columns in column_sets]
    if limit is None:
        limit = 1
        while limit < MAX_MATCH_LIMIT and sum(int((counts <= limit).sum()) for _, counts in pools) < wanted:
            limit += 1
    candidates = [(index, key) for index, (keys, counts) in enumerate(pools) for key in keys[counts <= limit]]
    if not candidates:
        return [], limit
    chosen = rng.choice(len(candidates), size=min(wanted, len(candidates)), replace=False)
    return [candidates[position] for position in chosen], limit


def _isolating(predicates: list[tuple[int, int]], real: np.ndarray, column_sets: list[tuple[int, ...]]
               ) -> np.ndarray:
    """Return per predicate whether it matches exactly one row of `real`."""
    real_counts = [_key_counts(real[:, list(columns)]) for columns in column_sets]
    result = np.zeros(len(predicates), dtype=bool)
    for position, (index, key) in enumerate(predicates):
        keys, counts = real_counts[index]
        found = np.searchsorted(keys, key)
        result[position] = found < keys.size and keys[found] == key and counts[found] == 1
    return result


def _random_predicate_success(synthetic: np.ndarray, real: np.ndarray, column_sets: list[tuple[int, ...]],
                              n_attacks: int, rng: np.random.Generator) -> float:
    """Return the success of predicates whose values are drawn independently per column (the naive attack)."""
    successes = 0
    real_counts = [_key_counts(real[:, list(columns)]) for columns in column_sets]
    for _ in range(n_attacks):
        index = rng.integers(len(column_sets))
        columns = list(column_sets[index])
        values = np.array([synthetic[rng.integers(len(synthetic)), column] for column in columns])
        key = _combine(values[None, :])[0]
        keys, counts = real_counts[index]
        found = np.searchsorted(keys, key)
        successes += bool(found < keys.size and keys[found] == key and counts[found] == 1)
    return successes / max(n_attacks, 1)


def _key_counts(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the sorted distinct row keys of `codes` and how often each occurs."""
    return np.unique(_combine(codes), return_counts=True)


def _combine(codes: np.ndarray) -> np.ndarray:
    """Return one int64-sized hash key per row of codes (collisions are negligible at 64 bits)."""
    frame = pd.DataFrame(codes)
    return pd.util.hash_pandas_object(frame, index=False).to_numpy().astype(np.uint64)
