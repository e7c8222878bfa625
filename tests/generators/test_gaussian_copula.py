"""Tests of the Gaussian copula generator: output contract, edge cases, state and quality."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from genesis.domain import ColumnDomain, Domain
from genesis.errors import ConfigError, InvalidDataError, NotFittedError, NotSupportedError
from genesis.generators import generator_class
from genesis.generators.gaussian_copula import GaussianCopulaGenerator
from genesis.schema import ColumnKind, Schema, infer


def fit_table(
    frame: pd.DataFrame, config: dict | None = None, seed: int = 0, **infer_options
) -> tuple[Schema, pd.DataFrame, Domain, GaussianCopulaGenerator]:
    """Infer, canonicalize and fit; return the schema, canonical frame, domain and generator."""
    schema = infer(frame, **infer_options)
    canonical = schema.to_canonical(frame)
    domain = Domain.from_data(canonical, schema)
    generator = GaussianCopulaGenerator(config).fit(canonical, domain, None, np.random.default_rng(seed))
    return schema, canonical, domain, generator


def sample_restored(schema: Schema, generator: GaussianCopulaGenerator, n: int) -> pd.DataFrame:
    """Sample `n` rows with a fixed seed and write them back in the user's dtypes."""
    canonical = generator.sample(n, np.random.default_rng(1))
    return schema.from_canonical(canonical, np.random.default_rng(2))


