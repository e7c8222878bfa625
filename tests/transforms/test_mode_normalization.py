import json
import logging

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from genesis.transforms.mode_normalization import ModeNormalizer


def bimodal(rng: np.random.Generator, n: int = 4000) -> np.ndarray:
    return np.concatenate([rng.normal(0.0, 1.0, n // 2), rng.normal(20.0, 2.0, n - n // 2)])


def test_round_trip_bimodal_values():
    rng = np.random.default_rng(0)
    values = bimodal(rng)
    normalizer = ModeNormalizer.fit(values, rng=rng)

    alpha, modes = normalizer.transform(values, rng)

    np.testing.assert_allclose(normalizer.inverse(alpha, modes), values, rtol=1e-12, atol=1e-12)
    assert modes.dtype == np.int64
    assert np.all((modes >= 0) & (modes < normalizer.n_modes))


def test_fit_finds_separated_modes():
    rng = np.random.default_rng(1)
    normalizer = ModeNormalizer.fit(bimodal(rng), rng=rng)

    heavy = normalizer.means[normalizer.weights > 0.1]

    assert np.any(np.abs(heavy - 0.0) < 1.0)
    assert np.any(np.abs(heavy - 20.0) < 1.0)
    assert normalizer.n_modes <= 10


def test_alpha_mostly_within_unit_range():
    rng = np.random.default_rng(2)
    values = bimodal(rng)
    normalizer = ModeNormalizer.fit(values, rng=rng)

    alpha, _ = normalizer.transform(values, rng)

    assert np.mean(np.abs(alpha) <= 1.0) > 0.99


def test_max_modes_bounds_mode_count():
    rng = np.random.default_rng(3)
    normalizer = ModeNormalizer.fit(rng.normal(size=2000), max_modes=3, rng=rng)

    assert 1 <= normalizer.n_modes <= 3


def test_weight_threshold_drops_light_modes():
    rng = np.random.default_rng(4)
    normalizer = ModeNormalizer.fit(bimodal(rng), weight_threshold=0.2, rng=rng)

    assert np.all(normalizer.weights >= 0.2)
    assert normalizer.n_modes <= 4
    assert normalizer.weights.sum() == pytest.approx(1.0)


def test_datetime_scale_round_trip():
    rng = np.random.default_rng(5)
    values = 1.6e18 + rng.normal(0.0, 3e15, 3000)
    normalizer = ModeNormalizer.fit(values, rng=rng)

    alpha, modes = normalizer.transform(values, rng)

    np.testing.assert_allclose(normalizer.inverse(alpha, modes), values, rtol=1e-14)


def test_constant_column_has_one_mode():
    normalizer = ModeNormalizer.fit(np.full(50, 7.5))

    alpha, modes = normalizer.transform(np.full(50, 7.5), np.random.default_rng(0))

    assert normalizer.n_modes == 1
    assert np.all(alpha == 0.0)
    assert np.all(modes == 0)
    assert np.all(normalizer.inverse(alpha, modes) == 7.5)


def test_few_distinct_values_get_one_mode_each():
    values = np.array([0.0, 1.0, 1.0, 5.0, 5.0, 5.0])
    normalizer = ModeNormalizer.fit(values)

    alpha, modes = normalizer.transform(values, np.random.default_rng(0))

    assert normalizer.means.tolist() == [0.0, 1.0, 5.0]
    np.testing.assert_allclose(normalizer.weights, [1 / 6, 2 / 6, 3 / 6])
    assert modes.tolist() == [0, 1, 1, 2, 2, 2]
    assert np.all(alpha == 0.0)


def test_distinct_value_modes_keep_unit_alpha_within_half_gap():
    normalizer = ModeNormalizer.fit(np.array([10.0, 12.0, 20.0]))

    decoded = normalizer.inverse(np.array([-1.0, 1.0]), np.array([0, 0]))

    np.testing.assert_allclose(decoded, [9.0, 11.0])


def test_two_distinct_values():
    values = np.tile([3.0, 8.0], 100)
    normalizer = ModeNormalizer.fit(values)

    alpha, modes = normalizer.transform(values, np.random.default_rng(0))

    assert normalizer.n_modes == 2
    assert np.array_equal(normalizer.inverse(alpha, modes), values)


def test_transform_does_not_clip_far_values():
    rng = np.random.default_rng(6)
    normalizer = ModeNormalizer.fit(rng.normal(size=1000), rng=rng)
    far = np.array([1e6, -1e6])

    alpha, modes = normalizer.transform(far, rng)

    assert np.all(np.abs(alpha) > 1.0)
    np.testing.assert_allclose(normalizer.inverse(alpha, modes), far, rtol=1e-12)


def test_mode_drawn_from_posterior():
    normalizer = ModeNormalizer([-1.0, 1.0], [1.0, 1.0], [0.5, 0.5])

    _, modes = normalizer.transform(np.zeros(20_000), np.random.default_rng(7))

    assert modes.mean() == pytest.approx(0.5, abs=0.02)


def test_subnormal_gap_keeps_positive_sigma():
    values = np.array([0.0, 5e-324])
    normalizer = ModeNormalizer.fit(values)

    alpha, modes = normalizer.transform(values, np.random.default_rng(0))

    assert np.all(normalizer.stds > 0)
    assert np.all(np.abs(normalizer.inverse(alpha, modes) - values) <= 1e-300)


def test_posterior_rows_sum_to_one():
    normalizer = ModeNormalizer([-1.0, 1.0, 4.0], [1.0, 0.5, 2.0], [0.2, 0.3, 0.5])

    posterior = np.exp(normalizer.log_posterior(np.linspace(-10, 10, 101)))

    np.testing.assert_allclose(posterior.sum(axis=1), 1.0)


def test_same_rng_same_transform():
    values = bimodal(np.random.default_rng(8))
    normalizer = ModeNormalizer.fit(values, rng=np.random.default_rng(9))

    first = normalizer.transform(values, np.random.default_rng(10))
    second = normalizer.transform(values, np.random.default_rng(10))

    assert np.array_equal(first[0], second[0])
    assert np.array_equal(first[1], second[1])


def test_same_rng_same_fit():
    values = bimodal(np.random.default_rng(11))

    first = ModeNormalizer.fit(values, rng=np.random.default_rng(12))
    second = ModeNormalizer.fit(values, rng=np.random.default_rng(12))

    assert first.to_dict() == second.to_dict()


def test_dict_round_trip_through_json():
    rng = np.random.default_rng(13)
    values = bimodal(rng)
    normalizer = ModeNormalizer.fit(values, rng=rng, column="cost")

    restored = ModeNormalizer.from_dict(json.loads(json.dumps(normalizer.to_dict())))

    assert restored.column == "cost"
    assert np.array_equal(restored.means, normalizer.means)
    assert np.array_equal(restored.stds, normalizer.stds)
    assert np.array_equal(restored.weights, normalizer.weights)
    alpha, modes = normalizer.transform(values, np.random.default_rng(0))
    restored_alpha, restored_modes = restored.transform(values, np.random.default_rng(0))
    assert np.array_equal(alpha, restored_alpha)
    assert np.array_equal(modes, restored_modes)


def test_single_mode_for_column_without_values():
    normalizer = ModeNormalizer.single_mode(3.0, column="empty")

    assert normalizer.n_modes == 1
    assert normalizer.inverse([0.0], [0]).tolist() == [3.0]


def test_unconverged_fit_logs_instead_of_warning(caplog):
    # pytest turns warnings into errors, so a ConvergenceWarning escaping the fit fails here.
    rng = np.random.default_rng(1)
    values = rng.integers(1, 130, 3000).astype(float)

    with caplog.at_level(logging.INFO, logger="genesis.transforms.mode_normalization"):
        normalizer = ModeNormalizer.fit(values, rng=rng, column="age")

    assert 1 <= normalizer.n_modes <= 10
    assert "Mode fit of column 'age' stopped" in caplog.text


@pytest.mark.parametrize("values", [[], [1.0, np.nan], [1.0, np.inf]])
def test_fit_rejects_empty_or_non_finite(values):
    with pytest.raises(ValueError, match="Column 'x'"):
        ModeNormalizer.fit(np.asarray(values, dtype=float), column="x")


def test_transform_rejects_nan():
    normalizer = ModeNormalizer.fit([1.0, 2.0], column="x")

    with pytest.raises(ValueError, match="Fill missing values"):
        normalizer.transform([np.nan], np.random.default_rng(0))


@pytest.mark.parametrize(
    ("means", "stds", "weights"),
    [([0.0], [0.0], [1.0]), ([0.0, 1.0], [1.0], [1.0]), ([0.0], [1.0], [-1.0]), ([], [], [])],
)
def test_constructor_rejects_invalid_parameters(means, stds, weights):
    with pytest.raises(ValueError):
        ModeNormalizer(means, stds, weights)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.integers(1, 200), elements=st.floats(-1e9, 1e9, allow_nan=False)))
def test_round_trip_property(values):
    rng = np.random.default_rng(0)
    normalizer = ModeNormalizer.fit(values, max_modes=5, rng=rng)

    alpha, modes = normalizer.transform(values, rng)

    # Rounding error scales with the mode's magnitude, which may exceed the value's own.
    scale = np.abs(values) + np.abs(normalizer.means[modes]) + 4 * normalizer.stds[modes] * np.abs(alpha)
    assert np.all(np.abs(normalizer.inverse(alpha, modes) - values) <= 1e-12 * np.maximum(scale, 1.0))


def test_large_column_fits_on_subsample():
    rng = np.random.default_rng(15)
    values = bimodal(rng, 30_000)

    normalizer = ModeNormalizer.fit(values, rng=rng)
    alpha, modes = normalizer.transform(values, rng)

    np.testing.assert_allclose(normalizer.inverse(alpha, modes), values, rtol=1e-12, atol=1e-12)
    assert np.any(np.abs(normalizer.means - 20.0) < 1.0)
