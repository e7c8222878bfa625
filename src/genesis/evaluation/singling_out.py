"""Singling-out risk: can predicates read off the synthetic table isolate one real person?

After Giomi et al., "A Unified Framework for Quantifying Privacy Risk in
Synthetic Data", PETS 2023, section 4.1: the attacker writes predicates
(conjunctions of column = value conditions) that match exactly one synthetic
row, and succeeds when a predicate matches exactly one row of the training
table. Univariate predicates use one column, multivariate ones two or more.

The control is not a second table of another size. Whether a predicate
isolates a row depends on the table's size, so checking the same predicates
on a smaller holdout table biases the control. genesis conditions on the
real rows instead: a predicate matching c rows of the training and holdout
tables together (N rows, n_T of them training) would, for a model that
never saw the split, match exactly one training row with the hypergeometric
probability P(X = 1), X ~ Hypergeom(N, n_T, c). The holdout is a uniform
random share of the fitted table, so this is exact, not an approximation.
The control rate is the mean of that probability over the predicates. A
copy of the training table makes every predicate succeed (attack rate 1), a
fresh draw from the same process matches the control in expectation.

Numbers with more than `MAX_EXACT_VALUES` distinct values are written as
one of `N_BINS` quantile bins of the synthetic column before predicates are
made. Exact continuous values match no real row except copies, so the bins
keep predicates that a fresh draw can make informative.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from genesis.evaluation.audit_inputs import AuditInputs
from genesis.evaluation.sampling import Groups
from genesis.evaluation.singling_out_null import design_effects, row_keys
from genesis.evaluation.stats import MetricResult, excess_risk, paired_excess_risk, wilson_interval

MAX_EXACT_VALUES = 200
N_BINS = 200
MAX_COLUMN_SETS = 64
MIN_PREDICATES = 200
"""Predicates wanted before the synthetic match limit is raised (about +-0.07 on a rate near 0.3)."""
MAX_MATCH_LIMIT = 50
KINDS = {"univariate": "one column", "multivariate": "two or more columns"}
METHOD = ("predicates that match one synthetic row (or the fewest, up to 50); success when one matches "
          "exactly one training row; control = the same event's probability had the training rows been drawn "
          "at random from the training and holdout rows (hypergeometric); risk = (attack - control) / "
          "(1 - control)")
PROXY_METHOD = ("predicates that match one synthetic row (or the fewest, up to 50); success when one matches "
                "exactly one training row; no holdout, so compared with predicates of independently drawn "
                "values (naive baseline)")


def singling_out_metrics(inputs: AuditInputs, groups: Groups, n_attacks: int, rng: np.random.Generator
                         ) -> dict[str, MetricResult]:
    """Return the singling-out metric over univariate and multivariate predicates together.

    The attacker uses both kinds, so the headline pools them; each kind's
    own value, interval and count are in `details["kinds"]`.
    """
    columns = list(inputs.quasi_identifiers) or list(inputs.columns)
    codes = _predicate_codes(inputs, columns)
    holdout = codes.get("holdout") if groups.holdout_used else None

    pools = {kind: _synthetic_pools(codes["synthetic"], _column_sets(len(columns), sizes, rng))
             for kind, sizes in (("univariate", [1]), ("multivariate", list(range(2, len(columns) + 1))))}
    limit = _match_limit([pool for kind_pools in pools.values() for pool in kind_pools], 2 * n_attacks)
    predicates = [_predicates(kind_pools, limit, codes["training"], holdout, n_attacks, rng)
                  for kind_pools in pools.values()]
    counts_all = np.concatenate([found.counts for found in predicates])
    kinds_all = np.concatenate([np.full(len(found.counts), kind) for kind, found in zip(pools, predicates,
                                                                                       strict=True)])

    all_sets = _column_sets(len(columns), list(range(1, len(columns) + 1)), rng)
    baseline = _random_predicate_success(codes["synthetic"], codes["training"], all_sets, n_attacks, rng)
    n_training, n_holdout = len(codes["training"]), 0 if holdout is None else len(holdout)
    subsets = {"all": np.ones(len(kinds_all), dtype=bool), **{kind: kinds_all == kind for kind in KINDS}}
    effects = _design_effects(predicates, codes, holdout, subsets, rng)
    per_kind = {kind: _risk(counts_all[subsets[kind]], n_training, n_holdout, baseline, effects[kind])
                for kind in KINDS}
    risk, attack, control, low, high, unclipped = _risk(counts_all, n_training, n_holdout, baseline,
                                                        effects["all"])
    n = len(counts_all)
    return {"singling_out": MetricResult(
        name="singling_out", value=risk, ci_low=low, ci_high=high, n=n, baseline=baseline,
        method=METHOD if groups.holdout_used else PROXY_METHOD, holdout_used=groups.holdout_used,
        proxy=not groups.holdout_used,
        details={"columns": [str(c) for c in columns], "predicates": n, "predicates_requested": 2 * n_attacks,
                 "max_synthetic_matches": limit,
                 "proxy_reference": None if groups.holdout_used else "naive baseline",
                 "attack_rate": attack, "attack_ci": list(wilson_interval(attack * n, n)),
                 "control_rate": control, "baseline_rate": baseline, "unclipped": unclipped,
                 "design_effect": effects["all"],
                 "kinds": {kind: _kind_summary(value, int(subsets[kind].sum()), effects[kind])
                           for kind, value in per_kind.items()}},
    )}


def _kind_summary(value: tuple, n: int, design_effect: float) -> dict[str, Any]:
    """Return one kind's risk, interval, rates and count; None where no predicate of that kind exists."""
    if n == 0:
        return {"value": None, "ci": None, "attack_rate": None, "control_rate": None, "n": 0,
                "unclipped": None, "design_effect": None}
    return {"value": value[0], "ci": [value[3], value[4]], "attack_rate": value[1], "control_rate": value[2],
            "n": n, "unclipped": value[5], "design_effect": design_effect}


