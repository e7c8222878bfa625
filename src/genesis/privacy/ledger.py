"""The privacy ledger: every differentially private measurement of one fit, and its total cost.

What was released (immutable `PrivacyEvent` records) is kept apart from what
it cost (the accountant in `genesis.privacy.accounting`, which composes the
events' privacy loss distributions with Google's dp-accounting library).

Neighbouring relation: two tables are neighbours when one is the other with
all rows of one privacy unit added or removed. A unit is one row by default,
and a patient when `unit_column` is set. Every sensitivity in an event is the
largest change one unit can make under that relation.

The total is reported as the epsilon at the budget's delta minus the events'
`extra_delta`s: (epsilon, delta)-DP then holds for the whole fit, because a
failure event of probability extra_delta only adds to delta.
"""

from __future__ import annotations

import logging
import math
import numbers
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from genesis.errors import ConfigError, GenesisError, invalid_value
from genesis.privacy import accounting
from genesis.privacy.noise import NoiseSource

logger = logging.getLogger(__name__)

MECHANISMS = ("discrete_gaussian", "gaussian", "exponential", "pure", "subsampled_gaussian")
_PARAMETERS = {
    "discrete_gaussian": ("sigma", "sensitivity"),
    "gaussian": ("sigma", "sensitivity"),
    "exponential": ("epsilon",),
    "pure": ("epsilon",),
    "subsampled_gaussian": ("noise_multiplier", "sampling_rate", "steps"),
}
_OPTIONAL_FIELDS = ("sigma", "sensitivity", "epsilon", "noise_multiplier", "sampling_rate", "steps")
# Relative slack on the budget check, for float rounding only.
BUDGET_TOLERANCE = 1e-9
LEDGER_FORMAT = 1


class PrivacyBudgetError(GenesisError, ValueError):
    """A measurement would push the total spend over the configured (epsilon, delta)."""


class PrivacyEventError(GenesisError, ValueError):
    """A privacy event has a missing, extra or invalid parameter."""


