"""How much the singling-out attack's success count varies when training membership is random.

The score interval of `genesis.evaluation.stats.paired_excess_risk` treats
predicates as independent trials. They are not: predicates read off several
column sets of one synthetic row, or off similar rows, often match the same
real rows. Their successes therefore rise and fall together, and the count
of successes varies more than independent trials allow. An interval that ignores
this is too narrow.

genesis measures the excess directly under the null hypothesis behind the
control: the training rows are a uniformly random subset (of the same size)
of the training and holdout rows. It redraws that subset `N_PERMUTATIONS`
times, recounts every predicate's training matches, and compares the variance
of the number of successes with the independent-trials variance
sum e (1 - e). The ratio is the design effect (Kish, "Survey Sampling", 1965,
section 8.2); the interval's variance is multiplied by it, and it is never
taken below 1.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import sparse, stats

N_PERMUTATIONS = 200
"""Redraws of training membership; the design effect's relative error is about sqrt(2 / 200) = 10%."""

_CHUNK = 25
"""Redraws evaluated together, so that one chunk's label matrix stays small on 100,000-row tables."""


def row_keys(codes: np.ndarray) -> np.ndarray:
    """Return one 64-bit hash key per row of codes (collisions are negligible at 64 bits)."""
    return pd.util.hash_pandas_object(pd.DataFrame(codes), index=False).to_numpy().astype(np.uint64)


def design_effects(column_sets: Sequence[tuple[int, ...]], set_ids: np.ndarray, keys: np.ndarray,
                   real: np.ndarray, n_training: int, subsets: Sequence[np.ndarray], rng: np.random.Generator,
                   n_permutations: int = N_PERMUTATIONS) -> list[float]:
    """Return the design effect of the success count over each subset (boolean mask) of the predicates.

    Parameters
    ----------
    column_sets, set_ids, keys:
        Predicate i reads the columns `column_sets[set_ids[i]]` and requires
        the values whose `row_keys` key is `keys[i]`.
    real:
        Codes of the real rows, training rows first (`n_training` of them),
        then holdout rows.
    """
    matches = _match_matrix(column_sets, set_ids, keys, real)
    used = np.unique(matches.indices)
    matches = matches[:, used]

    successes = []
    for start in range(0, n_permutations, _CHUNK):
        size = min(_CHUNK, n_permutations - start)
        labels = np.stack([rng.permutation(len(real))[used] < n_training for _ in range(size)], axis=1)
        successes.append((matches @ labels.astype(np.float32)) == 1)
    success = np.concatenate(successes, axis=1)

    counts = np.asarray(matches.sum(axis=1)).ravel()
    chance = stats.hypergeom.pmf(1, len(real), n_training, counts)
    effects = []
    for subset in subsets:
        independent = float((chance[subset] * (1 - chance[subset])).sum())
        observed = float(success[subset].sum(axis=0).var(ddof=1)) if subset.any() else 0.0
        effects.append(max(1.0, observed / independent) if independent > 0 else 1.0)
    return effects


def _match_matrix(column_sets: Sequence[tuple[int, ...]], set_ids: np.ndarray, keys: np.ndarray,
                  real: np.ndarray) -> sparse.csr_matrix:
    """Return the sparse (predicates x real rows) matrix with 1 where the row satisfies the predicate."""
    rows, columns = [], []
    for set_id in np.unique(set_ids):
        positions = np.flatnonzero(set_ids == set_id)
        column_set = column_sets[set_id]
        real_keys = row_keys(real[:, list(column_set)])
        order = np.argsort(real_keys, kind="stable")
        sorted_keys = real_keys[order]
        first = np.searchsorted(sorted_keys, keys[positions], side="left")
        lengths = np.searchsorted(sorted_keys, keys[positions], side="right") - first

        offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        rows.append(np.repeat(positions, lengths))
        columns.append(order[np.repeat(first, lengths) + offsets])
    rows_all = np.concatenate(rows) if rows else np.empty(0, dtype=np.int64)
    columns_all = np.concatenate(columns) if columns else np.empty(0, dtype=np.int64)
    values = np.ones(rows_all.size, dtype=np.float32)
    return sparse.csr_matrix((values, (rows_all, columns_all)), shape=(len(set_ids), len(real)))
