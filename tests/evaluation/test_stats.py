import math

import numpy as np
import pytest
from scipy import stats

from genesis.evaluation.stats import (
    MIN_UNKNOWN_SHARE,
    advantage,
    auc_with_bootstrap,
    excess_risk,
    paired_excess_risk,
    wilson_interval,
)


def test_wilson_matches_statsmodels_formula():
    low, high = wilson_interval(40, 100)

    # Wilson (1927) interval for 40/100 at 95%, computed by hand.
    assert low == pytest.approx(0.3094, abs=1e-4)
    assert high == pytest.approx(0.4980, abs=1e-4)


def test_wilson_without_trials_is_uninformative():
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_excess_risk_zero_when_rates_equal():
    risk, low, high = excess_risk(0.3, 2000, 0.3, 2000)

    assert risk == 0.0
    assert low == 0.0
    assert 0.0 < high < 0.06


def test_excess_risk_full_when_attack_always_succeeds():
    risk, low, high = excess_risk(1.0, 2000, 0.2, 2000)

    assert risk == 1.0
    assert low > 0.98


def test_excess_risk_when_control_is_perfect():
    risk, low, high = excess_risk(1.0, 500, 1.0, 500)

    assert risk == 0.0
    assert high < 0.1


def test_excess_risk_near_perfect_control_stays_narrow():
    # Control 0.99 on 2,000 rows: the plain ratio's interval would span about half of [0, 1].
    risk, low, high = excess_risk(0.995, 2000, 0.99, 2000)

    assert risk == (0.995 - 0.99) / MIN_UNKNOWN_SHARE
    assert high - low < 0.15


def test_excess_risk_floor_leaves_ordinary_controls_alone():
    risk, _, _ = excess_risk(0.6, 2000, 0.2, 2000)

    assert abs(risk - 0.5) < 1e-12


def test_paired_excess_risk_by_hand():
    success = np.array([1, 0, 1, 1])
    expected = np.array([0.5, 0.5, 0.25, 0.75])

    risk, low, high = paired_excess_risk(success, expected)

    # attack 0.75, control 0.5: (0.75 - 0.5) / (1 - 0.5).
    assert abs(risk - 0.5) < 1e-12
    assert low < risk < high


def test_paired_risk_all_successes_interval():
    risk, low, high = paired_excess_risk(np.ones(400), np.full(400, 0.5))

    assert risk == 1.0
    assert 0.95 < low < 1.0


@pytest.mark.parametrize("n_success", [120, 200, 400])
def test_paired_risk_equal_chances_is_wilson(n_success):
    success = np.zeros(400)
    success[:n_success] = 1
    control = 0.3

    _, low, high = paired_excess_risk(success, np.full(400, control))

    wilson_low, wilson_high = wilson_interval(n_success, 400)
    assert abs(low - max(0.0, (wilson_low - control) / (1 - control))) < 1e-9
    assert abs(high - min(1.0, (wilson_high - control) / (1 - control))) < 1e-9


def test_paired_risk_unequal_chances_narrower():
    rng = np.random.default_rng(3)
    expected = rng.beta(0.5, 1.5, size=600)
    success = rng.random(600) < expected + 0.2 * (1 - expected)

    risk, low, high = paired_excess_risk(success, expected)

    control = expected.mean()
    wilson_low, wilson_high = wilson_interval(success.sum(), 600)
    assert low < risk < high
    assert high - low < (wilson_high - wilson_low) / (1 - control)


def test_paired_risk_interval_coverage():
    rng = np.random.default_rng(11)
    covered = 0
    for _ in range(400):
        expected = rng.beta(0.5, 1.5, size=300)
        success = rng.random(300) < expected + 0.1 * (1 - expected)
        _, low, high = paired_excess_risk(success, expected)
        covered += low <= 0.1 <= high

    assert 0.92 <= covered / 400 <= 0.98


def test_paired_excess_risk_zero_when_outcomes_match_expectation():
    rng = np.random.default_rng(0)
    expected = rng.uniform(0, 0.6, size=4000)
    success = rng.random(4000) < expected

    risk, low, high = paired_excess_risk(success, expected)

    assert low == 0.0
    assert high < 0.05


def test_auc_matches_scipy_mann_whitney():
    rng = np.random.default_rng(0)
    positive, negative = rng.normal(0.3, 1, 300), rng.normal(0, 1, 300)

    auc, low, high = auc_with_bootstrap(positive, negative, rng)
    statistic = stats.mannwhitneyu(positive, negative).statistic / (300 * 300)

    assert auc == pytest.approx(statistic)
    assert low < auc < high


def test_advantage_clipped():
    assert advantage(0.4) == 0.0
    assert advantage(0.75) == pytest.approx(0.5)
    assert advantage(math.nan) == 1.0


def test_paired_excess_risk_design_effect_scales_the_interval():
    rng = np.random.default_rng(5)
    expected = rng.uniform(0.1, 0.5, size=2000)
    success = rng.random(2000) < expected + 0.2 * (1 - expected)

    risk, low, high = paired_excess_risk(success, expected)
    risk_4, low_4, high_4 = paired_excess_risk(success, expected, design_effect=4.0)

    assert risk_4 == risk
    assert 1.8 < (high_4 - low_4) / (high - low) < 2.2
