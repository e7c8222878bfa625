"""Tests of `PrivacyConfig`: the dict form, presets, every validation error, and the delta rules."""

from __future__ import annotations

import json
import re
import warnings

import pytest

from genesis.errors import ConfigError, PrivacyWarning
from genesis.privacy.config import PRESETS, PrivacyConfig

TUTORIAL = {
    "differential_privacy": {"epsilon": 1.0, "delta": 1e-5},
    "k_anonymity": {"k": 5, "quasi_identifiers": ["age", "gender", "zip_code"]},
    "suppress_outliers": True,
    "min_category_count": 10,
}
QUASI_IDENTIFIERS = ["age", "gender", "zip_code"]


def raises_message(message: str):
    return pytest.raises(ConfigError, match=f"^{re.escape(message)}$")


# The dict form and presets ---------------------------------------------------------------

def test_tutorial_dict_parses():
    config = PrivacyConfig.from_value(TUTORIAL)

    assert config.epsilon == 1.0
    assert config.delta == 1e-5
    assert config.k == 5
    assert config.quasi_identifiers == ("age", "gender", "zip_code")
    assert config.suppress_outliers is True
    assert config.min_category_count == 10
    assert config.domain_share == 0.1
    assert config.unit_column is None
    assert config.max_rows_per_unit == 1


def test_tutorial_delta_passes_silently_for_10000_rows():
    config = PrivacyConfig.from_value(TUTORIAL)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        resolved = config.resolve_for_table(10_000)

    assert resolved.delta == 1e-5


def test_none_or_empty_means_no_protection():
    assert PrivacyConfig.from_value(None) is None
    assert PrivacyConfig.from_value({}) is None


def test_from_value_returns_config_unchanged():
    config = PrivacyConfig(epsilon=2.0)

    assert PrivacyConfig.from_value(config) is config


def test_to_dict_round_trips_through_json():
    config = PrivacyConfig.from_value({**TUTORIAL, "unit_column": "patient_id", "max_rows_per_unit": 3,
                                       "domain_share": 0.2})

    restored = PrivacyConfig.from_value(json.loads(json.dumps(config.to_dict())))

    assert restored == config


@pytest.mark.parametrize("name", list(PRESETS))
def test_preset_sets_epsilon_and_k(name):
    epsilon, k = PRESETS[name]

    config = PrivacyConfig.from_value({"preset": name, "quasi_identifiers": QUASI_IDENTIFIERS})

    assert config.epsilon == epsilon
    assert config.k == k
    assert config.quasi_identifiers == tuple(QUASI_IDENTIFIERS)
    assert config.preset_name == name


def test_preset_table():
    assert PRESETS == {"low": (10.0, 3), "medium": (5.0, 5), "high": (1.0, 5), "very_high": (0.5, 10)}


def test_preset_classmethod_matches_dict_form():
    by_method = PrivacyConfig.preset("high", quasi_identifiers=QUASI_IDENTIFIERS)
    by_dict = PrivacyConfig.from_value({"preset": "high", "quasi_identifiers": QUASI_IDENTIFIERS})

    assert by_method == by_dict


def test_preset_with_delta_and_unit():
    config = PrivacyConfig.from_value({"preset": "medium", "quasi_identifiers": ["age"],
                                       "differential_privacy": {"delta": 1e-7}, "unit_column": "patient"})

    assert (config.epsilon, config.delta, config.unit_column) == (5.0, 1e-7, "patient")


def test_preset_accepts_its_own_epsilon():
    config = PrivacyConfig.from_value({"preset": "high", "quasi_identifiers": ["age"],
                                       "differential_privacy": {"epsilon": 1.0}})

    assert config.epsilon == 1.0


def test_bare_preset_string_is_accepted():
    config = PrivacyConfig.from_value("high")

    assert config.k == 5
    assert config.quasi_identifiers == ()


def test_bare_preset_fails_at_resolve_naming_the_fix():
    config = PrivacyConfig.from_value("high")

    with raises_message("quasi_identifiers is [], but k-anonymity with k=5 needs the columns an attacker "
                        "could link. Pass them, e.g. {'preset': 'high', 'quasi_identifiers': ['age', "
                        "'gender', 'zip_code']}."):
        config.resolve_for_table(1000)


def test_k_anonymity_without_dp():
    config = PrivacyConfig.from_value({"k_anonymity": {"k": 3, "quasi_identifiers": ["age"]}})

    assert config.epsilon is None
    assert config.resolve_for_table(100) == config


# Every validation error -------------------------------------------------------------------

def test_error_unknown_top_level_key():
    with raises_message("privacy keys is ['epsilon'], but the valid keys are ['preset', "
                        "'differential_privacy', 'k_anonymity', 'quasi_identifiers', 'suppress_outliers', "
                        "'min_category_count', 'domain_share', 'unit_column', 'max_rows_per_unit', "
                        "'safe_harbor']. Remove or correct the unknown keys."):
        PrivacyConfig.from_value({"epsilon": 1.0})


