import numpy as np
import pandas as pd
import pytest

from genesis.evaluation.distance import MixedSpace, nearest, nearest_without_each, pairwise


def encode(real, synthetic, columns=None):
    space = MixedSpace.fit([real, synthetic], columns or list(real.columns))
    return space, space.encode(real), space.encode(synthetic)


def test_hand_worked_three_rows():
    real = pd.DataFrame({"age": [20, 40, 60], "sex": ["F", "M", "F"]})
    synthetic = pd.DataFrame({"age": [30, 60, 45], "sex": ["F", "F", "M"]})
    _, real_rows, synthetic_rows = encode(real, synthetic)

    found = nearest(synthetic_rows, real_rows, np.random.default_rng(0))

    # Row 1: |30-20|/40 = 0.25 on age, 0 on sex, mean 0.125. Row 2 copies (60, F). Row 3: |45-40|/40 / 2.
    assert found.distance.tolist() == pytest.approx([0.125, 0.0, 0.0625])
    assert found.index[1, 0] == 2
    assert found.index[2, 0] == 1


def test_ties_broken_at_random():
    real = pd.DataFrame({"x": ["a", "a", "a", "a"]})
    synthetic = pd.DataFrame({"x": ["a"] * 400})
    _, real_rows, synthetic_rows = encode(real, synthetic)

    found = nearest(synthetic_rows, real_rows, np.random.default_rng(1))

    assert set(found.index[:, 0]) == {0, 1, 2, 3}
    assert (found.n_tied == 4).all()


def test_constant_column_gives_finite_distances():
    real = pd.DataFrame({"c": [5.0] * 10, "y": np.arange(10.0)})
    synthetic = pd.DataFrame({"c": [5.0, 7.0], "y": [0.0, 3.0]})
    _, real_rows, synthetic_rows = encode(real, synthetic)

    found = nearest(synthetic_rows, real_rows, np.random.default_rng(0))

    assert np.isfinite(found.distance).all()
    assert found.distance[0] == 0.0
    assert found.distance[1] == pytest.approx(0.5)


def test_missing_values_rules():
    real = pd.DataFrame({"x": [np.nan, 0.0, 1.0], "c": [None, "a", "b"]})
    synthetic = pd.DataFrame({"x": [np.nan, 0.0], "c": [None, None]})
    _, real_rows, synthetic_rows = encode(real, synthetic)

    matrix = pairwise(synthetic_rows, real_rows)

    assert matrix[0, 0] == 0.0
    assert matrix[0, 1] == pytest.approx(1.0)
    assert matrix[1, 1] == pytest.approx(0.5)


def test_column_names_with_spaces_quotes_unicode():
    names = ["blood pressure", "it's", "größe"]
    real = pd.DataFrame({names[0]: [120, 130], names[1]: ["a", "b"], names[2]: [1.5, 2.5]})
    _, real_rows, synthetic_rows = encode(real, real.copy())

    found = nearest(synthetic_rows, real_rows, np.random.default_rng(0))

    assert found.distance.tolist() == [0.0, 0.0]


def test_chunks_match_one_pass():
    rng = np.random.default_rng(3)
    real = pd.DataFrame({"x": rng.normal(size=300), "c": rng.choice(list("abc"), 300)})
    synthetic = pd.DataFrame({"x": rng.normal(size=120), "c": rng.choice(list("abc"), 120)})
    _, real_rows, synthetic_rows = encode(real, synthetic)

    small = nearest(synthetic_rows, real_rows, np.random.default_rng(0), chunk_bytes=64)
    large = nearest(synthetic_rows, real_rows, np.random.default_rng(0), chunk_bytes=10**8)
    brute = pairwise(synthetic_rows, real_rows).min(axis=1)

    np.testing.assert_allclose(small.distance, brute, atol=1e-6)
    np.testing.assert_allclose(large.distance, brute, atol=1e-6)


def test_leave_one_column_out_matches_search():
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"x": rng.normal(size=200), "c": rng.choice(list("abcd"), 200),
                          "z": rng.normal(size=200)})
    space, rows, _ = encode(frame, frame)

    found = nearest_without_each(rows.take(np.arange(50)), rows, [("categorical", 0), ("numeric", 1)],
                                 np.random.default_rng(0))
    without_c = rows.columns([0, 1], [])
    expected = pairwise(without_c.take(np.arange(50)), without_c)

    chosen = expected[np.arange(50), found[0]]
    np.testing.assert_allclose(chosen, expected.min(axis=1), atol=1e-6)
    assert space.numeric == ("x", "z")


def test_datetime_and_bool_columns():
    real = pd.DataFrame({"when": pd.date_range("2020-01-01", periods=3, tz="UTC"),
                         "flag": [True, False, True]})
    space, real_rows, _ = encode(real, real)

    assert space.numeric == ("when",)
    assert space.categorical == ("flag",)
    assert real_rows.numeric[:, 0].tolist() == [0.0, 0.5, 1.0]
