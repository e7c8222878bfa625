"""Privacy accounting: privacy loss distributions of DP events, and zCDP conversions.

The accountant composes privacy loss distributions (PLDs) with Google's
`dp-accounting` library (Koskela et al. 2020; Doroshenko et al., "Connect the
Dots", PETS 2022). Every PLD is a pessimistic estimate: its privacy loss values
are rounded up to a grid of width `discretization_interval(epsilon)`, so the
epsilon it reports is an upper bound of the true one. The neighbouring
relation is add-or-remove one privacy unit; for Poisson-subsampled events the
add and the remove direction have different PLDs and both are composed.

zCDP (Bun & Steinke, TCC 2016) is used only to plan noise: `rho_for_epsilon`
inverts the conversion of Canonne, Kamath & Steinke, "The Discrete Gaussian
for Differential Privacy", NeurIPS 2020 (arXiv:2004.00010v3, p. 13).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

import numpy as np
from scipy.optimize import minimize_scalar

if TYPE_CHECKING:
    from dp_accounting.pld.privacy_loss_distribution import PrivacyLossDistribution as Pld

    from genesis.privacy.ledger import PrivacyEvent

ACCOUNTANT = "pld"
BASE_DISCRETIZATION_INTERVAL = 1e-4


def accountant_version() -> str:
    """Return the installed dp-accounting version, recorded with every saved ledger."""
    try:
        return version("dp-accounting")
    except PackageNotFoundError:  # pragma: no cover - dp-accounting imported above
        return "unknown"


def discretization_interval(epsilon: float) -> float:
    """Return the PLD grid width for a budget of `epsilon`: 1e-4, or 1e-4 * epsilon below epsilon = 1.

    The pessimistic rounding adds at most one grid step per composed event to
    the reported epsilon, so the grid shrinks with the budget to keep that
    overestimate below about 1% of epsilon for 100 events.
    """
    return BASE_DISCRETIZATION_INTERVAL * min(1.0, epsilon)


def compose_events(events: Iterable[PrivacyEvent], interval: float) -> Pld | None:
    """Return the PLD of all `events` composed, or None for no events.

    Identical events (same mechanism and parameters) are composed with one
    `self_compose`, which is faster than composing them one by one.
    """
    groups = Counter(accounting_key(event) for event in events)
    composed: Pld | None = None
    for key, count in sorted(groups.items(), key=repr):
        pld = _key_pld(key, interval)
        if count > 1:
            pld = pld.self_compose(count)
        composed = pld if composed is None else composed.compose(pld)
    return composed


def compose(first: Pld | None, second: Pld | None) -> Pld | None:
    """Return the composition of two PLDs, either of which may be None (no events)."""
    if first is None:
        return second
    if second is None:
        return first
    return first.compose(second)


def epsilon_at(pld: Pld | None, delta: float) -> float:
    """Return the epsilon of `pld` at `delta`: 0 for no events, inf when delta <= 0 and the PLD needs it."""
    if pld is None:
        return 0.0
    # dp-accounting 0.6 divides two numpy masses that can underflow; the
    # overflow to inf is handled correctly by its comparison, so it is silenced.
    with np.errstate(over="ignore", divide="ignore"):
        return float(pld.get_epsilon_for_delta(max(delta, 0.0)))


def accounting_key(event: PrivacyEvent) -> tuple:
    """Return the parameters of `event` that determine its PLD (not its description or extra delta)."""
    mechanism = event.mechanism
    if mechanism in ("discrete_gaussian", "gaussian"):
        return (mechanism, float(event.sigma), float(event.sensitivity or 1.0))
    if mechanism in ("exponential", "pure"):
        return ("pure", float(event.epsilon))
    return (mechanism, float(event.noise_multiplier), float(event.sampling_rate), int(event.steps))


@lru_cache(maxsize=256)
def _key_pld(key: tuple, interval: float) -> Pld:
    """Return the PLD of one event, cached because plans and searches repeat the same events."""
    # Imported here so that importing genesis does not load dp-accounting and scipy.signal.
    from dp_accounting.pld import common, privacy_loss_distribution

    mechanism = key[0]
    if mechanism == "discrete_gaussian":
        _, sigma, sensitivity = key
        return privacy_loss_distribution.from_discrete_gaussian_mechanism(
            sigma, sensitivity=int(sensitivity), pessimistic_estimate=True,
            value_discretization_interval=interval)
    if mechanism == "gaussian":
        _, sigma, sensitivity = key
        return privacy_loss_distribution.from_gaussian_mechanism(
            sigma, sensitivity=sensitivity, pessimistic_estimate=True,
            value_discretization_interval=interval)
    if mechanism == "pure":
        # Any epsilon-DP mechanism is dominated by this two-point PLD
        # (dp-accounting, `from_privacy_parameters`).
        return privacy_loss_distribution.from_privacy_parameters(
            common.DifferentialPrivacyParameters(key[1], 0.0), value_discretization_interval=interval)

    _, noise_multiplier, sampling_rate, steps = key
    step = privacy_loss_distribution.from_gaussian_mechanism(
        noise_multiplier, sensitivity=1.0, pessimistic_estimate=True,
        value_discretization_interval=interval, sampling_prob=sampling_rate)
    return step.self_compose(steps) if steps > 1 else step


# zCDP conversions ---------------------------------------------------------------------

def epsilon_for_rho(rho: float, delta: float) -> float:
    """Return the epsilon of a rho-zCDP mechanism at `delta` (Canonne, Kamath & Steinke 2020).

    epsilon = min over alpha > 1 of
    alpha rho + (log(1/delta) + (alpha - 1) log(1 - 1/alpha) - log(alpha)) / (alpha - 1).
    Any alpha gives a valid epsilon, so a numerical minimum that is slightly
    off the true one only overstates epsilon (toward privacy).
    """
    if rho <= 0:
        return 0.0
    if not 0 < delta < 1:
        return math.inf
    log_inverse_delta = math.log(1.0 / delta)

    def epsilon_at_order(log_order_minus_one: float) -> float:
        order = 1.0 + math.exp(log_order_minus_one)
        return order * rho + (log_inverse_delta + (order - 1.0) * math.log1p(-1.0 / order)
                              - math.log(order)) / (order - 1.0)

    # The optimal order is near 1 + sqrt(log(1/delta) / rho); search its log
    # over a wide bracket around that.
    centre = 0.5 * math.log(log_inverse_delta / rho)
    result = minimize_scalar(epsilon_at_order, bounds=(centre - 12.0, centre + 12.0), method="bounded",
                             options={"xatol": 1e-10})
    return float(min(result.fun, epsilon_at_order(centre)))


def rho_for_epsilon(epsilon: float, delta: float) -> float:
    """Return the largest rho whose `epsilon_for_rho(rho, delta)` is at most `epsilon` (bisection)."""
    if not 0 < delta < 1 or epsilon <= 0:
        return 0.0
    low, high = 0.0, epsilon
    for _ in range(200):
        middle = 0.5 * (low + high)
        if epsilon_for_rho(middle, delta) <= epsilon:
            low = middle
        else:
            high = middle
        if high - low <= 1e-13 * high:
            break
    # Round toward privacy: `low` always converts to at most epsilon.
    return low