def correlated_table(n: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Two linked numeric columns (correlation about 0.9) and a category set by the first."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 1.0, n)
    y = x + rng.normal(0.0, 0.5, n)
    group = np.where(x > 0.5, "high", "low").astype(object)
    return pd.DataFrame({"x": x, "y": y, "group": group})


# --- Output contract ---------------------------------------------------------------------------


def test_registered_by_name():
    assert generator_class("gaussian_copula") is GaussianCopulaGenerator


def test_sample_row_count(mixed_table):
    *_, generator = fit_table(mixed_table)
    assert len(generator.sample(123, np.random.default_rng(1))) == 123


def test_sample_zero_rows(mixed_table):
    *_, domain, generator = fit_table(mixed_table)
    output = generator.sample(0, np.random.default_rng(1))
    assert len(output) == 0
    assert list(output.columns) == domain.names


def test_sample_columns_in_domain_order(mixed_table):
    *_, domain, generator = fit_table(mixed_table)
    assert list(generator.sample(10, np.random.default_rng(1)).columns) == domain.names


def test_sample_canonical_dtypes(mixed_table):
    *_, domain, generator = fit_table(mixed_table)
    output = generator.sample(10, np.random.default_rng(1))
    for column in domain.columns:
        expected = object if column.is_discrete else np.float64
        assert output[column.name].dtype == expected, column.name


def test_sample_categories_from_domain(mixed_table):
    *_, domain, generator = fit_table(mixed_table)
    output = generator.sample(2000, np.random.default_rng(1))
    for column in domain.columns:
        if column.is_discrete:
            observed = set(output[column.name].dropna())
            assert observed <= set(column.categories), column.name


def test_sample_numbers_within_bounds(mixed_table):
    *_, domain, generator = fit_table(mixed_table)
    output = generator.sample(2000, np.random.default_rng(1))
    for column in domain.columns:
        if not column.is_discrete:
            values = output[column.name].dropna()
            assert values.min() >= column.lower, column.name
            assert values.max() <= column.upper, column.name


def test_sample_restores_user_dtypes(mixed_table):
    schema, *_, generator = fit_table(mixed_table)
    restored = sample_restored(schema, generator, 50)
    assert restored.dtypes.to_dict() == mixed_table.dtypes.to_dict()


def test_sample_rejects_negative_n(mixed_table):
    *_, generator = fit_table(mixed_table)
    with pytest.raises(ConfigError, match="n is -1"):
        generator.sample(-1, np.random.default_rng(1))


def test_sample_before_fit():
    with pytest.raises(NotFittedError, match="Call fit before sample"):
        GaussianCopulaGenerator().sample(5, np.random.default_rng(1))


def test_zero_frequency_category_never_sampled():
    frame = pd.DataFrame({"colour": ["red", "blue"] * 50, "size": np.arange(100.0)})
    schema = infer(frame)
    canonical = schema.to_canonical(frame)
    colour = ColumnDomain("colour", ColumnKind.CATEGORICAL, categories=("blue", "green", "red"))
    size = ColumnDomain("size", ColumnKind.FLOAT, lower=0.0, upper=99.0)
    domain = Domain((colour, size))

    generator = GaussianCopulaGenerator().fit(canonical, domain, None, np.random.default_rng(0))
    output = generator.sample(5000, np.random.default_rng(1))
    assert "green" not in set(output["colour"])


def test_values_outside_bounds_are_clipped():
    frame = pd.DataFrame({"size": np.arange(100.0)})
    canonical = infer(frame).to_canonical(frame)
    domain = Domain((ColumnDomain("size", ColumnKind.FLOAT, lower=10.0, upper=50.0),))

    generator = GaussianCopulaGenerator().fit(canonical, domain, None, np.random.default_rng(0))
    output = generator.sample(2000, np.random.default_rng(1))["size"]
    assert output.min() >= 10.0
    assert output.max() <= 50.0


# --- Missing values ----------------------------------------------------------------------------


def test_numeric_missing_rate():
    rng = np.random.default_rng(0)
    values = rng.normal(size=4000)
    values[rng.random(4000) < 0.25] = np.nan
    *_, generator = fit_table(pd.DataFrame({"x": values}))

    output = generator.sample(20_000, np.random.default_rng(1))
    assert output["x"].isna().mean() == pytest.approx(0.25, abs=0.02)


def test_categorical_missing_rate():
    rng = np.random.default_rng(0)
    values = rng.choice(np.array(["a", "b", "c"], dtype=object), 4000)
    values[rng.random(4000) < 0.1] = np.nan
    *_, generator = fit_table(pd.DataFrame({"c": values}))

    output = generator.sample(20_000, np.random.default_rng(1))
    assert output["c"].isna().mean() == pytest.approx(0.1, abs=0.015)


def test_missingness_follows_other_column():
    # "income" is missing exactly when "employed" is "no", so the missing rate
    # differs sharply between the two groups.
    rng = np.random.default_rng(0)
    employed = rng.choice(np.array(["yes", "no"], dtype=object), 4000, p=[0.7, 0.3])
    income = np.where(employed == "yes", rng.normal(50.0, 10.0, 4000), np.nan)
    *_, generator = fit_table(pd.DataFrame({"employed": employed, "income": income}))

    output = generator.sample(20_000, np.random.default_rng(1))
    rates = output["income"].isna().groupby(output["employed"]).mean()
    assert rates["no"] > 0.8
    assert rates["yes"] < 0.2


def test_missing_values_keep_value_distribution():
    rng = np.random.default_rng(0)
    values = rng.uniform(100.0, 200.0, 4000)
    values[rng.random(4000) < 0.5] = np.nan
    *_, generator = fit_table(pd.DataFrame({"x": values}))

    output = generator.sample(20_000, np.random.default_rng(1))["x"].dropna()
    assert output.median() == pytest.approx(150.0, abs=3.0)


def test_all_null_numeric_column():
    frame = pd.DataFrame({"empty": [np.nan] * 6, "x": np.arange(6.0)})
    *_, generator = fit_table(frame)
    assert generator.sample(100, np.random.default_rng(1))["empty"].isna().all()


def test_all_null_categorical_column():
    frame = pd.DataFrame({"empty": pd.Series([None] * 6, dtype=object), "x": np.arange(6.0)})
    *_, generator = fit_table(frame)
    assert generator.sample(100, np.random.default_rng(1))["empty"].isna().all()


def test_missing_in_non_nullable_domain():
    frame = pd.DataFrame({"x": [1.0, np.nan, 3.0]})
    canonical = infer(frame).to_canonical(frame)
    domain = Domain((ColumnDomain("x", ColumnKind.FLOAT, lower=1.0, upper=3.0, nullable=False),))
    with pytest.raises(InvalidDataError, match="Column 'x' has 1 missing values"):
        GaussianCopulaGenerator().fit(canonical, domain, None, np.random.default_rng(0))


# --- Small and degenerate tables ---------------------------------------------------------------


def test_constant_numeric_column():
    frame = pd.DataFrame({"k": [7.5] * 20, "x": np.arange(20.0)})
    *_, generator = fit_table(frame)
    assert set(generator.sample(200, np.random.default_rng(1))["k"]) == {7.5}


def test_constant_categorical_column():
    frame = pd.DataFrame({"k": ["only"] * 20, "x": np.arange(20.0)})
    *_, generator = fit_table(frame)
    assert set(generator.sample(200, np.random.default_rng(1))["k"]) == {"only"}


def test_constant_column_uncorrelated():
    frame = pd.DataFrame({"k": ["only"] * 200, "x": np.arange(200.0), "y": np.arange(200.0) ** 2})
    *_, generator = fit_table(frame)
    _, arrays = generator.get_state()
    assert np.array_equal(arrays["correlation"][0, 1:], [0.0, 0.0])


def test_one_row_table():
    frame = pd.DataFrame({"x": [1.5], "c": ["a"], "flag": [True]})
    *_, generator = fit_table(frame)
    output = generator.sample(10, np.random.default_rng(1))
    assert output["x"].tolist() == [1.5] * 10
    assert output["c"].tolist() == ["a"] * 10
    assert output["flag"].tolist() == [True] * 10


def test_two_row_table():
    frame = pd.DataFrame({"x": [1.0, 3.0], "c": ["a", "b"]})
    *_, generator = fit_table(frame)
    output = generator.sample(200, np.random.default_rng(1))
    assert output["x"].between(1.0, 3.0).all()
    assert set(output["c"]) <= {"a", "b"}


def test_empty_frame_rejected():
    frame = pd.DataFrame({"x": [1.0, 2.0]})
    schema = infer(frame)
    canonical = schema.to_canonical(frame)
    domain = Domain.from_data(canonical, schema)
    with pytest.raises(InvalidDataError, match="no rows"):
        GaussianCopulaGenerator().fit(canonical.iloc[:0], domain, None, np.random.default_rng(0))


def test_frame_columns_must_match_domain():
    frame = pd.DataFrame({"x": [1.0, 2.0], "y": [3.0, 4.0]})
    schema = infer(frame)
    canonical = schema.to_canonical(frame)
    domain = Domain.from_data(canonical, schema)
    with pytest.raises(InvalidDataError, match="but the domain has"):
        GaussianCopulaGenerator().fit(canonical[["y", "x"]], domain, None, np.random.default_rng(0))


def test_value_outside_domain():
    frame = pd.DataFrame({"c": ["a", "b", "zzz"]})
    canonical = infer(frame).to_canonical(frame)
    domain = Domain((ColumnDomain("c", ColumnKind.CATEGORICAL, categories=("a", "b")),))
    with pytest.raises(InvalidDataError, match="Column 'c' has value 'zzz'"):
        GaussianCopulaGenerator().fit(canonical, domain, None, np.random.default_rng(0))


# --- Column kinds ------------------------------------------------------------------------------


def test_boolean_values():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"flag": rng.random(1000) < 0.3})
    *_, generator = fit_table(frame)
    output = generator.sample(5000, np.random.default_rng(1))["flag"]
    assert set(output) == {True, False}
    assert output.mean() == pytest.approx(0.3, abs=0.03)


