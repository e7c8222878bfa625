"""MST's privacy budget: the noise of each phase, sized to what the ledger has left.

MST (McKenna, Miklau and Sheldon, Journal of Privacy and Confidentiality
11(3), 2021) spends a zCDP budget rho in three phases: the 1-way marginals,
the choice of the tree's edges, and the tree's 2-way marginals, one third
each. Here the shares are configurable. rho is not taken from the whole
(epsilon, delta) budget but from what the ledger has left after earlier
steps, because domain discovery charges first.

Planning currency is zCDP (Bun and Steinke, TCC 2016). A discrete Gaussian
release of L2 sensitivity s and scale sigma costs s^2 / (2 sigma^2). An
epsilon-DP release costs epsilon^2 / 2, because the ledger accounts an
exponential-mechanism draw as a generic epsilon-DP event. The ledger itself
composes privacy loss distributions, which is tighter than zCDP, so the plan
is then scaled to the largest one `ledger.epsilon_if` accepts.

NOTE: the exponential mechanism is epsilon^2 / 8-zCDP (Cesar and Rogers,
"Bounding, Concentrating, and Truncating: Unifying Privacy Loss Composition
for Data Analytics", ALT 2021), a quarter of what the ledger charges, so the
selection phase gets a quarter of the epsilon it could have.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

from genesis.errors import ConfigError
from genesis.privacy.ledger import PrivacyBudgetError, PrivacyEvent, PrivacyLedger
from genesis.privacy.mechanisms import sigma_for_rho

logger = logging.getLogger(__name__)

PURE_DP_RHO_PER_EPSILON_SQUARED = 0.5
"""zCDP cost of an epsilon-DP event is epsilon^2 / 2 (Bun and Steinke 2016, Proposition 1.4)."""

SEARCH_STEPS = 12
"""Largest number of root-finding steps after the bracket is found."""

SEARCH_TOLERANCE = 1e-3
"""The search stops when the plan spends at least (1 - this) of epsilon."""

_MAX_GROWTH = 8.0
"""Largest factor by which the plan's rho may exceed `ledger.rho_budget()`."""


@dataclass(frozen=True)
class BudgetPlan:
    """Noise of each MST phase.

    Attributes
    ----------
    rho:
        zCDP budget of the whole plan, in planning currency.
    one_way_sigma:
        Discrete Gaussian scale of each 1-way marginal, in counts.
    selection_epsilon:
        Epsilon of each exponential-mechanism draw of a tree edge.
    two_way_sigma:
        Discrete Gaussian scale of each measured 2-way marginal, in counts.
    sensitivity:
        L2 sensitivity of each count table and sensitivity of each pair
        weight: the number of rows one privacy unit may contribute.
    """

    rho: float
    one_way_sigma: float
    selection_epsilon: float
    two_way_sigma: float
    sensitivity: int

    def events(self, n_columns: int) -> list[PrivacyEvent]:
        """Return the events MST charges with this plan, for a table of `n_columns` columns."""
        n_edges = n_columns - 1
        events = [PrivacyEvent(mechanism="discrete_gaussian", measured="planned 1-way marginal",
                               sigma=self.one_way_sigma, sensitivity=self.sensitivity)] * n_columns
        if n_edges > 0:
            events += [PrivacyEvent(mechanism="exponential", measured="planned tree edge choice",
                                    epsilon=self.selection_epsilon)] * n_edges
            events += [PrivacyEvent(mechanism="discrete_gaussian", measured="planned 2-way marginal",
                                    sigma=self.two_way_sigma, sensitivity=self.sensitivity)] * n_edges
        return events


def plan_for_rho(rho: float, n_columns: int, shares: tuple[float, float, float],
                 sensitivity: int) -> BudgetPlan:
    """Split `rho` among the three phases by `shares`, equally within each phase.

    With one column there is no pair to select or measure, so the 1-way
    marginal gets all of rho.
    """
    n_edges = n_columns - 1
    one_way, selection, two_way = shares if n_edges > 0 else (1.0, 0.0, 0.0)

    one_way_sigma = sigma_for_rho(one_way * rho / n_columns, sensitivity)
    if n_edges == 0:
        return BudgetPlan(rho, one_way_sigma, math.inf, math.inf, sensitivity)

    selection_epsilon = math.sqrt(selection * rho / n_edges / PURE_DP_RHO_PER_EPSILON_SQUARED)
    two_way_sigma = sigma_for_rho(two_way * rho / n_edges, sensitivity)
    return BudgetPlan(rho, one_way_sigma, selection_epsilon, two_way_sigma, sensitivity)


