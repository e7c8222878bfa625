"""Read and write the tables of the quality benchmark the same way in every venv.

Both genesis and SDMetrics read each table from the same CSV with the same
rules, so they score identical values. Every cell is read as text with no
missing-value codes. Then the numeric columns are parsed as numbers, and
their empty cells become NaN. Only pandas is needed, so the SDMetrics venv can import
this module too.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

SDTYPES = {"numeric": "numerical", "datetime": "datetime", "categorical": "categorical"}
"""genesis comparison kind -> SDMetrics sdtype."""


def read_table(path: Path, kinds: Mapping[str, str]) -> pd.DataFrame:
    """Read a CSV with `kinds` (column -> genesis kind) deciding which columns are numbers."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame = frame[list(kinds)]
    for name, kind in kinds.items():
        if kind == "numeric":
            frame[name] = pd.to_numeric(frame[name].replace("", None), errors="coerce").astype(float)
        elif kind == "datetime":
            frame[name] = pd.to_datetime(frame[name].replace("", None))
        else:
            frame[name] = frame[name].astype(object)
    return frame


def sdmetrics_metadata(kinds: Mapping[str, str]) -> dict:
    return {"columns": {name: {"sdtype": SDTYPES[kind]} for name, kind in kinds.items()}}
