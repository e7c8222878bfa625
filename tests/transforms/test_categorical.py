"""Property tests of `CategoricalEncoder`: codes and values round-trip exactly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genesis.errors import InvalidDataError
from genesis.transforms.categorical import CategoricalEncoder

INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)

# One value type per column, as `genesis.schema.infer` rejects columns that mix types.
CATEGORY_LISTS = st.one_of(
    st.lists(INT64, min_size=1, max_size=20, unique=True),
    st.lists(st.text(max_size=8), min_size=1, max_size=20, unique=True),
    st.lists(st.booleans(), min_size=1, max_size=2, unique=True),
)


@st.composite
def column_values(draw, nullable: bool) -> tuple[list, list]:
    """Draw (categories, values), with NaN among the values when `nullable`."""
    categories = draw(CATEGORY_LISTS)
    choices = st.sampled_from(categories)
    if nullable:
        choices = st.one_of(choices, st.just(np.nan))
    return categories, draw(st.lists(choices, max_size=50))


def same_values(decoded: np.ndarray, expected: list) -> bool:
    """Compare element-wise with NaN equal to NaN and the Python type kept (True is not 1)."""
    if len(decoded) != len(expected):
        return False
    for got, want in zip(decoded, expected, strict=True):
        if pd.isna(want):
            if not (isinstance(got, float) and np.isnan(got)):
                return False
        elif type(got) is not type(want) or got != want:
            return False
    return True


@given(column_values(nullable=True))
def test_decode_inverts_encode(drawn):
    categories, values = drawn
    encoder = CategoricalEncoder(categories, nullable=True, column="c")
    decoded = encoder.decode(encoder.encode(np.array(values, dtype=object)))
    assert same_values(decoded, values)


@given(column_values(nullable=False))
def test_decode_inverts_encode_without_missing(drawn):
    categories, values = drawn
    encoder = CategoricalEncoder(categories, nullable=False, column="c")
    decoded = encoder.decode(encoder.encode(np.array(values, dtype=object)))
    assert same_values(decoded, values)


@given(CATEGORY_LISTS, st.booleans(), st.data())
def test_encode_inverts_decode(categories, nullable, data):
    encoder = CategoricalEncoder(categories, nullable=nullable, column="c")
    codes = np.array(data.draw(st.lists(st.integers(0, encoder.n_codes - 1), max_size=50)), dtype=np.int64)
    assert np.array_equal(encoder.encode(encoder.decode(codes)), codes)


@given(column_values(nullable=True))
def test_codes_in_range(drawn):
    categories, values = drawn
    encoder = CategoricalEncoder(categories, nullable=True, column="c")
    codes = encoder.encode(np.array(values, dtype=object))
    assert codes.dtype == np.int64
    assert np.all((codes >= 0) & (codes < encoder.n_codes))


@given(column_values(nullable=True))
def test_missing_gets_last_code(drawn):
    categories, values = drawn
    encoder = CategoricalEncoder(categories, nullable=True, column="c")
    codes = encoder.encode(np.array(values, dtype=object))
    missing = np.array([pd.isna(value) for value in values], dtype=bool)
    assert np.all((codes == len(categories)) == missing)


def test_code_is_domain_position():
    encoder = CategoricalEncoder(["b", "a", "c"], nullable=False, column="c")
    assert encoder.encode(np.array(["a", "b", "c"], dtype=object)).tolist() == [1, 0, 2]


def test_missing_code_without_nullable():
    assert CategoricalEncoder(["a"], nullable=False).missing_code is None


@given(CATEGORY_LISTS, st.booleans(), st.data())
def test_one_hot_marks_code(categories, nullable, data):
    encoder = CategoricalEncoder(categories, nullable=nullable, column="c")
    code_lists = st.lists(st.integers(0, encoder.n_codes - 1), min_size=1, max_size=20)
    codes = np.array(data.draw(code_lists), dtype=np.int64)
    matrix = encoder.one_hot(codes)
    assert matrix.shape == (codes.size, encoder.n_codes)
    assert np.array_equal(matrix.argmax(axis=1), codes)
    assert np.all(matrix.sum(axis=1) == 1)


@given(CATEGORY_LISTS, st.booleans())
def test_dict_round_trip(categories, nullable):
    encoder = CategoricalEncoder(categories, nullable=nullable, column="c")
    restored = CategoricalEncoder.from_dict(encoder.to_dict())
    assert restored.categories == encoder.categories
    assert restored.nullable == encoder.nullable
    assert restored.column == encoder.column


# --- Errors ------------------------------------------------------------------------------------


@given(column_values(nullable=False))
@settings(max_examples=30)
def test_missing_in_non_nullable_raises(drawn):
    categories, values = drawn
    encoder = CategoricalEncoder(categories, nullable=False, column="colour")
    with pytest.raises(InvalidDataError, match="Column 'colour' has 1 missing values"):
        encoder.encode(np.array([*values, np.nan], dtype=object))


def test_value_outside_domain_raises():
    encoder = CategoricalEncoder(["red", "blue"], nullable=False, column="colour")
    with pytest.raises(InvalidDataError, match="Column 'colour' has value 'green'"):
        encoder.encode(np.array(["red", "green"], dtype=object))


def test_value_outside_domain_raises_when_nullable():
    encoder = CategoricalEncoder(["red", "blue"], nullable=True, column="colour")
    with pytest.raises(InvalidDataError, match="Column 'colour' has value 'green'"):
        encoder.encode(np.array(["red", "green"], dtype=object))


def test_unknown_becomes_missing_when_asked():
    encoder = CategoricalEncoder(["red", "blue"], nullable=True, column="colour")
    codes = encoder.encode(np.array(["red", "green"], dtype=object), unknown="missing")
    assert codes.tolist() == [0, 2]


def test_unknown_missing_needs_nullable():
    encoder = CategoricalEncoder(["red", "blue"], nullable=False, column="colour")
    with pytest.raises(InvalidDataError, match="Column 'colour' has value 'green'"):
        encoder.encode(np.array(["green"], dtype=object), unknown="missing")
