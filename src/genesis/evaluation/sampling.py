"""Equal-size target and control groups for attacks, drawn from the audit's tables.

Targets are training rows (the model saw them); controls are holdout rows
(it did not). Both groups get the same number of rows, so an attack's
success on each is comparable. Without a holdout the controls are other
training rows, and each metric that depends on them is marked a proxy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from genesis.evaluation.audit_inputs import AuditInputs
from genesis.evaluation.distance import EncodedRows

DEFAULT_N_ATTACKS = 2000
"""Targets and controls per attack: 95% Wilson intervals of about ±0.02 on rates near 0.5."""

DEFAULT_MAX_REFERENCE = 20_000
"""Largest table searched for nearest neighbours; larger tables are subsampled uniformly."""


@dataclass(frozen=True)
class Groups:
    """Row positions of the targets (in training) and the controls (in holdout, or training for proxies)."""

    targets: np.ndarray
    controls: np.ndarray
    holdout_used: bool

    @property
    def n(self) -> int:
        return int(self.targets.size)

    def target_rows(self, inputs: AuditInputs) -> EncodedRows:
        return inputs.encoded_training.take(self.targets)

    def control_rows(self, inputs: AuditInputs) -> EncodedRows:
        source = inputs.encoded_holdout if self.holdout_used else inputs.encoded_training
        return source.take(self.controls)


def draw_groups(inputs: AuditInputs, n_attacks: int, rng: np.random.Generator) -> Groups:
    """Draw equal-size target and control groups of at most `n_attacks` rows each."""
    n_training = len(inputs.training)
    if inputs.holdout is not None:
        n = min(n_attacks, n_training, len(inputs.holdout))
        targets = rng.choice(n_training, size=n, replace=False)
        controls = rng.choice(len(inputs.holdout), size=n, replace=False)
        return Groups(np.sort(targets), np.sort(controls), True)

    # Without a holdout, targets and controls both come from training, and a third of the rows stays
    # out of both groups: the membership proxy compares distances against those rows.
    n = min(n_attacks, n_training // 3)
    chosen = rng.permutation(n_training)
    return Groups(np.sort(chosen[:n]), np.sort(chosen[n:2 * n]), False)


def subsample(n_rows: int, limit: int, rng: np.random.Generator, exclude: np.ndarray | None = None
              ) -> np.ndarray:
    """Return sorted positions of at most `limit` rows of `n_rows`, uniformly, leaving out `exclude`."""
    pool = np.arange(n_rows) if exclude is None else np.setdiff1d(np.arange(n_rows), exclude)
    if pool.size <= limit:
        return pool
    return np.sort(rng.choice(pool, size=limit, replace=False))
