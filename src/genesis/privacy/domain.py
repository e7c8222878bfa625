"""Domain discovery under differential privacy: which categories and bounds a generator may use.

Most synthesizers leak through their preprocessing: the exact category list
reveals every rare value, and raw minima and maxima reveal the most extreme
person. Here each column's domain comes from one of two places:

* **public metadata** the user declares (`PublicDomain`), read without cost;
* a **DP measurement** charged to the ledger, using a share of the budget:

  - categorical columns: noisy counts (discrete Gaussian) of the values that
    occur, kept only above a threshold tau chosen so that a value held by a
    single privacy unit survives with probability at most delta_tau
    (thresholded histograms; Korolova, Kenthapadi, Mishra & Ntoulas, WWW
    2009; Wilson et al., PETS 2020). `min_category_count` then removes noisy
    counts below it, which is post-processing and costs nothing;
  - numeric and datetime columns: bounds from a noisy histogram over a
    fixed, data-independent grid of bins spaced by factors of sqrt(2) (years
    for datetimes): the outermost bins whose noisy counts clear a threshold.
    Then a noisy histogram over uniform bins inside the bounds, which
    generators reuse for free. Values outside the bounds are clipped.

Boolean columns have the public domain {False, True}. A column's dtype says
whether it can hold missing values, and the dtype is treated as public.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from genesis.domain import ColumnDomain, Domain
from genesis.errors import ConfigError, InvalidDataError, PrivacyWarning, invalid_value
from genesis.privacy.ledger import PrivacyLedger
from genesis.privacy.mechanisms import noisy_counts, sigma_for_rho, threshold_for
from genesis.schema import Column, ColumnKind, Schema
from genesis.transforms.binning import Binner
from genesis.transforms.categorical import CategoricalEncoder
from genesis.transforms.datetime import datetime_to_ns

logger = logging.getLogger(__name__)

RANGE_FALSE_POSITIVE = 0.001
"""Probability that some empty range bin's noisy count clears the range threshold."""

RANGE_MAX_GAP = 3
"""Empty range bins (each a factor of sqrt(2)) that may separate two occupied bins of one run."""

HISTOGRAM_BINS = 32
"""Uniform bins of the noisy histogram measured for each numeric column."""

THRESHOLD_DELTA_SHARE = 0.5
"""Share of delta given to the thresholds of categorical columns, split equally among them."""



@dataclass(frozen=True)
class PublicColumn:
    """Public metadata of one column: categories, or bounds (datetimes as pandas Timestamps or text)."""

    categories: tuple[Any, ...] | None = None
    lower: Any = None
    upper: Any = None


PublicDomain = Mapping[str, Mapping[str, Any]]
"""User-declared metadata, e.g. ``{"zip": {"categories": [...]}, "age": {"lower": 0, "upper": 110}}``."""


def parse_public_domain(public: PublicDomain | None, schema: Schema) -> dict[str, PublicColumn]:
    """Validate user-declared metadata against the schema."""
    if public is None:
        return {}
    if not isinstance(public, Mapping):
        raise ConfigError(invalid_value("public_domain", public, "it must be a dict of column -> metadata",
                                        'Pass e.g. {"age": {"lower": 0, "upper": 110}}.'))
    parsed = {}
    for name, entry in public.items():
        column = _modelled_column(schema, name)
        unknown = sorted(set(entry) - {"categories", "lower", "upper"})
        if unknown:
            raise ConfigError(invalid_value(f"public_domain[{name!r}] keys", unknown,
                                            "the valid keys are ['categories', 'lower', 'upper']",
                                            "Remove or correct the unknown keys."))
        parsed[name] = _parse_public_column(column, entry)
    return parsed


def _modelled_column(schema: Schema, name: str) -> Column:
    try:
        column = schema[name]
    except KeyError:
        raise ConfigError(f"public_domain names column {name!r}, which is not in the table. "
                          f"The table has columns {schema.names}.") from None
    if column.kind is ColumnKind.IDENTIFIER:
        raise ConfigError(f"public_domain names column {name!r}, which is an identifier and is not "
                          "modelled. Remove it from public_domain.")
    return column


