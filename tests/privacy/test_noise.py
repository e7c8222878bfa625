"""Tests of the noise source and the exact discrete Gaussian sampler."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from genesis.errors import ConfigError
from genesis.privacy.discrete_gaussian import _sample_scalar, rational_variance, sample_discrete_gaussian
from genesis.privacy.noise import NoiseSource

# Goodness-of-fit tests reject at this p-value; with fixed seeds they are deterministic, and the
# secure-source tests fail by chance with this probability.
P_VALUE = 1e-6


def discrete_gaussian_pmf(sigma: float, support: np.ndarray) -> np.ndarray:
    """Return P(X = y) of N_Z(0, sigma^2) on `support`, normalised over a range that contains all the mass."""
    width = int(40 * sigma) + 40
    everything = np.arange(-width, width + 1)
    log_weights = -(everything.astype(float) ** 2) / (2 * sigma**2)
    log_normaliser = np.logaddexp.reduce(log_weights)
    return np.exp(-(support.astype(float) ** 2) / (2 * sigma**2) - log_normaliser)


def discrete_gaussian_variance(sigma: float) -> float:
    width = int(40 * sigma) + 40
    support = np.arange(-width, width + 1)
    return float(np.sum(support.astype(float) ** 2 * discrete_gaussian_pmf(sigma, support)))


def chi_square_p_value(samples: np.ndarray, sigma: float) -> float:
    """Return the p-value of a chi-square test of `samples` against N_Z(0, sigma^2), tails pooled."""
    support = np.arange(-int(4 * sigma) - 1, int(4 * sigma) + 2)
    expected = discrete_gaussian_pmf(sigma, support) * samples.size
    observed = np.array([(samples == value).sum() for value in support], dtype=float)
    tail_expected = samples.size - expected.sum()
    tail_observed = samples.size - observed.sum()
    expected = np.append(expected, tail_expected)
    observed = np.append(observed, tail_observed)
    keep = expected >= 5
    pooled_expected = np.append(expected[keep], expected[~keep].sum())
    pooled_observed = np.append(observed[keep], observed[~keep].sum())
    if pooled_expected[-1] < 5:
        pooled_expected[-2] += pooled_expected[-1]
        pooled_observed[-2] += pooled_observed[-1]
        pooled_expected, pooled_observed = pooled_expected[:-1], pooled_observed[:-1]
    return float(stats.chisquare(pooled_observed, pooled_expected).pvalue)


# Noise source ----------------------------------------------------------------------------

def test_seed_is_reproducible():
    first = NoiseSource.from_random_state(7)
    second = NoiseSource.from_random_state(7)

    assert first.reproducible
    assert np.array_equal(first.words(10), second.words(10))


def test_generator_is_used_as_given():
    generator = np.random.default_rng(3)
    expected = np.random.default_rng(3).integers(0, 2**64, size=4, dtype=np.uint64)

    source = NoiseSource.from_random_state(generator)

    assert source.reproducible
    assert np.array_equal(source.words(4), expected)


def test_none_is_secure_and_not_reproducible():
    source = NoiseSource.from_random_state(None)

    assert not source.reproducible
    assert not np.array_equal(source.words(4), source.words(4))
    assert "os.urandom" in repr(source)


@pytest.mark.parametrize("random_state", [-1, "seed", 1.5, True])
def test_invalid_random_state_is_rejected(random_state):
    with pytest.raises(ConfigError, match="^random_state is"):
        NoiseSource.from_random_state(random_state)


@pytest.mark.parametrize("random_state", [5, None])
def test_integers_are_uniform(random_state):
    source = NoiseSource.from_random_state(random_state)

    draws = source.integers(7, size=70_000)
    counts = np.bincount(draws, minlength=7)

    assert draws.dtype == np.int64
    assert counts.size == 7
    assert stats.chisquare(counts).pvalue > P_VALUE


@pytest.mark.parametrize("random_state", [5, None])
def test_integers_respect_elementwise_bounds(random_state):
    source = NoiseSource.from_random_state(random_state)
    bounds = np.array([1, 2, 3, 2**40, 2**62 + 12345] * 200, dtype=np.int64)

    draws = source.integers(bounds)

    assert draws.shape == bounds.shape
    assert (draws >= 0).all()
    assert (draws < bounds).all()
    assert (draws[bounds == 1] == 0).all()


def test_integers_reject_empty_range():
    with pytest.raises(ValueError, match="every upper bound >= 1"):
        NoiseSource.from_random_state(1).integers(np.array([3, 0]))


@pytest.mark.parametrize("random_state", [5, None])
def test_randbelow_handles_big_integers(random_state):
    source = NoiseSource.from_random_state(random_state)
    high = 3 * 2**100 + 1

    draws = [source.randbelow(high) for _ in range(200)]

    assert all(0 <= draw < high for draw in draws)
    assert max(draws) > 2**100


@pytest.mark.parametrize("random_state", [5, None])
def test_uniform_open_interval_and_gumbel(random_state):
    source = NoiseSource.from_random_state(random_state)

    uniform = source.uniform(100_000)
    gumbel = source.gumbel((200, 500))

    assert (uniform > 0).all()
    assert (uniform < 1).all()
    assert gumbel.shape == (200, 500)
    assert gumbel.mean() == pytest.approx(np.euler_gamma, abs=0.02)


def test_normal_moments():
    draws = NoiseSource.from_random_state(11).normal(100_001, scale=3.0)

    assert draws.shape == (100_001,)
    assert draws.mean() == pytest.approx(0.0, abs=0.05)
    assert draws.std() == pytest.approx(3.0, rel=0.01)


# Discrete Gaussian sampler --------------------------------------------------------------------

@pytest.mark.parametrize("sigma", [0.3, 1.0, math.pi, 50.0, 1234.5])
def test_rational_variance_rounds_up_and_fits(sigma):
    p, q = rational_variance(sigma)
    t = math.isqrt(p // q) + 1

    assert q & (q - 1) == 0
    assert p / q >= sigma**2
    assert p / q - sigma**2 <= 1.0 / q
    assert 2 * p * q * t * t <= 2**61


@pytest.mark.parametrize("sigma", [0.8, 3.0, 50.0])
def test_sampler_matches_pmf(sigma):
    samples = sample_discrete_gaussian(sigma, 100_000, NoiseSource.from_random_state(1))

    assert samples.dtype == np.int64
    assert chi_square_p_value(samples, sigma) > P_VALUE


def test_sampler_matches_pmf_with_secure_source():
    samples = sample_discrete_gaussian(2.5, 100_000, NoiseSource.from_random_state(None))

    assert chi_square_p_value(samples, 2.5) > P_VALUE


@pytest.mark.parametrize("sigma", [1.0, 5.0, 50.0])
def test_sampler_mean_and_variance(sigma):
    n = 200_000
    samples = sample_discrete_gaussian(sigma, n, NoiseSource.from_random_state(2)).astype(float)
    exact_variance = discrete_gaussian_variance(sigma)

    assert abs(samples.mean()) < 5 * sigma / math.sqrt(n)
    # The variance of the sample variance is about 2 sigma^4 / n.
    assert samples.var() == pytest.approx(exact_variance, abs=5 * exact_variance * math.sqrt(2 / n))


@pytest.mark.parametrize("sigma", [0.3, 0.5, 0.8, 1.0])
def test_variance_slightly_below_sigma_squared(sigma):
    # Canonne, Kamath & Steinke (2020): Var(N_Z(0, sigma^2)) < sigma^2; the gap shrinks like
    # exp(-2 pi^2 sigma^2), below float64 resolution from sigma = 2 on.
    variance = discrete_gaussian_variance(sigma)

    assert variance < sigma**2
    if sigma >= 1:
        assert variance > 0.999 * sigma**2


def test_sampler_is_symmetric():
    samples = sample_discrete_gaussian(4.0, 200_000, NoiseSource.from_random_state(4))
    positive = np.bincount(samples[samples > 0], minlength=30)[1:30]
    negative = np.bincount(-samples[samples < 0], minlength=30)[1:30]
    both = (positive + negative) > 0

    statistic = ((positive - negative)[both] ** 2 / (positive + negative)[both]).sum()

    assert stats.chi2.sf(statistic, both.sum()) > P_VALUE


def test_sampler_is_reproducible_with_seed():
    first = sample_discrete_gaussian(7.5, 1000, NoiseSource.from_random_state(9))
    second = sample_discrete_gaussian(7.5, 1000, NoiseSource.from_random_state(9))
    other = sample_discrete_gaussian(7.5, 1000, NoiseSource.from_random_state(10))

    assert np.array_equal(first, second)
    assert not np.array_equal(first, other)


def test_python_integer_path_matches_pmf():
    p, q = rational_variance(1.5)
    source = NoiseSource.from_random_state(12)

    samples = np.array([_sample_scalar(p, q, math.isqrt(p // q) + 1, source) for _ in range(3000)])

    assert chi_square_p_value(samples, 1.5) > P_VALUE


def test_huge_sigma_takes_python_integer_path():
    samples = sample_discrete_gaussian(1e5, 40, NoiseSource.from_random_state(13))

    assert samples.dtype == np.int64
    assert np.abs(samples).max() < 6e5
    assert samples.std() > 3e4


def test_zero_samples():
    assert sample_discrete_gaussian(3.0, 0, NoiseSource.from_random_state(1)).shape == (0,)


@pytest.mark.parametrize("sigma", [0.0, -1.0, math.inf, math.nan])
def test_sampler_rejects_bad_sigma(sigma):
    with pytest.raises(ValueError, match="must be positive and finite"):
        sample_discrete_gaussian(sigma, 3, NoiseSource.from_random_state(1))
