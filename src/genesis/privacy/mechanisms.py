"""Differentially private mechanisms; each charges the ledger before it draws noise.

Charging first means a refused measurement draws no noise and returns
nothing, and that a measurement whose noise was drawn is always on record.
Sensitivities are under the ledger's neighbouring relation: add or remove all
rows of one privacy unit.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtri

from genesis.errors import invalid_value
from genesis.privacy.calibration import calibrate_noise_multiplier
from genesis.privacy.discrete_gaussian import sample_discrete_gaussian
from genesis.privacy.ledger import PrivacyEvent, PrivacyLedger
from genesis.privacy.noise import NoiseSource

__all__ = ["calibrate_noise_multiplier", "dp_quantiles", "exponential_mechanism", "noisy_counts",
           "sigma_for_rho", "threshold_for"]


def sigma_for_rho(rho: float, sensitivity: float = 1.0) -> float:
    """Return the Gaussian sigma that makes one release rho-zCDP: sensitivity / sqrt(2 rho).

    Bun & Steinke (TCC 2016, Proposition 1.6) for the Gaussian, and Canonne,
    Kamath & Steinke (NeurIPS 2020) for the discrete Gaussian with an integer
    sensitivity.
    """
    if not (math.isfinite(rho) and rho > 0):
        raise ValueError(invalid_value("rho", rho, "it must be positive and finite",
                                       "Plan a positive share of the privacy budget."))
    if not (math.isfinite(sensitivity) and sensitivity > 0):
        raise ValueError(invalid_value("sensitivity", sensitivity, "it must be positive and finite",
                                       "Pass the L2 sensitivity of the query."))
    return sensitivity / math.sqrt(2.0 * rho)


def noisy_counts(
    counts: np.ndarray,
    sigma: float,
    ledger: PrivacyLedger,
    measured: str,
    noise: NoiseSource | None = None,
    sensitivity: float = 1.0,
    extra_delta: float = 0.0,
) -> np.ndarray:
    """Charge a discrete Gaussian event, then return int64 `counts` plus discrete Gaussian noise.

    `counts` must already be filled out to the full domain (every cell, also
    the empty ones), because releasing only the cells that occur leaks which
    values exist.

    Parameters
    ----------
    counts:
        Integer counts, any shape; floats are accepted only when integral.
    sigma:
        Scale of the discrete Gaussian, in counts.
    ledger:
        Charged with one "discrete_gaussian" event before any noise is drawn.
    measured:
        What the counts are, in words; recorded in the ledger.
    noise:
        Source of random bits; None uses `ledger.noise`.
    sensitivity:
        L2 sensitivity of `counts`, an integer: the largest number of rows
        one privacy unit has (1 with one row per unit).
    extra_delta:
        Delta of a later thresholding step (see `threshold_for`), charged
        with this event.

    Returns
    -------
    numpy.ndarray
        int64 noisy counts, same shape as `counts`; they can be negative.

    Notes
    -----
    The noise is sampled exactly, with integer arithmetic only (Canonne,
    Kamath & Steinke, NeurIPS 2020, Algorithms 1 to 3), so the floating-point attack
    of Mironov (CCS 2012) does not apply. sigma**2 is rounded up to a rational
    for the sampler, which only adds noise; the ledger records the requested
    sigma.
    """
    values = _integer_counts(counts)
    source = _noise_source(noise, ledger)
    event = PrivacyEvent(mechanism="discrete_gaussian", measured=measured, sigma=float(sigma),
                         sensitivity=float(sensitivity), extra_delta=float(extra_delta))

    ledger.charge(event)

    draws = sample_discrete_gaussian(float(sigma), values.size, source)
    return values + draws.reshape(values.shape)


def threshold_for(sigma: float, delta_share: float, sensitivity: int = 1) -> int:
    """Return the smallest integer threshold tau so that noisy counts below tau can be dropped at delta_share.

    Thresholded histograms release only cells whose noisy count is at least
    tau, so a cell that exists only because of one unit must fall below tau
    with probability at least 1 - delta_share, whichever unit it is. A unit
    adds at most `sensitivity` rows, to at most `sensitivity` such cells. For
    X ~ N_Z(0, sigma^2), P(X >= k) <= P(N(0, sigma^2) >= k - 1) (the integer
    tail is below the continuous tail shifted by one, and the discrete
    normaliser is at least sigma sqrt(2 pi) by Poisson summation), so with
    the union bound over the unit's cells

        tau = sensitivity + 1 + ceil(sigma * Phi^-1(1 - delta_share / sensitivity)).

    Charge `delta_share` as the `extra_delta` of the noisy counts: the
    thresholded release is then (epsilon, delta + delta_share)-DP (Wilson et
    al., "Differentially Private SQL with Bounded User Contribution", PoPETs
    2020).
    """
    if not (math.isfinite(sigma) and sigma > 0):
        raise ValueError(invalid_value("sigma", sigma, "it must be positive and finite",
                                       "Pass the noise scale."))
    if not 0 < delta_share < 1:
        raise ValueError(invalid_value("delta_share", delta_share, "it must be in (0, 1)",
                                       "Keep back a small part of delta, e.g. delta / 10."))
    if not (isinstance(sensitivity, int | np.integer) and sensitivity >= 1):
        raise ValueError(invalid_value("sensitivity", sensitivity, "it must be an integer >= 1",
                                       "Pass the number of rows one unit can have."))

    quantile = float(-ndtri(delta_share / sensitivity))
    # Round toward privacy: ceil, plus one step against float error in ndtri.
    return int(sensitivity) + 1 + math.ceil(sigma * quantile) + 1


def exponential_mechanism(
    scores: np.ndarray,
    epsilon: float,
    sensitivity: float,
    ledger: PrivacyLedger,
    measured: str,
    noise: NoiseSource | None = None,
) -> int:
    """Charge an epsilon-DP event, then return an index drawn with probability ~ exp(eps * score / (2 sens)).

    McSherry & Talwar (FOCS 2007). The draw is the Gumbel-max trick: the
    argmax of eps * score / (2 sens) plus independent standard Gumbel noise
    has exactly that distribution in real arithmetic. Selection uses floating
    point (the scores, the Gumbel variates and the sum), unlike the count
    mechanism. It works in log space, so large scores do not overflow.
    """
    values = np.asarray(scores, dtype=np.float64)
    if values.ndim != 1 or values.size == 0 or not np.isfinite(values).all():
        raise ValueError(invalid_value("scores", scores,
                                       "they must be a non-empty 1-D array of finite numbers",
                                       "Score every candidate."))
    _check_positive("epsilon", epsilon)
    _check_positive("sensitivity", sensitivity)
    source = _noise_source(noise, ledger)
    event = PrivacyEvent(mechanism="exponential", measured=measured, epsilon=float(epsilon))

    ledger.charge(event)

    logits = epsilon * values / (2.0 * sensitivity)
    return int(np.argmax(logits + source.gumbel(values.size)))


def dp_quantiles(
    values: np.ndarray,
    quantiles: np.ndarray,
    candidates: np.ndarray,
    epsilon: float,
    ledger: PrivacyLedger,
    measured: str,
    noise: NoiseSource | None = None,
    sensitivity: float = 1.0,
) -> np.ndarray:
    """Charge the ledger, then return one candidate per quantile (exponential mechanism, Smith 2011).

    Each quantile q gets epsilon / len(quantiles) and one "exponential"
    event. The utility of candidate c is -|rank(c) - q n|, where rank(c) is
    the mid-rank (number of values below c plus number at most c, halved) and
    n the number of values. Adding or removing one row moves rank(c) by at
    most 1 and q n by q, so the utility changes by at most 1 per row.
    `sensitivity` is the number of rows per privacy unit. Smith (STOC 2011,
    "Privacy-preserving statistical estimation with optimal convergence
    rates") samples between data points; here the candidates are a
    public grid (for example from public bounds), so no data value is ever
    output. Selection uses floating point.

    Returns
    -------
    numpy.ndarray
        The chosen candidates, one per quantile, in the order of `quantiles`.
    """
    data = np.sort(np.asarray(values, dtype=np.float64).ravel())
    levels = np.asarray(quantiles, dtype=np.float64).ravel()
    grid = np.unique(np.asarray(candidates, dtype=np.float64).ravel())
    if not np.isfinite(data).all():
        raise ValueError(invalid_value("values", "an array with NaN or inf", "they must be finite",
                                       "Drop missing values before measuring quantiles."))
    if levels.size == 0 or not ((levels >= 0) & (levels <= 1)).all():
        raise ValueError(invalid_value("quantiles", quantiles, "they must be a non-empty array in [0, 1]",
                                       "Pass levels such as [0.25, 0.5, 0.75]."))
    if grid.size == 0 or not np.isfinite(grid).all():
        raise ValueError(invalid_value("candidates", candidates,
                                       "they must be a non-empty array of finite numbers",
                                       "Pass a public grid of candidate values."))
    _check_positive("epsilon", epsilon)
    _check_positive("sensitivity", sensitivity)
    source = _noise_source(noise, ledger)
    share = epsilon / levels.size
    events = [PrivacyEvent(mechanism="exponential", measured=f"{measured}: quantile {level:g}", epsilon=share)
              for level in levels]

    ledger.charge(*events)

    mid_ranks = 0.5 * (np.searchsorted(data, grid, side="left") + np.searchsorted(data, grid, side="right"))
    utility = -np.abs(mid_ranks[np.newaxis, :] - levels[:, np.newaxis] * data.size)
    logits = share * utility / (2.0 * sensitivity)
    chosen = np.argmax(logits + source.gumbel(logits.shape), axis=1)
    return grid[chosen]


def _integer_counts(counts: np.ndarray) -> np.ndarray:
    """Return `counts` as int64, or raise for non-numeric, non-finite or non-integer values."""
    array = np.asarray(counts)
    if array.dtype.kind in "iub":
        return array.astype(np.int64)
    if array.dtype.kind != "f":
        raise ValueError(invalid_value("counts", f"an array of dtype {array.dtype}", "they must be integers",
                                       "Pass integer counts, e.g. from numpy.bincount."))
    if not np.isfinite(array).all():
        raise ValueError(invalid_value("counts", "an array with NaN or inf", "they must be finite integers",
                                       "Count rows before adding noise; fill empty cells with 0."))
    if not (array == np.round(array)).all() or np.abs(array).max(initial=0) >= 2**53:
        raise ValueError(invalid_value("counts", "an array with fractional values", "they must be integers",
                                       "Pass integer counts; weighted sums need another mechanism."))
    return array.astype(np.int64)


def _noise_source(noise: NoiseSource | None, ledger: PrivacyLedger) -> NoiseSource:
    source = noise if noise is not None else ledger.noise
    if source is None:
        raise ValueError("No noise source: pass noise=NoiseSource.from_random_state(...) or set "
                         "ledger.noise.")
    return source


def _check_positive(name: str, value: float) -> None:
    if not (isinstance(value, int | float | np.floating | np.integer) and math.isfinite(value) and value > 0):
        raise ValueError(invalid_value(name, value, "it must be a positive finite number",
                                       f"Pass a positive {name}."))
