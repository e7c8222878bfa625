"""Tests of the DP mechanisms: charging before noise, an empirical DP check, selection, calibration."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from genesis.privacy.ledger import PrivacyBudgetError, PrivacyEvent, PrivacyLedger
from genesis.privacy.mechanisms import (
    calibrate_noise_multiplier,
    dp_quantiles,
    exponential_mechanism,
    noisy_counts,
    sigma_for_rho,
    threshold_for,
)
from genesis.privacy.noise import NoiseSource

P_VALUE = 1e-6


class RecordingNoise(NoiseSource):
    """A seeded noise source that records how many events the ledger held at each draw."""

    def __init__(self, ledger: PrivacyLedger) -> None:
        super().__init__(np.random.default_rng(0))
        self.ledger = ledger
        self.events_at_draw: list[int] = []

    def integers(self, high, size=None):
        self.events_at_draw.append(len(self.ledger.events))
        return super().integers(high, size)

    def words(self, size):
        self.events_at_draw.append(len(self.ledger.events))
        return super().words(size)


def big_ledger(seed: int = 0) -> PrivacyLedger:
    return PrivacyLedger(epsilon=1e3, delta=1e-3, noise=NoiseSource.from_random_state(seed))


# noisy_counts ------------------------------------------------------------------------------

def test_noisy_counts_charges_before_drawing():
    ledger = PrivacyLedger(epsilon=1.0, delta=1e-5)
    noise = RecordingNoise(ledger)

    noisy_counts(np.array([3, 0, 7]), 10.0, ledger, "counts of a test column", noise)

    assert noise.events_at_draw
    assert min(noise.events_at_draw) == 1
    assert ledger.events == [PrivacyEvent(mechanism="discrete_gaussian", measured="counts of a test column",
                                          sigma=10.0, sensitivity=1.0)]


def test_refused_noisy_counts_draws_no_noise():
    ledger = PrivacyLedger(epsilon=0.1, delta=1e-5)
    noise = RecordingNoise(ledger)

    with pytest.raises(PrivacyBudgetError):
        noisy_counts(np.array([3, 0, 7]), 1.0, ledger, "counts of a test column", noise)

    assert noise.events_at_draw == []
    assert ledger.events == []


def test_noisy_counts_keeps_shape_and_returns_int64():
    counts = np.arange(12).reshape(3, 4)

    noisy = noisy_counts(counts, 2.0, big_ledger(), "a 3 x 4 table of counts")

    assert noisy.shape == (3, 4)
    assert noisy.dtype == np.int64


def test_noisy_counts_accepts_integral_floats():
    noisy = noisy_counts(np.array([1.0, 2.0]), 1.0, big_ledger(), "counts")

    assert noisy.dtype == np.int64


def test_noisy_counts_is_reproducible_with_seed():
    first = noisy_counts(np.zeros(50, dtype=int), 5.0, big_ledger(4), "counts")
    second = noisy_counts(np.zeros(50, dtype=int), 5.0, big_ledger(4), "counts")

    assert np.array_equal(first, second)


def test_noisy_counts_records_extra_delta_and_sensitivity():
    ledger = big_ledger()

    noisy_counts(np.array([5, 1]), 4.0, ledger, "categories", sensitivity=3, extra_delta=1e-6)

    assert ledger.events[0].sensitivity == 3.0
    assert ledger.events[0].extra_delta == 1e-6


@pytest.mark.parametrize(("counts", "message"), [
    (np.array([1.5, 2.0]), "^counts is 'an array with fractional values', but they must be integers"),
    (np.array([1.0, np.nan]), "^counts is 'an array with NaN or inf', but they must be finite integers"),
    (np.array([1.0, np.inf]), "^counts is 'an array with NaN or inf', but they must be finite integers"),
    (np.array(["a", "b"]), "^counts is 'an array of dtype <U1', but they must be integers"),
])
def test_noisy_counts_rejects_bad_counts(counts, message):
    ledger = big_ledger()

    with pytest.raises(ValueError, match=message):
        noisy_counts(counts, 1.0, ledger, "counts")

    assert ledger.events == []


def test_noisy_counts_needs_a_noise_source():
    ledger = PrivacyLedger(epsilon=1.0, delta=1e-5)

    with pytest.raises(ValueError, match="^No noise source"):
        noisy_counts(np.array([1]), 1.0, ledger, "counts")


# Empirical DP test on neighbouring inputs ------------------------------------------------------

def tail_violations(outputs_a: np.ndarray, outputs_b: np.ndarray, epsilon: float, delta: float) -> list:
    """Return the tail events S where P(S | a) > e^eps P(S | b) + delta by more than sampling error.

    For a shift of the discrete Gaussian the privacy loss is monotone in the output, so the sets
    with the largest P(S | a) - e^eps P(S | b) are tails {o >= t} and {o <= t}.
    """
    n = outputs_a.size
    violations = []
    for threshold in range(int(outputs_a.min()), int(outputs_a.max()) + 1):
        tails = (("o >= t", outputs_a >= threshold, outputs_b >= threshold),
                 ("o <= t", outputs_a <= threshold, outputs_b <= threshold))
        for name, in_a, in_b in tails:
            p_a, p_b = in_a.mean(), in_b.mean()
            # Four standard errors of p_a - e^eps p_b.
            error = math.sqrt(p_a * (1 - p_a) / n) + math.exp(epsilon) * math.sqrt(p_b * (1 - p_b) / n)
            if p_a > math.exp(epsilon) * p_b + delta + 4.0 * error:
                violations.append((name, threshold, p_a, p_b))
    return violations


@pytest.fixture(scope="module")
def neighbouring_outputs():
    """Noisy counts of c = 10 and of its neighbour c + 1, 200,000 seeded draws each, sigma = 2."""
    sigma, n = 2.0, 200_000
    outputs_c = noisy_counts(np.full(n, 10), sigma, big_ledger(21), "count c")
    outputs_c1 = noisy_counts(np.full(n, 11), sigma, big_ledger(22), "count c + 1")
    return sigma, outputs_c, outputs_c1


def test_count_mechanism_is_dp_empirically(neighbouring_outputs):
    sigma, outputs_c, outputs_c1 = neighbouring_outputs
    delta = 1e-3
    epsilon = PrivacyLedger(epsilon=100.0, delta=delta).epsilon_if(
        PrivacyEvent(mechanism="discrete_gaussian", measured="one count", sigma=sigma))

    assert tail_violations(outputs_c, outputs_c1, epsilon, delta) == []
    assert tail_violations(outputs_c1, outputs_c, epsilon, delta) == []


def test_count_mechanism_pointwise_ratio_within_bound(neighbouring_outputs):
    sigma, outputs_c, outputs_c1 = neighbouring_outputs
    delta = 1e-3
    epsilon = PrivacyLedger(epsilon=100.0, delta=delta).epsilon_if(
        PrivacyEvent(mechanism="discrete_gaussian", measured="one count", sigma=sigma))
    values = np.arange(outputs_c.min(), outputs_c1.max() + 1)
    counts_c = np.array([(outputs_c == value).sum() for value in values])
    counts_c1 = np.array([(outputs_c1 == value).sum() for value in values])
    # Outputs with enough draws on both sides; the others lie in the delta tail.
    enough = (counts_c >= 2000) & (counts_c1 >= 2000)

    ratios = counts_c1[enough] / counts_c[enough]

    assert enough.sum() >= 5
    assert ratios.max() <= math.exp(epsilon) * 1.1
    assert (1 / ratios).max() <= math.exp(epsilon) * 1.1


def test_empirical_check_detects_understated_epsilon(neighbouring_outputs):
    # The check has power: a third of the reported epsilon is refuted by the same draws.
    sigma, outputs_c, outputs_c1 = neighbouring_outputs
    delta = 1e-3
    epsilon = PrivacyLedger(epsilon=100.0, delta=delta).epsilon_if(
        PrivacyEvent(mechanism="discrete_gaussian", measured="one count", sigma=sigma))

    assert tail_violations(outputs_c1, outputs_c, epsilon / 3, delta) != []


# threshold_for --------------------------------------------------------------------------------

def discrete_gaussian_upper_tail(sigma: float, k: int) -> float:
    """Return P(X >= k) for X ~ N_Z(0, sigma^2), summed over the integers."""
    width = int(40 * sigma) + 40
    support = np.arange(-width, width + 1)
    log_weights = -(support.astype(float) ** 2) / (2 * sigma**2)
    weights = np.exp(log_weights - log_weights.max())
    return float(weights[support >= k].sum() / weights.sum())


@pytest.mark.parametrize(("sigma", "delta_share", "sensitivity"), [(1.0, 1e-6, 1), (5.0, 1e-7, 1),
                                                                     (20.0, 1e-5, 3), (3.0, 1e-9, 2)])
def test_threshold_bounds_survival_of_a_unit(sigma, delta_share, sensitivity):
    tau = threshold_for(sigma, delta_share, sensitivity)

    # A unit's rows spread over at most `sensitivity` cells, each with a count of at most `sensitivity`.
    survival = sensitivity * discrete_gaussian_upper_tail(sigma, tau - sensitivity)

    assert isinstance(tau, int)
    assert survival <= delta_share


def test_threshold_is_not_far_above_needed():
    sigma, delta_share = 10.0, 1e-6

    tau = threshold_for(sigma, delta_share)

    assert discrete_gaussian_upper_tail(sigma, tau - 1 - 3) > delta_share


@pytest.mark.parametrize(("arguments", "message"), [
    ((0.0, 1e-6), "^sigma is 0.0, but it must be positive and finite"),
    ((1.0, 0.0), r"^delta_share is 0.0, but it must be in \(0, 1\)"),
    ((1.0, 1e-6, 0), "^sensitivity is 0, but it must be an integer >= 1"),
])
def test_threshold_rejects_bad_arguments(arguments, message):
    with pytest.raises(ValueError, match=message):
        threshold_for(*arguments)


# Exponential mechanism and quantiles ----------------------------------------------------------------

def test_exponential_mechanism_charges_and_returns_index():
    ledger = big_ledger()

    choice = exponential_mechanism(np.array([0.0, 1.0, 2.0]), 0.5, 1.0, ledger, "choice of a test pair")

    assert isinstance(choice, int)
    assert 0 <= choice < 3
    assert ledger.events == [PrivacyEvent(mechanism="exponential", measured="choice of a test pair",
                                          epsilon=0.5)]


def test_exponential_mechanism_frequencies():
    scores = np.array([0.0, 1.0, 3.0, 3.0, -2.0])
    epsilon, sensitivity = 1.2, 1.0
    expected = np.exp(epsilon * scores / (2 * sensitivity))
    expected /= expected.sum()
    noise = NoiseSource.from_random_state(8)

    draws = [exponential_mechanism(scores, epsilon, sensitivity, PrivacyLedger(epsilon=2.0, delta=1e-5),
                                   "test", noise) for _ in range(10_000)]
    observed = np.bincount(draws, minlength=scores.size)

    assert stats.chisquare(observed, expected * len(draws)).pvalue > P_VALUE


def test_exponential_mechanism_handles_huge_scores():
    choice = exponential_mechanism(np.array([1e6, 1e6 + 100.0]), 1.0, 1.0, big_ledger(), "test")

    assert choice == 1


@pytest.mark.parametrize(("scores", "epsilon", "sensitivity", "message"), [
    (np.array([]), 1.0, 1.0, "^scores is .*, but they must be a non-empty 1-D array"),
    (np.array([1.0, np.nan]), 1.0, 1.0, "^scores is .*, but they must be a non-empty 1-D array"),
    (np.array([1.0]), 0.0, 1.0, "^epsilon is 0.0, but it must be a positive finite number"),
    (np.array([1.0]), 1.0, -1.0, "^sensitivity is -1.0, but it must be a positive finite number"),
])
def test_exponential_mechanism_rejects_bad_input(scores, epsilon, sensitivity, message):
    ledger = big_ledger()

    with pytest.raises(ValueError, match=message):
        exponential_mechanism(scores, epsilon, sensitivity, ledger, "test")

    assert ledger.events == []


def test_dp_quantiles_split_epsilon_and_find_quantiles():
    values = np.random.default_rng(5).normal(50.0, 10.0, 5000)
    candidates = np.arange(0.0, 101.0)
    ledger = big_ledger(6)

    chosen = dp_quantiles(values, np.array([0.1, 0.5, 0.9]), candidates, 30.0, ledger, "age bounds")

    assert [event.epsilon for event in ledger.events] == [10.0, 10.0, 10.0]
    assert [event.measured for event in ledger.events] == [
        "age bounds: quantile 0.1", "age bounds: quantile 0.5", "age bounds: quantile 0.9"]
    assert set(chosen) <= set(candidates)
    assert chosen == pytest.approx(np.quantile(values, [0.1, 0.5, 0.9]), abs=2.0)


def test_dp_quantiles_sensitivity_scales_noise():
    values = np.arange(100.0)
    candidates = np.arange(0.0, 100.0)

    def spread(sensitivity: float) -> float:
        ledger = big_ledger(7)
        draws = [dp_quantiles(values, np.array([0.5]), candidates, 0.5, ledger, "median",
                              sensitivity=sensitivity) for _ in range(300)]
        return float(np.std(draws))

    assert spread(5.0) > 2 * spread(1.0)


@pytest.mark.parametrize(("values", "quantiles", "candidates", "message"), [
    (np.array([1.0, np.nan]), [0.5], [1.0], "^values is 'an array with NaN or inf', but they must be finite"),
    (np.array([1.0]), [1.5], [1.0], r"^quantiles is \[1.5\], but they must be a non-empty array in \[0, 1\]"),
    (np.array([1.0]), [], [1.0], r"^quantiles is \[\], but they must be a non-empty array in \[0, 1\]"),
    (np.array([1.0]), [0.5], [],
     r"^candidates is \[\], but they must be a non-empty array of finite numbers"),
])
def test_dp_quantiles_rejects_bad_input(values, quantiles, candidates, message):
    ledger = big_ledger()

    with pytest.raises(ValueError, match=message):
        dp_quantiles(values, quantiles, candidates, 1.0, ledger, "test")

    assert ledger.events == []


# sigma_for_rho and DP-SGD calibration ------------------------------------------------------------------

def test_sigma_for_rho_formula():
    assert sigma_for_rho(0.5) == 1.0
    assert sigma_for_rho(0.02, sensitivity=3.0) == pytest.approx(15.0)


@pytest.mark.parametrize("rho", [0.0, -1.0, math.inf])
def test_sigma_for_rho_rejects_bad_rho(rho):
    with pytest.raises(ValueError, match="^rho is"):
        sigma_for_rho(rho)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.floats(min_value=0.3, max_value=1.0), st.floats(min_value=0.01, max_value=0.03),
       st.integers(min_value=1000, max_value=5000), st.booleans())
def test_calibrated_multiplier_never_overshoots(epsilon, rate, steps, with_prior_spend):
    ledger = PrivacyLedger(epsilon=epsilon, delta=1e-5)
    if with_prior_spend:
        ledger.charge(PrivacyEvent(mechanism="discrete_gaussian", measured="domain", sigma=sigma_for_rho(
            0.1 * ledger.rho_budget())))

    multiplier = calibrate_noise_multiplier(ledger, rate, steps)

    def dp_sgd(noise_multiplier: float) -> PrivacyEvent:
        return PrivacyEvent(mechanism="subsampled_gaussian", measured="DP-SGD",
                            noise_multiplier=noise_multiplier, sampling_rate=rate, steps=steps)

    assert ledger.epsilon_if(dp_sgd(multiplier)) <= epsilon
    # Close to the smallest: 1% less noise no longer fits.
    assert ledger.epsilon_if(dp_sgd(multiplier / 1.01)) > epsilon
    ledger.charge(dp_sgd(multiplier))


def test_calibration_rounds_up_to_four_digits():
    ledger = PrivacyLedger(epsilon=1.0, delta=1e-5)

    multiplier = calibrate_noise_multiplier(ledger, 0.01, 3000)

    assert float(f"{multiplier:.4g}") == multiplier


def test_calibration_raises_when_budget_is_spent():
    ledger = PrivacyLedger(epsilon=1.0, delta=1e-5)
    ledger.charge(PrivacyEvent(mechanism="exponential", measured="everything", epsilon=1.0))

    with pytest.raises(PrivacyBudgetError, match=r"^DP-SGD cannot fit the privacy budget: even noise "
                                                 r"multiplier 10000 with sampling rate 0\.01 and 100 steps"):
        calibrate_noise_multiplier(ledger, 0.01, 100)


@pytest.mark.parametrize(("rate", "steps", "message"), [
    (0.0, 10, r"^sampling_rate is 0.0, but it must be in \(0, 1\]"),
    (0.1, 0, "^steps is 0, but it must be an integer >= 1"),
])
def test_calibration_rejects_bad_arguments(rate, steps, message):
    with pytest.raises(ValueError, match=message):
        calibrate_noise_multiplier(PrivacyLedger(epsilon=1.0, delta=1e-5), rate, steps)