def _risk(counts: np.ndarray, n_training: int, n_holdout: int, baseline: float, design_effect: float
          ) -> tuple[float, float, float, float, float, list[float]]:
    """Return (risk, attack rate, control rate, low, high, unclipped) from predicates' real match counts.

    `counts` contains (training matches, holdout matches) per predicate.
    `unclipped` is [risk, low, high] before clipping to [0, 1], for
    comparisons.
    """
    n = len(counts)
    success = (counts[:, 0] == 1).astype(float) if n else np.empty(0)
    attack = float(success.mean()) if n else 0.0
    if n_holdout == 0:
        risk, low, high = excess_risk(attack, n, baseline, n)
        return risk, attack, baseline, low, high, list(excess_risk(attack, n, baseline, n, clip=False))

    n_real = n_training + n_holdout
    expected = stats.hypergeom.pmf(1, n_real, n_training, counts.sum(axis=1)) if n else success
    risk, low, high = paired_excess_risk(success, expected, design_effect=design_effect)
    unclipped = list(paired_excess_risk(success, expected, design_effect=design_effect, clip=False))
    return risk, attack, float(expected.mean()) if n else 0.0, low, high, unclipped


def _design_effects(predicates: list[Predicates], codes: dict[str, np.ndarray], holdout: np.ndarray | None,
                    subsets: dict[str, np.ndarray], rng: np.random.Generator) -> dict[str, float]:
    """Return the design effect per subset of predicates; 1 without a holdout (no control to redraw)."""
    if holdout is None or not any(len(found.counts) for found in predicates):
        return dict.fromkeys(subsets, 1.0)
    column_sets = [columns for found in predicates for columns in found.column_sets]
    offsets = np.cumsum([0] + [len(found.column_sets) for found in predicates])
    set_ids = np.concatenate([found.set_ids + offset
                              for found, offset in zip(predicates, offsets, strict=False)])
    keys = np.concatenate([found.keys for found in predicates])
    real = np.concatenate([codes["training"], holdout])
    effects = design_effects(column_sets, set_ids, keys, real, len(codes["training"]), list(subsets.values()),
                             rng)
    return dict(zip(subsets, effects, strict=True))


def _synthetic_pools(synthetic: np.ndarray, column_sets: list[tuple[int, ...]]
                     ) -> list[tuple[tuple[int, ...], np.ndarray, np.ndarray]]:
    """Return per column set its distinct synthetic value combinations and the synthetic rows holding each."""
    return [(columns, *_key_counts(synthetic[:, list(columns)])) for columns in column_sets]


