import pandas as pd
import pytest

from genesis import SyntheticGenerator
from genesis.datasets import patient_table
from genesis.evaluation.audit_inputs import remove_rows
from genesis.holdout import lookup_holdout
from genesis.privacy_attacks import (
    AttackResult,
    AttributeInferenceAttack,
    LinkageAttack,
    MembershipInferenceAttack,
)

QIS = ["age", "gender", "zip_code"]


@pytest.fixture(scope="module")
def setting():
    real = patient_table(5000, random_state=42).drop(columns="patient_id")
    model = SyntheticGenerator(method="gaussian_copula", random_state=0).fit(real)
    record = model.generate(n_samples=5).attrs["genesis"]
    fresh = patient_table(5000, random_state=3).drop(columns="patient_id")
    fresh.attrs["genesis"] = record
    copy = remove_rows(real, lookup_holdout(fresh))
    copy.attrs["genesis"] = record
    return real, fresh, copy


ATTACKS = [
    lambda: MembershipInferenceAttack(random_state=0),
    lambda: AttributeInferenceAttack(target_column="condition", random_state=0),
    lambda: AttributeInferenceAttack(target_column="annual_cost", random_state=0),
    lambda: LinkageAttack(quasi_identifiers=QIS, random_state=0),
]


@pytest.mark.parametrize("make", ATTACKS)
def test_fresh_draw_is_low_risk(setting, make):
    real, fresh, _ = setting

    result = make().evaluate(real, fresh)

    assert isinstance(result, AttackResult)
    assert result.risk_level == "low"
    assert result.holdout_used
    assert 0.0 <= result.accuracy <= 1.0


@pytest.mark.parametrize("make", [attack for index, attack in enumerate(ATTACKS) if index != 1])
def test_copy_is_high_risk(setting, make):
    real, _, copy = setting

    result = make().evaluate(real, copy)

    assert result.risk_level == "high"
    assert result.ci_low > 0.5


def test_secret_given_by_other_columns_is_no_leak(setting):
    """The treatment column fixes the condition, so even rows the model never saw give it away."""
    real, _, copy = setting

    result = AttributeInferenceAttack(target_column="condition", random_state=0).evaluate(real, copy)

    assert result.baseline > 0.97
    assert result.risk < 0.05


def test_membership_accuracy_near_chance_for_fresh(setting):
    real, fresh, _ = setting

    result = MembershipInferenceAttack(random_state=1).evaluate(real, fresh)

    assert abs(result.accuracy - 0.5) < 0.05
    assert result.baseline == 0.5


def test_numeric_secret_uses_tolerance(setting):
    real, fresh, _ = setting

    result = AttributeInferenceAttack(target_column="annual_cost", tolerance=0.05, random_state=0).evaluate(
        real, fresh)

    assert result.details["numeric_secret"] is True
    assert result.details["tolerance"] == 0.05


def test_without_holdout_inconclusive(setting):
    real, fresh, _ = setting
    plain = pd.DataFrame(fresh)
    plain.attrs = {}

    result = LinkageAttack(quasi_identifiers=QIS, random_state=0).evaluate(real, plain)

    assert result.risk_level == "inconclusive"
    assert not result.holdout_used


def test_explicit_holdout_argument(setting):
    real, fresh, _ = setting
    holdout = lookup_holdout(fresh)
    plain = pd.DataFrame(fresh)
    plain.attrs = {}

    result = MembershipInferenceAttack(random_state=0).evaluate(real, plain, holdout=holdout)

    assert result.holdout_used
    assert "membership" in str(result)
