"""DP-SGD noise calibration: the smallest noise multiplier that fits the ledger's budget."""

from __future__ import annotations

import logging
import math

import numpy as np

from genesis.errors import invalid_value
from genesis.privacy import accounting
from genesis.privacy.ledger import PrivacyBudgetError, PrivacyEvent, PrivacyLedger

logger = logging.getLogger(__name__)

# Relative width at which the noise multiplier search stops, and the largest
# multiplier tried before the budget is reported as too small for DP-SGD.
CALIBRATION_TOLERANCE = 1e-3
MAX_NOISE_MULTIPLIER = 1e4


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
