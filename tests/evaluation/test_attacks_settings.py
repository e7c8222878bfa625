"""Settings the attacks reject: quasi-identifiers, target column, tolerance and sizes."""

import pytest

from genesis import run_privacy_audit
from genesis.datasets import patient_table
from genesis.errors import ConfigError
from genesis.privacy_attacks import AttributeInferenceAttack, LinkageAttack, MembershipInferenceAttack

COMPARED = ["age", "gender", "zip_code", "condition", "treatment", "blood_pressure_systolic", "annual_cost"]


@pytest.fixture(scope="module")
def tables():
    """Training rows, a synthetic stand-in and holdout rows: three draws of the patient table."""
    real, synthetic, holdout = (patient_table(n, random_state=seed).drop(columns="patient_id")
                                for n, seed in ((600, 1), (600, 2), (200, 3)))
    return real, synthetic, holdout


@pytest.mark.parametrize("value, constraint", [
    ([], "it must name at least one column"),
    ((), "it must name at least one column"),
    ("age", "it must be a list of column names, not one string"),
    (None, "it must be a list of column names"),
    (5, "it must be a list of column names"),
])
def test_linkage_rejects_quasi_identifiers_at_construction(value, constraint):
    with pytest.raises(ConfigError) as error:
        LinkageAttack(value)

    message = str(error.value)
    assert message.startswith("quasi_identifiers is ")
    assert constraint in message
    assert "Pass e.g. quasi_identifiers=[" in message


def test_linkage_rejects_every_column(tables):
    real, synthetic, holdout = tables
    attack = LinkageAttack(list(real.columns))

    with pytest.raises(ConfigError) as error:
        attack.evaluate(real, synthetic, holdout=holdout)

    message = str(error.value)
    assert message.startswith("quasi_identifiers is ['age', 'gender'")
    assert "it covers every compared column" in message
    assert f"leaving out at least one of {COMPARED}" in message


def test_linkage_rejects_missing_column(tables):
    real, synthetic, holdout = tables
    attack = LinkageAttack(["age", "blood_type"])

    with pytest.raises(ConfigError) as error:
        attack.evaluate(real, synthetic, holdout=holdout)

    message = str(error.value)
    assert message.startswith("quasi_identifiers is ['age', 'blood_type']")
    assert "do not include ['blood_type']" in message


def test_linkage_rechecks_changed_quasi_identifiers(tables):
    real, synthetic, holdout = tables
    attack = LinkageAttack(["age"])
    attack.quasi_identifiers = []

    with pytest.raises(ConfigError, match="it must name at least one column"):
        attack.evaluate(real, synthetic, holdout=holdout)


def test_linkage_splits_at_given_columns(tables):
    real, synthetic, holdout = tables

    result = LinkageAttack(["age", "condition"], random_state=0).evaluate(real, synthetic, holdout=holdout)

    assert result.details["first_columns"] == ["age", "condition"]
    assert result.details["second_columns"] == [name for name in COMPARED if name not in ("age", "condition")]


@pytest.mark.parametrize("tolerance", [-1, -0.1, 1.0, "0.05", True, None])
def test_attribute_rejects_tolerance_like_audit(tables, tolerance):
    real, synthetic, holdout = tables
    with pytest.raises(ConfigError) as audit_error:
        run_privacy_audit(real, synthetic, holdout_data=holdout, tolerance=tolerance)

    with pytest.raises(ConfigError) as attack_error:
        AttributeInferenceAttack("annual_cost", tolerance=tolerance)

    assert str(attack_error.value) == str(audit_error.value)
    message = str(attack_error.value)
    assert message.startswith(f"tolerance is {tolerance!r}, but it must be a relative tolerance")


def test_attribute_rechecks_changed_tolerance(tables):
    real, synthetic, holdout = tables
    attack = AttributeInferenceAttack("annual_cost")
    attack.tolerance = -1

    with pytest.raises(ConfigError, match=r"^tolerance is -1, but it must be a relative tolerance"):
        attack.evaluate(real, synthetic, holdout=holdout)


def test_attribute_rejects_missing_target(tables):
    real, synthetic, holdout = tables
    attack = AttributeInferenceAttack("blood_type")

    with pytest.raises(ConfigError) as error:
        attack.evaluate(real, synthetic, holdout=holdout)

    message = str(error.value)
    assert message.startswith("target_column is 'blood_type', but the compared columns")
    assert f"Choose among {COMPARED}." in message


def test_attribute_rejects_identifier_target():
    """A column with a distinct text value in every row is left out as an identifier, so no target."""
    real = patient_table(300, random_state=1)
    synthetic = patient_table(300, random_state=2)

    with pytest.raises(ConfigError) as error:
        AttributeInferenceAttack("patient_id").evaluate(real, synthetic)

    message = str(error.value)
    assert message.startswith("target_column is 'patient_id'")
    assert "sensitive_columns" not in message


@pytest.mark.parametrize("make, name", [
    (lambda: MembershipInferenceAttack(n_attacks=5), "n_attacks"),
    (lambda: MembershipInferenceAttack(max_reference=2.5), "max_reference"),
    (lambda: AttributeInferenceAttack("condition", n_attacks=True), "n_attacks"),
    (lambda: LinkageAttack(["age"], n_neighbors=0), "n_neighbors"),
])
def test_sizes_rejected_at_construction(make, name):
    with pytest.raises(ConfigError) as error:
        make()

    assert str(error.value).startswith(f"{name} is ")
    assert f"Pass e.g. {name}=" in str(error.value)