def _match_limit(pools: list[tuple[tuple[int, ...], np.ndarray, np.ndarray]], requested: int) -> int:
    """Return how many synthetic rows a predicate may match: 1 unless that leaves too few predicates.

    One is Giomi et al.'s rule. With fewer than `MIN_PREDICATES` (or
    `requested`) such predicates the limit rises, up to `MAX_MATCH_LIMIT`. A
    k-anonymous release has no value combination of the quasi-identifiers
    held by fewer than k rows, so there the attacker uses its rarest ones.
    """
    limit = 1
    while limit < MAX_MATCH_LIMIT and sum(int((counts <= limit).sum()) for _, _, counts in pools) < min(
            requested, MIN_PREDICATES):
        limit += 1
    return limit


@dataclass(frozen=True)
class Predicates:
    """Predicates drawn from one kind's pools: column sets, and per predicate its set, value key and counts.

    Predicate i reads `column_sets[set_ids[i]]`, requires the values whose
    key is `keys[i]`, and matches `counts[i]` = (training rows, holdout rows).
    """

    column_sets: list[tuple[int, ...]]
    set_ids: np.ndarray
    keys: np.ndarray
    counts: np.ndarray


def _predicates(pools: list[tuple[tuple[int, ...], np.ndarray, np.ndarray]], limit: int, training: np.ndarray,
                holdout: np.ndarray | None, requested: int, rng: np.random.Generator) -> Predicates:
    """Return up to `requested` predicates drawn uniformly from the pools, with their real match counts.

    A predicate is a column set with the values of one synthetic row that at
    most `limit` synthetic rows share.
    """
    found, set_ids, keys = [], [], []
    for set_id, (columns, pool_keys, counts) in enumerate(pools):
        chosen = pool_keys[counts <= limit]
        in_training = _count_in(chosen, training[:, list(columns)])
        in_holdout = (np.zeros_like(in_training) if holdout is None
                      else _count_in(chosen, holdout[:, list(columns)]))
        found.append(np.column_stack([in_training, in_holdout]))
        set_ids.append(np.full(len(chosen), set_id))
        keys.append(chosen)
    candidates = np.concatenate(found) if found else np.empty((0, 2), dtype=np.int64)
    set_id_all = np.concatenate(set_ids) if set_ids else np.empty(0, dtype=np.int64)
    key_all = np.concatenate(keys) if keys else np.empty(0, dtype=np.uint64)

    if len(candidates) > requested:
        picked = rng.choice(len(candidates), requested, replace=False)
        candidates, set_id_all, key_all = candidates[picked], set_id_all[picked], key_all[picked]
    return Predicates([columns for columns, _, _ in pools], set_id_all, key_all, candidates)


def _count_in(keys: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Return how many rows of `codes` have each of `keys`."""
    table_keys, table_counts = _key_counts(codes)
    if table_keys.size == 0:
        return np.zeros(keys.size, dtype=np.int64)
    found = np.searchsorted(table_keys, keys).clip(max=table_keys.size - 1)
    return np.where(table_keys[found] == keys, table_counts[found], 0)


def _predicate_codes(inputs: AuditInputs, columns: Sequence[Any]) -> dict[str, np.ndarray]:
    """Return int64 codes per table (rows x columns): category codes or quantile bins of continuous values."""
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
            quantiles = np.linspace(0, 1, N_BINS + 1)[1:-1]
            edges = np.unique(np.quantile(numbers, quantiles)) if numbers.size else []
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
    sets = [combo for size in sizes if size <= n_columns
            for combo in itertools.combinations(range(n_columns), size)]
    if len(sets) > MAX_COLUMN_SETS:
        sets = [sets[i] for i in rng.choice(len(sets), MAX_COLUMN_SETS, replace=False)]
    return sets


def _random_predicate_success(synthetic: np.ndarray, training: np.ndarray, column_sets: list[tuple[int, ...]],
                              n_attacks: int, rng: np.random.Generator) -> float:
    """Return how often predicates of independently drawn synthetic values isolate a training row (naive)."""
    if not column_sets or len(synthetic) == 0:
        return 0.0
    chosen = rng.integers(len(column_sets), size=n_attacks)
    successes = 0
    for index in np.unique(chosen):
        columns = list(column_sets[index])
        n = int((chosen == index).sum())
        values = np.column_stack([synthetic[rng.integers(len(synthetic), size=n), column]
                                  for column in columns])
        matches = _count_in(row_keys(values), training[:, columns])
        successes += int((matches == 1).sum())
    return successes / n_attacks


def _key_counts(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the sorted distinct row keys of `codes` and how often each occurs."""
    return np.unique(row_keys(codes), return_counts=True)
