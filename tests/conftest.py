"""Shared fixtures: a small table with every column kind genesis keeps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


@pytest.fixture
def mixed_table() -> pd.DataFrame:
    """Forty rows covering each dtype genesis must keep, with missing values."""
    n = 40
    rng = np.random.default_rng(7)
    stamps = pd.date_range("2020-01-01", periods=n, freq="D", tz="Europe/Berlin")
    frame = pd.DataFrame(
        {
            "age": rng.integers(18, 90, n),
            "weight": np.round(rng.normal(70, 10, n), 1),
            "visits": pd.array([None if i % 7 == 0 else i % 5 for i in range(n)], dtype="Int64"),
            "smoker": rng.random(n) < 0.3,
            "zip": rng.choice(["02134", "02139", "10001"], n),
            "blood_type": rng.choice(["A", "B", "O"], n).astype(object),
            "admitted": stamps,
        }
    )
    frame.loc[3, "weight"] = np.nan
    frame.loc[5, "blood_type"] = np.nan
    frame.loc[6, "admitted"] = pd.NaT
    return frame