@dataclass(frozen=True, kw_only=True)
class PrivacyEvent:
    """One differentially private release.

    Attributes
    ----------
    mechanism:
        "discrete_gaussian" or "gaussian" (uses `sigma`, `sensitivity`, the L2
        sensitivity), "exponential" or "pure" (uses `epsilon`, an epsilon-DP
        release), "subsampled_gaussian" (DP-SGD: `noise_multiplier`,
        `sampling_rate`, `steps`; Poisson sampling).
    measured:
        What was measured, in words a privacy officer can read, e.g.
        "noisy counts of the categories of column 'zip_code'". Never a value
        from the data.
    sigma:
        Noise scale of a (discrete) Gaussian release, in the units of the
        measured value (counts for noisy counts).
    sensitivity:
        L2 sensitivity of the released vector; None means 1. For
        "discrete_gaussian" it must be an integer: the accountant uses the
        one-dimensional discrete Gaussian PLD with that shift, which is exact
        when one unit changes a single cell (histograms with one row per unit).
        NOTE: when a unit's m rows fall in several cells, this PLD at shift m
        bounded the composition of the per-cell PLDs in numerical checks
        (sigma 0.3 to 5, m up to 4, dp-accounting 0.6), but no proof is known
        to us for the discrete Gaussian.
    epsilon:
        Epsilon of an epsilon-DP ("pure", delta = 0) release, such as one draw
        of the exponential mechanism.
    noise_multiplier:
        DP-SGD noise standard deviation divided by the clipping norm.
    sampling_rate:
        Poisson sampling probability of each unit in a DP-SGD step, in (0, 1].
    steps:
        Number of DP-SGD steps with these parameters.
    extra_delta:
        A delta added on top of the mechanism's own curve, e.g. the failure
        probability of a thresholding step.
    """

    mechanism: str
    measured: str
    sigma: float | None = None
    sensitivity: float | None = None
    epsilon: float | None = None
    noise_multiplier: float | None = None
    sampling_rate: float | None = None
    steps: int | None = None
    extra_delta: float = 0.0

    def __post_init__(self) -> None:
        _check_event(self)
        # Store plain Python numbers (numpy scalars are accepted), so that
        # `to_dict` is JSON-safe and equal events compare equal.
        for name in ("sigma", "sensitivity", "epsilon", "noise_multiplier", "sampling_rate", "extra_delta"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, float(value))
        if self.steps is not None:
            object.__setattr__(self, "steps", int(self.steps))

    def to_dict(self) -> dict[str, Any]:
        """Return the event as a JSON-safe dict, without the parameters it does not use."""
        return {key: value for key, value in asdict(self).items() if value is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PrivacyEvent:
        """Rebuild an event from `to_dict` output; raises `PrivacyEventError` for unknown keys."""
        valid = ("mechanism", "measured", *_OPTIONAL_FIELDS, "extra_delta")
        unknown = sorted(set(data) - set(valid))
        if unknown:
            raise PrivacyEventError(invalid_value("privacy event keys", unknown,
                                                  f"the valid keys are {list(valid)}",
                                                  "Load a ledger written by genesis."))
        return cls(**data)


def _check_event(event: PrivacyEvent) -> None:
    """Raise `PrivacyEventError` unless `event` has exactly the valid parameters of its mechanism."""
    if event.mechanism not in MECHANISMS:
        raise PrivacyEventError(invalid_value("mechanism", event.mechanism,
                                              f"it must be one of {list(MECHANISMS)}",
                                              "Use a mechanism the accountant knows."))
    if not isinstance(event.measured, str) or not event.measured.strip():
        raise PrivacyEventError(invalid_value("measured", event.measured,
                                              "it must be a non-empty description",
                                              "Say in words what was measured."))

    needed = _PARAMETERS[event.mechanism]
    optional = ("sensitivity",)
    for name in _OPTIONAL_FIELDS:
        value = getattr(event, name)
        if name not in needed and value is not None:
            raise PrivacyEventError(invalid_value(
                name, value, f"the {event.mechanism!r} mechanism uses only {list(needed)}",
                f"Leave {name} unset."))
        if name in needed and value is None and name not in optional:
            raise PrivacyEventError(invalid_value(
                name, value, f"the {event.mechanism!r} mechanism needs it", f"Set {name}."))

    positive = {"sigma": event.sigma, "sensitivity": event.sensitivity, "epsilon": event.epsilon,
                "noise_multiplier": event.noise_multiplier}
    for name, value in positive.items():
        if value is not None and not (_is_real(value) and math.isfinite(value) and value > 0):
            raise PrivacyEventError(invalid_value(name, value, "it must be a positive finite number",
                                                  f"Pass a positive {name}."))
    fractional = event.sensitivity is not None and event.sensitivity % 1 != 0
    if event.mechanism == "discrete_gaussian" and fractional:
        raise PrivacyEventError(invalid_value(
            "sensitivity", event.sensitivity, "a discrete Gaussian event needs an integer sensitivity",
            "Round the sensitivity up to an integer."))
    rate = event.sampling_rate
    if rate is not None and not (_is_real(rate) and 0 < rate <= 1):
        raise PrivacyEventError(invalid_value("sampling_rate", event.sampling_rate, "it must be in (0, 1]",
                                              "Pass the Poisson sampling probability of one unit."))
    if event.steps is not None and not (isinstance(event.steps, numbers.Integral)
                                        and not isinstance(event.steps, bool) and event.steps >= 1):
        raise PrivacyEventError(invalid_value("steps", event.steps, "it must be an integer >= 1",
                                              "Pass the number of DP-SGD steps."))
    if not (_is_real(event.extra_delta) and 0 <= event.extra_delta < 1):
        raise PrivacyEventError(invalid_value("extra_delta", event.extra_delta, "it must be in [0, 1)",
                                              "Pass the failure probability of the step, or 0."))


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


@dataclass
class PrivacyLedger:
    """The events of one fit under a budget of (epsilon, delta).

    `charge` checks the whole request against the budget before anything is
    recorded or any noise is drawn, and leaves the ledger unchanged when it
    raises. The composed PLD of the recorded events is cached, so a check
    composes only the new events onto it.
    """

    epsilon: float
    delta: float
    events: list[PrivacyEvent] = field(default_factory=list)
    noise: NoiseSource | None = field(default=None, repr=False, compare=False)
    """Where mechanisms draw noise from; set by the facade, not saved."""
    max_rows_per_unit: int = 1
    """Rows one privacy unit may contribute after capping: the sensitivity every mechanism must use."""
    _cache: tuple[tuple[PrivacyEvent, ...], Any] = field(default=((), None), init=False, repr=False,
                                                         compare=False)

    def __post_init__(self) -> None:
        if not (_is_real(self.epsilon) and math.isfinite(self.epsilon) and self.epsilon > 0):
            raise ConfigError(invalid_value("epsilon", self.epsilon, "it must be positive and finite",
                                            "Pass a budget such as epsilon=1.0."))
        if not (_is_real(self.delta) and 0 <= self.delta < 1):
            raise ConfigError(invalid_value("delta", self.delta, "it must be in [0, 1)",
                                            "Pass a budget such as delta=1e-5."))
        self.epsilon = float(self.epsilon)
        self.delta = float(self.delta)
        self.events = list(self.events)

    @property
    def interval(self) -> float:
        """Grid width of the privacy loss distributions, set by the budget's epsilon."""
        return accounting.discretization_interval(self.epsilon)

    def spent(self) -> tuple[float, float]:
        """Return (epsilon, delta) spent so far: epsilon at the budget's delta, or (0, 0) with no events."""
        if not self.events:
            return 0.0, 0.0
        return self.epsilon_if(), self.delta

    def epsilon_if(self, *events: PrivacyEvent) -> float:
        """Return the total epsilon (at the budget's delta) if `events` were added."""
        for event in events:
            if not isinstance(event, PrivacyEvent):
                raise TypeError(f"epsilon_if takes PrivacyEvent objects, got {type(event).__name__}.")
        all_events = [*self.events, *events]
        if not all_events:
            return 0.0

        extra_delta = math.fsum(event.extra_delta for event in all_events)
        composed = accounting.compose(self._composed(), accounting.compose_events(events, self.interval))
        return accounting.epsilon_at(composed, self.delta - extra_delta)

    def charge(self, *events: PrivacyEvent) -> None:
        """Record `events`, or raise `PrivacyBudgetError` and record none of them."""
        if not events:
            return
        total = self.epsilon_if(*events)
        if total > self.epsilon * (1.0 + BUDGET_TOLERANCE):
            raise PrivacyBudgetError(self._excess_message(events, total))

        composed = accounting.compose(self._composed(), accounting.compose_events(events, self.interval))
        self.events.extend(events)
        self._cache = (tuple(self.events), composed)
        logger.debug("Charged %d privacy event(s); total epsilon %.6g of %.6g at delta %.3g.",
                     len(events), total, self.epsilon, self.delta)

    def rho_budget(self, extra_delta: float = 0.0) -> float:
        """Return the zCDP rho whose conversion gives exactly (epsilon, delta - extra_delta), to plan shares.

        Conversion of Canonne, Kamath & Steinke (NeurIPS 2020; arXiv:2004.00010v3, p. 13),
        bisected and rounded down. Gaussian or discrete Gaussian measurements
        planned with rho_i (sigma_i = sensitivity / sqrt(2 rho_i)) whose rho_i
        sum to at most this value compose to at most epsilon in the PLD
        accountant as well, because the PLD is tighter than the zCDP
        conversion. Pass `extra_delta` to keep delta back for thresholding
        steps. Raises `PrivacyBudgetError` when no delta is left (a budget with
        delta = 0 admits only pure epsilon-DP events).
        """
        available = self.delta - extra_delta
        if available <= 0:
            raise PrivacyBudgetError(invalid_value(
                "delta available for Gaussian noise", available, "it must be positive",
                "Set delta > 0 in the privacy settings, or keep back less delta for thresholds."))
        return accounting.rho_for_epsilon(self.epsilon, available)

    def rho_remaining(self, extra_delta: float = 0.0) -> float:
        """Return `rho_budget` minus a zCDP bound of the recorded events (0 when nothing is left).

        Each recorded event counts as sensitivity^2 / (2 sigma^2) for the
        Gaussians, steps / (2 noise_multiplier^2) for DP-SGD (an upper bound
        that ignores amplification by subsampling) and epsilon^2 / 2 for pure
        events (Bun & Steinke, TCC 2016, Proposition 1.4). The recorded
        events' `extra_delta` is kept back in addition to `extra_delta`.
        """
        recorded_delta = math.fsum(event.extra_delta for event in self.events)
        budget = self.rho_budget(extra_delta + recorded_delta)
        return max(0.0, budget - math.fsum(zcdp_rho(event) for event in self.events))

    def to_dict(self) -> dict[str, Any]:
        """Return the budget, the itemized events, the totals and the accountant, JSON-safe."""
        spent_epsilon, spent_delta = self.spent()
        return {
            "format": LEDGER_FORMAT,
            "accountant": accounting.ACCOUNTANT,
            "accountant_library": "dp-accounting",
            "accountant_version": accounting.accountant_version(),
            "neighbouring_relation": "add or remove one privacy unit",
            "max_rows_per_unit": self.max_rows_per_unit,
            "discretization_interval": self.interval,
            "budget": {"epsilon": self.epsilon, "delta": self.delta},
            "spent": {"epsilon": spent_epsilon, "delta": spent_delta,
                      "extra_delta": math.fsum(event.extra_delta for event in self.events)},
            "events": [event.to_dict() for event in self.events],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PrivacyLedger:
        """Rebuild a ledger from `to_dict` output; the totals are recomputed from the events."""
        try:
            budget = data["budget"]
            events = [PrivacyEvent.from_dict(item) for item in data["events"]]
            ledger = cls(epsilon=budget["epsilon"], delta=budget["delta"], events=events,
                         max_rows_per_unit=int(data.get("max_rows_per_unit", 1)))
        except (KeyError, TypeError) as error:
            raise PrivacyEventError(f"The saved privacy ledger is incomplete or damaged: {error!r}. "
                                    "Load a ledger written by genesis.") from error

        recorded = data.get("spent", {}).get("epsilon")
        if recorded is not None and events:
            recomputed = ledger.spent()[0]
            if not math.isclose(recorded, recomputed, rel_tol=1e-3, abs_tol=1e-9):
                logger.warning("The saved ledger reports epsilon %.6g but the installed accountant "
                               "computes %.6g from its events.", recorded, recomputed)
        return ledger

    # Internals -----------------------------------------------------------------------

    def _composed(self) -> Any:
        """Return the cached PLD of the recorded events, rebuilding it if `events` was changed directly."""
        cached_events, composed = self._cache
        if cached_events != tuple(self.events):
            composed = accounting.compose_events(self.events, self.interval)
            self._cache = (tuple(self.events), composed)
        return composed

    def _excess_message(self, events: tuple[PrivacyEvent, ...], total: float) -> str:
        spent_epsilon = self.spent()[0]
        measured = "; ".join(event.measured for event in events)
        return (f"Privacy budget exceeded: {len(events)} more measurement(s) ({measured}) would bring the "
                f"total epsilon to {total:.6g} at delta {self.delta:.3g}, over the budget epsilon "
                f"{self.epsilon:.6g} (spent so far: {spent_epsilon:.6g}). Nothing was recorded. Increase "
                "epsilon, measure fewer things, or add more noise to each measurement.")


def zcdp_rho(event: PrivacyEvent) -> float:
    """Return a zCDP rho that bounds `event` (see `PrivacyLedger.rho_remaining`)."""
    if event.mechanism in ("discrete_gaussian", "gaussian"):
        sensitivity = event.sensitivity or 1.0
        return sensitivity**2 / (2.0 * event.sigma**2)
    if event.mechanism in ("exponential", "pure"):
        return event.epsilon**2 / 2.0
    return event.steps / (2.0 * event.noise_multiplier**2)
