"""A Gaussian copula with empirical marginals: the fast baseline generator.

Method
------
Each modelled quantity becomes one standard-normal latent variable. Sklar's
theorem splits a joint distribution into its marginals and a copula, and the
Gaussian copula takes the dependence between the normal scores
``z = Phi^-1(F(x))`` to be multivariate normal with a correlation matrix R.
Patki, Wedge and Veeramachaneni, "The Synthetic Data Vault" (IEEE DSAA 2016),
use this model to synthesize relational tables. Here the marginals F are
empirical:

- Numeric and datetime columns keep a grid of `n_quantiles` quantiles of their
  non-missing values. Sampling maps ``u = Phi(z)`` through the quantile
  function by linear interpolation on that grid, inside the domain's bounds.
- Categorical and boolean columns give each category an interval of [0, 1]
  whose width is the category's frequency. The intervals are laid out in order
  of decreasing frequency, ties by domain code. A frequency order needs no
  statistic beyond the counts the model stores anyway, and it makes the
  common categories of two linked columns (e.g. "Healthy" and no treatment)
  share the same end of the latent scale, so a positive correlation can pair
  them. Sampling returns the category whose interval contains ``u``; a domain
  category that never occurs has an empty interval and is never sampled.
- A nullable column gets a second latent variable, its missing indicator, laid
  out as two intervals (present, missing), so that missingness can correlate
  with the other columns. Its value marginal is fitted on non-missing values.

Fitting maps every value to a uniform draw inside its interval of the
empirical CDF: the interval of a category, or the jump of the CDF at a tied
numeric value (the randomized probability integral transform). The normal
scores are then exactly standard normal even for integer columns with many
ties, and the mapping back returns the original value. R is the Pearson
correlation of these scores over the rows where both variables are present,
corrected for the attenuation that the uniform draw inside an interval causes
(see `_attenuation`), projected to a valid correlation matrix by clipping
eigenvalues and shrunk towards the identity by `correlation_shrinkage`.

Limits
------
The model captures only pairwise, monotone dependence on the latent scale. A
categorical column with a dependence that no single ordering of its categories
makes monotone (e.g. blood pressure that is high for one condition in the
middle of the order) is only partly reproduced, and interactions between
three or more columns beyond what R implies are lost. Tail dependence is that
of a normal distribution. Values outside the fitted quantile grid's range are
never produced.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from genesis.domain import ColumnDomain, Domain
from genesis.errors import (
    ConfigError,
    InvalidDataError,
    ModelFileError,
    NotFittedError,
    NotSupportedError,
    invalid_value,
)
from genesis.generators.base import Generator, ProgressCallback, register
from genesis.transforms.categorical import CategoricalEncoder

MAX_N_QUANTILES = 100_000
"""Largest accepted `n_quantiles`; finer grids only add noise-sized detail and memory."""

STATE_FORMAT = 1
"""Version of the layout that `get_state` writes; `from_state` rejects other versions."""

_U_MARGIN = 1e-12
"""Uniform scores are kept inside [margin, 1 - margin] so that Phi^-1 stays finite (|z| < 7.1)."""

_MIN_EIGENVALUE = 1e-6
"""Smallest eigenvalue left after projecting R, so that its Cholesky factor exists."""


@dataclass(frozen=True)
class _Marginal:
    """The fitted marginal of one column.

    Attributes
    ----------
    missing_rate:
        Share of missing values; 0.0 for a column whose domain is not nullable.
    quantiles:
        For numeric and datetime columns, the values at probabilities
        ``linspace(0, 1, n_quantiles)``, non-decreasing and inside the bounds.
        Empty for categorical columns.
    frequencies:
        For categorical and boolean columns, the share of each domain category
        among the non-missing values, in domain code order. Empty otherwise.
    """

    missing_rate: float
    quantiles: np.ndarray
    frequencies: np.ndarray


@dataclass(frozen=True)
class _Statistics:
    """Everything `fit` reads from the private rows: marginals and latent correlation."""

    marginals: tuple[_Marginal, ...]
    correlation: np.ndarray


@register
class GaussianCopulaGenerator(Generator):
    """Gaussian copula with empirical marginals (see the module docstring for the method).

    Parameters
    ----------
    config:
        Settings; unknown keys raise `ConfigError`.

        - ``n_quantiles`` (default 200): number of points in the quantile grid
          of each numeric column, from 2 to `MAX_N_QUANTILES`. 200 points
          resolve probabilities of 0.5 %, finer than the 20 quantile bins the
          marginal benchmarks compare.
        - ``correlation_shrinkage`` (default 0.01): weight w in
          ``(1 - w) * R + w * I``, in [0, 1]. A small weight keeps R well
          conditioned when columns are nearly collinear, and 1.0 samples the
          columns independently.
    """

    name = "gaussian_copula"
    default_config = {"n_quantiles": 200, "correlation_shrinkage": 0.01}

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        super().__init__(config)
        self.statistics_: _Statistics | None = None

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        """Merge `config` into the defaults and check each value's type and range."""
        merged = super().validate_config(config)

        n_quantiles = merged["n_quantiles"]
        if not _is_integer(n_quantiles) or not 2 <= n_quantiles <= MAX_N_QUANTILES:
            raise ConfigError(
                invalid_value("n_quantiles", n_quantiles,
                              f"it must be an integer from 2 to {MAX_N_QUANTILES}",
                              "Pass for example n_quantiles=200.")
            )
        shrinkage = merged["correlation_shrinkage"]
        if not _is_real(shrinkage) or not 0.0 <= shrinkage <= 1.0:
            raise ConfigError(
                invalid_value("correlation_shrinkage", shrinkage, "it must be a number in [0, 1]",
                              "Pass for example correlation_shrinkage=0.01.")
            )
        return {**merged, "n_quantiles": int(n_quantiles), "correlation_shrinkage": float(shrinkage)}

    def fit(
        self,
        data: pd.DataFrame,
        domain: Domain,
        ledger: Any | None,
        rng: np.random.Generator,
        progress: ProgressCallback | None = None,
    ) -> GaussianCopulaGenerator:
        """Fit the marginals and the latent correlation to a canonical frame.

        Raises
        ------
        NotSupportedError
            When `ledger` is given: the statistics are not yet measured with
            differential privacy.
        InvalidDataError
            When the frame's columns differ from `domain.names`, it has no
            rows, or a value lies outside its column's domain.
        """
        if ledger is not None:
            raise NotSupportedError(
                "The gaussian_copula method does not support differential privacy yet: its "
                "quantiles, category frequencies and correlations are read without noise. "
                "Fit without a privacy budget, or choose a method that supports differential privacy."
            )
        _check_frame(data, domain)

        self.statistics_ = self._measure_statistics(data, domain, rng)
        self.domain_ = domain

        if progress is not None:
            progress(1, 1)
        return self

    def _measure_statistics(
        self, data: pd.DataFrame, domain: Domain, rng: np.random.Generator
    ) -> _Statistics:
        """Read every statistic the model needs from the private rows.

        This is the only method that reads `data`: the missing rate, the
        quantile grid or category frequencies of each column, and the
        correlation of the normal scores. A differentially private version
        replaces these reads with noisy measurements charged to a ledger.
        `rng` drives the uniform draws inside CDF intervals.
        """
        marginals = []
        scores = []
        profiles = []
        for column in domain.columns:
            marginal, value_scores, profile = _measure_column(
                data[column.name], column, self.config["n_quantiles"], rng
            )
            marginals.append(marginal)
            scores.append(value_scores)
            profiles.append(profile)
            if column.nullable:
                missing = np.isnan(value_scores)
                scores.append(_indicator_scores(missing, rng))
                profiles.append(np.array([1.0 - marginal.missing_rate, marginal.missing_rate]))

        correlation = _latent_correlation(np.column_stack(scores), profiles)
        correlation = _regularise(correlation, self.config["correlation_shrinkage"])
        return _Statistics(tuple(marginals), correlation)

    def sample(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        """Return `n` canonical rows with the columns `domain.names`.

        Numeric and datetime columns are float64 inside their bounds, with NaN
        for missing values. Categorical and boolean columns are object columns
        of domain categories, with NaN for missing values.
        """
        if self.statistics_ is None or self.domain_ is None:
            raise NotFittedError("This GaussianCopulaGenerator is not fitted. Call fit before sample.")
        if not _is_integer(n) or n < 0:
            raise ConfigError(
                invalid_value("n", n, "it must be a non-negative integer", "Pass for example n=1000.")
            )

        factor = np.linalg.cholesky(self.statistics_.correlation)
        latent = rng.standard_normal((int(n), factor.shape[0])) @ factor.T
        uniforms = special.ndtr(latent)

        columns = {}
        position = 0
        for column, marginal in zip(self.domain_.columns, self.statistics_.marginals, strict=True):
            values = _inverse_marginal(uniforms[:, position], column, marginal)
            position += 1
            if column.nullable:
                missing = _is_missing(uniforms[:, position], marginal.missing_rate)
                values[missing] = np.nan
                position += 1
            # An explicit dtype, because pandas 3 would turn an object array of str into a str column.
            columns[column.name] = pd.Series(values, dtype=values.dtype)
        return pd.DataFrame(columns, index=pd.RangeIndex(int(n)))

    def get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Return the domain as JSON and the marginals and correlation as arrays.

        Arrays are named by column position (``quantiles_3``), not by column
        name, so any column name is a valid key.
        """
        if self.statistics_ is None or self.domain_ is None:
            raise NotFittedError("This GaussianCopulaGenerator is not fitted. Call fit before get_state.")

        arrays = {
            "correlation": self.statistics_.correlation,
            "missing_rates": np.array([m.missing_rate for m in self.statistics_.marginals], dtype=float),
        }
        for index, marginal in enumerate(self.statistics_.marginals):
            arrays[f"quantiles_{index}"] = marginal.quantiles
            arrays[f"frequencies_{index}"] = marginal.frequencies
        state = {"format": STATE_FORMAT, "domain": self.domain_.to_dict()}
        return state, arrays

    @classmethod
    def from_state(
        cls, config: dict[str, Any], state: dict[str, Any], arrays: dict[str, np.ndarray]
    ) -> GaussianCopulaGenerator:
        """Rebuild a fitted generator; it samples exactly as the one that was saved.

        Raises
        ------
        ModelFileError
            When the state has another format version or its arrays do not
            match the domain.
        """
        if state.get("format") != STATE_FORMAT:
            raise ModelFileError(
                invalid_value("the gaussian_copula state format", state.get("format"),
                              f"this version of genesis reads format {STATE_FORMAT}",
                              "Fit the model again with this version.")
            )
        generator = cls(config)
        domain = Domain.from_dict(state["domain"])

        missing_rates = np.asarray(arrays["missing_rates"], dtype=float)
        marginals = tuple(
            _Marginal(
                missing_rate=float(missing_rates[index]),
                quantiles=np.asarray(arrays[f"quantiles_{index}"], dtype=float),
                frequencies=np.asarray(arrays[f"frequencies_{index}"], dtype=float),
            )
            for index in range(len(domain.columns))
        )
        correlation = np.asarray(arrays["correlation"], dtype=float)
        n_variables = _n_variables(domain)
        if missing_rates.shape != (len(domain.columns),) or correlation.shape != (n_variables, n_variables):
            raise ModelFileError(
                f"The gaussian_copula state has a correlation matrix of shape {correlation.shape} and "
                f"{missing_rates.size} missing rates, but its domain needs ({n_variables}, {n_variables}) "
                f"and {len(domain.columns)}. The model file is damaged; fit the model again."
            )

        generator.statistics_ = _Statistics(marginals, correlation)
        generator.domain_ = domain
        return generator


def _is_integer(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


def _is_real(value: Any) -> bool:
    if isinstance(value, bool | np.bool_):
        return False
    return isinstance(value, int | float | np.integer | np.floating) and bool(np.isfinite(value))


def _n_variables(domain: Domain) -> int:
    """Number of latent variables: one per column, plus one per nullable column."""
    return len(domain.columns) + sum(column.nullable for column in domain.columns)


def _check_frame(data: pd.DataFrame, domain: Domain) -> None:
    if list(data.columns) != domain.names:
        raise InvalidDataError(
            f"The canonical frame has columns {list(data.columns)!r}, but the domain has "
            f"{domain.names!r}. Build both from the same schema (Schema.to_canonical, Domain.from_data)."
        )
    if not domain.columns:
        raise InvalidDataError("The domain has no columns. Pass a table with at least one modelled column.")
    if len(data) == 0:
        raise InvalidDataError("The table has no rows. Pass a table with at least one row.")

    for column in domain.columns:
        n_missing = int(data[column.name].isna().sum())
        if n_missing and not column.nullable:
            raise InvalidDataError(
                f"Column {column.name!r} has {n_missing} missing values, but its domain is not "
                "nullable. Declare the column as nullable in the domain."
            )


# --- Marginals ---------------------------------------------------------------------------------


def _measure_column(
    values: pd.Series, column: ColumnDomain, n_quantiles: int, rng: np.random.Generator
) -> tuple[_Marginal, np.ndarray, np.ndarray]:
    """Fit one column's marginal and return it with the value scores and their interval profile.

    The scores have one entry per row, NaN where the value is missing. The
    profile contains the probabilities of the CDF intervals the scores were drawn
    in (see `_attenuation`).
    """
    missing = values.isna().to_numpy()
    present = values[~missing]

    if column.is_discrete:
        codes = _encode_categories(present, column)
        marginal = _categorical_marginal(codes, column, missing)
        value_scores = _categorical_scores(codes, marginal.frequencies, rng)
        profile = marginal.frequencies
    else:
        numbers = _clip_to_bounds(present.to_numpy(dtype=float), column)
        marginal = _numeric_marginal(numbers, column, missing, n_quantiles)
        value_scores, profile = _numeric_scores(numbers, rng)

    return marginal, _with_missing_rows(value_scores, missing), profile


def _encode_categories(present: pd.Series, column: ColumnDomain) -> np.ndarray:
    """Return the domain code of each non-missing value; a value outside the domain raises."""
    encoder = CategoricalEncoder(column.categories, nullable=False, column=column.name)
    return encoder.encode(present.to_numpy(dtype=object))


def _categorical_marginal(codes: np.ndarray, column: ColumnDomain, missing: np.ndarray) -> _Marginal:
    """Count each domain category; with no values at all, use equal shares.

    The equal shares only matter for a column whose every value is missing,
    and such a column samples no values at all.
    """
    n_categories = len(column.categories)
    if codes.size:
        frequencies = np.bincount(codes, minlength=n_categories) / codes.size
    else:
        frequencies = np.full(n_categories, 1.0 / max(n_categories, 1))
    return _Marginal(_missing_rate(missing, column), np.empty(0), frequencies.astype(float))


def _numeric_marginal(
    numbers: np.ndarray, column: ColumnDomain, missing: np.ndarray, n_quantiles: int
) -> _Marginal:
    """Return the quantile grid of the non-missing values, clipped to the bounds.

    A column with no values gets a grid at its lower bound (or 0), which is
    never sampled because its missing rate is 1.
    """
    probabilities = np.linspace(0.0, 1.0, n_quantiles)
    if numbers.size:
        grid = np.quantile(numbers, probabilities)
    else:
        grid = np.full(n_quantiles, column.lower if column.lower is not None else 0.0)

    # np.quantile is monotone in exact arithmetic; the running maximum removes rounding dips.
    grid = np.maximum.accumulate(_clip_to_bounds(grid, column))
    return _Marginal(_missing_rate(missing, column), grid, np.empty(0))


def _missing_rate(missing: np.ndarray, column: ColumnDomain) -> float:
    if not column.nullable:
        return 0.0
    return float(missing.mean())


def _clip_to_bounds(values: np.ndarray, column: ColumnDomain) -> np.ndarray:
    """Clip to the domain's bounds; a bound of None leaves that side open.

    Under differential privacy the bounds are public and may be narrower than
    the data, and clipping to them is what bounds each row's influence.
    """
    lower = -np.inf if column.lower is None else column.lower
    upper = np.inf if column.upper is None else column.upper
    return np.clip(values, lower, upper)


# --- Normal scores -----------------------------------------------------------------------------


def _numeric_scores(numbers: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Return normal scores by the randomized probability integral transform.

    A value x maps to a uniform draw in ``[F(x-), F(x)]`` of the empirical CDF
    F. Tied values (as in integer columns) so spread over the jump of F at x,
    and the scores are standard normal instead of lumped at a few mid-ranks. Also
    returns the probability of each distinct value, which sets how much the
    draw attenuates correlations (see `_attenuation`).
    """
    _, inverse, counts = np.unique(numbers, return_inverse=True, return_counts=True)
    probabilities = counts / max(numbers.size, 1)
    upper = np.cumsum(probabilities)
    lower = upper - probabilities

    uniforms = lower[inverse] + rng.random(numbers.size) * probabilities[inverse]
    return _to_normal(uniforms), probabilities


def _categorical_scores(codes: np.ndarray, frequencies: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Return normal scores of a uniform draw inside each category's interval."""
    lower, width = _category_intervals(frequencies)
    uniforms = lower[codes] + rng.random(codes.size) * width[codes]
    return _to_normal(uniforms)


def _indicator_scores(missing: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Return normal scores of the missing indicator: present in [0, 1 - m), missing in [1 - m, 1]."""
    missing_rate = float(missing.mean())
    lower = np.where(missing, 1.0 - missing_rate, 0.0)
    width = np.where(missing, missing_rate, 1.0 - missing_rate)
    return _to_normal(lower + rng.random(missing.size) * width)


def _with_missing_rows(scores: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """Spread the scores of the present rows over all rows, NaN where the value is missing."""
    full = np.full(missing.size, np.nan)
    full[~missing] = scores
    return full


def _is_missing(uniforms: np.ndarray, missing_rate: float) -> np.ndarray:
    """Return the rows whose indicator score falls in the missing interval [1 - m, 1]."""
    if missing_rate <= 0.0:
        return np.zeros(uniforms.size, dtype=bool)
    return uniforms >= 1.0 - missing_rate


def _to_normal(uniforms: np.ndarray) -> np.ndarray:
    return special.ndtri(np.clip(uniforms, _U_MARGIN, 1.0 - _U_MARGIN))


def _category_intervals(frequencies: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return each category's interval of [0, 1] as (lower edge, width), in domain code order.

    Intervals are laid out by decreasing frequency; a stable sort keeps equal
    frequencies in domain code order, so the layout is reproducible.
    """
    order = np.argsort(-frequencies, kind="stable")
    edges = np.concatenate([[0.0], np.cumsum(frequencies[order])])
    lower = np.empty(frequencies.size)
    lower[order] = edges[:-1]
    return lower, frequencies.copy()


# --- Correlation -------------------------------------------------------------------------------


def _latent_correlation(scores: np.ndarray, profiles: list[np.ndarray]) -> np.ndarray:
    """Estimate the latent correlation from normal scores with NaN for missing values.

    Each pair uses the rows where both variables are present. A pair with
    fewer than 3 such rows, or a variable that is constant there, gets 0. So
    does a variable whose values all share one CDF interval (a constant
    column, or the indicator of a column with no missing values), because its
    scores are the uniform draw alone and carry no information.
    """
    present = ~np.isnan(scores)
    filled = np.where(present, scores, 0.0)
    weights = present.astype(float)

    # Sums over the rows where both variables of a pair are present, for all pairs at once.
    counts = weights.T @ weights
    sums = filled.T @ weights
    squares = (filled**2).T @ weights
    cross = filled.T @ filled

    with np.errstate(divide="ignore", invalid="ignore"):
        covariance = cross - sums * sums.T / counts
        variance = squares - sums**2 / counts
        correlation = covariance / np.sqrt(variance * variance.T)
    valid = (counts >= 3) & (variance > 1e-12) & (variance.T > 1e-12)
    correlation = np.where(valid, correlation, 0.0)

    correlation = _correct_attenuation(correlation, profiles)
    uninformative = np.array([np.count_nonzero(profile > 0) <= 1 for profile in profiles])
    correlation[uninformative, :] = 0.0
    correlation[:, uninformative] = 0.0
    np.fill_diagonal(correlation, 1.0)
    return np.clip(correlation, -1.0, 1.0)


def _correct_attenuation(correlation: np.ndarray, profiles: list[np.ndarray]) -> np.ndarray:
    """Divide each correlation by the attenuation of its two variables' interval draws."""
    factors = np.array([_attenuation(profile) for profile in profiles])
    return correlation / np.outer(factors, factors)


def _attenuation(probabilities: np.ndarray) -> float:
    """Return the factor by which uniform draws inside CDF intervals shrink a correlation.

    Let a latent normal Z be cut into intervals with these probabilities, and
    let the observed score be a fresh normal draw inside Z's interval. Its
    covariance with any variable that depends on Z only through the interval is
    ``rho * E[m(Z)^2]``, where m(Z) is the mean of Z over its interval, because
    the fresh draw is independent of everything given the interval. So the
    factor is ``E[m(Z)^2] = sum_k (phi(a_k) - phi(b_k))^2 / p_k`` for an
    interval (a_k, b_k] of probability p_k. It is 1 for a continuous variable
    and 2/pi for a binary one split at the median. Between two interval-valued
    variables, dividing by both factors is exact only to first order in rho and
    overshoots strong links, which the clip to [-1, 1] absorbs.

    NOTE: an exact inversion through the Hermite expansion of the bivariate
    normal scored no better on `patient_table` (median mean 2-way TVD of
    10,000 rows over fit seeds 0-2: 0.091 against 0.089), so the first-order
    factor is kept.
    """
    probabilities = probabilities[probabilities > 0]
    if probabilities.size <= 1:
        return 1.0

    edges = special.ndtri(np.clip(np.cumsum(probabilities)[:-1], _U_MARGIN, 1.0 - _U_MARGIN))
    densities = np.concatenate([[0.0], np.exp(-0.5 * edges**2) / np.sqrt(2.0 * np.pi), [0.0]])
    interval_means_times_p = densities[:-1] - densities[1:]
    return float(np.sum(interval_means_times_p**2 / probabilities))


def _regularise(correlation: np.ndarray, shrinkage: float) -> np.ndarray:
    """Project to the nearest valid correlation matrix (approximately) and shrink it.

    Pairwise estimates need not form a positive semi-definite matrix, so
    eigenvalues below `_MIN_EIGENVALUE` are raised to it and the diagonal is
    rescaled to 1. Shrinking towards the identity then keeps every eigenvalue
    at least `shrinkage`.
    """
    eigenvalues, eigenvectors = np.linalg.eigh((correlation + correlation.T) / 2.0)
    eigenvalues = np.maximum(eigenvalues, _MIN_EIGENVALUE)
    projected = (eigenvectors * eigenvalues) @ eigenvectors.T

    scale = 1.0 / np.sqrt(np.diag(projected))
    projected = projected * np.outer(scale, scale)
    np.fill_diagonal(projected, 1.0)

    return (1.0 - shrinkage) * projected + shrinkage * np.eye(correlation.shape[0])


# --- Sampling ----------------------------------------------------------------------------------


def _inverse_marginal(uniforms: np.ndarray, column: ColumnDomain, marginal: _Marginal) -> np.ndarray:
    """Map uniform scores to column values: interval lookup or quantile interpolation."""
    if column.is_discrete:
        return _inverse_categorical(uniforms, column, marginal.frequencies)

    grid = marginal.quantiles
    values = np.interp(uniforms, np.linspace(0.0, 1.0, grid.size), grid)
    return _clip_to_bounds(values, column)


def _inverse_categorical(uniforms: np.ndarray, column: ColumnDomain, frequencies: np.ndarray) -> np.ndarray:
    """Return the category whose interval contains each uniform score.

    Only categories with a positive frequency are candidates, so an empty
    interval is never chosen, even for a score of exactly 0 or 1.
    """
    values = np.full(uniforms.size, np.nan, dtype=object)
    candidates = np.flatnonzero(frequencies > 0)
    if candidates.size == 0:
        return values

    lower, width = _category_intervals(frequencies)
    by_position = candidates[np.argsort(lower[candidates], kind="stable")]
    upper_edges = lower[by_position] + width[by_position]
    slots = np.searchsorted(upper_edges, uniforms, side="right")
    chosen = by_position[np.minimum(slots, by_position.size - 1)]

    categories = np.empty(len(column.categories), dtype=object)
    categories[:] = list(column.categories)
    return categories[chosen]
