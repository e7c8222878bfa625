"""Property tests of `datetime_to_ns` and `ns_to_datetime`: timestamps round-trip exactly."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from genesis.errors import InvalidDataError
from genesis.transforms.datetime import datetime_to_ns, ns_to_datetime

# k * 1e9 = k * 1953125 * 2**9 is exact in float64 while k * 1953125 < 2**53, that is for
# |k| below 4.6e9 seconds (146 years) from the epoch. These bounds stay inside that window.
SECOND_RESOLUTION = st.datetimes(
    min_value=dt.datetime(1825, 1, 1), max_value=dt.datetime(2114, 12, 31)
).map(lambda stamp: stamp.replace(microsecond=0))

# Every nanosecond count below 2**53 (about 104 days) is exact in float64.
NS_WINDOW = 2**53 - 1

ZONES = st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Pacific/Chatham"])
UNITS = st.sampled_from(["s", "ms", "us", "ns"])


@st.composite
def naive_series(draw, unit_strategy=UNITS) -> pd.Series:
    """Draw a naive series at second resolution, with NaT among the values, stored in a drawn unit."""
    stamps = draw(st.lists(st.one_of(SECOND_RESOLUTION, st.none()), max_size=30))
    unit = draw(unit_strategy)
    return pd.Series(pd.to_datetime(stamps), dtype=f"datetime64[{unit}]")


def round_trip(series: pd.Series, timezone: str | None) -> pd.Series:
    ns = datetime_to_ns(series).to_numpy()
    return ns_to_datetime(ns, str(series.dtype), timezone)


@given(naive_series())
def test_naive_round_trip(series):
    pd.testing.assert_series_equal(round_trip(series, None), series, check_index=False)


@given(naive_series(), ZONES)
def test_aware_round_trip(series, zone):
    aware = series.dt.tz_localize("UTC").dt.tz_convert(zone)
    pd.testing.assert_series_equal(round_trip(aware, zone), aware, check_index=False)


@given(st.lists(st.integers(-NS_WINDOW, NS_WINDOW), max_size=30))
def test_nanoseconds_exact_near_epoch(counts):
    series = pd.Series(pd.to_datetime(np.array(counts, dtype=np.int64), unit="ns"))
    pd.testing.assert_series_equal(round_trip(series, None), series, check_index=False)


@given(naive_series(st.just("ns")))
def test_ns_are_integer_nanoseconds(series):
    ns = datetime_to_ns(series)
    present = series.notna().to_numpy()
    expected = series[present].to_numpy().view(np.int64).astype(float)
    assert np.array_equal(ns.to_numpy()[present], expected)


@given(naive_series())
def test_nat_becomes_nan(series):
    ns = datetime_to_ns(series)
    assert np.array_equal(np.isnan(ns.to_numpy()), series.isna().to_numpy())


@given(naive_series())
def test_ns_are_float64(series):
    assert datetime_to_ns(series).dtype == np.float64


@given(naive_series(), ZONES, ZONES)
def test_same_instant_same_ns(series, first_zone, second_zone):
    first = series.dt.tz_localize("UTC").dt.tz_convert(first_zone)
    second = series.dt.tz_localize("UTC").dt.tz_convert(second_zone)
    assert np.array_equal(datetime_to_ns(first), datetime_to_ns(second), equal_nan=True)


@given(naive_series(), ZONES)
def test_aware_ns_match_utc(series, zone):
    aware = series.dt.tz_localize("UTC").dt.tz_convert(zone)
    assert np.array_equal(datetime_to_ns(aware), datetime_to_ns(series), equal_nan=True)


def test_index_kept():
    series = pd.Series(pd.to_datetime(["2020-01-01", None]), index=[10, 20])
    assert datetime_to_ns(series).index.tolist() == [10, 20]


def test_epoch_is_zero():
    assert datetime_to_ns(pd.Series(pd.to_datetime(["1970-01-01"]))).tolist() == [0.0]


def test_all_missing_round_trip():
    series = pd.Series([pd.NaT, pd.NaT], dtype="datetime64[s]")
    pd.testing.assert_series_equal(round_trip(series, None), series)


def test_empty_round_trip():
    series = pd.Series([], dtype="datetime64[s]")
    pd.testing.assert_series_equal(round_trip(series, None), series)


def test_inverse_rounds_to_nanoseconds():
    restored = ns_to_datetime(np.array([1.4, 1.6]), "datetime64[ns]", None)
    assert restored.to_numpy().view(np.int64).tolist() == [1, 2]


# NOTE: pandas 3 stores datetime.datetime values at microsecond resolution, so it accepts
# years 1 to 9999, but nanoseconds since the epoch fit int64 only from 1677 to 2262.
def test_out_of_range_year_raises_invalid_data():
    series = pd.Series([dt.datetime(1500, 1, 1)], name="born")
    with pytest.raises(InvalidDataError, match="born"):
        datetime_to_ns(series)