def _parse_public_column(column: Column, entry: Mapping[str, Any]) -> PublicColumn:
    name = column.name
    if column.kind in (ColumnKind.CATEGORICAL, ColumnKind.BOOLEAN):
        categories = entry.get("categories")
        if categories is None or isinstance(categories, str) or len(categories) == 0:
            raise ConfigError(invalid_value(f"public_domain[{name!r}]['categories']", categories,
                                            "a categorical column needs a non-empty list of categories",
                                            "List every value the column may take."))
        return PublicColumn(categories=tuple(categories))

    lower, upper = entry.get("lower"), entry.get("upper")
    if lower is None or upper is None:
        raise ConfigError(f"public_domain[{name!r}] needs both 'lower' and 'upper' for a "
                          f"{column.kind.value} column; got lower={lower!r}, upper={upper!r}.")
    if column.kind is ColumnKind.DATETIME:
        lower, upper = _timestamp_ns(lower, column), _timestamp_ns(upper, column)
    if not float(lower) <= float(upper):
        raise ConfigError(invalid_value(f"public_domain[{name!r}] bounds", (lower, upper),
                                        "lower must not exceed upper", "Swap or correct the bounds."))
    return PublicColumn(lower=float(lower), upper=float(upper))


def _timestamp_ns(value: Any, column: Column) -> float:
    stamp = pd.Series(pd.to_datetime([value], utc=column.timezone is not None))
    return float(datetime_to_ns(stamp).iloc[0])


def public_domain_from_data(canonical: pd.DataFrame, schema: Schema, public: Mapping[str, PublicColumn],
                            min_category_count: int | None = None) -> Domain:
    """Return the domain without differential privacy: declared metadata first, else the data.

    Categories seen in fewer than `min_category_count` rows are left out, so
    their rows are modelled as missing values.
    """
    measured = Domain.from_data(canonical, schema)
    columns = []
    for column in measured.columns:
        declared = public.get(column.name)
        if declared is not None:
            columns.append(_public_column_domain(column, declared))
        elif column.is_discrete and min_category_count:
            columns.append(_drop_rare_categories(column, canonical[column.name], min_category_count))
        else:
            columns.append(column)
    return Domain(tuple(columns))


def _drop_rare_categories(column: ColumnDomain, values: pd.Series, min_count: int) -> ColumnDomain:
    counts = values.value_counts(dropna=True)
    kept = tuple(c for c in column.categories if counts.get(c, 0) >= min_count)
    if len(kept) == len(column.categories):
        return column
    _warn_merged(column.name, len(column.categories) - len(kept), column.nullable)
    return ColumnDomain(column.name, column.kind, categories=kept, nullable=True, source=column.source)


def _public_column_domain(column: ColumnDomain, declared: PublicColumn) -> ColumnDomain:
    if declared.categories is not None:
        return ColumnDomain(column.name, column.kind, categories=declared.categories,
                            nullable=column.nullable, source="public")
    return ColumnDomain(column.name, column.kind, lower=declared.lower, upper=declared.upper,
                        nullable=column.nullable, source="public")


def discover_domain(
    canonical: pd.DataFrame,
    schema: Schema,
    public: Mapping[str, PublicColumn],
    ledger: PrivacyLedger,
    share: float,
    min_category_count: int | None,
    unit_sensitivity: int = 1,
) -> Domain:
    """Return the domain of every modelled column under differential privacy.

    Parameters
    ----------
    canonical:
        The table in canonical form, infinite values already cleaned.
    public:
        Declared metadata; these columns cost nothing.
    ledger:
        The fit's ledger; every measurement is charged to it before noise is drawn.
    share:
        Share of the zCDP budget (rho) for this step, split equally among the
        columns that are measured.
    min_category_count:
        Categories whose noisy count is below this are dropped (post-processing).
    unit_sensitivity:
        Rows one privacy unit may contribute; the L2 sensitivity of each count.
    """
    columns = schema.modelled_columns
    measured = [c for c in columns if c.name not in public and c.kind is not ColumnKind.BOOLEAN]
    discrete_measured = [c for c in measured if c.kind is ColumnKind.CATEGORICAL]
    rho_each = share * ledger.rho_budget() / max(len(measured), 1)
    delta_each = THRESHOLD_DELTA_SHARE * ledger.delta / max(len(discrete_measured), 1)

    domains = []
    for column in columns:
        values = canonical[column.name]
        nullable = _dtype_can_hold_missing(column)
        if column.name in public:
            domains.append(_public_column_domain(ColumnDomain(column.name, column.kind, nullable=nullable),
                                                 public[column.name]))
        elif column.kind is ColumnKind.BOOLEAN:
            domains.append(ColumnDomain(column.name, column.kind, categories=(False, True),
                                        nullable=nullable, source="public"))
        elif column.kind is ColumnKind.CATEGORICAL:
            domains.append(_discover_categories(values, column, nullable, ledger, rho_each, delta_each,
                                                min_category_count, unit_sensitivity))
        else:
            domains.append(_discover_bounds(values, column, nullable, ledger, rho_each, unit_sensitivity))
    return Domain(tuple(domains))


