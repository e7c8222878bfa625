"""Column kinds, input validation, and the canonical form generators work on.

`infer` reads a DataFrame and returns a `Schema`: one `Column` per input column
with its kind, the user's dtype and what is needed to write values back in
that dtype. `Schema.to_canonical` turns the table into the form every
generator reads (numbers and datetimes as float64 with NaN for missing,
categories as Python scalars); `Schema.from_canonical` turns generated rows
back into the user's dtypes and column order, and fills identifier columns
with fresh surrogate values.
"""

from __future__ import annotations

import enum
import math
import re
import uuid
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from genesis.errors import (
    ConfigError,
    IdentifierColumnWarning,
    InvalidColumnTypeError,
    InvalidDataError,
    invalid_value,
)
from genesis.transforms.datetime import datetime_to_ns, ns_to_datetime

DEFAULT_MAX_CATEGORIES = 1000
"""Largest number of distinct values a categorical column may have.

The diabetes table of Strack et al. (2014) has about 790 ICD-9 codes in each
diagnosis column, so the default admits it; a free-text or ID column stops
here with an error instead of building a one-hot encoding of 100,000 levels.
"""

MIN_IDENTIFIER_ROWS = 10
"""An all-unique column is called identifier-like only from this many rows on."""

MAX_FLOAT_DECIMALS = 6

