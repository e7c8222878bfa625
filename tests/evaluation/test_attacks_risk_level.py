"""Risk levels of attack results: which intervals read low, medium, high or inconclusive."""

import pytest

from genesis.evaluation.attacks import HIGH_RISK, LOW_RISK, risk_level
from genesis.evaluation.privacy_report import DEFAULT_THRESHOLDS
from genesis.evaluation.stats import MetricResult


def metric(low, high, *, name="attribute", n=1000, proxy=False):
    return MetricResult(name=name, value=(low + high) / 2, ci_low=low, ci_high=high, n=n, baseline=0.5,
                        method="m", holdout_used=not proxy, proxy=proxy)


@pytest.mark.parametrize("low, high, expected", [
    (0.0, 0.01, "low"),
    (0.0, 0.15, "low"),
    (0.0, 0.205, "inconclusive"),  # a risk of 6.6% whose interval reaches past the limit
    (0.10, 0.30, "inconclusive"),
    (0.15, 0.30, "inconclusive"),
    (0.16, 0.45, "medium"),
    (0.30, 0.70, "medium"),
    (0.50, 0.70, "high"),
    (0.90, 1.00, "high"),
])
def test_level_from_interval(low, high, expected):
    assert risk_level(metric(low, high)) == expected


@pytest.mark.parametrize("name", ["membership", "attribute", "linkability"])
def test_limits_follow_audit_thresholds(name):
    assert LOW_RISK[name] == DEFAULT_THRESHOLDS[name]
    assert risk_level(metric(0.0, DEFAULT_THRESHOLDS[name], name=name)) == "low"
    assert risk_level(metric(0.0, DEFAULT_THRESHOLDS[name] + 0.01, name=name)) == "inconclusive"
    assert risk_level(metric(HIGH_RISK, 1.0, name=name)) == "high"


def test_proxy_inconclusive_whatever_interval():
    assert risk_level(metric(0.0, 0.01, proxy=True)) == "inconclusive"
    assert risk_level(metric(0.9, 1.0, proxy=True)) == "inconclusive"


def test_no_trials_inconclusive():
    assert risk_level(metric(0.0, 0.0, n=0)) == "inconclusive"
