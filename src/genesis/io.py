"""Reading and writing tables for the command-line tool (CSV and Parquet).

CSV files carry no types, so `read_table` keeps what the text means: a column
is numeric only when every value parses as a number and none has a leading
zero (ZIP "02134" stays text), ISO 8601 date columns become datetimes, and
only empty fields are missing ("None", "NA" and "?" stay text unless named in
`na_values`), so nothing the file says is silently turned into a gap. Columns
named in `text_columns` stay text even when every value is a number, e.g. ZIP
codes such as "10001" that a table built in memory stores as text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from genesis.errors import InvalidDataError

_LEADING_ZERO = re.compile(r"^[+-]?0\d")
_ISO_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$"
)
SUPPORTED_SUFFIXES = (".csv", ".parquet", ".pq")


def read_table(path: Path, na_values: Sequence[str] = (), text_columns: Sequence[str] = ()) -> pd.DataFrame:
    """Read a CSV or Parquet file; raise `InvalidDataError` with the fix for anything else.

    `text_columns` applies to CSV files only, because Parquet stores each column's type.
    """
    suffix = _suffix(path)
    if not path.is_file():
        raise FileNotFoundError(f"Input file {str(path)!r} not found. Check the path.")
    if suffix in (".parquet", ".pq"):
        return pd.read_parquet(path)

    raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""] + list(na_values))
    return pd.DataFrame(
        {name: raw[name] if name in text_columns else _parse_column(raw[name]) for name in raw.columns}
    )


def read_columns(path: Path) -> list[str]:
    """Return the column names of a CSV or Parquet file, reading only its header."""
    suffix = _suffix(path)
    if not path.is_file():
        raise FileNotFoundError(f"Input file {str(path)!r} not found. Check the path.")
    if suffix in (".parquet", ".pq"):
        import pyarrow.parquet

        return list(pyarrow.parquet.read_schema(path).names)
    return [str(name) for name in pd.read_csv(path, dtype=str, nrows=0).columns]


def write_table(frame: pd.DataFrame, path: Path) -> None:
    suffix = _suffix(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix in (".parquet", ".pq"):
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise InvalidDataError(
            f"File {str(path)!r} has extension {suffix!r}, but genesis reads and writes only "
            f"{list(SUPPORTED_SUFFIXES)}. Convert the file or rename it."
        )
    return suffix


def _parse_column(text: pd.Series) -> pd.Series:
    values = text.dropna()
    if values.empty:
        return pd.Series(float("nan"), index=text.index, dtype=float)

    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.notna().all() and not values.str.match(_LEADING_ZERO).any():
        parsed = pd.to_numeric(text)
        integral = (parsed.dropna() == parsed.dropna().round()).all()
        if integral and not values.str.contains(r"[.eE]").any():
            return parsed.astype("Int64") if parsed.isna().any() else parsed.astype("int64")
        return parsed.astype(float)

    if values.str.match(_ISO_DATETIME).all():
        try:
            return pd.to_datetime(text, format="ISO8601")
        except (ValueError, TypeError):
            return text
    return text
