"""Exact sampling from the discrete Gaussian distribution on the integers.

The discrete Gaussian N_Z(0, sigma^2) gives each integer y a probability
proportional to exp(-y^2 / (2 sigma^2)). The sampler follows Canonne, Kamath
and Steinke, "The Discrete Gaussian for Differential Privacy", NeurIPS 2020,
Algorithm 1 (Bernoulli(exp(-gamma)) for rational gamma),
Algorithm 2 (discrete Laplace by rejection) and Algorithm 3 (discrete Gaussian
by rejection from the discrete Laplace). Every step compares uniform integers
with integers, so no floating-point value is sampled. The floating-point
attack of Mironov (CCS 2012), which reads the noise off the low-order bits of
a textbook Laplace sample, therefore does not apply.

The algorithms are run on numpy int64 arrays, one rejection round for all
pending samples at a time. The variance sigma^2 is replaced by a rational
p / q >= sigma^2 (rounded up, toward privacy) whose intermediate products fit
in int64. Samples whose integers would not fit (sigma above about 30,000, or a
proposal in a tail that is practically never drawn) go through the same
algorithms with Python integers, one at a time.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from genesis.privacy.noise import NoiseSource

# Largest denominator of gamma = a^2 / D handled with int64 arrays: the
# remainder a^2 - floor(a^2 / D) D is computed with wrapping int64 products and
# must lie in (-D, 2D), inside the int64 range.
_MAX_ARRAY_DENOMINATOR = 2**61
_MAX_VARIANCE_DENOMINATOR_LOG2 = 30
# float64 estimates of floor(a^2 / D) are within 1 of the truth below this bound.
_MAX_FLOAT_QUOTIENT = 2.0**50


def rational_variance(sigma: float) -> tuple[int, int]:
    """Return (p, q): the smallest p with p / q >= sigma**2, for the largest power of two q that fits int64.

    q is at most 2**30, so sigma**2 is rounded up by less than 2**-30.
    """
    if not (math.isfinite(sigma) and sigma > 0):
        raise ValueError(f"sigma is {sigma!r}, but it must be positive and finite.")
    variance = Fraction(sigma) ** 2

    for exponent in range(_MAX_VARIANCE_DENOMINATOR_LOG2, -1, -1):
        q = 1 << exponent
        # Round toward privacy: p / q is at least sigma^2.
        p = math.ceil(variance * q)
        if _gamma_denominator(p, q) <= _MAX_ARRAY_DENOMINATOR:
            return p, q
    return math.ceil(variance), 1


def sample_discrete_gaussian(sigma: float, size: int, noise: NoiseSource) -> np.ndarray:
    """Return `size` int64 samples of the discrete Gaussian N_Z(0, sigma^2), drawn exactly.

    Parameters
    ----------
    sigma:
        Scale parameter (not exactly the standard deviation: the variance of
        N_Z(0, sigma^2) is slightly below sigma^2, as Canonne et al. 2020
        show). The sampler uses the rational p / q >= sigma^2 of
        `rational_variance`.
    size:
        Number of independent samples.
    noise:
        The source of random bits.
    """
    p, q = rational_variance(sigma)
    t = math.isqrt(p // q) + 1
    denominator = _gamma_denominator(p, q)

    if denominator > _MAX_ARRAY_DENOMINATOR:
        return np.array([_sample_scalar(p, q, t, noise) for _ in range(size)], dtype=np.int64)

    out = np.empty(size, dtype=np.int64)
    pending = np.arange(size)
    while pending.size:
        # Algorithm 3: propose Y from the discrete Laplace with scale t, accept
        # with probability exp(-(|Y| - sigma^2 / t)^2 / (2 sigma^2)).
        proposals = _discrete_laplace(t, pending.size, noise)
        accepted = _accept_proposals(np.abs(proposals), p, q, t, noise)
        out[pending[accepted]] = proposals[accepted]
        pending = pending[~accepted]
    return out


def _gamma_denominator(p: int, q: int) -> int:
    """Return 2 p q t^2, the denominator of the acceptance exponent of Algorithm 3 for sigma^2 = p / q."""
    t = math.isqrt(p // q) + 1
    return 2 * p * q * t * t


def _accept_proposals(magnitudes: np.ndarray, p: int, q: int, t: int, noise: NoiseSource) -> np.ndarray:
    """Return Bernoulli(exp(-(|Y| - sigma^2/t)^2 / (2 sigma^2))) for each |Y|, exactly.

    With sigma^2 = p / q the exponent is a^2 / D with a = |Y| t q - p and
    D = 2 p q t^2.
    """
    denominator = 2 * p * q * t * t
    accepted = np.zeros(magnitudes.size, dtype=bool)

    in_range = magnitudes < (2**62) // (t * q)
    numerators = magnitudes[in_range] * (t * q) - p
    estimate = np.floor(np.square(numerators.astype(np.float64)) / denominator)
    small = estimate < _MAX_FLOAT_QUOTIENT
    on_arrays = np.zeros(magnitudes.size, dtype=bool)
    on_arrays[np.flatnonzero(in_range)[small]] = True

    whole, rest = _divmod_square(numerators[small], estimate[small].astype(np.int64), denominator)
    accepted[on_arrays] = _bernoulli_exp(whole, rest, denominator, noise)

    # Proposals far in the tail: the same test with Python integers.
    for i in np.flatnonzero(~on_arrays):
        a = int(magnitudes[i]) * t * q - p
        accepted[i] = _bernoulli_exp_scalar(a * a, denominator, noise)
    return accepted


def _divmod_square(numerators: np.ndarray, estimate: np.ndarray,
                   denominator: int) -> tuple[np.ndarray, np.ndarray]:
    """Return floor(a^2 / D) and a^2 mod D from a float estimate of the quotient that is off by at most 1.

    The products wrap modulo 2**64, but the true remainder for an estimate
    off by one lies in (-D, 2D), inside the int64 range, so the wrapped
    difference is exact.
    """
    whole = estimate.copy()
    rest = numerators * numerators - whole * np.int64(denominator)
    low = rest < 0
    whole[low] -= 1
    rest[low] += denominator
    high = rest >= denominator
    whole[high] += 1
    rest[high] -= denominator
    return whole, rest


def _bernoulli_exp(whole: np.ndarray, rest: np.ndarray, denominator: int, noise: NoiseSource) -> np.ndarray:
    """Return Bernoulli(exp(-(whole + rest / denominator))) elementwise (Algorithm 1 for gamma > 1).

    exp(-gamma) = exp(-1)^floor(gamma) * exp(-frac(gamma)): `whole` Bernoulli(exp(-1))
    trials must all succeed, then one Bernoulli(exp(-frac)).
    """
    result = _exp_minus_one_successes(whole.size, noise, cap=whole) >= whole
    survivors = np.flatnonzero(result)
    result[survivors] = _bernoulli_exp_fraction(rest[survivors], np.int64(denominator), noise)
    return result


def _bernoulli_exp_fraction(numerators: np.ndarray, denominators: np.ndarray | np.int64,
                            noise: NoiseSource) -> np.ndarray:
    """Return Bernoulli(exp(-gamma)) for gamma = numerator / denominator in [0, 1] (Algorithm 1).

    Draw A_k ~ Bernoulli(gamma / k) for k = 1, 2, ... until the first A_k = 0;
    the result is 1 when that k is odd. Bernoulli(gamma / k) is drawn as
    Bernoulli(gamma) and Bernoulli(1 / k), so no product overflows.
    """
    size = numerators.size
    denominators = np.broadcast_to(np.asarray(denominators, dtype=np.int64), (size,))
    k = np.ones(size, dtype=np.int64)
    active = np.arange(size)
    while active.size:
        success = noise.integers(denominators[active]) < numerators[active]
        later = k[active] > 1
        if later.any():
            success[later] &= noise.integers(k[active][later]) == 0
        active = active[success]
        k[active] += 1
    return k % 2 == 1


def _exp_minus_one_successes(size: int, noise: NoiseSource, cap: np.ndarray | None = None) -> np.ndarray:
    """Return the number of Bernoulli(exp(-1)) successes before the first failure, stopped at `cap`.

    Without a cap this is the geometric V of Algorithm 2.
    """
    counts = np.zeros(size, dtype=np.int64)
    active = np.arange(size) if cap is None else np.flatnonzero(cap > 0)
    ones = np.ones(size, dtype=np.int64)
    while active.size:
        success = _bernoulli_exp_fraction(ones[: active.size], np.int64(1), noise)
        active = active[success]
        counts[active] += 1
        if cap is not None:
            active = active[counts[active] < cap[active]]
    return counts


def _discrete_laplace(t: int, size: int, noise: NoiseSource) -> np.ndarray:
    """Return `size` samples with P(y) proportional to exp(-|y| / t) (Algorithm 2, scale t/1)."""
    out = np.empty(size, dtype=np.int64)
    pending = np.arange(size)
    while pending.size:
        count = pending.size
        # U uniform on {0, ..., t-1}, kept with probability exp(-U / t).
        remainders = noise.integers(t, size=count)
        remainder_kept = _bernoulli_exp_fraction(remainders, np.int64(t), noise)
        quotients = _exp_minus_one_successes(count, noise)
        magnitudes = remainders + t * quotients
        negative = noise.integers(2, size=count) == 1
        # A negative zero is rejected so that 0 is not counted twice.
        accepted = remainder_kept & ~(negative & (magnitudes == 0))
        out[pending[accepted]] = np.where(negative, -magnitudes, magnitudes)[accepted]
        pending = pending[~accepted]
    return out


# Python-integer versions of the same algorithms, for values beyond int64.

def _bernoulli_exp_scalar(numerator: int, denominator: int, noise: NoiseSource) -> bool:
    whole, rest = divmod(numerator, denominator)
    for _ in range(whole):
        if not _bernoulli_exp_fraction_scalar(1, 1, noise):
            return False
    return _bernoulli_exp_fraction_scalar(rest, denominator, noise)


def _bernoulli_exp_fraction_scalar(numerator: int, denominator: int, noise: NoiseSource) -> bool:
    k = 1
    while noise.randbelow(denominator * k) < numerator:
        k += 1
    return k % 2 == 1


def _discrete_laplace_scalar(t: int, noise: NoiseSource) -> int:
    while True:
        remainder = noise.randbelow(t)
        if not _bernoulli_exp_fraction_scalar(remainder, t, noise):
            continue
        quotient = 0
        while _bernoulli_exp_fraction_scalar(1, 1, noise):
            quotient += 1
        magnitude = remainder + t * quotient
        negative = noise.randbelow(2) == 1
        if negative and magnitude == 0:
            continue
        return -magnitude if negative else magnitude


def _sample_scalar(p: int, q: int, t: int, noise: NoiseSource) -> int:
    denominator = 2 * p * q * t * t
    while True:
        proposal = _discrete_laplace_scalar(t, noise)
        a = abs(proposal) * t * q - p
        if _bernoulli_exp_scalar(a * a, denominator, noise):
            return proposal