_ID_NAME = re.compile(r"(^|[_\W])(id|ids|nbr|num|no|number|key|uuid|guid)$|[a-z]Id$|ID$", re.I)
# Under DP only the name can mark an ID, so "num", "no" and "number" (as in "education-num") are left out.
_PRIVATE_ID_NAME = re.compile(r"(^|[_\W])(id|ids|nbr|key|uuid|guid|mrn)$|[a-z]Id$|ID$", re.I)
_PREFIXED_ID = re.compile(r"^([A-Za-z_#\-]*?)(\d+)([A-Za-z_\-]*)$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
_NS_PER = {"day": 86_400 * 10**9, "hour": 3_600 * 10**9, "minute": 60 * 10**9, "second": 10**9}


class ColumnKind(str, enum.Enum):
    """The kind of model a column gets."""

    CATEGORICAL = "categorical"
    INTEGER = "integer"
    FLOAT = "float"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    IDENTIFIER = "identifier"

    @property
    def is_numeric(self) -> bool:
        return self in (ColumnKind.INTEGER, ColumnKind.FLOAT, ColumnKind.DATETIME)


@dataclass(frozen=True)
class Column:
    """One input column: its kind and how to write generated values back.

    Attributes
    ----------
    name:
        Column name.
    kind:
        How the column is modelled.
    dtype:
        The input dtype as `str(series.dtype)`, restored on output.
    decimals:
        For float columns, the number of decimals the input uses (at most 6),
        so that output is rounded the same way; None when the input has more.
    resolution:
        For datetime columns, the coarsest unit ("day", "hour", "minute",
        "second") all input values are multiples of; None for finer values.
    timezone:
        For timezone-aware datetime columns, the zone name.
    id_format:
        For identifier columns, the format of the surrogate values.
    """

    name: str
    kind: ColumnKind
    dtype: str
    decimals: int | None = None
    resolution: str | None = None
    timezone: str | None = None
    id_format: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind.value,
            "dtype": self.dtype,
            "decimals": self.decimals,
            "resolution": self.resolution,
            "timezone": self.timezone,
            "id_format": self.id_format,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Column:
        return cls(**{**data, "kind": ColumnKind(data["kind"])})


@dataclass(frozen=True)
class Schema:
    """The columns of a table, in input order."""

    columns: tuple[Column, ...] = field(default_factory=tuple)

    @property
    def names(self) -> list[str]:
        return [column.name for column in self.columns]

    @property
    def modelled_columns(self) -> list[Column]:
        """Columns a generator learns (every kind but identifiers)."""
        return [c for c in self.columns if c.kind is not ColumnKind.IDENTIFIER]

    @property
    def identifier_columns(self) -> list[Column]:
        return [c for c in self.columns if c.kind is ColumnKind.IDENTIFIER]

    def __getitem__(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {"columns": [column.to_dict() for column in self.columns]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Schema:
        return cls(tuple(Column.from_dict(c) for c in data["columns"]))

    def to_canonical(self, data: pd.DataFrame) -> pd.DataFrame:
        """Return the modelled columns in the form generators read.

        Integer, float and datetime columns become float64 (datetimes as
        nanoseconds since the Unix epoch, UTC) with NaN for missing values;
        categorical and boolean columns become object columns of Python
        scalars with NaN for missing values.
        """
        canonical = {}
        for column in self.modelled_columns:
            canonical[column.name] = _to_canonical_values(data[column.name], column)
        return pd.DataFrame(canonical, index=pd.RangeIndex(len(data)))

    def from_canonical(self, data: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
        """Write generated canonical values back in the input's dtypes and column order."""
        n_rows = len(data)
        restored = {}
        for column in self.columns:
            if column.kind is ColumnKind.IDENTIFIER:
                restored[column.name] = make_surrogate_ids(column, n_rows, rng)
            else:
                restored[column.name] = _from_canonical_values(data[column.name], column)
        return pd.DataFrame(restored, index=pd.RangeIndex(n_rows))


def infer(
    data: pd.DataFrame,
    discrete_columns: Iterable[str] | None = None,
    column_kinds: Mapping[str, str | ColumnKind] | None = None,
    max_categories: int = DEFAULT_MAX_CATEGORIES,
    identifiers: str = "warn",
    private: bool = False,
) -> Schema:
    """Validate a table and infer the kind of each column.

    Parameters
    ----------
    data:
        The input table. It is not modified.
    discrete_columns:
        Columns to model as categories even when they hold numbers.
    column_kinds:
        Explicit kinds that override inference, e.g. ``{"zip": "categorical"}``
        or ``{"record_no": "identifier"}``.
    max_categories:
        Largest number of distinct values a categorical column may have.
    identifiers:
        What to do with identifier-like columns (all values unique and shaped
        like an ID): "warn" replaces them with surrogate IDs and warns,
        "error" raises.
    private:
        Infer from dtypes and names only, as differential privacy requires:
        a fact read from the values (all unique, all integral, the number of
        decimals) could change with a single record. Infinite values are left
        for the DP pipeline to clean, and the category limit applies to the
        categories released under DP instead of the raw ones.

    Raises
    ------
    InvalidDataError, InvalidColumnTypeError, ConfigError
        With the column, the value and the fix.
    """
    discrete = _validate_arguments(data, discrete_columns, column_kinds, max_categories, identifiers)
    overrides = {name: ColumnKind(kind) for name, kind in (column_kinds or {}).items()}
    _validate_frame(data)

    columns = []
    for name in data.columns:
        series = data[name]
        _validate_values(series, check_infinite=not private)
        kind = overrides.get(name) or _infer_kind(series, name in discrete, private)
        columns.append(_describe_column(series, kind, max_categories, name in overrides, private))

    for column in columns:
        if column.kind is ColumnKind.IDENTIFIER and column.name not in overrides:
            _report_identifier(column, identifiers, private)
    return Schema(tuple(columns))


def _validate_arguments(
    data: Any,
    discrete_columns: Iterable[str] | None,
    column_kinds: Mapping[str, Any] | None,
    max_categories: int,
    identifiers: str,
) -> set[str]:
    if not isinstance(data, pd.DataFrame):
        raise InvalidColumnTypeError(
            f"data must be a pandas DataFrame, got {type(data).__name__}. "
            "Load the table with pandas.read_csv or pandas.read_parquet first."
        )
    if isinstance(discrete_columns, str):
        raise ConfigError(
            invalid_value("discrete_columns", discrete_columns, "it must be a list of names",
                          f"Pass discrete_columns=[{discrete_columns!r}].")
        )
    discrete = set(discrete_columns or ())
    named = discrete | set(column_kinds or {})
    missing = sorted(str(n) for n in named if n not in data.columns)
    if missing:
        raise ConfigError(
            f"Columns {missing} are named in discrete_columns or column_kinds but not in the table. "
            f"The table has columns {[str(c) for c in data.columns]}."
        )
    valid_kinds = [k.value for k in ColumnKind]
    for name, kind in (column_kinds or {}).items():
        if str(getattr(kind, "value", kind)) not in valid_kinds:
            raise ConfigError(
                invalid_value(f"column_kinds[{name!r}]", kind, f"it must be one of {valid_kinds}",
                              "Use one of the listed kinds.")
            )
    if not isinstance(max_categories, int) or max_categories < 1:
        raise ConfigError(
            invalid_value("max_categories", max_categories, "it must be a positive integer",
                          "Pass for example max_categories=1000.")
        )
    if identifiers not in ("warn", "error"):
        raise ConfigError(
            invalid_value("identifiers", identifiers, "it must be 'warn' or 'error'",
                          "Use 'warn' to replace ID columns by surrogates, 'error' to stop.")
        )
    return discrete


def _validate_frame(data: pd.DataFrame) -> None:
    if data.shape[1] == 0:
        raise InvalidDataError("The table has no columns. Pass a DataFrame with at least one column.")
    if len(data) == 0:
        raise InvalidDataError("The table has no rows. Pass a DataFrame with at least one row.")

    bad_names = [c for c in data.columns if not isinstance(c, str)]
    if bad_names:
        raise InvalidColumnTypeError(
            f"Column names must be strings, but {bad_names[:5]!r} are not. "
            "Rename them, e.g. data.columns = data.columns.astype(str)."
        )
    duplicated = sorted(set(data.columns[data.columns.duplicated()]))
    if duplicated:
        raise InvalidDataError(
            f"Column names must be unique, but {duplicated!r} occur more than once. "
            "Rename or drop the duplicates."
        )


def _validate_values(series: pd.Series, check_infinite: bool = True) -> None:
    name = series.name
    if pd.api.types.is_float_dtype(series.dtype):
        if not check_infinite:
            return
        values = series.to_numpy(dtype=float, na_value=np.nan)
        infinite = np.isinf(values)
        if infinite.any():
            row = int(np.flatnonzero(infinite)[0])
            raise InvalidDataError(
                f"Column {name!r} has {int(infinite.sum())} infinite values (first at row {row}: "
                f"{values[row]!r}). Replace them with NaN (a missing value) or a finite number."
            )
        return
    if series.dtype != object:
        return

    non_null = series.dropna()
    first_of_each_type = non_null[~non_null.map(type).duplicated()]
    groups: dict[str, Any] = {}
    for value in first_of_each_type:
        groups.setdefault(_value_group(value, name), value)
    if len(groups) > 1:
        examples = ", ".join(f"{v!r} ({g})" for g, v in groups.items())
        raise InvalidDataError(
            f"Column {name!r} mixes value types: {examples}. Convert it to one type, e.g. "
            f"data[{name!r}] = data[{name!r}].astype(str), or fix the stray values."
        )


def _value_group(value: Any, name: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "boolean"
    if isinstance(value, int | float | np.integer | np.floating):
        if isinstance(value, float | np.floating) and math.isinf(value):
            raise InvalidDataError(
                f"Column {name!r} has an infinite value {value!r}. "
                "Replace it with NaN (a missing value) or a finite number."
            )
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, pd.Timestamp | np.datetime64):
        return "datetime"
    raise InvalidColumnTypeError(
        f"Column {name!r} holds a value of type {type(value).__name__} ({value!r:.60}), which "
        "cannot be modelled. Convert the column to text, numbers, booleans or datetimes."
    )


def _infer_kind(series: pd.Series, discrete: bool, private: bool = False) -> ColumnKind:
    dtype = series.dtype
    non_null = series.dropna()

    if pd.api.types.is_bool_dtype(dtype) or (
        dtype == object and len(non_null) and non_null.map(lambda v: isinstance(v, bool | np.bool_)).all()
    ):
        return ColumnKind.BOOLEAN
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return ColumnKind.DATETIME
    if dtype == object and len(non_null) and isinstance(non_null.iloc[0], pd.Timestamp):
        return ColumnKind.DATETIME
    if discrete:
        return ColumnKind.CATEGORICAL
    if private:
        return _infer_kind_from_dtype(series)
    if pd.api.types.is_integer_dtype(dtype):
        return ColumnKind.IDENTIFIER if _looks_like_integer_id(series) else ColumnKind.INTEGER
    if pd.api.types.is_float_dtype(dtype):
        values = non_null.to_numpy(dtype=float)
        integral = values.size > 0 and bool(np.all(values == np.round(values)))
        return ColumnKind.INTEGER if integral else ColumnKind.FLOAT
    if dtype == object and len(non_null) and isinstance(non_null.iloc[0], int | float | np.number):
        return ColumnKind.FLOAT
    if _string_id_format(series) is not None:
        return ColumnKind.IDENTIFIER
    return ColumnKind.CATEGORICAL


def _infer_kind_from_dtype(series: pd.Series) -> ColumnKind:
    """Infer a kind from the dtype and the column name alone (no value is read)."""
    named_like_id = bool(_PRIVATE_ID_NAME.search(str(series.name)))
    if pd.api.types.is_integer_dtype(series.dtype):
        return ColumnKind.IDENTIFIER if named_like_id else ColumnKind.INTEGER
    if pd.api.types.is_float_dtype(series.dtype):
        return ColumnKind.FLOAT
    return ColumnKind.IDENTIFIER if named_like_id else ColumnKind.CATEGORICAL


def _describe_column(
    series: pd.Series, kind: ColumnKind, max_categories: int, declared: bool, private: bool = False
) -> Column:
    name = str(series.name)
    column = Column(name=name, kind=kind, dtype=str(series.dtype))

    if private:
        return _describe_column_from_dtype(series, column)
    if kind in (ColumnKind.CATEGORICAL, ColumnKind.BOOLEAN):
        n_levels = int(series.nunique(dropna=True))
        if n_levels > max_categories:
            raise InvalidDataError(
                f"Column {name!r} has {n_levels} distinct values, more than max_categories="
                f"{max_categories}. If it is an identifier or free text, drop it; if it is a number, "
                "remove it from discrete_columns; otherwise raise max_categories."
            )
        return column
    if kind is ColumnKind.FLOAT:
        if not pd.api.types.is_numeric_dtype(series.dtype) and series.dtype != object:
            raise _kind_mismatch(series, kind)
        return replace(column, decimals=_float_decimals(series))
    if kind is ColumnKind.INTEGER:
        if not pd.api.types.is_numeric_dtype(series.dtype):
            raise _kind_mismatch(series, kind)
        return column
    if kind is ColumnKind.DATETIME:
        if not (pd.api.types.is_datetime64_any_dtype(series.dtype) or series.dtype == object):
            raise _kind_mismatch(series, kind)
        stamps = pd.to_datetime(series, utc=False)
        timezone = str(stamps.dt.tz) if stamps.dt.tz is not None else None
        return replace(column, timezone=timezone, resolution=_datetime_resolution(stamps))
    id_format = _string_id_format(series) or _integer_id_format(series)
    if id_format is None:
        if declared:
            id_format = {"style": "counter", "prefix": "ID", "width": len(str(len(series)))}
        else:
            raise _kind_mismatch(series, kind)
    return replace(column, id_format=id_format)


def _describe_column_from_dtype(series: pd.Series, column: Column) -> Column:
    """Describe a column for differential privacy: dtype facts only, no value-derived details."""
    kind = column.kind
    if kind is ColumnKind.DATETIME:
        if not pd.api.types.is_datetime64_any_dtype(series.dtype):
            raise _kind_mismatch(series, kind)
        timezone = str(series.dt.tz) if series.dt.tz is not None else None
        return replace(column, timezone=timezone)
    if kind in (ColumnKind.INTEGER, ColumnKind.FLOAT) and not pd.api.types.is_numeric_dtype(series.dtype):
        raise _kind_mismatch(series, kind)
    if kind is ColumnKind.IDENTIFIER:
        style = "integer" if pd.api.types.is_integer_dtype(series.dtype) else "counter"
        return replace(column, id_format={"style": style, "prefix": "", "suffix": "", "width": 0})
    return column


def _kind_mismatch(series: pd.Series, kind: ColumnKind) -> ConfigError:
    return ConfigError(
        f"Column {series.name!r} has dtype {series.dtype}, which cannot be modelled as {kind.value}. "
        "Convert the column first or choose another kind in column_kinds."
    )


def _float_decimals(series: pd.Series) -> int | None:
    values = series.dropna().to_numpy(dtype=float)
    if values.size == 0:
        return None
    scale = np.maximum(np.abs(values), 1.0)
    for decimals in range(MAX_FLOAT_DECIMALS + 1):
        if np.all(np.abs(np.round(values, decimals) - values) <= 1e-9 * scale):
            return decimals
    return None


def _datetime_resolution(stamps: pd.Series) -> str | None:
    ns = datetime_to_ns(stamps).dropna().to_numpy(dtype=np.int64)
    if ns.size == 0:
        return None
    for unit, step in _NS_PER.items():
        if np.all(ns % step == 0):
            return unit
    return None


def _looks_like_integer_id(series: pd.Series) -> bool:
    return (
        len(series) >= MIN_IDENTIFIER_ROWS
        and not series.isna().any()
        and series.is_unique
        and bool(_ID_NAME.search(str(series.name)))
    )


def _integer_id_format(series: pd.Series) -> dict[str, Any] | None:
    if pd.api.types.is_integer_dtype(series.dtype):
        return {"style": "integer"}
    return None


def _string_id_format(series: pd.Series) -> dict[str, Any] | None:
    """Describe an all-unique, ID-shaped text column, or return None."""
    if len(series) < MIN_IDENTIFIER_ROWS or series.isna().any() or not series.is_unique:
        return None
    values = series.astype(str)
    if not values.map(lambda v: bool(_PREFIXED_ID.match(v) or _UUID.match(v))).all():
        return None
    if values.map(lambda v: bool(_UUID.match(v))).all():
        return {"style": "uuid"}

    parts = values.str.extract(_PREFIXED_ID)
    if parts[0].nunique() != 1 or parts[2].nunique() != 1:
        return None
    widths = parts[1].str.len()
    return {
        "style": "counter",
        "prefix": str(parts[0].iloc[0]),
        "suffix": str(parts[2].iloc[0]),
        "width": int(widths.max()) if widths.nunique() == 1 else 0,
    }


def _report_identifier(column: Column, identifiers: str, private: bool = False) -> None:
    if private:
        reason = "its name marks an ID; under differential privacy values are not inspected"
        output = "fresh surrogate counters"
    else:
        reason = "every value is unique and ID-shaped"
        output = "fresh surrogate values in the same format"
    message = (
        f"Column {column.name!r} looks like a record identifier ({reason}), so it is not modelled: "
        f"the output gets {output}, unrelated to the input. Drop the column before fitting, or "
        f"declare it with column_kinds={{{column.name!r}: 'categorical'}} to model it."
    )
    if identifiers == "error":
        raise InvalidDataError(message)
    warnings.warn(message, IdentifierColumnWarning, stacklevel=4)


def make_surrogate_ids(column: Column, n_rows: int, rng: np.random.Generator) -> pd.Series:
    """Return `n_rows` fresh identifiers in the column's format.

    Counter-style IDs are numbered from 1 in output order and UUIDs are drawn
    from `rng`; none is derived from an input value.
    """
    id_format = column.id_format or {"style": "counter", "prefix": "ID", "width": 0}
    style = id_format["style"]
    numbers = np.arange(1, n_rows + 1)

    if style == "integer":
        values: Any = numbers
    elif style == "uuid":
        raw = rng.integers(0, 256, size=(n_rows, 16), dtype=np.uint8)
        values = [str(uuid.UUID(bytes=bytes(row), version=4)) for row in raw]
    else:
        width = int(id_format.get("width", 0))
        prefix, suffix = id_format.get("prefix", ""), id_format.get("suffix", "")
        values = [f"{prefix}{number:0{width}d}{suffix}" for number in numbers]
    return restore_dtype(pd.Series(values), column.dtype)


def _to_canonical_values(series: pd.Series, column: Column) -> pd.Series:
    kind = column.kind
    if kind is ColumnKind.DATETIME:
        return datetime_to_ns(series).reset_index(drop=True)
    if kind.is_numeric:
        return pd.Series(series.to_numpy(dtype=float, na_value=np.nan))

    values = series.astype(object).to_numpy()
    missing = pd.isna(values)
    converted = np.array([np.nan if m else _python_scalar(v) for v, m in zip(values, missing, strict=True)],
                         dtype=object)
    return pd.Series(converted, dtype=object)


def _python_scalar(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def _from_canonical_values(values: pd.Series, column: Column) -> pd.Series:
    kind = column.kind
    if kind is ColumnKind.DATETIME:
        return _ns_to_datetime(values, column)
    if kind is ColumnKind.INTEGER:
        numbers = np.round(values.to_numpy(dtype=float))
        return restore_dtype(pd.Series(numbers), column.dtype)
    if kind is ColumnKind.FLOAT:
        numbers = values.to_numpy(dtype=float)
        if column.decimals is not None:
            numbers = np.round(numbers, column.decimals)
        return restore_dtype(pd.Series(numbers), column.dtype)
    return restore_dtype(pd.Series(values.to_numpy(dtype=object), dtype=object), column.dtype)


def _ns_to_datetime(values: pd.Series, column: Column) -> pd.Series:
    ns = values.to_numpy(dtype=float)
    if column.resolution is not None:
        step = _NS_PER[column.resolution]
        ns = np.round(ns / step) * step
    return ns_to_datetime(ns, column.dtype, column.timezone)


def restore_dtype(values: pd.Series, dtype: str) -> pd.Series:
    """Cast generated values to the input's dtype without turning NaN into text."""
    if dtype == "object":
        return values.astype(object).where(values.notna(), np.nan)
    if dtype in ("str", "string", "string[python]", "string[pyarrow]"):
        if dtype == "str" and int(pd.__version__.split(".")[0]) < 3:
            return values.astype(object).where(values.notna(), np.nan)
        return values.astype(dtype)
    if dtype in ("bool", "boolean"):
        if dtype == "bool" and values.isna().any():
            return values.astype("boolean")
        return values.astype(dtype)
    if re.fullmatch(r"u?int\d+", dtype) and values.isna().any():
        return values.astype(dtype.replace("u", "U").replace("i", "I", 1))
    return values.astype(dtype)
