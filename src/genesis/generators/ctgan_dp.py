"""DP-CTGAN's reads of the private table besides DP-SGD, and its number of training steps.

CTGAN reads two statistics from the raw table before training: the mixture
modes of each numeric column and the category frequencies that
training-by-sampling draws conditions from. Under differential privacy both
come from noisy counts instead:

- numeric modes are fitted to points drawn from the column's noisy histogram
  (32 uniform bins inside the bounds, measured during domain discovery), which
  is post-processing of a DP release;
- condition frequencies are the noisy category counts of domain discovery (and,
  for a nullable numeric column, the noisy count of its missing values).

Columns whose domain the user declared public, and boolean columns, have no
noisy counts from domain discovery. Their counts are measured here, with the
discrete Gaussian, from `STATISTICS_SHARE` of the zCDP budget left after
domain discovery. The rest of the budget goes to DP-SGD on the critic (see
`ctgan_dp_training`).

The number of training steps sets the noise: the more steps, the more noise
each one needs for the same epsilon. `plan_dp_steps` states the policy.
"""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from genesis.domain import ColumnDomain, Domain
from genesis.errors import UtilityWarning
from genesis.generators.ctgan_conditions import ConditionSampler
from genesis.generators.ctgan_encoding import TableEncoder
from genesis.marginals.discretization import Discretizer
from genesis.marginals.oracle import NumpyOracle
from genesis.privacy.calibration import calibrate_noise_multiplier
from genesis.privacy.domain import HISTOGRAM_BINS
from genesis.privacy.ledger import PrivacyEvent, PrivacyLedger
from genesis.privacy.mechanisms import noisy_counts, sigma_for_rho
from genesis.transforms.mode_normalization import DEFAULT_WEIGHT_THRESHOLD, ModeNormalizer

logger = logging.getLogger(__name__)

STATISTICS_SHARE = 0.05
"""Share of the remaining zCDP budget for counts that domain discovery did not measure."""

PSEUDO_POINTS = 2_000
"""Points drawn from a noisy histogram to fit a column's modes."""

AUTO_NOISE_MULTIPLIER = 4.0
"""Noise multiplier that ``epochs="auto"`` aims for under DP (see `plan_dp_steps`)."""

WARN_NOISE_MULTIPLIER = 8.0
"""An explicit number of epochs whose noise multiplier exceeds this gets a `UtilityWarning`."""

MIN_DP_EPOCHS = 1


@dataclass(frozen=True)
class DPStepPlan:
    """The DP-SGD schedule: epochs, critic steps, Poisson rate and calibrated noise multiplier."""

    epochs: int
    critic_steps: int
    sampling_rate: float
    noise_multiplier: float


def dp_statistics(
    data: pd.DataFrame,
    domain: Domain,
    ledger: PrivacyLedger,
    max_modes: int,
    log_frequency: bool,
    rng: np.random.Generator,
) -> tuple[TableEncoder, ConditionSampler | None, dict[str, np.ndarray]]:
    """Return the encoder, the condition sampler and each column's noisy counts.

    Counts missing from the domain are measured first, charged to `ledger`.
    The sampler has no row index: DP-CTGAN draws real rows by Poisson
    sampling, never by condition.
    """
    counts = _noisy_counts_by_column(data, domain, ledger)

    normalizers = {}
    for column in domain.columns:
        if column.is_discrete or column.is_empty:
            continue
        normalizers[column.name] = _modes_from_histogram(column, counts[column.name], max_modes, rng)
    encoder = TableEncoder(domain, normalizers)

    blocks = encoder.conditional_blocks
    if not blocks:
        return encoder, None, counts
    block_counts = [_block_counts(domain[block.column], counts[block.column], block.role, block.size)
                    for block in blocks]
    sampler = ConditionSampler([block.size for block in blocks], np.concatenate(block_counts), log_frequency)
    return encoder, sampler, counts