def _dtype_can_hold_missing(column: Column) -> bool:
    """Return whether the input dtype admits missing values (int64 and bool do not)."""
    return not (column.dtype == "bool" or column.dtype.startswith(("int", "uint")))


def _discover_categories(
    values: pd.Series,
    column: Column,
    nullable: bool,
    ledger: PrivacyLedger,
    rho: float,
    delta_threshold: float,
    min_category_count: int | None,
    sensitivity: int,
) -> ColumnDomain:
    """Measure the column's categories with a thresholded noisy histogram."""
    # The candidates are the values that occur. Releasing them directly would leak rare values;
    # the threshold below makes a value held by one unit survive with probability <= delta_threshold.
    candidates = Domain.from_data(pd.DataFrame({column.name: values}),
                                  Schema((column,)))[column.name].categories
    encoder = CategoricalEncoder(candidates, nullable=nullable, column=column.name)
    codes = encoder.encode(values)
    counts = np.bincount(codes, minlength=encoder.n_codes).astype(np.int64)

    sigma = sigma_for_rho(rho, sensitivity)
    threshold = threshold_for(sigma, delta_threshold, sensitivity)
    measured = f"noisy counts of the categories of column {column.name!r}, thresholded at {threshold}"
    noisy = noisy_counts(counts, sigma, ledger, measured, ledger.noise, sensitivity=sensitivity,
                         extra_delta=delta_threshold)

    value_counts = noisy[: len(candidates)]
    keep = value_counts >= max(threshold, min_category_count or 0)
    if not keep.any():
        raise InvalidDataError(
            f"Column {column.name!r}: no category is frequent enough to be released under differential "
            f"privacy (threshold {threshold} at this budget). Declare its categories in public_domain, "
            "raise epsilon, or drop the column."
        )
    kept_counts = value_counts[keep].astype(float)
    missing_count = (float(max(noisy[-1], 0)),) if nullable else ()
    if (~keep).any():
        _warn_merged(column.name, int((~keep).sum()), nullable)
    return ColumnDomain(
        column.name, column.kind,
        categories=tuple(c for c, k in zip(candidates, keep, strict=True) if k),
        nullable=nullable or bool((~keep).any()),
        source="dp",
        counts=tuple(np.maximum(kept_counts, 0.0)) + missing_count,
    )


def _warn_merged(name: str, n_dropped: int, nullable: bool) -> None:
    # stacklevel 5 points at the user's call of SyntheticGenerator.fit: warn <- this <- the
    # category step <- the domain step <- fit.
    dropped = "1 category fell" if n_dropped == 1 else f"{n_dropped} categories fell"
    modelled = "is modelled as a missing value" if n_dropped == 1 else "are modelled as missing values"
    warnings.warn(
        f"Column {name!r}: {dropped} below the differential-privacy threshold or min_category_count "
        f"and {modelled}. Declare the categories in public_domain to keep them.",
        PrivacyWarning,
        stacklevel=5,
    )


def _discover_bounds(
    values: pd.Series, column: Column, nullable: bool, ledger: PrivacyLedger, rho: float, sensitivity: int
) -> ColumnDomain:
    """Measure bounds with a noisy histogram over a fixed grid, then a finer histogram inside them."""
    present = values.dropna().to_numpy(dtype=float)
    lower, upper = _dp_range(present, column, ledger, rho / 2.0, sensitivity)

    binner = Binner.uniform(lower, upper, HISTOGRAM_BINS, integer=column.kind is ColumnKind.INTEGER)
    codes = binner.transform(np.clip(present, lower, upper))
    counts = np.bincount(codes, minlength=binner.n_bins).astype(np.int64)
    if nullable:
        counts = np.append(counts, int(values.isna().sum()))
    noisy = noisy_counts(counts, sigma_for_rho(rho / 2.0, sensitivity), ledger,
                         f"noisy histogram of column {column.name!r} in {binner.n_bins} uniform bins",
                         ledger.noise, sensitivity=sensitivity)
    return ColumnDomain(column.name, column.kind, lower=lower, upper=upper, nullable=nullable, source="dp",
                        counts=tuple(np.maximum(noisy, 0).astype(float)))


