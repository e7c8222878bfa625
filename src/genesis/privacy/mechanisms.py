"""Differentially private mechanisms; each charges the ledger before it draws noise.

Charging first means a refused measurement draws no noise and returns
nothing, and that a measurement whose noise was drawn is always on record.
Sensitivities are under the ledger's neighbouring relation: add or remove all
rows of one privacy unit.
"""

from __future__ import annotations

import logging
import math

import numpy as np
from scipy.special import ndtri

from genesis.errors import invalid_value
from genesis.privacy import accounting
from genesis.privacy.discrete_gaussian import sample_discrete_gaussian
from genesis.privacy.ledger import PrivacyBudgetError, PrivacyEvent, PrivacyLedger
from genesis.privacy.noise import NoiseSource

logger = logging.getLogger(__name__)

# Multiplicative step of the noise multiplier search, and the largest
# multiplier tried before concluding the budget cannot fit DP-SGD.
CALIBRATION_TOLERANCE = 1e-3
MAX_NOISE_MULTIPLIER = 1e4


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


def calibrate_noise_multiplier(
    ledger: PrivacyLedger,
    sampling_rate: float,
    steps: int,
    *,
    tolerance: float = CALIBRATION_TOLERANCE,
    max_noise_multiplier: float = MAX_NOISE_MULTIPLIER,
) -> float:
    """Return the smallest DP-SGD noise multiplier that keeps the ledger's total within its epsilon.

    The search composes a "subsampled_gaussian" event (Poisson rate
    `sampling_rate`, `steps` steps) with the recorded events. It brackets
    the multiplier by doubling and halving and bisects on a coarse PLD grid
    (ten times the ledger's, fast but pessimistic), then closes the bracket
    with the ledger's own accountant by regula falsi, to a relative width of
    `tolerance`. Every value tried there is rounded up to four significant
    digits, so the result is the smallest such value found that the
    accountant accepts: it never overshoots epsilon. Nothing is charged.

    Raises
    ------
    PrivacyBudgetError
        When even `max_noise_multiplier` does not fit, e.g. because earlier
        measurements used up the budget.
    """
    if not 0 < sampling_rate <= 1:
        raise ValueError(invalid_value("sampling_rate", sampling_rate, "it must be in (0, 1]",
                                       "Pass batch size / number of units."))
    if not (isinstance(steps, int | np.integer) and steps >= 1):
        raise ValueError(invalid_value("steps", steps, "it must be an integer >= 1",
                                       "Pass the number of steps."))

    def event(multiplier: float) -> PrivacyEvent:
        return PrivacyEvent(mechanism="subsampled_gaussian", measured="DP-SGD calibration",
                            noise_multiplier=multiplier, sampling_rate=float(sampling_rate), steps=int(steps))

    coarse_interval = 10.0 * ledger.interval
    recorded = accounting.compose_events(ledger.events, coarse_interval)
    extra_delta = math.fsum(item.extra_delta for item in ledger.events)

    def fits_coarse(multiplier: float) -> bool:
        added = accounting.compose_events([event(multiplier)], coarse_interval)
        composed = accounting.compose(recorded, added)
        return accounting.epsilon_at(composed, ledger.delta - extra_delta) <= ledger.epsilon

    def excess(multiplier: float) -> float:
        return ledger.epsilon_if(event(multiplier)) - ledger.epsilon

    def fits(multiplier: float) -> bool:
        return excess(multiplier) <= 0

    # Phase 1: bracket [low, high] with low too small and high fitting.
    if not fits(max_noise_multiplier):
        spent = ledger.spent()[0]
        raise PrivacyBudgetError(
            f"DP-SGD cannot fit the privacy budget: even noise multiplier {max_noise_multiplier:g} with "
            f"sampling rate {sampling_rate:g} and {steps} steps would bring epsilon over {ledger.epsilon:g} "
            f"(spent before training: {spent:.6g}). Increase epsilon, train fewer steps or use "
            "smaller batches.")
    high = 1.0
    while high < max_noise_multiplier and not fits_coarse(high):
        high = min(2.0 * high, max_noise_multiplier)
    low = high / 2.0
    while low > 1e-3 and fits_coarse(low):
        high, low = low, low / 2.0

    # Phase 2: bisect in log space on the coarse grid.
    while high / low - 1.0 > tolerance:
        middle = math.sqrt(low * high)
        if fits_coarse(middle):
            high = middle
        else:
            low = middle

    # Phase 3: the coarse grid overstates epsilon, a little per step, so
    # re-bracket with the ledger's own accountant, widening the steps
    # geometrically, then close the bracket. Every trial value is rounded up
    # to four significant digits (toward privacy: more noise), so the value
    # returned is one the accountant accepted.
    step = 2.0 * tolerance
    high = _round_up(high, digits=4)
    high_excess = excess(high)
    while high_excess > 0:
        high = _round_up(high * (1.0 + step), digits=4)
        step *= 2.0
        high_excess = excess(high)
    # A step of at least 2 * tolerance stays below `high` after rounding up,
    # because four-digit values are at most 1e-3 apart relative to their size.
    step = 2.0 * tolerance
    low = _round_up(high / (1.0 + step), digits=4)
    low_excess = excess(low)
    while low_excess <= 0:
        high, high_excess = low, low_excess
        step *= 2.0
        low = _round_up(low / (1.0 + step), digits=4)
        low_excess = excess(low)
    multiplier = _close_bracket(excess, low, high, low_excess, high_excess, tolerance)

    logger.debug("Calibrated DP-SGD noise multiplier %.6g for rate %.4g and %d steps.",
                 multiplier, sampling_rate, steps)
    return multiplier


def _close_bracket(excess, low: float, high: float, low_excess: float, high_excess: float,
                   tolerance: float) -> float:
    """Return the smallest four-digit multiplier found with excess <= 0, from excess(low) > 0 >= excess(high).

    Regula falsi in log(multiplier), Illinois variant (the kept end's excess is
    halved when the same end is kept twice), so each costly accountant call
    narrows the bracket more than a bisection step would. Trial points are
    rounded up to four significant digits and kept inside the bracket. The
    search stops when the bracket is narrower than `tolerance` or contains no
    other four-digit value.
    """
    last_kept = 0
    while high / low - 1.0 > tolerance:
        log_low, log_high = math.log(low), math.log(high)
        weight = 0.5
        if math.isfinite(low_excess) and low_excess != high_excess:
            weight = low_excess / (low_excess - high_excess)
        margin = math.log1p(tolerance / 4.0) / (log_high - log_low)
        weight = min(max(weight, margin), 1.0 - margin)
        middle = _round_up(math.exp(log_low + weight * (log_high - log_low)), digits=4)
        if middle >= high:
            break

        middle_excess = excess(middle)
        if middle_excess <= 0:
            high, high_excess = middle, middle_excess
            if last_kept == 1:
                low_excess /= 2.0
            last_kept = 1
        else:
            low, low_excess = middle, middle_excess
            if last_kept == -1:
                high_excess /= 2.0
            last_kept = -1
    return high


def _round_up(value: float, digits: int) -> float:
    """Return the float nearest to `value` rounded up to `digits` significant decimal digits."""
    exponent = math.floor(math.log10(value)) - digits + 1
    units = math.ceil(value / 10.0**exponent - 1e-9)
    rounded = float(f"{units}e{exponent}")
    while rounded < value:
        units += 1
        rounded = float(f"{units}e{exponent}")
    return rounded


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