def plan_budget(ledger: PrivacyLedger, n_columns: int, shares: tuple[float, float, float],
                sensitivity: int) -> BudgetPlan:
    """Return the plan with the most rho whose events the ledger can still afford.

    The zCDP estimate of the budget left (`ledger.rho_remaining()`) starts
    the search. The plan's
    rho is then doubled while `ledger.epsilon_if` of its events stays within
    the budget, and the largest rho that fits is found in the last bracket
    (see `_largest_fitting`).

    Raises
    ------
    PrivacyBudgetError
        When the ledger has no budget left.
    ConfigError
        For fewer than one column.
    """
    if n_columns < 1:
        raise ConfigError(f"MST needs at least one column, but the domain has {n_columns}.")

    def excess(rho: float) -> float:
        events = plan_for_rho(rho, n_columns, shares, sensitivity).events(n_columns)
        return ledger.epsilon_if(*events) - ledger.epsilon

    budget = ledger.rho_budget()
    estimate = ledger.rho_remaining()
    rho = _largest_fitting(excess, estimate if estimate > 0 else 0.01 * budget, budget, ledger.epsilon)
    if rho is None:
        raise PrivacyBudgetError(
            f"The privacy ledger has no budget left for MST: epsilon {ledger.epsilon} is already spent "
            f"by {len(ledger.events)} earlier measurements. Raise epsilon or give the earlier steps a "
            "smaller share."
        )
    plan = plan_for_rho(rho, n_columns, shares, sensitivity)
    logger.info("MST budget: rho %.5g (zCDP estimate of what is left: %.5g); 1-way sigma %.3g, "
                "selection epsilon %.3g, 2-way sigma %.3g.", rho, estimate, plan.one_way_sigma,
                plan.selection_epsilon, plan.two_way_sigma)
    return plan


def _largest_fitting(excess, start: float, budget: float, epsilon: float) -> float | None:
    """Return a rho close below the largest one with excess(rho) <= 0, or None if even a tiny one fails.

    The bracket is found by doubling `start` up to `_MAX_GROWTH` * budget
    while it fits, or by dividing it by 4 down to 1e-6 * budget until it
    fits. Each call of `excess` composes privacy loss distributions (up to a
    second for large noise scales), so the root is then found by regula
    falsi with the Illinois modification on x = sqrt(rho), where epsilon is
    nearly linear. It stops once the spend is within `SEARCH_TOLERANCE` of
    epsilon; the returned rho always fits, which rounds toward privacy.
    """
    low, high = start, start
    excess_start = excess(start)
    if excess_start <= 0:
        excess_low, excess_high = excess_start, excess_start
        while excess_high <= 0:
            if high >= _MAX_GROWTH * budget:
                return high
            low, excess_low = high, excess_high
            high = min(2.0 * high, _MAX_GROWTH * budget)
            excess_high = excess(high)
    else:
        excess_low, excess_high = excess_start, excess_start
        while excess_low > 0:
            if low <= 1e-6 * budget:
                return None
            high, excess_high = low, excess_low
            low = low / 4.0
            excess_low = excess(low)

    # The Illinois step halves the weight of a stale end point, so the stopping
    # test reads the true excess of the feasible end, kept apart.
    x_low, x_high = math.sqrt(low), math.sqrt(high)
    last_side = 0
    spent_gap = -excess_low
    for _ in range(SEARCH_STEPS):
        if spent_gap <= SEARCH_TOLERANCE * epsilon:
            break
        x = x_high - excess_high * (x_high - x_low) / (excess_high - excess_low)
        margin = 1e-3 * (x_high - x_low)
        x = min(max(x, x_low + margin), x_high - margin)
        excess_x = excess(x * x)
        if excess_x <= 0:
            x_low, excess_low, spent_gap = x, excess_x, -excess_x
            if last_side < 0:
                excess_high /= 2.0
            last_side = -1
        else:
            x_high, excess_high = x, excess_x
            if last_side > 0:
                excess_low /= 2.0
            last_side = 1
    return x_low * x_low
