"""SHA-256 fingerprints of a table and of a configuration, stable across pandas versions and dtypes.

A report names the files it was computed on by their fingerprints, so a reviewer
can check later that a report belongs to a given real and synthetic table
(`ComplianceReport.verify`). The hash is taken over a canonical text form of the
table, not over pandas' own bytes, because those change with the pandas version,
the dtype backend (numpy, nullable, pyarrow) and the string dtype:

* each column becomes its name followed by one JSON value per row;
* a missing value (None, NaN, NaT, pd.NA) is ``null``;
* a number is written as an integer when it is integral ("3" for 3, 3.0 and
  Int64 3), otherwise in Python's shortest round-trip float form;
* booleans are ``true``/``false``, datetimes are ISO 8601 in UTC when they carry
  a time zone, categoricals are their values, everything else is its text.

Row order and column order are part of the fingerprint: a reordered table is a
different file. The index and ``df.attrs`` are not.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

FINGERPRINT_METHOD = (
    "SHA-256 over a canonical serialization: per row, a JSON array of the values in column order "
    "(missing as null, integral numbers as integers, other numbers as shortest round-trip floats, "
    "datetimes as ISO 8601, time-zone-aware ones in UTC), after a header of column names; "
    "independent of the pandas version and dtype backend, dependent on row and column order"
)

# Release-record fields that describe how the table was made; `created_at` and row
# counts change with every call of `generate` and are left out.
CONFIGURATION_FIELDS = ("generator", "random_state", "privacy", "k_anonymity", "dropped_identifier_columns")


def canonical_rows(frame: pd.DataFrame, columns: Iterable[object] | None = None) -> list[str]:
    """Return one canonical text line per row of `frame`, over `columns` (all columns when None)."""
    labels = list(frame.columns if columns is None else columns)
    if not labels:
        return ["[]"] * len(frame)
    encoded = [_canonical_column(frame[label]) for label in labels]
    return ["[" + ",".join(cells) + "]" for cells in zip(*encoded, strict=True)]


def table_fingerprint(frame: pd.DataFrame) -> str:
    """Return the hex SHA-256 of `frame`'s canonical serialization (see the module docstring)."""
    digest = hashlib.sha256()
    header = json.dumps([str(label) for label in frame.columns], ensure_ascii=False)
    digest.update(header.encode("utf-8") + b"\n")
    for line in canonical_rows(frame):
        digest.update(line.encode("utf-8") + b"\n")
    return digest.hexdigest()


def column_fingerprints(frame: pd.DataFrame) -> dict[str, str]:
    """Return the hex SHA-256 of each column's name and canonical values, by column name.

    A report stores them so `ComplianceReport.verify` can name the columns that
    differ. They reveal no more than the table fingerprint: a reader can only
    confirm a guess of a whole column.
    """
    fingerprints = {}
    for label in frame.columns:
        digest = hashlib.sha256(json.dumps(str(label), ensure_ascii=False).encode("utf-8") + b"\n")
        for cell in _canonical_column(frame[label]):
            digest.update(cell.encode("utf-8") + b"\n")
        fingerprints[str(label)] = digest.hexdigest()
    return fingerprints


def configuration_fingerprint(record: Mapping[str, Any] | None) -> str | None:
    """Return the hex SHA-256 of the configuration part of a release record, or None without a record.

    The configuration is the generator kind and settings, the seed, the privacy
    configuration with its ledger, and the generalization applied, serialized as
    JSON with sorted keys.
    """
    if record is None:
        return None
    configuration = {key: record.get(key) for key in CONFIGURATION_FIELDS}
    text = json.dumps(configuration, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def count_copied_rows(real: pd.DataFrame, synthetic: pd.DataFrame) -> tuple[int, tuple[str, ...]]:
    """Count synthetic rows equal to some real row in every column the two tables share.

    Values are compared in their canonical form, so 3 and 3.0 match and dtypes do
    not matter. Returns the count and the shared columns compared. A table that
    shares no column has no copies.
    """
    shared = tuple(str(c) for c in synthetic.columns if c in set(real.columns))
    if not shared:
        return 0, shared
    real_rows = set(canonical_rows(real, shared))
    copied = sum(line in real_rows for line in canonical_rows(synthetic, shared))
    return copied, shared


def _canonical_column(series: pd.Series) -> list[str]:
    """Return the JSON text of each value of one column."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        series = series.astype(object)
        dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return [_json_or_null(value, lambda v: "true" if v else "false") for value in series.astype(object)]
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return _canonical_datetimes(series)
    if pd.api.types.is_integer_dtype(dtype):
        return [_json_or_null(value, lambda v: str(int(v))) for value in series.astype(object)]
    if pd.api.types.is_float_dtype(dtype):
        return [_json_or_null(value, _canonical_number) for value in series.astype(object)]
    return [_json_or_null(value, _canonical_object) for value in series.astype(object)]


def _canonical_datetimes(series: pd.Series) -> list[str]:
    if getattr(series.dt, "tz", None) is not None:
        series = series.dt.tz_convert("UTC")
    return [_json_or_null(value, lambda v: json.dumps(v.isoformat())) for value in series.astype(object)]


def _canonical_object(value: Any) -> str:
    """Write a value of an object or string column; numbers in it follow the numeric rules."""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return _canonical_number(value)
    if isinstance(value, pd.Timestamp):
        return json.dumps(value.tz_convert("UTC").isoformat() if value.tzinfo else value.isoformat())
    return json.dumps(str(value), ensure_ascii=False)


def _canonical_number(value: Any) -> str:
    number = float(value)
    if math.isfinite(number) and number.is_integer() and abs(number) < 2**63:
        return str(int(number))
    return json.dumps(number)  # shortest round-trip form; Infinity and -Infinity for the infinities


def _json_or_null(value: Any, write: Any) -> str:
    if value is None or value is pd.NA or value is pd.NaT:
        return "null"
    if isinstance(value, float | np.floating) and math.isnan(value):
        return "null"
    return write(value)
