"""The baseline an attack result shows is the rate its risk was computed against."""

import pytest

from genesis.datasets import patient_table
from genesis.privacy_attacks import AttributeInferenceAttack, LinkageAttack, MembershipInferenceAttack


@pytest.fixture(scope="module")
def tables():
    """Training rows, a synthetic stand-in without release record, and holdout rows."""
    real, synthetic, holdout = (patient_table(n, random_state=seed).drop(columns="patient_id")
                                for n, seed in ((900, 1), (900, 2), (300, 3)))
    return real, synthetic, holdout


def expected_risk(result):
    """Return the point risk from the printed numbers: excess success over the baseline, clipped to [0, 1]."""
    excess = (result.success_rate - result.baseline) / max(1 - result.baseline, 0.1)
    return min(max(excess, 0.0), 1.0)


ATTACKS = [
    lambda: AttributeInferenceAttack("treatment", random_state=0),
    lambda: AttributeInferenceAttack("annual_cost", random_state=0),
    lambda: LinkageAttack(["age", "gender", "zip_code"], random_state=0),
]


@pytest.mark.parametrize("make", ATTACKS)
def test_proxy_baseline_is_naive_reference(tables, make):
    real, synthetic, _ = tables

    result = make().evaluate(real, synthetic)

    assert not result.holdout_used
    assert result.baseline_kind == "naive"
    assert result.baseline == result.details["baseline_rate"]
    assert result.risk == pytest.approx(expected_risk(result))
    assert result.details["method"].startswith("proxy without a holdout: ")
    assert f"baseline {result.baseline:.1%} (naive guess)" in str(result)


@pytest.mark.parametrize("make", ATTACKS)
def test_holdout_baseline_is_control_rate(tables, make):
    real, synthetic, holdout = tables

    result = make().evaluate(real, synthetic, holdout=holdout)

    assert result.holdout_used
    assert result.baseline_kind == "control"
    assert result.baseline == result.details["control_rate"]
    assert result.risk == pytest.approx(expected_risk(result))
    assert not result.details["method"].startswith("proxy")
    assert f"baseline {result.baseline:.1%} (control rows)" in str(result)


def test_treatment_proxy_differs_from_control(tables):
    """Without a holdout the control rows are training rows, so their rate is not what the risk uses."""
    real, synthetic, _ = tables

    result = AttributeInferenceAttack("treatment", random_state=0).evaluate(real, synthetic)

    assert result.baseline < result.details["control_rate"] - 0.1


def test_membership_baseline_is_chance(tables):
    real, synthetic, holdout = tables

    result = MembershipInferenceAttack(random_state=0).evaluate(real, synthetic, holdout=holdout)

    assert result.baseline == 0.5
    assert result.baseline_kind == "chance"
    assert "baseline 50.0% (chance)" in str(result)