def test_boolean_values_are_python_bools():
    frame = pd.DataFrame({"flag": [True, False, True]})
    *_, generator = fit_table(frame)
    output = generator.sample(20, np.random.default_rng(1))["flag"]
    assert all(type(value) is bool for value in output)


def test_datetime_within_range():
    stamps = pd.Series(pd.date_range("2020-01-01", periods=200, freq="D", tz="America/New_York"))
    schema, *_, generator = fit_table(pd.DataFrame({"admitted": stamps}))
    restored = sample_restored(schema, generator, 500)
    assert restored["admitted"].min() >= stamps.min()
    assert restored["admitted"].max() <= stamps.max()


def test_datetime_keeps_time_zone():
    stamps = pd.Series(pd.date_range("2020-01-01", periods=200, freq="D", tz="America/New_York"))
    schema, *_, generator = fit_table(pd.DataFrame({"admitted": stamps}))
    restored = sample_restored(schema, generator, 50)
    assert str(restored["admitted"].dt.tz) == "America/New_York"


def test_integer_column_with_ties():
    # Three values only: ranks would be lumped, but the marginal must survive.
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"n": rng.choice([0, 1, 2], 3000, p=[0.5, 0.3, 0.2])})
    schema, *_, generator = fit_table(frame)
    restored = sample_restored(schema, generator, 20_000)
    shares = restored["n"].value_counts(normalize=True)
    assert shares[0] == pytest.approx(0.5, abs=0.02)
    assert shares[1] == pytest.approx(0.3, abs=0.02)
    assert shares[2] == pytest.approx(0.2, abs=0.02)


