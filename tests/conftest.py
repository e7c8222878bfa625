"""Shared fixtures: small tables with every column kind, and the shared real tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

SHARED_DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"


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


def shared_table(name: str, **read_options: object) -> pd.DataFrame:
    """Read a table from the shared datasets folder, or skip the test when it is absent."""
    path = SHARED_DATASETS / name
    if not path.is_file():
        pytest.skip(f"shared dataset {name} not found at {path}")
    return pd.read_csv(path, **read_options)
