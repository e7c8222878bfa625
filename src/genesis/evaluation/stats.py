"""Confidence intervals and the result record every privacy metric returns.

Every risk genesis reports carries a 95% interval, the number of trials it
rests on and the baseline it is measured against. Rates use the Wilson score
interval (Wilson, "Probable inference, the law of succession, and
statistical inference", JASA 1927), which stays inside [0, 1] and keeps its
coverage for rates near 0 or 1 where the normal approximation fails. A risk
of the form (attack - control) / (1 - control) combines the two rates'
Wilson widths by the delta method, or, when every trial has its own known
control, comes from a score interval of the Wilson kind. AUCs use a stratified percentile
bootstrap (Efron and Tibshirani, "An Introduction to the Bootstrap", 1993).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
Z = float(stats.norm.ppf(0.5 + CONFIDENCE / 2))


@dataclass(frozen=True)
class MetricResult:
    """One privacy metric: its value in [0, 1], 95% interval, sample size, baseline and verdict.

    Attributes
    ----------
    name:
        Metric key, e.g. "membership".
    value, ci_low, ci_high:
        Point estimate and 95% interval, each in [0, 1]. For risks, 0 is no
        measurable risk; for "dcr", 1 is best.
    n:
        Trials the estimate rests on (attacks, queries or pairs).
    baseline:
        What the attack is compared with, e.g. the control success rate or
        the AUC of a coin flip; None where no baseline applies.
    method:
        One line saying how the value was computed.
    holdout_used:
        True when the control came from real rows the model never saw; False
        marks the value as a proxy.
    threshold:
        The policy limit the metric was checked against, or None.
    passed:
        True or False against the threshold, None when it could not be
        decided (no threshold, or too few trials).
    proxy:
        True when the value is a proxy computed without a holdout.
    details:
        JSON-safe facts behind the value (rates, counts, columns).
    """

    name: str
    value: float
    ci_low: float
    ci_high: float
    n: int
    baseline: float | None
    method: str
    holdout_used: bool
    threshold: float | None = None
    passed: bool | None = None
    proxy: bool = False
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def wilson_interval(successes: float, n: int, z: float = Z) -> tuple[float, float]:
    """Return the Wilson score interval of a rate; (0, 1) when there are no trials.

    `successes` may be fractional (ties counted as halves); the interval is
    then that of the nearest binomial count, a close approximation.
    """
    if n <= 0:
        return 0.0, 1.0
    rate = min(max(successes / n, 0.0), 1.0)
    denominator = 1 + z * z / n
    centre = (rate + z * z / (2 * n)) / denominator
    half = z * math.sqrt(rate * (1 - rate) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


MIN_UNKNOWN_SHARE = 0.1
"""Smallest 1 - control the risk is divided by; see `excess_risk`."""


def excess_risk(attack: float, n_attack: int, control: float, n_control: int, *, clip: bool = True
                ) -> tuple[float, float, float]:
    """Return (risk, low, high) of risk = (attack - control) / max(1 - control, 0.1), clipped to [0, 1].

    This is the attack's success beyond what the control group, whose rows
    the model never saw, shows, as a share of the secrets the control leaves
    unknown; Giomi et al., "A Unified Framework for Quantifying Privacy Risk
    in Synthetic Data", PETS 2023, eq. 1. The interval combines each rate's
    Wilson half-width by the delta method.

    When the other columns already give the secret away (control near 1),
    1 - control is small, the ratio amplifies each rate's error by
    1 / (1 - control)^2, and the interval covers most of [0, 1] however many
    rows are attacked. The divisor is therefore at least `MIN_UNKNOWN_SHARE`:
    below it, the risk is the absolute excess attack - control counted in
    tenths of the rows. A leak of secrets about 1.5% of all rows, beyond what
    the population gives, still reaches the default threshold of 0.15.

    `clip=False` returns the three values before clipping (negative when the
    control did better), so that intervals can be compared with tools that
    clip only at the end.
    """
    attack_low, attack_high = wilson_interval(attack * n_attack, n_attack)
    control_low, control_high = wilson_interval(control * n_control, n_control)
    sigma_attack = (attack_high - attack_low) / (2 * Z)
    sigma_control = (control_high - control_low) / (2 * Z)
    unknown = max(1 - control, MIN_UNKNOWN_SHARE)

    risk = (attack - control) / unknown
    if 1 - control > MIN_UNKNOWN_SHARE:
        # d risk / d attack = 1 / (1 - c); d risk / d control = (attack - 1) / (1 - c)^2.
        sigma = math.hypot(sigma_attack / unknown, sigma_control * (1 - attack) / unknown ** 2)
    else:
        sigma = math.hypot(sigma_attack, sigma_control) / unknown
    if not clip:  # NOTE: unclipped values are negative when the control did better; for comparisons only.
        return risk, risk - Z * sigma, risk + Z * sigma
    return _clip(risk), _clip(risk - Z * sigma), _clip(risk + Z * sigma)


def paired_excess_risk(success: np.ndarray, expected: np.ndarray, *, design_effect: float = 1.0,
                       clip: bool = True) -> tuple[float, float, float]:
    """Return (risk, low, high) of (attack - control) / (1 - control) when each trial has its own control.

    `success` holds each trial's outcome (0 or 1) and `expected` the chance
    of success that trial had without any leak, so attack = mean(success)
    and control = mean(expected), estimated on the same trials. The risk
    r = sum(success - expected) / sum(1 - expected) is Giomi et al.'s
    residual success (PETS 2023, eq. 1) with the control known trial by
    trial instead of measured on a second sample.

    The interval is a score interval, Wilson's construction carried over to
    trials with unequal chances. Under the model that trial i succeeds with
    probability q_i(r) = e_i + r (1 - e_i) (success by chance, or else
    through the leak with probability r), the number of successes S has mean
    sum q_i(r) and variance sum q_i(r) (1 - q_i(r)) (a Poisson binomial).
    The interval holds every r in [0, 1] with
    (S - sum q_i(r))^2 <= z^2 sum q_i(r) (1 - q_i(r)); both sides are
    quadratic in r, so its ends are roots of one quadratic. With equal
    chances it is exactly the Wilson interval of the attack rate mapped
    through (rate - e) / (1 - e); with unequal ones it is narrower, because
    a Poisson binomial varies less than a binomial of the same mean. No
    separate control sample adds its own error, which is why it is also
    narrower than `excess_risk` at the same number of trials.

    Trials that share information (e.g. predicates matching the same real
    rows) vary together; `design_effect` (Kish, "Survey Sampling", 1965) is
    the ratio of the success count's true variance to the Poisson-binomial
    one, and multiplies that variance.

    The divisor is at least `MIN_UNKNOWN_SHARE`, as in `excess_risk`: below
    it, r (1 - control) / 0.1 is reported, with the interval mapped the same
    way. `clip=False` returns the values before they are clipped to [0, 1],
    as `excess_risk` does: the roots of the quadratic, below 0 when the
    attack did worse than chance.
    """
    success = np.asarray(success, dtype=float)
    expected = np.clip(np.asarray(expected, dtype=float), 0.0, 1.0)
    n = success.size
    if n == 0:
        return 0.0, 0.0, 1.0
    excess, unknown = float((success - expected).sum()), float((1 - expected).sum())
    if unknown <= 0:
        return 0.0, 0.0, 1.0  # every trial was certain to succeed: nothing is learned about a leak.

    risk = excess / unknown
    low, high = _score_interval(excess, expected, Z * math.sqrt(max(design_effect, 1.0)))
    scale = unknown / n / max(unknown / n, MIN_UNKNOWN_SHARE)
    if not clip:
        return risk * scale, low * scale, high * scale
    return _clip(risk * scale), _clip(low * scale), _clip(high * scale)


def _score_interval(excess: float, expected: np.ndarray, z: float = Z) -> tuple[float, float]:
    """Return the r in [0, 1] with (excess - r B)^2 <= z^2 (1 - r)(C + r D); see `paired_excess_risk`.

    B = sum(1 - e), C = sum(e (1 - e)), D = sum((1 - e)^2). Expanding gives
    (B^2 + z^2 D) r^2 - (2 B excess + z^2 (D - C)) r + excess^2 - z^2 C <= 0.
    """
    b = float((1 - expected).sum())
    c = float((expected * (1 - expected)).sum())
    d = float(((1 - expected) ** 2).sum())
    quadratic = b * b + z * z * d
    linear = -(2 * b * excess + z * z * (d - c))
    constant = excess * excess - z * z * c

    discriminant = linear * linear - 4 * quadratic * constant
    if discriminant < 0:
        # NOTE: only when the attack succeeds far less often than chance allows (no r >= -e / (1 - e)
        # fits); the risk is then 0 beyond doubt.
        centre = excess / b
        return centre, centre
    root = math.sqrt(discriminant)
    return (-linear - root) / (2 * quadratic), (-linear + root) / (2 * quadratic)


def auc_with_bootstrap(positive: np.ndarray, negative: np.ndarray, rng: np.random.Generator,
                       n_bootstrap: int = 200) -> tuple[float, float, float]:
    """Return (AUC, low, high): P(positive score > negative score), ties counted half, with a bootstrap CI.

    The AUC is the Mann-Whitney statistic over average ranks. The interval
    resamples each class with replacement (a stratified bootstrap) and takes
    the 2.5% and 97.5% percentiles.
    """
    positive = np.asarray(positive, dtype=float)
    negative = np.asarray(negative, dtype=float)
    if positive.size == 0 or negative.size == 0:
        return 0.5, 0.0, 1.0
    estimate = _auc(positive, negative)
    draws = np.empty(n_bootstrap)
    for index in range(n_bootstrap):
        draws[index] = _auc(rng.choice(positive, positive.size), rng.choice(negative, negative.size))
    low, high = np.quantile(draws, [(1 - CONFIDENCE) / 2, (1 + CONFIDENCE) / 2])
    return estimate, float(low), float(high)


def advantage(auc: float) -> float:
    """Return max(0, 2 AUC - 1): an attack's advantage over guessing (Yeom et al., CSF 2018)."""
    return _clip(2 * auc - 1)


def _auc(positive: np.ndarray, negative: np.ndarray) -> float:
    ranks = stats.rankdata(np.concatenate([positive, negative]))
    rank_sum = ranks[: positive.size].sum()
    return float((rank_sum - positive.size * (positive.size + 1) / 2) / (positive.size * negative.size))


def _clip(value: float) -> float:
    if not math.isfinite(value):
        return 1.0  # NOTE: a risk that cannot be computed reads as the worst case, never as safe.
    return min(1.0, max(0.0, float(value)))