def _noisy_counts_by_column(
    data: pd.DataFrame, domain: Domain, ledger: PrivacyLedger
) -> dict[str, np.ndarray]:
    """Return each modelled column's noisy counts, measuring those domain discovery did not."""
    counts: dict[str, np.ndarray] = {}
    missing: list[ColumnDomain] = []
    for column in domain.columns:
        if column.is_empty:
            continue
        if _has_usable_counts(column):
            counts[column.name] = np.asarray(column.counts, dtype=float)
        else:
            missing.append(column)
    if not missing:
        return counts

    sensitivity = ledger.max_rows_per_unit
    sigma = sigma_for_rho(STATISTICS_SHARE * ledger.rho_remaining() / len(missing), sensitivity)
    discretizer = Discretizer.from_domain(Domain(tuple(missing)), HISTOGRAM_BINS)
    oracle = NumpyOracle(data[[c.name for c in missing]], discretizer)
    tables = oracle.counts([(column.name,) for column in missing])
    for column in missing:
        measured = f"noisy counts of column {column.name!r} for DP-CTGAN's modes and conditions"
        counts[column.name] = noisy_counts(tables[(column.name,)], sigma, ledger, measured, ledger.noise,
                                           sensitivity=sensitivity).astype(float)
    return counts


def _has_usable_counts(column: ColumnDomain) -> bool:
    """Return whether domain discovery left counts for `column`: one per code, or a histogram."""
    if column.is_discrete:
        return len(column.counts) == len(column.categories) + int(column.nullable)
    return len(column.counts) > int(column.nullable)


def surrogate_table(
    domain: Domain, counts: dict[str, np.ndarray], n_rows: int, rng: np.random.Generator
) -> pd.DataFrame:
    """Return `n_rows` canonical rows that draw each column independently from its noisy counts.

    The table is post-processing of DP releases only. DP-CTGAN trains the
    generator and the critic on it first, without privacy cost, so that
    DP-SGD starts from a generator that already has the 1-way marginals and
    spends its noisy steps on the dependencies between columns.
    """
    columns = {}
    for column in domain.columns:
        if column.is_empty:
            columns[column.name] = np.full(n_rows, np.nan) if not column.is_discrete else [None] * n_rows
            continue
        weights = np.clip(counts[column.name], 0.0, None)
        weights = weights / weights.sum() if weights.sum() > 0 else np.full(weights.size, 1.0 / weights.size)
        codes = rng.choice(weights.size, size=n_rows, p=weights)
        columns[column.name] = _decode_codes(column, codes, rng)
    return pd.DataFrame(columns, columns=domain.names)


def _decode_codes(column: ColumnDomain, codes: np.ndarray, rng: np.random.Generator) -> Any:
    """Turn count positions (categories or bins, then missing) into canonical values."""
    missing = codes == len(column.categories) if column.is_discrete else codes == _histogram(column).n_bins
    missing &= column.nullable
    if column.is_discrete:
        values = np.array(column.categories, dtype=object)[np.minimum(codes, len(column.categories) - 1)]
        values[missing] = None
        return pd.Series(values, dtype=object)
    binner = _histogram(column)
    values = binner.inverse(np.minimum(codes, binner.n_bins - 1), rng).astype(float)
    values[missing] = np.nan
    return values


def _histogram(column: ColumnDomain) -> Any:
    """Return the bins of `column`'s noisy histogram: domain discovery's, or the ones measured here."""
    if column.counts:
        return column.histogram_binner()
    return Discretizer.from_domain(Domain((column,)), HISTOGRAM_BINS)[column.name].binner


def _modes_from_histogram(
    column: ColumnDomain, counts: np.ndarray, max_modes: int, rng: np.random.Generator
) -> ModeNormalizer:
    """Fit modes to points spread over the bins in proportion to their noisy counts."""
    present = np.clip(counts[: len(counts) - int(column.nullable)], 0.0, None)
    lower = float(column.lower if column.lower is not None else 0.0)
    upper = float(column.upper if column.upper is not None else lower)
    if present.sum() <= 0:
        return ModeNormalizer.single_mode((lower + upper) / 2.0, max(upper - lower, 1.0) / 4.0, column.name)

    binner = _histogram(column)
    per_bin = _largest_remainder(present, PSEUDO_POINTS)
    points = binner.inverse(np.repeat(np.arange(present.size), per_bin), rng)
    return ModeNormalizer.fit(points, max_modes, DEFAULT_WEIGHT_THRESHOLD, rng, column.name)


def _largest_remainder(weights: np.ndarray, total: int) -> np.ndarray:
    """Split `total` into integers proportional to `weights` (Hamilton's method)."""
    exact = weights / weights.sum() * total
    whole = np.floor(exact).astype(np.int64)
    short = total - int(whole.sum())
    whole[np.argsort(exact - whole)[::-1][:short]] += 1
    return whole