def _dp_range(
    present: np.ndarray, column: Column, ledger: PrivacyLedger, rho: float, sensitivity: int
) -> tuple[float, float]:
    """Return (lower, upper): the outer edges of the grid bins whose noisy count clears a threshold.

    The grid is fixed in advance (`range_edges`) and every bin is released,
    so the threshold is post-processing. It keeps empty bins from widening
    the bounds: all of their noisy counts stay below it except with
    probability RANGE_FALSE_POSITIVE, and a false positive far from the data
    is dropped by `_heaviest_run`. One extreme record sits in a bin of its
    own and clears the threshold with no more than that probability.
    """
    edges = range_edges(column.kind)
    codes = np.clip(np.searchsorted(edges, present, side="right") - 1, 0, edges.size - 2)
    counts = np.bincount(codes, minlength=edges.size - 1).astype(np.int64)

    sigma = sigma_for_rho(rho, sensitivity)
    noisy = noisy_counts(counts, sigma, ledger,
                         f"noisy histogram of column {column.name!r} over {edges.size - 1} fixed range bins",
                         ledger.noise, sensitivity=sensitivity)
    threshold = sensitivity + sigma * stats.norm.isf(RANGE_FALSE_POSITIVE / (edges.size - 1))
    occupied = np.flatnonzero(noisy >= threshold)
    if occupied.size == 0:
        raise InvalidDataError(
            f"Column {column.name!r} has too few values to find its range under differential privacy "
            "at this budget. Declare its bounds in public_domain, e.g. "
            f"public_domain={{{column.name!r}: {{'lower': ..., 'upper': ...}}}}, or raise epsilon."
        )

    first, last = _heaviest_run(occupied, noisy)
    lower, upper = float(edges[first]), float(edges[last + 1])
    if column.kind is ColumnKind.INTEGER:
        lower, upper = float(math.floor(lower)), float(math.ceil(upper) - 1)
    return lower, max(upper, lower)


def _heaviest_run(occupied: np.ndarray, noisy: np.ndarray) -> tuple[int, int]:
    """Return the first and last bin of the run of occupied bins with the largest noisy total.

    Occupied bins at most RANGE_MAX_GAP bins apart form one run, so a data
    gap of a few bins does not split a column, while a lone false positive
    far from the data does not stretch the bounds to it.
    """
    breaks = np.flatnonzero(np.diff(occupied) > RANGE_MAX_GAP + 1)
    runs = np.split(occupied, breaks + 1)
    heaviest = max(runs, key=lambda run: noisy[run].sum())
    return int(heaviest[0]), int(heaviest[-1])


def range_edges(kind: ColumnKind) -> np.ndarray:
    """Return the fixed bin edges for DP range finding; they never depend on the data.

    Numbers: 0 and +-2^(j/2) from 2^-20 to 2^50 (about 1e-6 to 1e15), so a bin
    spans a factor of about 1.41 at every scale; integer columns round those
    edges away from zero. Datetimes: the first of January of every year from
    1900 to 2100 (UTC), in nanoseconds since the epoch.
    """
    if kind is ColumnKind.DATETIME:
        years = pd.date_range("1900-01-01", "2100-01-01", freq="YS").as_unit("ns")
        return years.asi8.astype(float)

    magnitudes = 2.0 ** (np.arange(-40, 101) / 2)
    edges = np.concatenate([-magnitudes[::-1], [0.0], magnitudes])
    if kind is ColumnKind.INTEGER:
        edges = np.unique(np.concatenate([np.floor(edges[edges < 0]), [0.0], np.ceil(edges[edges > 0])]))
    return edges


def clean_for_dp(canonical: pd.DataFrame) -> pd.DataFrame:
    """Replace infinite values by missing ones before any DP step.

    Raising instead would make the fit fail or succeed depending on a single
    record, and the failure itself would disclose that record.
    """
    cleaned = canonical.copy()
    for name in cleaned.columns:
        if pd.api.types.is_float_dtype(cleaned[name].dtype):
            values = cleaned[name].to_numpy(dtype=float)
            cleaned[name] = np.where(np.isinf(values), np.nan, values)
    return cleaned


def restrict_to_domain(canonical: pd.DataFrame, domain: Domain) -> pd.DataFrame:
    """Clip numeric values into the domain's bounds and turn categories outside it into missing values.

    This is what lets a generator read the table only through the domain: a
    value the domain does not contain never reaches the model.
    """
    restricted = {}
    for column in domain.columns:
        values = canonical[column.name]
        if column.is_discrete:
            allowed = pd.Index(list(column.categories), dtype=object)
            inside = allowed.get_indexer(values.to_numpy(dtype=object)) >= 0
            restricted[column.name] = values.where(inside, np.nan)
        elif column.is_empty:
            restricted[column.name] = values
        else:
            restricted[column.name] = values.clip(column.lower, column.upper)
    return pd.DataFrame(restricted, index=canonical.index)