def test_error_unknown_differential_privacy_key():
    with raises_message("differential_privacy keys is ['eps'], but the valid keys are ['epsilon', "
                        "'delta']. Remove or correct the unknown keys."):
        PrivacyConfig.from_value({"differential_privacy": {"eps": 1.0}})


def test_error_unknown_k_anonymity_key():
    with raises_message("k_anonymity keys is ['qi'], but the valid keys are ['k', 'quasi_identifiers', "
                        "'max_suppression']. Remove or correct the unknown keys."):
        PrivacyConfig.from_value({"k_anonymity": {"k": 5, "qi": ["age"]}})


def test_error_section_not_a_dict():
    with raises_message("differential_privacy is 1.0, but it must be a dict or None. Use a dict with keys "
                        "among ['epsilon', 'delta']."):
        PrivacyConfig.from_value({"differential_privacy": 1.0})


def test_error_privacy_of_wrong_type():
    with raises_message("privacy is 3, but it must be None, a preset name, a dict or a PrivacyConfig. Use a "
                        "dict with keys among ['preset', 'differential_privacy', 'k_anonymity', "
                        "'quasi_identifiers', 'suppress_outliers', 'min_category_count', 'domain_share', "
                        "'unit_column', 'max_rows_per_unit', 'safe_harbor']."):
        PrivacyConfig.from_value(3)


def test_error_unknown_preset():
    with raises_message("preset is 'extreme', but it must be one of ['low', 'medium', 'high', "
                        "'very_high']. Use a preset name, or a dict with 'differential_privacy' and "
                        "'k_anonymity'."):
        PrivacyConfig.from_value("extreme")


def test_error_unknown_preset_in_dict():
    with pytest.raises(ConfigError, match="^preset is 'hi', but it must be one of"):
        PrivacyConfig.from_value({"preset": "hi"})


def test_error_preset_conflicting_epsilon():
    with raises_message("epsilon is 3.0, but the preset 'high' sets epsilon=1.0. Remove epsilon to use the "
                        "preset, or remove the preset to set epsilon yourself."):
        PrivacyConfig.from_value({"preset": "high", "quasi_identifiers": ["age"],
                                  "differential_privacy": {"epsilon": 3.0}})


def test_error_preset_conflicting_k():
    with raises_message("k is 2, but the preset 'low' sets k=3. Remove k to use the preset, or remove the "
                        "preset to set k yourself."):
        PrivacyConfig.from_value({"preset": "low", "k_anonymity": {"k": 2, "quasi_identifiers": ["age"]}})


def test_error_quasi_identifiers_given_twice():
    with raises_message("privacy keys is ['quasi_identifiers', 'k_anonymity.quasi_identifiers'], but the "
                        "quasi-identifiers may be given only once. Keep one of the two."):
        PrivacyConfig.from_value({"quasi_identifiers": ["age"],
                                  "k_anonymity": {"k": 5, "quasi_identifiers": ["age"]}})


@pytest.mark.parametrize("epsilon", [0, -1.0, float("inf"), float("nan"), True, "1"])
def test_error_epsilon(epsilon):
    with raises_message(f"epsilon is {epsilon!r}, but it must be a positive finite number. Use for example "
                        "epsilon=1.0; smaller is more private."):
        PrivacyConfig(epsilon=epsilon)


@pytest.mark.parametrize("delta", [-1e-9, 1.0, 2.0, float("nan"), "1e-5"])
def test_error_delta_range(delta):
    with raises_message(f"delta is {delta!r}, but it must be a number in [0, 1). Use for example "
                        "delta=1e-5, or leave it unset to choose it at fit."):
        PrivacyConfig(epsilon=1.0, delta=delta)


def test_error_delta_without_epsilon():
    with raises_message("delta is 1e-05, but it needs epsilon, as it belongs to differential privacy. Set "
                        "epsilon as well, or remove delta."):
        PrivacyConfig(delta=1e-5)


@pytest.mark.parametrize("k", [1, 0, 2.5, True, "5"])
def test_error_k(k):
    with raises_message(f"k is {k!r}, but it must be an integer >= 2. Use for example k=5: each record then "
                        "hides among at least 5."):
        PrivacyConfig(k=k, quasi_identifiers=["age"])


def test_error_quasi_identifiers_without_k():
    with raises_message("quasi_identifiers is ['age'], but they are used only with k. Set k, or remove the "
                        "quasi-identifiers."):
        PrivacyConfig(epsilon=1.0, quasi_identifiers=["age"])


def test_error_quasi_identifiers_as_string():
    with raises_message("quasi_identifiers is 'age', but it must be a list of column names. Pass for "
                        "example ['age', 'gender', 'zip_code']."):
        PrivacyConfig(k=5, quasi_identifiers="age")


