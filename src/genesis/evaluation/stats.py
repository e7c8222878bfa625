"""Confidence intervals and the result record every privacy metric returns.

Every risk genesis reports carries a 95% interval, the number of trials it
rests on and the baseline it is measured against. Rates use the Wilson score
interval (Wilson, "Probable inference, the law of succession, and
statistical inference", JASA 1927), which stays inside [0, 1] and keeps its
coverage for rates near 0 or 1 where the normal approximation fails. A risk
of the form (attack - control) / (1 - control) combines the two rates'
Wilson widths by the delta method. AUCs use a stratified percentile
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


def excess_risk(attack: float, n_attack: int, control: float, n_control: int) -> tuple[float, float, float]:
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
    return _clip(risk), _clip(risk - Z * sigma), _clip(risk + Z * sigma)


def paired_excess_risk(success: np.ndarray, expected: np.ndarray) -> tuple[float, float, float]:
    """Return (risk, low, high) of (attack - control) / (1 - control) when each trial has its own control.

    `success` holds each trial's outcome (0 or 1) and `expected` the chance
    of success that trial had without any leak, so attack = mean(success)
    and control = mean(expected), estimated on the same trials. The risk is
    a ratio of means, mean(success - expected) / mean(1 - expected); its
    interval comes from the delta method for a ratio estimator (Cochran,
    "Sampling Techniques", 1977, section 6.3). Because a degenerate sample
    (every trial a success) has no spread, the interval is widened to at
    least the Wilson interval of the attack rate with the control held fixed.
    The divisor is at least `MIN_UNKNOWN_SHARE`, as in `excess_risk`.
    """
    success = np.asarray(success, dtype=float)
    expected = np.asarray(expected, dtype=float)
    n = success.size
    if n == 0:
        return 0.0, 0.0, 1.0
    attack, control = float(success.mean()), float(expected.mean())
    unknown = max(1 - control, MIN_UNKNOWN_SHARE)
    risk = (attack - control) / unknown

    residual = (success - expected) - risk * (1 - expected) if 1 - control > MIN_UNKNOWN_SHARE else success - expected
    sigma = float(np.sqrt(residual.var(ddof=1) / n) / unknown) if n > 1 else math.inf
    attack_low, attack_high = wilson_interval(attack * n, n)
    low = min(risk - Z * sigma, (attack_low - control) / unknown)
    high = max(risk + Z * sigma, (attack_high - control) / unknown)
    return _clip(risk), _clip(low) if math.isfinite(low) else 0.0, _clip(high)


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
