"""`SyntheticGenerator`: the one object a user needs to fit a table and sample from it.

It runs the pipeline as steps and holds no algorithm itself: validate and
infer the schema, read the domain, fit the chosen generator on the canonical
frame, sample canonical rows, and write them back in the user's dtypes with
the release record attached.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from genesis import release
from genesis.domain import Domain
from genesis.errors import ConfigError, InvalidDataError, NotFittedError, invalid_value
from genesis.generators import Generator, ProgressCallback, generator_class
from genesis.privacy import check_privacy_argument
from genesis.randomness import check_random_state, stream
from genesis.schema import DEFAULT_MAX_CATEGORIES, Schema, infer

logger = logging.getLogger(__name__)

FIT_STREAM = 0
SAMPLE_STREAM = 1
SURROGATE_STREAM = 2


class SyntheticGenerator:
    """Fit a generative model on a table and draw synthetic rows from it.

    Parameters
    ----------
    method:
        "ctgan", "gaussian_copula" or "auto" (CTGAN when PyTorch is installed,
        else the Gaussian copula).
    privacy:
        Privacy protections. This version supports only None (no protection);
        any other value raises `NotSupportedError` instead of being ignored.
    config:
        Settings of the generator, e.g. ``{"epochs": 300, "batch_size": 500}``
        for CTGAN. Unknown keys raise `ConfigError` when `fit` runs.
    random_state:
        Integer seed, numpy Generator or None. With an integer, `fit` and the
        k-th call of `generate` on a model (fitted or loaded) are reproducible.
    max_categories:
        Largest number of distinct values a categorical column may have.
    identifiers:
        "warn" replaces identifier-like columns by surrogate IDs with a
        warning; "error" raises instead.

    Attributes
    ----------
    schema_, domain_, generator_, method_, n_training_rows_:
        Set by `fit`.
    """

    def __init__(
        self,
        method: str = "auto",
        privacy: Any = None,
        config: Mapping[str, Any] | None = None,
        random_state: Any = None,
        *,
        max_categories: int = DEFAULT_MAX_CATEGORIES,
        identifiers: str = "warn",
    ) -> None:
        self.method = method
        self.privacy = privacy
        self.config = config
        self.random_state = random_state
        self.max_categories = max_categories
        self.identifiers = identifiers
        self._n_generate_calls = 0

    def fit(
        self,
        data: pd.DataFrame,
        discrete_columns: Iterable[str] | None = None,
        *,
        column_kinds: Mapping[str, str] | None = None,
        progress: ProgressCallback | None = None,
    ) -> SyntheticGenerator:
        """Learn the distribution of `data`; return self.

        Parameters
        ----------
        data:
            The table. Identifier-like columns are not modelled (see `identifiers`).
        discrete_columns:
            Columns to model as categories even when they hold numbers.
        column_kinds:
            Explicit column kinds, e.g. ``{"zip": "categorical"}``.
        progress:
            Called as ``progress(done, total)`` during training.
        """
        check_privacy_argument(self.privacy)
        random_state = check_random_state(self.random_state)
        method = resolve_method(self.method)
        generator = generator_class(method)(dict(self.config or {}))

        schema = infer(data, discrete_columns, column_kinds, self.max_categories, self.identifiers)
        if not schema.modelled_columns:
            raise InvalidDataError(
                "Every column of the table is an identifier, so there is nothing to model. "
                "Declare at least one column with column_kinds, or add attribute columns."
            )
        canonical = schema.to_canonical(data)
        domain = Domain.from_data(canonical, schema)

        modelled = domain.without_empty()
        if not modelled.columns:
            raise InvalidDataError(
                "Every column of the table is empty (only missing values), so there is nothing to "
                "model. Pass a table with at least one observed value."
            )
        logger.info("fitting %s on %d rows x %d columns", method, len(data), len(modelled.columns))
        generator.fit(canonical[modelled.names], modelled, None, stream(random_state, FIT_STREAM), progress)

        self.method_ = method
        self.schema_ = schema
        self.domain_ = domain
        self.generator_: Generator = generator
        self.n_training_rows_ = len(data)
        self._n_generate_calls = 0
        return self

    def generate(self, n_samples: int | None = None) -> pd.DataFrame:
        """Return `n_samples` synthetic rows (default: as many as the training table).

        The frame has the training table's columns, order and dtypes;
        identifier columns hold fresh surrogate values; the release record is
        in ``frame.attrs["genesis"]``.
        """
        self._check_fitted()
        n_rows = self.n_training_rows_ if n_samples is None else n_samples
        if isinstance(n_rows, bool) or not isinstance(n_rows, int) or n_rows < 1:
            raise ConfigError(
                invalid_value("n_samples", n_samples, "it must be a positive integer",
                              "Pass for example n_samples=10000.")
            )

        call = self._n_generate_calls
        self._n_generate_calls += 1
        random_state = check_random_state(self.random_state)
        sampled = self.generator_.sample(n_rows, stream(random_state, SAMPLE_STREAM, call))
        canonical = sampled.reindex(columns=self.domain_.names)  # empty columns come back all missing
        frame = self.schema_.from_canonical(canonical, stream(random_state, SURROGATE_STREAM, call))
        return release.attach(frame, self.release_record(n_rows))

    def release_record(self, generated_rows: int) -> dict[str, Any]:
        """Return the release record for a table of `generated_rows` rows."""
        self._check_fitted()
        return release.build_record(
            method=self.method_,
            config=self.generator_.config,
            schema=self.schema_.to_dict(),
            random_state=self.random_state if isinstance(self.random_state, int) else None,
            training_rows=self.n_training_rows_,
            generated_rows=generated_rows,
            privacy=None,
        )

    def save(self, path: str | Path) -> Path:
        """Write the fitted model to `path` (any extension) as a zip of JSON and arrays."""
        from genesis.persistence import save_model

        self._check_fitted()
        return save_model(self, Path(path))

    @classmethod
    def load(cls, path: str | Path) -> SyntheticGenerator:
        """Read a model written by `save`. Loading runs no code from the file."""
        from genesis.persistence import load_model

        return load_model(Path(path))

    def _check_fitted(self) -> None:
        if not hasattr(self, "generator_"):
            raise NotFittedError("This SyntheticGenerator is not fitted yet. Call fit(data) first.")

    def _restore(
        self, method: str, schema: Schema, domain: Domain, generator: Generator, n_training_rows: int
    ) -> None:
        self.method_ = method
        self.schema_ = schema
        self.domain_ = domain
        self.generator_ = generator
        self.n_training_rows_ = n_training_rows

    def __repr__(self) -> str:
        return (
            f"SyntheticGenerator(method={self.method!r}, privacy={self.privacy!r}, "
            f"config={self.config!r}, random_state={self.random_state!r})"
        )


def resolve_method(method: str) -> str:
    """Return the concrete method for "auto": CTGAN with PyTorch installed, else the Gaussian copula."""
    if method != "auto":
        generator_class(method)
        return method
    if importlib.util.find_spec("torch") is not None:
        return "ctgan"
    logger.info("method='auto' uses the Gaussian copula because PyTorch is not installed")
    return "gaussian_copula"
