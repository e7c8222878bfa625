"""The privacy ledger: every differentially private measurement of one fit, and its total cost.

INTERFACE SKELETON: the bodies are written by the accounting work; the
signatures below are the contract other modules (domain discovery, MST,
DP-CTGAN, the facade, persistence, reports) code against.

What was released (immutable `PrivacyEvent` records) is kept apart from what
it cost (the accountant, which composes the events). The neighbouring
relation is add-or-remove one privacy unit (one row by default).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from genesis.errors import GenesisError
from genesis.privacy.noise import NoiseSource


class PrivacyBudgetError(GenesisError, ValueError):
    """A measurement would push the total spend over the configured (epsilon, delta)."""


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

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PrivacyEvent:
        raise NotImplementedError


@dataclass
class PrivacyLedger:
    """The events of one fit under a budget of (epsilon, delta).

    `charge` checks the whole request against the budget before anything is
    recorded or any noise is drawn, and leaves the ledger unchanged when it
    raises.
    """

    epsilon: float
    delta: float
    events: list[PrivacyEvent] = field(default_factory=list)
    noise: NoiseSource | None = field(default=None, repr=False, compare=False)
    """Where mechanisms draw noise from; set by the facade, not saved."""

    def spent(self) -> tuple[float, float]:
        """Return (epsilon, delta) spent so far: epsilon at the budget's delta."""
        raise NotImplementedError

    def epsilon_if(self, *events: PrivacyEvent) -> float:
        """Return the total epsilon (at the budget's delta) if `events` were added."""
        raise NotImplementedError

    def charge(self, *events: PrivacyEvent) -> None:
        """Record `events`, or raise `PrivacyBudgetError` and record none of them."""
        raise NotImplementedError

    def rho_budget(self) -> float:
        """Return the zCDP rho whose conversion gives exactly (epsilon, delta); used to plan shares."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PrivacyLedger:
        raise NotImplementedError
