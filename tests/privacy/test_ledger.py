"""Tests of the privacy ledger: the accountant against an independent oracle, budget checks, zCDP planning."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq
from scipy.special import log_ndtr

from genesis.errors import ConfigError
from genesis.privacy import accounting
from genesis.privacy.ledger import PrivacyBudgetError, PrivacyEvent, PrivacyEventError, PrivacyLedger
from genesis.privacy.mechanisms import sigma_for_rho

SLOW = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# An independent oracle: the analytic Gaussian mechanism ------------------------------------

def analytic_gaussian_delta(epsilon: float, sigma: float, sensitivity: float = 1.0) -> float:
    """Return the exact delta(epsilon) of the Gaussian mechanism (Balle & Wang, ICML 2018).

    delta = Phi(-eps sigma / s + s / (2 sigma)) - exp(eps) Phi(-eps sigma / s - s / (2 sigma)), in
    log space so that exp(eps) times a tiny tail does not overflow.
    """
    a = -epsilon * sigma / sensitivity + sensitivity / (2.0 * sigma)
    b = -epsilon * sigma / sensitivity - sensitivity / (2.0 * sigma)
    return math.exp(log_ndtr(a)) - math.exp(epsilon + log_ndtr(b))


def analytic_gaussian_epsilon(delta: float, sigma: float, sensitivity: float = 1.0) -> float:
    """Return the smallest epsilon with analytic_gaussian_delta(epsilon) <= delta (delta decreases in eps)."""
    if analytic_gaussian_delta(0.0, sigma, sensitivity) <= delta:
        return 0.0
    return brentq(lambda eps: analytic_gaussian_delta(eps, sigma, sensitivity) - delta, 0.0, 500.0,
                  xtol=1e-12, rtol=1e-12)


def effective_sigma(sigmas: list[float]) -> float:
    """Return the sigma of one Gaussian equivalent to composing Gaussians of these sigmas (sensitivity 1)."""
    return sum(sigma**-2 for sigma in sigmas) ** -0.5


def gaussian(sigma: float, sensitivity: float = 1.0, extra_delta: float = 0.0) -> PrivacyEvent:
    return PrivacyEvent(mechanism="gaussian", measured="a test measurement", sigma=sigma,
                        sensitivity=sensitivity, extra_delta=extra_delta)


def discrete_gaussian(sigma: float, sensitivity: int = 1) -> PrivacyEvent:
    return PrivacyEvent(mechanism="discrete_gaussian", measured="a test count", sigma=sigma,
                        sensitivity=sensitivity)


def pure(epsilon: float) -> PrivacyEvent:
    return PrivacyEvent(mechanism="exponential", measured="a test selection", epsilon=epsilon)


# Accountant against the oracle --------------------------------------------------------------

@pytest.mark.parametrize("delta", [1e-5, 1e-3])
@pytest.mark.parametrize("sigma", [0.7, 1.0, 2.0, 5.0, 20.0])
def test_single_gaussian_matches_oracle(sigma, delta):
    ledger = PrivacyLedger(epsilon=100.0, delta=delta)

    reported = ledger.epsilon_if(gaussian(sigma))
    oracle = analytic_gaussian_epsilon(delta, sigma)

    assert reported >= oracle
    assert reported <= 1.01 * oracle


@pytest.mark.parametrize("sensitivity", [0.5, 3.0])
def test_gaussian_sensitivity_matches_oracle(sensitivity):
    ledger = PrivacyLedger(epsilon=100.0, delta=1e-5)

    reported = ledger.epsilon_if(gaussian(4.0, sensitivity=sensitivity))
    oracle = analytic_gaussian_epsilon(1e-5, 4.0, sensitivity)

    assert oracle <= reported <= 1.01 * oracle


@pytest.mark.parametrize("sigmas", [[3.0, 4.0, 5.0], [10.0] * 20, [50.0] * 100,
                                    [2.0, 8.0, 30.0, 30.0, 100.0]])
def test_composed_gaussians_match_oracle(sigmas):
    ledger = PrivacyLedger(epsilon=100.0, delta=1e-5)

    reported = ledger.epsilon_if(*[gaussian(sigma) for sigma in sigmas])
    oracle = analytic_gaussian_epsilon(1e-5, effective_sigma(sigmas))

    assert reported >= oracle
    assert reported <= 1.01 * oracle


def test_composed_by_charges_matches_oracle():
    sigmas = [6.0, 9.0, 12.0, 15.0]
    ledger = PrivacyLedger(epsilon=100.0, delta=1e-6)

    for sigma in sigmas:
        ledger.charge(gaussian(sigma))
    oracle = analytic_gaussian_epsilon(1e-6, effective_sigma(sigmas))

    assert oracle <= ledger.spent()[0] <= 1.01 * oracle


def test_subsampled_gaussian_at_rate_one_matches_oracle():
    # With every unit sampled, `steps` DP-SGD steps are `steps` Gaussians of sigma = noise multiplier.
    ledger = PrivacyLedger(epsilon=100.0, delta=1e-5)
    event = PrivacyEvent(mechanism="subsampled_gaussian", measured="DP-SGD", noise_multiplier=10.0,
                         sampling_rate=1.0, steps=50)

    reported = ledger.epsilon_if(event)
    oracle = analytic_gaussian_epsilon(1e-5, effective_sigma([10.0] * 50))

    assert oracle <= reported <= 1.01 * oracle


def test_subsampling_lowers_epsilon():
    ledger = PrivacyLedger(epsilon=100.0, delta=1e-5)

    def dp_sgd(rate: float) -> PrivacyEvent:
        return PrivacyEvent(mechanism="subsampled_gaussian", measured="DP-SGD", noise_multiplier=3.0,
                            sampling_rate=rate, steps=20)

    assert ledger.epsilon_if(dp_sgd(0.01)) < ledger.epsilon_if(dp_sgd(0.1)) < ledger.epsilon_if(dp_sgd(1.0))


def test_discrete_gaussian_close_to_continuous():
    ledger = PrivacyLedger(epsilon=100.0, delta=1e-5)

    discrete = ledger.epsilon_if(discrete_gaussian(10.0))
    oracle = analytic_gaussian_epsilon(1e-5, 10.0)

    assert discrete == pytest.approx(oracle, rel=0.02)


def test_discrete_gaussian_sensitivity_two_costs_like_half_sigma():
    ledger = PrivacyLedger(epsilon=100.0, delta=1e-5)

    assert ledger.epsilon_if(discrete_gaussian(20.0, sensitivity=2)) == pytest.approx(
        ledger.epsilon_if(discrete_gaussian(10.0)), rel=0.01)


def test_pure_event_costs_at_most_its_epsilon():
    ledger = PrivacyLedger(epsilon=100.0, delta=1e-5)

    single = ledger.epsilon_if(pure(0.5))
    composed = ledger.epsilon_if(*[pure(0.1)] * 30)

    assert 0.49 <= single <= 0.5 + 1e-4
    # Thirty 0.1-DP draws cost less than 3 at delta > 0 (advanced composition), never more.
    assert composed <= 3.0 + 30 * 1e-4
    assert composed > 0.1


def test_pure_budget_with_zero_delta():
    ledger = PrivacyLedger(epsilon=1.0, delta=0.0)

    ledger.charge(pure(0.4), pure(0.4))

    assert ledger.spent()[0] == pytest.approx(0.8, abs=1e-3)
    with pytest.raises(PrivacyBudgetError):
        ledger.charge(gaussian(100.0))


def test_extra_delta_is_taken_from_the_budget_delta():
    with_extra = PrivacyLedger(epsilon=100.0, delta=1e-5)
    without = PrivacyLedger(epsilon=100.0, delta=4e-6)

    assert with_extra.epsilon_if(gaussian(5.0, extra_delta=6e-6)) == pytest.approx(
        without.epsilon_if(gaussian(5.0)), rel=1e-12)


def test_extra_delta_at_budget_is_refused():
    ledger = PrivacyLedger(epsilon=10.0, delta=1e-5)

    assert ledger.epsilon_if(gaussian(5.0, extra_delta=1e-5)) == math.inf
    with pytest.raises(PrivacyBudgetError):
        ledger.charge(gaussian(5.0, extra_delta=1e-5))


# Budget checks ------------------------------------------------------------------------------

def test_empty_ledger_spent_nothing():
    ledger = PrivacyLedger(epsilon=1.0, delta=1e-5)

    assert ledger.spent() == (0.0, 0.0)
    assert ledger.epsilon_if() == 0.0


def test_refused_charge_leaves_ledger_unchanged():
    ledger = PrivacyLedger(epsilon=1.0, delta=1e-5)
    ledger.charge(gaussian(8.0))
    events_before = list(ledger.events)
    spent_before = ledger.spent()

    with pytest.raises(PrivacyBudgetError, match=r"^Privacy budget exceeded: 2 more measurement\(s\) "):
        ledger.charge(gaussian(100.0), gaussian(1.0))

    assert ledger.events == events_before
    assert ledger.spent() == spent_before


def test_whole_request_checked_before_recording():
    ledger = PrivacyLedger(epsilon=1.0, delta=1e-5)
    fits_alone = gaussian(6.0)
    assert ledger.epsilon_if(fits_alone) < 1.0

    with pytest.raises(PrivacyBudgetError):
        ledger.charge(fits_alone, fits_alone, fits_alone, fits_alone)

    assert ledger.events == []


def test_budget_error_message_names_amounts_and_fix():
    ledger = PrivacyLedger(epsilon=0.5, delta=1e-5)
    over = gaussian(2.0)
    total = ledger.epsilon_if(over)

    with pytest.raises(PrivacyBudgetError) as raised:
        ledger.charge(over)

    assert str(raised.value) == (
        f"Privacy budget exceeded: 1 more measurement(s) (a test measurement) would bring the total epsilon "
        f"to {total:.6g} at delta 1e-05, over the budget epsilon 0.5 (spent so far: 0). Nothing was "
        "recorded. Increase epsilon, measure fewer things, or add more noise to each measurement.")


@SLOW
@given(st.lists(st.floats(min_value=1.0, max_value=40.0), min_size=1, max_size=12),
       st.floats(min_value=0.2, max_value=3.0))
def test_total_never_exceeds_budget(sigmas, epsilon):
    ledger = PrivacyLedger(epsilon=epsilon, delta=1e-6)

    for sigma in sigmas:
        try:
            ledger.charge(discrete_gaussian(sigma))
        except PrivacyBudgetError:
            pass
        assert ledger.spent()[0] <= epsilon * (1 + 1e-9)


def test_events_edited_directly_are_recomposed():
    ledger = PrivacyLedger(epsilon=10.0, delta=1e-5)
    ledger.charge(gaussian(5.0))

    ledger.events.append(gaussian(5.0))

    assert ledger.spent()[0] == pytest.approx(PrivacyLedger(epsilon=10.0, delta=1e-5).epsilon_if(
        gaussian(5.0), gaussian(5.0)), rel=1e-9)


def test_hundred_charges_compose_like_one_request():
    one_by_one = PrivacyLedger(epsilon=10.0, delta=1e-5)
    for i in range(100):
        one_by_one.charge(discrete_gaussian(40.0 + i % 7))
    at_once = PrivacyLedger(epsilon=10.0, delta=1e-5)

    total = at_once.epsilon_if(*[discrete_gaussian(40.0 + i % 7) for i in range(100)])

    assert one_by_one.spent()[0] == pytest.approx(total, rel=1e-3)


# zCDP planning -----------------------------------------------------------------------------

@pytest.mark.parametrize(("epsilon", "delta"), [(1.0, 1e-5), (0.1, 1e-6), (10.0, 1e-3), (3.0, 1e-9)])
def test_rho_budget_converts_back_to_epsilon(epsilon, delta):
    ledger = PrivacyLedger(epsilon=epsilon, delta=delta)

    rho = ledger.rho_budget()

    assert accounting.epsilon_for_rho(rho, delta) <= epsilon
    assert accounting.epsilon_for_rho(rho, delta) == pytest.approx(epsilon, rel=1e-9)
    assert accounting.epsilon_for_rho(rho * (1 + 1e-6), delta) > epsilon


def zcdp_delta_on_grid(rho: float, epsilon: float) -> float:
    """Return min over a dense grid of alpha of the delta of Canonne, Kamath & Steinke (2020).

    delta = exp((alpha - 1)(alpha rho - epsilon)) (1 - 1/alpha)^alpha / (alpha - 1), in the delta form
    (the accountant solves the epsilon form), minimised by brute force instead of a 1-D optimiser.
    """
    orders = 1.0 + np.logspace(-4, 4, 400_001)
    log_delta = ((orders - 1) * (orders * rho - epsilon) + orders * np.log1p(-1 / orders)
                 - np.log(orders - 1))
    return float(np.exp(log_delta.min()))


@pytest.mark.parametrize(("rho", "delta"), [(0.05, 1e-5), (0.5, 1e-8), (2.0, 1e-3)])
def test_zcdp_conversion_matches_grid_oracle(rho, delta):
    epsilon = accounting.epsilon_for_rho(rho, delta)

    assert zcdp_delta_on_grid(rho, epsilon) == pytest.approx(delta, rel=1e-4)
    # Tighter than the standard bound rho + 2 sqrt(rho log(1/delta)) (Bun & Steinke 2016, Proposition 1.3).
    assert epsilon < rho + 2 * math.sqrt(rho * math.log(1 / delta))


@SLOW
@given(st.floats(min_value=0.1, max_value=5.0), st.floats(min_value=1e-9, max_value=1e-3),
       st.lists(st.floats(min_value=0.05, max_value=1.0), min_size=1, max_size=5),
       st.sampled_from(["gaussian", "discrete_gaussian"]))
def test_noise_planned_from_rho_budget_never_overshoots(epsilon, delta, weights, mechanism):
    ledger = PrivacyLedger(epsilon=epsilon, delta=delta)
    rho = ledger.rho_budget()
    shares = [weight / sum(weights) for weight in weights]

    events = [PrivacyEvent(mechanism=mechanism, measured="planned", sigma=sigma_for_rho(rho * share))
              for share in shares]

    assert ledger.epsilon_if(*events) <= epsilon
    ledger.charge(*events)


def test_rho_budget_needs_delta():
    ledger = PrivacyLedger(epsilon=1.0, delta=0.0)

    with pytest.raises(PrivacyBudgetError, match="^delta available for Gaussian noise is 0.0, but it must be "
                                                 "positive"):
        ledger.rho_budget()


def test_rho_remaining_subtracts_recorded_events():
    ledger = PrivacyLedger(epsilon=1.0, delta=1e-5)
    rho = ledger.rho_budget()

    ledger.charge(gaussian(sigma_for_rho(rho / 4)))

    assert ledger.rho_remaining() == pytest.approx(0.75 * rho, rel=1e-9)


# Events and saving ---------------------------------------------------------------------------

def test_ledger_round_trips_through_json():
    ledger = PrivacyLedger(epsilon=2.0, delta=1e-6)
    ledger.charge(discrete_gaussian(20.0), pure(0.1), gaussian(30.0, extra_delta=1e-7),
                  PrivacyEvent(mechanism="subsampled_gaussian", measured="DP-SGD", noise_multiplier=5.0,
                               sampling_rate=0.01, steps=100))

    saved = json.loads(json.dumps(ledger.to_dict()))
    restored = PrivacyLedger.from_dict(saved)

    assert restored.events == ledger.events
    assert restored.spent() == pytest.approx(ledger.spent(), rel=1e-12)
    assert saved["accountant"] == "pld"
    assert saved["accountant_library"] == "dp-accounting"
    assert saved["accountant_version"] == accounting.accountant_version()
    assert saved["spent"]["epsilon"] == pytest.approx(ledger.spent()[0])
    assert saved["events"][1] == {"mechanism": "exponential", "measured": "a test selection", "epsilon": 0.1,
                                  "extra_delta": 0.0}


def test_event_from_dict_rejects_unknown_key():
    with pytest.raises(PrivacyEventError,
                       match=r"^privacy event keys is \['value'\], but the valid keys are"):
        PrivacyEvent.from_dict({"mechanism": "exponential", "measured": "x", "epsilon": 1.0, "value": 3})


def test_event_is_immutable():
    event = pure(1.0)

    with pytest.raises(AttributeError):
        event.epsilon = 2.0  # type: ignore[misc]


@pytest.mark.parametrize(("fields", "message"), [
    ({"mechanism": "laplace", "measured": "x", "epsilon": 1.0},
     "^mechanism is 'laplace', but it must be one of"),
    ({"mechanism": "exponential", "measured": " ", "epsilon": 1.0},
     "^measured is ' ', but it must be a non-empty"),
    ({"mechanism": "exponential", "measured": "x"},
     r"^epsilon is None, but the 'exponential' mechanism needs it\. Set epsilon\.$"),
    ({"mechanism": "exponential", "measured": "x", "epsilon": 1.0, "sigma": 2.0},
     r"^sigma is 2.0, but the 'exponential' mechanism uses only \['epsilon'\]\. Leave sigma unset\.$"),
    ({"mechanism": "gaussian", "measured": "x", "sigma": -1.0},
     "^sigma is -1.0, but it must be a positive finite"),
    ({"mechanism": "gaussian", "measured": "x", "sigma": float("nan")}, "^sigma is nan, but it must be"),
    ({"mechanism": "discrete_gaussian", "measured": "x", "sigma": 2.0, "sensitivity": 1.5},
     "^sensitivity is 1.5, but a discrete Gaussian event needs an integer sensitivity"),
    ({"mechanism": "subsampled_gaussian", "measured": "x", "noise_multiplier": 1.0, "sampling_rate": 1.5,
      "steps": 3}, r"^sampling_rate is 1.5, but it must be in \(0, 1\]"),
    ({"mechanism": "subsampled_gaussian", "measured": "x", "noise_multiplier": 1.0, "sampling_rate": 0.1,
      "steps": 0}, "^steps is 0, but it must be an integer >= 1"),
    ({"mechanism": "gaussian", "measured": "x", "sigma": 1.0, "extra_delta": 1.0},
     r"^extra_delta is 1.0, but it must be in \[0, 1\)"),
])
def test_event_validation(fields, message):
    with pytest.raises(PrivacyEventError, match=message):
        PrivacyEvent(**fields)


@pytest.mark.parametrize(("epsilon", "delta", "message"), [
    (0.0, 1e-5, "^epsilon is 0.0, but it must be positive and finite"),
    (math.inf, 1e-5, "^epsilon is inf, but it must be positive and finite"),
    (1.0, 1.0, r"^delta is 1.0, but it must be in \[0, 1\)"),
    (1.0, -0.1, r"^delta is -0.1, but it must be in \[0, 1\)"),
])
def test_ledger_rejects_bad_budget(epsilon, delta, message):
    with pytest.raises(ConfigError, match=message):
        PrivacyLedger(epsilon=epsilon, delta=delta)


def test_event_accepts_numpy_numbers_and_stays_json_safe():
    event = PrivacyEvent(mechanism="subsampled_gaussian", measured="DP-SGD", noise_multiplier=np.float32(1.5),
                         sampling_rate=np.float64(0.01), steps=np.int64(10))

    assert json.loads(json.dumps(event.to_dict()))["steps"] == 10
    assert type(event.noise_multiplier) is float
    assert event == PrivacyEvent(mechanism="subsampled_gaussian", measured="DP-SGD", noise_multiplier=1.5,
                                 sampling_rate=0.01, steps=10)
