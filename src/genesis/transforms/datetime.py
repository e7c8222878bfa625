"""Datetimes to nanoseconds since the Unix epoch (UTC) and back."""

from __future__ import annotations

import numpy as np
import pandas as pd

from genesis.errors import InvalidDataError


def datetime_to_ns(stamps: pd.Series) -> pd.Series:
    """Return nanoseconds since 1970-01-01 UTC as float64, NaN for missing.

    Timezone-aware values are converted to UTC first, so that instants, not
    wall-clock readings, are modelled. float64 holds every nanosecond exactly
    only within about 104 days of the epoch; farther away the spacing is a few
    hundred nanoseconds, far below the second resolution of real tables.
    """
    stamps = pd.to_datetime(stamps)
    if stamps.dt.tz is not None:
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    try:
        stamps = stamps.astype("datetime64[ns]")
    except pd.errors.OutOfBoundsDatetime as error:
        raise InvalidDataError(
            f"Column {stamps.name!r} has datetimes from {stamps.min()} to {stamps.max()}, but genesis "
            "models datetimes as nanoseconds since 1970 (int64), which covers the years 1677 to 2262. "
            "Fix the out-of-range values or convert the column to a year number."
        ) from error
    ns = stamps.to_numpy().view(np.int64).astype(float)
    ns[stamps.isna().to_numpy()] = np.nan
    return pd.Series(ns, index=stamps.index)


def ns_to_datetime(ns: np.ndarray, dtype: str, timezone: str | None) -> pd.Series:
    """Inverse of `datetime_to_ns`, cast to the input's `dtype` and zone."""
    ns = np.asarray(ns, dtype=float)
    missing = np.isnan(ns)
    integers = np.where(missing, 0, np.round(ns)).astype(np.int64)

    stamps = pd.Series(pd.to_datetime(integers, unit="ns", utc=timezone is not None))
    stamps[missing] = pd.NaT
    if timezone is not None:
        stamps = stamps.dt.tz_convert(timezone)
    return stamps.astype(dtype)