def test_error_quasi_identifiers_non_string_entry():
    with raises_message("quasi_identifiers is ['age', 3], but every entry must be a non-empty column name. "
                        "Pass the column names as strings."):
        PrivacyConfig(k=5, quasi_identifiers=["age", 3])


def test_error_quasi_identifiers_repeated():
    with raises_message("quasi_identifiers is ['age', 'age'], but a column may appear only once. Remove the "
                        "repeated names."):
        PrivacyConfig(k=5, quasi_identifiers=["age", "age"])


def test_error_suppress_outliers():
    with raises_message("suppress_outliers is 'yes', but it must be True or False. Pass a bool."):
        PrivacyConfig(k=5, quasi_identifiers=["age"], suppress_outliers="yes")


@pytest.mark.parametrize("count", [-1, 2.0, True])
def test_error_min_category_count(count):
    with raises_message(f"min_category_count is {count!r}, but it must be an integer >= 0 or None. Use for "
                        "example 10."):
        PrivacyConfig(epsilon=1.0, min_category_count=count)


@pytest.mark.parametrize("share", [0, 1, 1.5, -0.1, None])
def test_error_domain_share(share):
    with raises_message(f"domain_share is {share!r}, but it must be a number in (0, 1). Use for example 0.1, "
                        "a tenth of the budget."):
        PrivacyConfig(epsilon=1.0, domain_share=share)


@pytest.mark.parametrize("column", ["", 3])
def test_error_unit_column(column):
    with raises_message(f"unit_column is {column!r}, but it must be a column name or None. Pass the name of "
                        "the column that identifies a patient."):
        PrivacyConfig(epsilon=1.0, unit_column=column)


@pytest.mark.parametrize("rows", [0, 1.5, None])
def test_error_max_rows_per_unit(rows):
    with raises_message(f"max_rows_per_unit is {rows!r}, but it must be an integer >= 1. Use for example 1, "
                        "or the number of visits to keep per patient."):
        PrivacyConfig(epsilon=1.0, unit_column="patient", max_rows_per_unit=rows)


def test_error_max_rows_per_unit_without_unit_column():
    with raises_message("max_rows_per_unit is 3, but it must be 1 when each row is its own unit (unit_column "
                        "is None). Set unit_column, or remove max_rows_per_unit."):
        PrivacyConfig(epsilon=1.0, max_rows_per_unit=3)


def test_error_preset_name_field():
    with pytest.raises(ConfigError, match="^preset is 'medium-high', but"):
        PrivacyConfig(epsilon=1.0, preset_name="medium-high")


def test_config_is_frozen_and_keyword_only():
    config = PrivacyConfig(epsilon=1.0)

    with pytest.raises(AttributeError):
        config.epsilon = 2.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        PrivacyConfig(1.0)  # type: ignore[misc]


# Delta rules ------------------------------------------------------------------------------

def test_default_delta_for_small_table():
    resolved = PrivacyConfig(epsilon=1.0).resolve_for_table(1000)

    assert resolved.delta == 1e-5


def test_default_delta_for_large_table():
    resolved = PrivacyConfig(epsilon=1.0).resolve_for_table(1_000_000)

    assert resolved.delta == pytest.approx(1e-7)


def test_delta_at_least_one_over_n_is_error():
    with raises_message("delta is 0.001, but it must be below 1/n = 0.001 for 1000 privacy units (the "
                        "training rows, or units with unit_column, after the holdout). Use "
                        "delta <= 0.0001 (1/(10 n)), or leave delta unset to choose it."):
        PrivacyConfig(epsilon=1.0, delta=1e-3).resolve_for_table(1000)


def test_delta_above_one_tenth_over_n_warns():
    with pytest.warns(PrivacyWarning, match=r"^delta=0\.0005 is above 1/\(10 n\) = 0\.0001"):
        resolved = PrivacyConfig(epsilon=1.0, delta=5e-4).resolve_for_table(1000)

    assert resolved.delta == 5e-4


def test_delta_zero_is_pure_dp():
    resolved = PrivacyConfig(epsilon=1.0, delta=0.0).resolve_for_table(10)

    assert resolved.delta == 0.0


def test_large_epsilon_warns():
    with pytest.warns(PrivacyWarning, match=r"^epsilon=20 is above 10"):
        PrivacyConfig(epsilon=20.0).resolve_for_table(10_000)


@pytest.mark.parametrize("n_units", [0, -5, 2.5, True])
def test_resolve_rejects_bad_table_size(n_units):
    with raises_message(f"n_units is {n_units!r}, but it must be an integer >= 1. Pass the number of privacy "
                        "units in the table."):
        PrivacyConfig(epsilon=1.0).resolve_for_table(n_units)


def test_bare_low_preset_example_names_low():
    config = PrivacyConfig.from_value("low")

    with pytest.raises(ConfigError, match="'preset': 'low'"):
        config.resolve_for_table(1000)
