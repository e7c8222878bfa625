"""Property tests of `fill_missing` and `apply_missing`: the split into values and mask is lossless."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from genesis.transforms.missing import apply_missing, fill_missing

# Any float64 array, including NaN, infinities and -0.0.
ARRAYS = hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=1, min_side=0, max_side=50),
                    elements=st.floats(allow_nan=True, allow_infinity=True))
FILLS = st.floats(allow_nan=False, allow_infinity=False)


@given(ARRAYS, FILLS)
def test_apply_inverts_fill(values, fill):
    restored = apply_missing(*fill_missing(values, fill))
    assert np.array_equal(restored, values, equal_nan=True)


@given(ARRAYS, FILLS)
def test_round_trip_keeps_signed_zero(values, fill):
    restored = apply_missing(*fill_missing(values, fill))
    present = ~np.isnan(values)
    assert np.array_equal(np.signbit(restored[present]), np.signbit(values[present]))


@given(ARRAYS, FILLS)
def test_mask_marks_nan(values, fill):
    _, missing = fill_missing(values, fill)
    assert missing.dtype == bool
    assert np.array_equal(missing, np.isnan(values))


@given(ARRAYS, FILLS)
def test_filled_has_no_nan(values, fill):
    filled, _ = fill_missing(values, fill)
    assert not np.isnan(filled).any()


@given(ARRAYS, FILLS)
def test_fill_value_where_missing(values, fill):
    filled, missing = fill_missing(values, fill)
    assert np.all(filled[missing] == fill)


@given(ARRAYS, FILLS)
def test_present_values_unchanged(values, fill):
    filled, missing = fill_missing(values, fill)
    assert np.array_equal(filled[~missing], values[~missing])


@given(ARRAYS, FILLS)
def test_input_not_modified(values, fill):
    before = values.copy()
    fill_missing(values, fill)
    assert np.array_equal(values, before, equal_nan=True)


@given(ARRAYS, st.data())
def test_apply_sets_nan_at_mask(values, data):
    mask = data.draw(hnp.arrays(bool, values.shape))
    result = apply_missing(values, mask)
    assert np.isnan(result[mask]).all()
    assert np.array_equal(result[~mask], values[~mask], equal_nan=True)


def test_integer_input_becomes_float():
    filled, missing = fill_missing(np.array([1, 2, 3]), 0.0)
    assert filled.dtype == np.float64
    assert not missing.any()


def test_list_mask_accepted():
    result = apply_missing(np.array([1.0, 2.0]), [0, 1])
    assert np.array_equal(result, [1.0, np.nan], equal_nan=True)
