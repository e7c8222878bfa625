"""Column preparation and column-shape scores for the quality evaluation.

Each column that both tables share is given one comparison kind:
``"numeric"`` and ``"datetime"`` columns are compared by the complement of the
two-sample Kolmogorov-Smirnov statistic, ``"categorical"`` columns by the
complement of the total variation distance. These are the KSComplement and
TVComplement metrics of SDMetrics 0.32's Column Shapes property (as read from
the sdmetrics 0.32.0 source), computed on the non-missing values as there.

Missing values are scored apart from the shape: a column's score is its
shape score times the missing-share similarity ``1 - |m_real - m_synthetic|``,
where ``m`` is the share of missing cells. When both tables have the same
missing share the score equals SDMetrics' column-shape score.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import ks_2samp

NUMERIC = "numeric"
DATETIME = "datetime"
CATEGORICAL = "categorical"
CONTINUOUS_KINDS = (NUMERIC, DATETIME)

PAIR_BINS = 10
"""Equal-width bins over the real range that a continuous column is cut into for contingency tables."""

MIN_IDENTIFIER_ROWS = 10
"""A text column whose real values are all distinct is called identifier-like only from this many rows on."""


@dataclass(frozen=True)
class PreparedColumn:
    """One column of both tables in the encoding every quality metric reads.

    Attributes
    ----------
    name, kind:
        Column name and comparison kind (`NUMERIC`, `DATETIME` or `CATEGORICAL`).
    real, synthetic:
        Continuous kinds: float64 values (datetimes as nanoseconds since the
        epoch, UTC) with NaN for missing. Categorical: int64 codes into
        `categories`, -1 for missing.
    categories:
        Category labels as text, in code order; empty for continuous kinds.
    holdout:
        The holdout table's values in the same encoding, or None without one.
    pair_real, pair_synthetic, n_pair_codes:
        Codes in ``0 .. n_pair_codes - 1`` for contingency tables. A
        continuous column is cut into `PAIR_BINS` equal-width bins over the
        real range, with one code each for values below and above that range.
        Missing values get the last code.
    """

    name: str
    kind: str
    real: np.ndarray
    synthetic: np.ndarray
    categories: tuple[str, ...]
    holdout: np.ndarray | None
    pair_real: np.ndarray
    pair_synthetic: np.ndarray
    n_pair_codes: int

    @property
    def is_continuous(self) -> bool:
        return self.kind in CONTINUOUS_KINDS

    def missing_shares(self) -> tuple[float, float]:
        return _missing_share(self.real, self.kind), _missing_share(self.synthetic, self.kind)


def comparison_kind(real: pd.Series, synthetic: pd.Series, *, discrete: bool, generalized: bool) -> str:
    """Return the kind both columns are compared as.

    A column is categorical when the caller lists it as discrete, when it is a
    generalized quasi-identifier (bands such as "50-54" are labels), when
    either side contains booleans or text, and otherwise continuous. A numeric
    real column opposite a text synthetic one is compared as text.
    """
    if discrete or generalized:
        return CATEGORICAL
    if _is_datetime(real) and _is_datetime(synthetic):
        return DATETIME
    if _is_number(real) and _is_number(synthetic):
        return NUMERIC
    return CATEGORICAL


def looks_like_identifier(real: pd.Series) -> bool:
    """Return True when a text column has a distinct value in every real row, like a record number."""
    values = real.dropna()
    if len(values) < MIN_IDENTIFIER_ROWS or _is_number(real) or _is_datetime(real):
        return False
    return bool(values.nunique() == len(values))


def prepare_column(
    name: str, kind: str, real: pd.Series, synthetic: pd.Series, holdout: pd.Series | None = None
) -> PreparedColumn:
    """Encode one column of both tables, and of the holdout when given (see `PreparedColumn`)."""
    if kind == CATEGORICAL:
        sides = [real, synthetic] if holdout is None else [real, synthetic, holdout]
        codes, categories = _encode_categories(sides)
        missing_code = len(categories)
        pair_real = np.where(codes[0] < 0, missing_code, codes[0])
        pair_synthetic = np.where(codes[1] < 0, missing_code, codes[1])
        holdout_codes = None if holdout is None else codes[2]
        return PreparedColumn(
            name,
            kind,
            codes[0],
            codes[1],
            categories,
            holdout_codes,
            pair_real,
            pair_synthetic,
            missing_code + 1,
        )

    to_float = _datetime_to_float if kind == DATETIME else _number_to_float
    real_values = to_float(real)
    synthetic_values = to_float(synthetic)
    holdout_values = None if holdout is None else to_float(holdout)
    edges = _bin_edges(real_values)
    return PreparedColumn(
        name,
        kind,
        real_values,
        synthetic_values,
        (),
        holdout_values,
        _bin_codes(real_values, edges),
        _bin_codes(synthetic_values, edges),
        PAIR_BINS + 3,
    )


def shape_score(column: PreparedColumn) -> float:
    """Return the KS complement (continuous) or TV complement (categorical) of the non-missing values.

    A side with no value at all scores 0 against a side with values, and 1
    when both are empty.
    """
    if column.is_continuous:
        real = column.real[~np.isnan(column.real)]
        synthetic = column.synthetic[~np.isnan(column.synthetic)]
    else:
        real = column.real[column.real >= 0]
        synthetic = column.synthetic[column.synthetic >= 0]

    if real.size == 0 or synthetic.size == 0:
        return 1.0 if real.size == synthetic.size else 0.0

    if column.is_continuous:
        # Only the statistic is used; the asymptotic method avoids the exact p-value's cost.
        return float(1.0 - ks_2samp(real, synthetic, method="asymp").statistic)

    n_codes = len(column.categories)
    real_shares = np.bincount(real, minlength=n_codes) / real.size
    synthetic_shares = np.bincount(synthetic, minlength=n_codes) / synthetic.size
    return float(1.0 - 0.5 * np.abs(real_shares - synthetic_shares).sum())


def column_result(column: PreparedColumn) -> dict[str, Any]:
    """Score one column: shape, missing shares and the combined score, as a JSON-safe dict."""
    shape = shape_score(column)
    missing_real, missing_synthetic = column.missing_shares()
    missing_similarity = 1.0 - abs(missing_real - missing_synthetic)
    return {
        "kind": column.kind,
        "metric": "KSComplement" if column.is_continuous else "TVComplement",
        "shape_score": shape,
        "missing_share_real": missing_real,
        "missing_share_synthetic": missing_synthetic,
        "missing_similarity": missing_similarity,
        "score": shape * missing_similarity,
    }


def declared_categorical(record: Mapping[str, Any] | None, discrete_columns: Sequence[str]) -> set[str]:
    """Return the columns to compare as categories.

    These are the caller's list plus the columns that the release record's
    schema marks as categorical or boolean.
    """
    names = set(discrete_columns)
    schema = (record or {}).get("schema") or {}
    for entry in schema.get("columns", []):
        if entry.get("kind") in ("categorical", "boolean"):
            names.add(entry["name"])
    return names


def record_identifiers(record: Mapping[str, Any] | None) -> set[str]:
    """Return the columns the release record marks as identifiers (surrogate values or dropped)."""
    record = record or {}
    names = set(record.get("dropped_identifier_columns") or [])
    for entry in (record.get("schema") or {}).get("columns", []):
        if entry.get("kind") == "identifier":
            names.add(entry["name"])
    return names


def _encode_categories(sides: Sequence[pd.Series]) -> tuple[list[np.ndarray], tuple[str, ...]]:
    """Give the columns shared int64 codes (-1 for missing), with labels as text so 1 and "1" meet."""
    joined = pd.concat([_as_text(side) for side in sides], ignore_index=True)
    codes, labels = pd.factorize(joined, use_na_sentinel=True)
    codes = codes.astype(np.int64)
    bounds = np.cumsum([0] + [len(side) for side in sides])
    return [codes[start:stop] for start, stop in itertools.pairwise(bounds)], tuple(
        str(label) for label in labels
    )


def _as_text(series: pd.Series) -> pd.Series:
    missing = series.isna().to_numpy()
    text = series.astype(object).to_numpy(copy=True)
    text[~missing] = [str(value) for value in text[~missing]]
    text[missing] = None
    return pd.Series(text, dtype=object)


def _number_to_float(series: pd.Series) -> np.ndarray:
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def _datetime_to_float(series: pd.Series) -> np.ndarray:
    """Return nanoseconds since the epoch as float64, in UTC for zone-aware columns."""
    stamps = pd.to_datetime(series)
    if isinstance(stamps.dtype, pd.DatetimeTZDtype):
        stamps = stamps.dt.tz_convert(None)
    nanoseconds = stamps.astype("datetime64[ns]").to_numpy().astype(np.int64).astype(np.float64)
    nanoseconds[stamps.isna().to_numpy()] = np.nan
    return nanoseconds


def _bin_edges(real_values: np.ndarray) -> np.ndarray:
    present = real_values[~np.isnan(real_values)]
    if present.size == 0:
        return np.linspace(0.0, 1.0, PAIR_BINS + 1)
    return np.histogram_bin_edges(present, bins=PAIR_BINS)


def _bin_codes(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Return bin codes: 0 below the real range, 1..PAIR_BINS inside it, then above it, then missing.

    The real maximum goes into the last bin inside the range.
    """
    codes = np.digitize(values, edges).astype(np.int64)
    codes[values == edges[-1]] = PAIR_BINS
    codes[np.isnan(values)] = PAIR_BINS + 2
    return codes


def _missing_share(values: np.ndarray, kind: str) -> float:
    if values.size == 0:
        return 0.0
    missing = np.isnan(values) if kind in CONTINUOUS_KINDS else values < 0
    return float(missing.mean())


def _is_number(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype)


def _is_datetime(series: pd.Series) -> bool:
    return pd.api.types.is_datetime64_any_dtype(series.dtype)
