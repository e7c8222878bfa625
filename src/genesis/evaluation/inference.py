"""Attribute inference and linkability attacks that use the synthetic table as their only knowledge.

Both follow Giomi et al., "A Unified Framework for Quantifying Privacy Risk
in Synthetic Data", PETS 2023: the attack runs on training rows (targets)
and on holdout rows (controls), and the risk is the success the targets
show beyond the controls, (attack - control) / (1 - control). A model that
learns only population patterns helps the attacker equally on both groups,
so that help does not count as leakage.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from genesis.evaluation.audit_inputs import AuditInputs
from genesis.evaluation.distance import EncodedRows, nearest, nearest_without_each
from genesis.evaluation.sampling import Groups, subsample
from genesis.evaluation.stats import MetricResult, excess_risk, wilson_interval

DEFAULT_TOLERANCE = 0.05
"""Relative tolerance for a guessed number to count as the secret: |guess - secret| <= 0.05 |secret|."""

INFERENCE_METHOD = ("nearest synthetic row on the known columns gives the guess; numbers count within a "
                    "relative tolerance; risk = (target success - control success) / (1 - control success)")
INFERENCE_PROXY_METHOD = ("proxy without a holdout: nearest synthetic row on the known columns gives the "
                          "guess; numbers count within a relative tolerance; risk = (target success - naive "
                          "success) / (1 - naive success), where the naive guess is the secret of a random "
                          "synthetic row")
LINKABILITY_METHOD = ("two halves of each row are matched to their nearest synthetic rows; a link succeeds "
                      "when the row one half reaches is also among the nearest (ties included) of the other "
                      "half; risk = (target - control) / (1 - control)")
LINKABILITY_PROXY_METHOD = ("proxy without a holdout: two halves of each row are matched to their nearest "
                            "synthetic rows; a link succeeds when the row one half reaches is also among the "
                            "nearest (ties included) of the other half; risk = (target - chance) / "
                            "(1 - chance), where chance is the probability that two random sets of "
                            "n_neighbors synthetic rows share a row")


def inference_metrics(inputs: AuditInputs, groups: Groups, secrets: Sequence[Any], max_reference: int,
                      tolerance: float, rng: np.random.Generator) -> dict[Any, MetricResult]:
    """Return one attribute-inference metric per secret column; the attacker knows every other column.

    Knowing every other compared column is the strongest attacker short of
    one who knows the secret, and the one for which a copied row gives
    itself away.
    """
    reference = subsample(len(inputs.synthetic), max_reference, rng)
    left_out = [_position(inputs, secret) for secret in secrets]
    synthetic_rows = inputs.encoded_synthetic.take(reference)
    target_found = nearest_without_each(groups.target_rows(inputs), synthetic_rows, left_out, rng)
    control_found = nearest_without_each(groups.control_rows(inputs), synthetic_rows, left_out, rng)

    results = {}
    for secret, targets, controls in zip(secrets, target_found, control_found, strict=True):
        target_truth = inputs.training[secret].iloc[groups.targets]
        control_source = inputs.holdout if groups.holdout_used else inputs.training
        control_truth = control_source[secret].iloc[groups.controls]
        guesses = inputs.synthetic[secret].iloc[reference]
        numeric = secret in inputs.space.numeric

        attack = correct_guesses(guesses.iloc[targets], target_truth, numeric, tolerance).mean()
        control = correct_guesses(guesses.iloc[controls], control_truth, numeric, tolerance).mean()
        random_guesses = inputs.synthetic[secret].iloc[rng.choice(len(inputs.synthetic), groups.n)]
        baseline = correct_guesses(random_guesses, target_truth, numeric, tolerance).mean()
        results[secret] = risk_metric(
            "attribute", attack, control, baseline, groups, INFERENCE_METHOD, INFERENCE_PROXY_METHOD,
            {"secret": str(secret), "known_columns": [str(c) for c in inputs.columns if c != secret],
             "numeric_secret": numeric, "tolerance": tolerance if numeric else None},
        )
    return results


def _position(inputs: AuditInputs, column: Any) -> tuple[str, int]:
    if column in inputs.space.numeric:
        return "numeric", inputs.space.numeric.index(column)
    return "categorical", inputs.space.categorical.index(column)


def linkability_metric(inputs: AuditInputs, groups: Groups, max_reference: int, n_neighbors: int,
                       rng: np.random.Generator, first: Sequence[Any] | None = None) -> MetricResult:
    """Return the linkability risk: can the synthetic table join two halves of a real row?

    The attacker holds one dataset with the `first` columns (by default the
    quasi-identifiers) and another with the remaining compared columns, for
    the same people. A link succeeds when the `n_neighbors` nearest synthetic
    rows of the two halves share a row.
    """
    first, second = split_columns(inputs, first)
    reference = inputs.encoded_synthetic.take(subsample(len(inputs.synthetic), max_reference, rng))
    first_space = inputs.space.column_indices(first)
    second_space = inputs.space.column_indices(second)

    def linked(rows: EncodedRows) -> np.ndarray:
        left_rows, right_rows = rows.columns(*first_space), rows.columns(*second_space)
        left_reference, right_reference = reference.columns(*first_space), reference.columns(*second_space)
        left = nearest(left_rows, left_reference, rng, n_neighbors=n_neighbors)
        right = nearest(right_rows, right_reference, rng, n_neighbors=n_neighbors)
        # Ties count as neighbours: a row the other half points to links when it is as near as the nearest.
        return (_within(left_rows, left_reference, right.index, left.distance)
                | _within(right_rows, right_reference, left.index, right.distance))

    attack = linked(groups.target_rows(inputs)).mean()
    control = linked(groups.control_rows(inputs)).mean()
    baseline = 1 - _no_common_draw_probability(len(reference), n_neighbors)
    return risk_metric("linkability", attack, control, baseline, groups, LINKABILITY_METHOD,
                       LINKABILITY_PROXY_METHOD,
                       {"first_columns": [str(c) for c in first], "second_columns": [str(c) for c in second],
                        "n_neighbors": n_neighbors})


def risk_metric(name: str, attack: float, control: float, baseline: float, groups: Groups, method: str,
                proxy_method: str, details: dict) -> MetricResult:
    """Return (attack - control) / (1 - control) with its interval; without a holdout, against the baseline.

    A control drawn from training rows would share the targets' leak, so
    the proxy compares the attack with the naive baseline instead, which
    overstates the risk rather than hiding it. `proxy_method` describes that
    comparison, and `details["reference_rate"]` is the rate the risk was
    computed against in either case.
    """
    reference = control if groups.holdout_used else baseline
    risk, low, high = excess_risk(float(attack), groups.n, float(reference), groups.n)
    unclipped = excess_risk(float(attack), groups.n, float(reference), groups.n, clip=False)
    attack_ci = wilson_interval(attack * groups.n, groups.n)
    control_ci = wilson_interval(control * groups.n, groups.n)
    return MetricResult(
        name=name, value=risk, ci_low=low, ci_high=high, n=groups.n, baseline=float(baseline),
        method=method if groups.holdout_used else proxy_method,
        holdout_used=groups.holdout_used, proxy=not groups.holdout_used,
        details={**details, "proxy_reference": None if groups.holdout_used else "naive baseline",
                 "reference_rate": float(reference),
                 "attack_rate": float(attack), "attack_ci": list(attack_ci),
                 "control_rate": float(control), "control_ci": list(control_ci),
                 "baseline_rate": float(baseline), "unclipped": list(unclipped)},
    )


def split_columns(inputs: AuditInputs, first: Sequence[Any] | None) -> tuple[list[Any], list[Any]]:
    """Return the two column sets of a linkage: `first` (or the quasi-identifiers) and the rest."""
    chosen = list(first) if first else list(inputs.quasi_identifiers)
    if not chosen or len(chosen) == len(inputs.columns):
        chosen = list(inputs.columns[: max(1, len(inputs.columns) // 2)])
    rest = [name for name in inputs.columns if name not in chosen]
    return chosen, rest


def correct_guesses(guesses: pd.Series, truth: pd.Series, numeric: bool, tolerance: float) -> np.ndarray:
    """Return per row whether the guess counts as the secret; two missing values agree."""
    guess_missing = guesses.isna().to_numpy()
    truth_missing = truth.isna().to_numpy()
    if numeric:
        guessed = pd.to_numeric(guesses, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        actual = pd.to_numeric(truth, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            close = np.abs(guessed - actual) <= tolerance * np.abs(actual)
    else:
        close = guesses.astype(str).to_numpy() == truth.astype(str).to_numpy()
    return np.where(guess_missing | truth_missing, guess_missing & truth_missing, close)


def _within(rows: EncodedRows, reference: EncodedRows, candidates: np.ndarray, nearest_distance: np.ndarray
            ) -> np.ndarray:
    """Return per row whether any candidate reference row is at most the nearest distance away."""
    n_columns = rows.numeric.shape[1] + rows.categorical.shape[1]
    result = np.zeros(len(rows), dtype=bool)
    for slot in range(candidates.shape[1]):
        chosen = reference.take(candidates[:, slot])
        distance = np.minimum(np.abs(rows.numeric - chosen.numeric), 1.0).sum(axis=1)
        distance += (rows.categorical != chosen.categorical).sum(axis=1)
        result |= distance / max(n_columns, 1) <= nearest_distance + 1e-6
    return result


def _no_common_draw_probability(n_rows: int, n_neighbors: int) -> float:
    """Return the chance that two random sets of `n_neighbors` rows out of `n_rows` share none."""
    probability = 1.0
    for index in range(n_neighbors):
        probability *= max(n_rows - n_neighbors - index, 0) / max(n_rows - index, 1)
    return probability