# --- Randomness and state ----------------------------------------------------------------------


def test_same_seed_same_output(mixed_table):
    *_, generator = fit_table(mixed_table)
    first = generator.sample(100, np.random.default_rng(5))
    second = generator.sample(100, np.random.default_rng(5))
    pd.testing.assert_frame_equal(first, second)


def test_same_fit_seed_same_model(mixed_table):
    *_, first = fit_table(mixed_table, seed=3)
    *_, second = fit_table(mixed_table, seed=3)
    pd.testing.assert_frame_equal(
        first.sample(100, np.random.default_rng(5)), second.sample(100, np.random.default_rng(5))
    )


def test_other_seed_other_output(mixed_table):
    *_, generator = fit_table(mixed_table)
    first = generator.sample(100, np.random.default_rng(5))
    second = generator.sample(100, np.random.default_rng(6))
    assert not first.equals(second)


def test_state_round_trip_samples_identically(mixed_table):
    *_, generator = fit_table(mixed_table)
    state, arrays = generator.get_state()
    restored = GaussianCopulaGenerator.from_state(generator.config, json.loads(json.dumps(state)), arrays)
    pd.testing.assert_frame_equal(
        restored.sample(300, np.random.default_rng(9)), generator.sample(300, np.random.default_rng(9))
    )


def test_state_arrays_are_numeric(mixed_table):
    *_, generator = fit_table(mixed_table)
    _, arrays = generator.get_state()
    for name, array in arrays.items():
        assert array.dtype == np.float64, name


def test_state_rejects_other_format(mixed_table):
    *_, generator = fit_table(mixed_table)
    state, arrays = generator.get_state()
    with pytest.raises(ValueError, match="state format is 99"):
        GaussianCopulaGenerator.from_state(generator.config, {**state, "format": 99}, arrays)


def test_state_rejects_wrong_correlation_shape(mixed_table):
    *_, generator = fit_table(mixed_table)
    state, arrays = generator.get_state()
    damaged = {**arrays, "correlation": np.eye(2)}
    with pytest.raises(ValueError, match="correlation matrix of shape"):
        GaussianCopulaGenerator.from_state(generator.config, state, damaged)


def test_get_state_before_fit():
    with pytest.raises(NotFittedError, match="Call fit before get_state"):
        GaussianCopulaGenerator().get_state()