def _block_counts(column: ColumnDomain, counts: np.ndarray, role: str, size: int) -> np.ndarray:
    """Return non-negative counts of a conditional block's positions from the column's noisy counts.

    A categorical block is the categories then missing, as `counts` is; a
    numeric column's [present, missing] block sums the histogram's bins.
    """
    counts = np.clip(counts, 0.0, None)
    if role == "missing":
        block = np.array([counts[:-1].sum(), counts[-1]])
    else:
        block = counts[:size]
    block = np.rint(block).astype(np.int64)
    return block if block.sum() > 0 else np.ones(size, dtype=np.int64)


def plan_dp_steps(
    ledger: PrivacyLedger,
    epochs: int | str,
    batch_size: int,
    n_rows: int,
    steps_per_epoch: int,
    discriminator_steps: int,
    auto_max_epochs: int,
) -> DPStepPlan:
    """Return the epochs and the calibrated noise multiplier that fit the ledger's remaining budget.

    Policy. With ``epochs="auto"``, train the largest number of epochs whose
    calibrated noise multiplier stays at or below `AUTO_NOISE_MULTIPLIER`. That
    number is at least one and at most `auto_max_epochs` (the non-private choice).
    An explicit number of epochs is honoured exactly, with a `UtilityWarning`
    that gives the implied noise multiplier when it exceeds
    `WARN_NOISE_MULTIPLIER`. The sampling rate is batch_size / rows: the row
    count is treated as public, as the delta checks already do.
    """
    sampling_rate = min(1.0, batch_size / n_rows)
    steps_per_pass = steps_per_epoch * discriminator_steps

    def multiplier(n_epochs: int) -> float:
        return calibrate_noise_multiplier(ledger, sampling_rate, n_epochs * steps_per_pass)

    if epochs == "auto":
        chosen, sigma = _auto_epochs(multiplier, auto_max_epochs)
        logger.info("DP-CTGAN trains %d epochs (epochs='auto' under DP): noise multiplier %.3g at sampling "
                    "rate %.4g.", chosen, sigma, sampling_rate)
    else:
        chosen, sigma = int(epochs), multiplier(int(epochs))
        if sigma > WARN_NOISE_MULTIPLIER:
            suggested, _ = _auto_epochs(multiplier, int(epochs))
            warnings.warn(
                f"DP-CTGAN with epochs={chosen} needs noise multiplier {sigma:.3g} at this epsilon "
                f"(sampling rate {sampling_rate:.3g}, {chosen * steps_per_pass} steps): "
                f"the critic will learn little and the synthetic data will lose quality. "
                f"epochs='auto' would train {suggested} epochs at noise multiplier "
                f"<= {AUTO_NOISE_MULTIPLIER:g}; "
                "method='mst' usually gives better quality under DP.",
                UtilityWarning, stacklevel=5)

    return DPStepPlan(epochs=chosen, critic_steps=chosen * steps_per_pass, sampling_rate=sampling_rate,
                      noise_multiplier=sigma)


def _auto_epochs(multiplier, max_epochs: int) -> tuple[int, float]:
    """Return the largest epoch count up to `max_epochs` with multiplier <= target, by bisection."""
    sigma_max = multiplier(max_epochs)
    if sigma_max <= AUTO_NOISE_MULTIPLIER:
        return max_epochs, sigma_max
    low, high = MIN_DP_EPOCHS, max_epochs
    sigma_low = multiplier(low)
    if sigma_low > AUTO_NOISE_MULTIPLIER:
        return low, sigma_low
    while high - low > max(1, low // 20):
        middle = (low + high) // 2
        sigma_middle = multiplier(middle)
        if sigma_middle <= AUTO_NOISE_MULTIPLIER:
            low, sigma_low = middle, sigma_middle
        else:
            high = middle
    return low, sigma_low


def training_event(plan: DPStepPlan, clip_norm: float) -> PrivacyEvent:
    """Return the ledger event of the whole DP-SGD run."""
    return PrivacyEvent(
        mechanism="subsampled_gaussian",
        measured=(f"DP-SGD on DP-CTGAN's critic: {plan.critic_steps} steps, per-row gradients clipped to "
                  f"L2 norm {clip_norm:g}"),
        noise_multiplier=plan.noise_multiplier,
        sampling_rate=plan.sampling_rate,
        steps=plan.critic_steps,
    )


def steps_per_epoch_for(n_rows: int, batch_size: int) -> int:
    return max(1, math.floor(n_rows / batch_size))