# --- Config and privacy ------------------------------------------------------------------------


def test_ledger_not_supported(mixed_table):
    schema = infer(mixed_table)
    canonical = schema.to_canonical(mixed_table)
    domain = Domain.from_data(canonical, schema)
    with pytest.raises(NotSupportedError, match="does not support differential privacy"):
        GaussianCopulaGenerator().fit(canonical, domain, object(), np.random.default_rng(0))


def test_unknown_config_key():
    with pytest.raises(ConfigError, match="'epochs'"):
        GaussianCopulaGenerator({"epochs": 10})


@pytest.mark.parametrize("value", [1, 0, 2.5, True, "200", 10**6])
def test_invalid_n_quantiles(value):
    with pytest.raises(ConfigError, match="n_quantiles is"):
        GaussianCopulaGenerator({"n_quantiles": value})


@pytest.mark.parametrize("value", [-0.1, 1.5, float("nan"), None, False])
def test_invalid_correlation_shrinkage(value):
    expected = r"correlation_shrinkage is .*, but it must be a number in \[0, 1\]"
    with pytest.raises(ConfigError, match=expected):
        GaussianCopulaGenerator({"correlation_shrinkage": value})


def test_progress_reported(mixed_table):
    schema = infer(mixed_table)
    canonical = schema.to_canonical(mixed_table)
    domain = Domain.from_data(canonical, schema)
    calls = []
    GaussianCopulaGenerator().fit(canonical, domain, None, np.random.default_rng(0),
                                  lambda done, total: calls.append((done, total)))
    assert calls == [(1, 1)]


# --- Quality -----------------------------------------------------------------------------------


def test_strong_correlation_preserved():
    frame = correlated_table()
    *_, generator = fit_table(frame)
    output = generator.sample(20_000, np.random.default_rng(1))
    real = frame["x"].corr(frame["y"])
    assert output["x"].corr(output["y"]) == pytest.approx(real, abs=0.05)


def test_negative_correlation_preserved():
    frame = correlated_table()
    frame["y"] = -frame["y"]
    *_, generator = fit_table(frame)
    output = generator.sample(20_000, np.random.default_rng(1))
    real = frame["x"].corr(frame["y"])
    assert output["x"].corr(output["y"]) == pytest.approx(real, abs=0.05)


def test_category_linked_to_number():
    frame = correlated_table()
    *_, generator = fit_table(frame)
    output = generator.sample(20_000, np.random.default_rng(1))
    means = output.groupby("group")["x"].mean()
    real_means = frame.groupby("group")["x"].mean()
    assert means["high"] == pytest.approx(real_means["high"], abs=0.2)
    assert means["low"] == pytest.approx(real_means["low"], abs=0.2)


def test_integer_ties_keep_correlation():
    # Integers with many ties (like ages in years) must not dilute the correlation.
    rng = np.random.default_rng(0)
    latent = rng.normal(size=4000)
    frame = pd.DataFrame({
        "level": np.clip(np.round(latent * 1.5 + 3), 0, 6).astype(int),
        "score": latent + rng.normal(0.0, 0.3, 4000),
    })
    schema, *_, generator = fit_table(frame)
    output = sample_restored(schema, generator, 20_000)
    real = frame["level"].corr(frame["score"])
    assert output["level"].corr(output["score"]) == pytest.approx(real, abs=0.05)


def test_independent_columns_stay_independent():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=3000), "b": rng.normal(size=3000)})
    *_, generator = fit_table(frame)
    output = generator.sample(20_000, np.random.default_rng(1))
    assert abs(output["a"].corr(output["b"])) < 0.05


def test_full_shrinkage_samples_independently():
    frame = correlated_table()
    *_, generator = fit_table(frame, config={"correlation_shrinkage": 1.0})
    output = generator.sample(20_000, np.random.default_rng(1))
    assert abs(output["x"].corr(output["y"])) < 0.05
