"""`SyntheticGenerator`: the one object a user needs to fit a table and sample from it.

It runs the pipeline as steps and holds no algorithm itself: check the
privacy settings, infer the schema, read the domain (from the data, from
public metadata, or under differential privacy), fit the chosen generator on
the canonical frame, sample canonical rows, and write them back in the user's
dtypes with the release record attached.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from genesis import holdout as holdouts
from genesis import release
from genesis._optional import torch_available
from genesis.domain import Domain
from genesis.errors import (
    ConfigError,
    IgnoredSettingWarning,
    InvalidDataError,
    NotFittedError,
    NotSupportedError,
    PrivacyWarning,
    invalid_value,
)
from genesis.generators import Generator, ProgressCallback, dp_methods, generator_class
from genesis.privacy.config import PrivacyConfig
from genesis.privacy.domain import (
    PublicDomain,
    clean_for_dp,
    discover_domain,
    parse_public_domain,
    public_domain_from_data,
    restrict_to_domain,
)
from genesis.privacy.identifiers import scan_identifiers
from genesis.privacy.kanonymity import KAnonymityResult, anonymize
from genesis.privacy.ledger import PrivacyEvent, PrivacyLedger
from genesis.privacy.noise import NoiseSource
from genesis.privacy.outliers import domain_tail_bounds, real_outlier_mask, synthetic_outlier_mask
from genesis.privacy.units import cap_rows_per_unit
from genesis.randomness import check_random_state, stream
from genesis.schema import DEFAULT_MAX_CATEGORIES, Schema, infer, make_surrogate_ids

logger = logging.getLogger(__name__)

FIT_STREAM = 0
SAMPLE_STREAM = 1
SURROGATE_STREAM = 2
NOISE_STREAM = 3
UNIT_STREAM = 4
HOLDOUT_STREAM = 5
MAX_SAMPLING_ROUNDS = 10


@dataclass(frozen=True)
class PrivacySpent:
    """The differential privacy a fit used: totals and the itemized ledger events.

    Unpacks as ``epsilon, delta = generator.privacy_spent``.
    """

    epsilon: float
    delta: float
    events: tuple[PrivacyEvent, ...]

    def __iter__(self):  # noqa: ANN204  (tuple-style unpacking)
        return iter((self.epsilon, self.delta))


class SyntheticGenerator:
    """Fit a generative model on a table and draw synthetic rows from it.

    Parameters
    ----------
    method:
        "ctgan", "mst", "gaussian_copula" or "auto": MST under differential
        privacy; otherwise CTGAN when PyTorch is installed, else the Gaussian
        copula.
    privacy:
        None (no protection), a preset name ("low", "medium", "high",
        "very_high"), a dict such as ``{"differential_privacy": {"epsilon":
        1.0, "delta": 1e-5}}``, or a `PrivacyConfig`. Settings this version
        cannot apply raise `NotSupportedError`; none is ignored.
    config:
        Settings of the generator, e.g. ``{"epochs": 300, "batch_size": 500}``
        for CTGAN. Unknown keys raise `ConfigError` when `fit` runs.
    random_state:
        Integer seed, numpy Generator or None. With an integer, `fit` and the
        k-th call of `generate` on a model (fitted or loaded) are
        reproducible, and so is DP noise; with None, DP noise comes from the
        operating system's secure entropy.
    max_categories:
        Largest number of distinct values a categorical column may have.
    identifiers:
        "warn" replaces identifier-like columns by surrogate IDs with a
        warning; "error" raises instead.
    direct_identifiers:
        What `fit` does with columns the HIPAA Safe Harbor scan
        (`genesis.privacy.identifiers`) reports as direct identifiers (names,
        phone numbers, emails, SSNs, record numbers ...) that would otherwise be
        modelled: "warn" models them and warns, "drop" leaves them out of the
        model and the output and warns. Under differential privacy, "drop"
        acts on column-name evidence only, so the set of modelled columns does
        not depend on the values.
    holdout:
        Share of the rows, from 0 to 0.5, that `fit` keeps out of training
        so that `run_privacy_audit` and the attacks can compare training rows
        with rows the model never saw. The split is uniform at random (by unit
        with a privacy `unit_column`) and seeded by `random_state`. A table
        whose share would be under 50 rows (units) is not split, and 0 turns
        the holdout off. The rows stay in memory only (`genesis.holdout`) and
        are never saved.

    Attributes
    ----------
    schema_, domain_, generator_, method_, n_training_rows_, privacy_config_, ledger_, holdout_:
        Set by `fit`; `ledger_` is None without differential privacy, and
        `holdout_` (the release record's holdout entry) is None without a
        holdout.
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
        direct_identifiers: str = "warn",
        holdout: float = holdouts.DEFAULT_HOLDOUT,
    ) -> None:
        self.method = method
        self.privacy = privacy
        self.config = config
        self.random_state = random_state
        self.max_categories = max_categories
        self.identifiers = identifiers
        self.direct_identifiers = direct_identifiers
        self.holdout = holdout
        self._n_generate_calls = 0

    def fit(
        self,
        data: pd.DataFrame,
        discrete_columns: Iterable[str] | None = None,
        *,
        column_kinds: Mapping[str, str] | None = None,
        public_domain: PublicDomain | None = None,
        progress: ProgressCallback | None = None,
    ) -> SyntheticGenerator:
        """Learn the distribution of `data`; return self.

        Parameters
        ----------
        data:
            The table. Identifier-like columns are not modelled (see
            `identifiers`). A share of its rows is kept out of training as
            the holdout (see `holdout`).
        discrete_columns:
            Columns to model as categories even when they hold numbers.
        column_kinds:
            Explicit column kinds, e.g. ``{"zip": "categorical"}``.
        public_domain:
            Metadata you declare public, e.g. ``{"age": {"lower": 0, "upper":
            110}, "zip": {"categories": [...]}}``. Under differential privacy
            these columns cost no budget; columns not listed are measured with
            noise. Values outside a declared domain are clipped (numbers) or
            treated as missing (categories).
        progress:
            Called as ``progress(done, total)`` during training.
        """
        privacy = PrivacyConfig.from_value(self.privacy)
        private = privacy is not None and privacy.epsilon is not None
        random_state = check_random_state(self.random_state)
        method = resolve_method(self.method, private)
        generator = generator_class(method)(self._config_for(method))
        if private:
            generator.check_private_fit(privacy.max_rows_per_unit)
        holdout_share = holdouts.check_holdout_share(self.holdout)

        _check_data_frame(data)
        self.n_input_rows_ = len(data)
        unit_column = privacy.unit_column if privacy is not None else None
        data, holdout_rows = holdouts.split_holdout(data, holdout_share, unit_column,
                                                    stream(random_state, HOLDOUT_STREAM))
        data = self._apply_unit_cap(data, privacy, random_state)
        schema = infer(data, discrete_columns, column_kinds, self.max_categories, self.identifiers,
                       private=private)
        data, schema = self._screen_direct_identifiers(data, schema, private)
        _check_quasi_identifiers(privacy, schema)
        if not schema.modelled_columns:
            raise InvalidDataError(
                "Every column of the table is an identifier, so there is nothing to model. "
                "Declare at least one column with column_kinds, or add attribute columns."
            )
        public = parse_public_domain(public_domain, schema)
        canonical = schema.to_canonical(data)
        self.n_outliers_removed_ = 0

        if private:
            privacy = privacy.resolve_for_table(self.n_units_)
            ledger = PrivacyLedger(epsilon=privacy.epsilon, delta=privacy.delta,
                                   max_rows_per_unit=privacy.max_rows_per_unit)
            ledger.noise = NoiseSource.from_random_state(_noise_state(random_state))
            canonical = clean_for_dp(canonical)
            domain = discover_domain(canonical, schema, public, ledger, privacy.domain_share,
                                     privacy.min_category_count, privacy.max_rows_per_unit)
        else:
            ledger = None
            canonical = self._drop_real_outliers(canonical, schema, privacy)
            domain = public_domain_from_data(canonical, schema, public,
                                             privacy.min_category_count if privacy else None)
        canonical = restrict_to_domain(canonical, domain)
        self.output_bounds_ = domain_tail_bounds(domain) if private and privacy.suppress_outliers else {}

        modelled = domain.without_empty()
        if not modelled.columns:
            raise InvalidDataError(
                "Every column of the table is empty (only missing values), so there is nothing to "
                "model. Pass a table with at least one observed value."
            )
        logger.info("fitting %s on %d rows x %d columns", method, len(data), len(modelled.columns))
        generator.fit(canonical[modelled.names], modelled, ledger, stream(random_state, FIT_STREAM), progress)

        holdout = self._register_holdout(holdout_rows, holdout_share, unit_column)
        self._restore(method, schema, domain, generator, len(canonical), privacy, ledger, holdout)
        return self

    def _register_holdout(self, rows: pd.DataFrame | None, share: float, unit_column: str | None
                          ) -> dict[str, Any] | None:
        """Keep the holdout rows in memory, replacing this generator's previous ones;
        return the record entry."""
        previous = getattr(self, "holdout_", None)
        holdouts.release_holdout(previous["id"] if previous else None)
        if rows is None:
            logger.info("no holdout: the table has too few rows (units) for holdout=%s", share)
            return None
        return holdouts.holdout_entry(holdouts.register_holdout(rows), len(rows), share, unit_column)

    def _config_for(self, method: str) -> dict[str, Any]:
        """Return the generator config; "auto" drops keys of other methods, with a warning."""
        config = dict(self.config or {})
        if self.method != "auto":
            return config
        valid = generator_class(method).default_config
        ignored = sorted(key for key in config if key not in valid)
        if ignored:
            warnings.warn(
                f"method='auto' chose {method!r}, which has no settings {ignored}; they are ignored. "
                f"Its settings are {sorted(valid)}. Pass method explicitly to use them.",
                IgnoredSettingWarning, stacklevel=3)
        return {key: value for key, value in config.items() if key in valid}

    def _screen_direct_identifiers(
        self, data: pd.DataFrame, schema: Schema, private: bool
    ) -> tuple[pd.DataFrame, Schema]:
        """Warn about, or drop, direct identifiers that would be modelled (45 CFR 164.514(b)(2)(i)).

        Columns the schema already replaces by surrogate IDs are not modelled, so they pass.
        """
        if self.direct_identifiers not in ("warn", "drop"):
            raise ConfigError(invalid_value("direct_identifiers", self.direct_identifiers,
                                            "it must be 'warn' or 'drop'",
                                            "Use 'drop' to leave such columns out of the model."))
        modelled = [column.name for column in schema.modelled_columns]
        scan = scan_identifiers(data, examples=False, columns=modelled)
        findings = [f for f in scan.findings if f.is_direct_identifier]
        self.identifier_scan_ = scan
        self.dropped_identifiers_: list[str] = []
        if not findings:
            return data, schema

        described = ", ".join(f"{f.column!r} ({f.category}: {f.category_name})" for f in findings)
        if self.direct_identifiers == "warn":
            warnings.warn(
                f"Columns {described} look like HIPAA Safe Harbor direct identifiers and will be "
                "modelled. Drop them before fitting, or pass direct_identifiers='drop'.",
                PrivacyWarning, stacklevel=3)
            return data, schema

        dropped = [f.column for f in findings if not private or "column name" in f.evidence]
        warnings.warn(f"Leaving out direct identifier columns {dropped} (from {described}).",
                      PrivacyWarning, stacklevel=3)
        self.dropped_identifiers_ = dropped
        kept = tuple(column for column in schema.columns if column.name not in dropped)
        return data.drop(columns=dropped), Schema(kept)

    def _drop_real_outliers(
        self, canonical: pd.DataFrame, schema: Schema, privacy: PrivacyConfig | None
    ) -> pd.DataFrame:
        """Leave real rows with extreme numeric values out of training (no DP; see `privacy.outliers`)."""
        self.n_outliers_removed_ = 0
        if privacy is None or not privacy.suppress_outliers:
            return canonical
        mask = real_outlier_mask(canonical, schema)
        self.n_outliers_removed_ = int(mask.sum())
        logger.info("suppress_outliers left %d of %d rows out of training", mask.sum(), len(mask))
        return canonical.loc[~mask].reset_index(drop=True)

    def _apply_unit_cap(
        self, data: pd.DataFrame, privacy: PrivacyConfig | None, random_state: Any
    ) -> pd.DataFrame:
        """Keep at most `max_rows_per_unit` rows per privacy unit; record the unit count."""
        if privacy is None or privacy.unit_column is None:
            self.n_units_ = len(data)
            return data

        capped, n_units = cap_rows_per_unit(data, privacy.unit_column, privacy.max_rows_per_unit,
                                            stream(random_state, UNIT_STREAM))
        self.n_units_ = n_units
        if len(capped) < len(data):
            logger.info("kept %d of %d rows: at most %d per unit of %r", len(capped), len(data),
                        privacy.max_rows_per_unit, privacy.unit_column)
        return capped

    def generate(self, n_samples: int | None = None) -> pd.DataFrame:
        """Return `n_samples` synthetic rows (default: as many as the training table).

        The frame has the training table's columns, order and dtypes;
        identifier columns hold fresh surrogate values; the release record is
        in ``frame.attrs["genesis"]``.
        """
        self._check_fitted()
        n_rows = self.n_training_rows_ if n_samples is None else n_samples
        if isinstance(n_rows, bool) or not isinstance(n_rows, int | np.integer) or n_rows < 1:
            raise ConfigError(
                invalid_value("n_samples", n_samples, "it must be a positive integer",
                              "Pass for example n_samples=10000.")
            )
        n_rows = int(n_rows)

        call = self._n_generate_calls
        self._n_generate_calls += 1
        random_state = check_random_state(self.random_state)
        sample_rng = stream(random_state, SAMPLE_STREAM, call)

        surrogate_rng = stream(random_state, SURROGATE_STREAM, call)
        privacy = self.privacy_config_
        if privacy is None or privacy.k is None:
            canonical, n_suppressed = self._sample_without_outliers(n_rows, sample_rng)
            frame = self.schema_.from_canonical(canonical, surrogate_rng)
            generalization = None
        else:
            frame, n_suppressed, generalization = self._sample_k_anonymous(n_rows, privacy, sample_rng,
                                                                           surrogate_rng)

        record = self.release_record(n_rows)
        record["rows"]["outliers_suppressed"] = n_suppressed
        if generalization is not None:
            record["k_anonymity"] = generalization.to_dict()
            self.generalization_ = generalization
        return release.attach(frame, record)

    def _sample_k_anonymous(
        self,
        n_rows: int,
        privacy: PrivacyConfig,
        rng: np.random.Generator,
        surrogate_rng: np.random.Generator,
    ) -> tuple[pd.DataFrame, int, KAnonymityResult]:
        """Oversample, generalize to k-anonymity, and keep exactly `n_rows` rows (post-processing).

        The search may suppress up to `max_suppression` of the rows it is given,
        so it gets that many more; when still short, it gets more again.
        """
        margin = 1.0 / (1.0 - privacy.max_suppression)
        for attempt in range(MAX_SAMPLING_ROUNDS):
            request = math.ceil(n_rows * margin * (1.02 + 0.1 * attempt)) + 2 * privacy.k + 10
            canonical, n_outliers = self._sample_without_outliers(request, rng)
            frame = self.schema_.from_canonical(canonical, surrogate_rng)
            try:
                frame, result = anonymize(frame, list(privacy.quasi_identifiers), privacy.k,
                                          max_suppression=privacy.max_suppression,
                                          safe_harbor=privacy.safe_harbor, domain=self.domain_,
                                          target_rows=n_rows, rng=rng)
            except InvalidDataError as error:
                # Too few rows left after suppression: draw more. Any other failure is final.
                if "fewer than target_rows" not in str(error):
                    raise
                continue
            frame = frame.reset_index(drop=True)
            for column in self.schema_.identifier_columns:
                frame[column.name] = make_surrogate_ids(column, len(frame), surrogate_rng)
            return frame, n_outliers, result
        raise InvalidDataError(
            f"k-anonymity with k={privacy.k} suppressed too many rows to return {n_rows} rows in "
            f"{MAX_SAMPLING_ROUNDS} rounds. Raise max_suppression, lower k, or use fewer quasi-identifiers."
        )

    def _sample_without_outliers(self, n_rows: int, rng: np.random.Generator) -> tuple[pd.DataFrame, int]:
        """Sample canonical rows, dropping output outliers and drawing more until `n_rows` remain."""
        bounds = self.output_bounds_
        kept: list[pd.DataFrame] = []
        n_kept = n_suppressed = 0
        for _ in range(MAX_SAMPLING_ROUNDS):
            request = n_rows - n_kept if not bounds else int((n_rows - n_kept) * 1.1) + 16
            sampled = self.generator_.sample(request, rng).reindex(columns=self.domain_.names)
            mask = synthetic_outlier_mask(sampled, bounds) if bounds else np.zeros(len(sampled), bool)
            n_suppressed += int(mask.sum())
            kept.append(sampled.loc[~mask])
            n_kept += int((~mask).sum())
            if n_kept >= n_rows:
                frame = pd.concat(kept, ignore_index=True).iloc[:n_rows].reset_index(drop=True)
                return frame, n_suppressed
        raise InvalidDataError(
            f"suppress_outliers removed {n_suppressed} of the rows drawn, so {n_rows} rows could not be "
            f"generated in {MAX_SAMPLING_ROUNDS} rounds. Turn suppress_outliers off or raise epsilon."
        )

    @property
    def privacy_spent(self) -> PrivacySpent:
        """Return the (epsilon, delta) the fit spent and its itemized events; (0, 0) without DP."""
        self._check_fitted()
        if self.ledger_ is None:
            return PrivacySpent(0.0, 0.0, ())
        epsilon, delta = self.ledger_.spent()
        return PrivacySpent(epsilon, delta, tuple(self.ledger_.events))

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
            privacy=self._privacy_record(),
            holdout=None if self.holdout_ is None else dict(self.holdout_),
            training=self.generator_.training_summary(),
        ) | {"dropped_identifier_columns": list(getattr(self, "dropped_identifiers_", []))}

    def _privacy_record(self) -> dict[str, Any] | None:
        if self.privacy_config_ is None:
            return None
        record: dict[str, Any] = {"config": self.privacy_config_.to_dict(), "ledger": None}
        if self.ledger_ is not None:
            epsilon, delta = self.ledger_.spent()
            record["ledger"] = {**self.ledger_.to_dict(), "spent": {"epsilon": epsilon, "delta": delta}}
            seeded = self.ledger_.noise is not None and self.ledger_.noise.reproducible
            record["noise"] = "reproducible (seeded)" if seeded else "operating-system entropy"
        record["domain_sources"] = {c.name: c.source for c in self.domain_.columns}
        record["outliers_removed_from_training"] = self.n_outliers_removed_
        record["output_outlier_bounds"] = {name: list(b) for name, b in self.output_bounds_.items()}
        return record

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
        self,
        method: str,
        schema: Schema,
        domain: Domain,
        generator: Generator,
        n_training_rows: int,
        privacy: PrivacyConfig | None = None,
        ledger: PrivacyLedger | None = None,
        holdout: dict[str, Any] | None = None,
    ) -> None:
        """Set the fitted attributes; `fit` and `load` both end here."""
        self.method_ = method
        self.schema_ = schema
        self.domain_ = domain
        self.generator_: Generator = generator
        self.n_training_rows_ = n_training_rows
        self.privacy_config_ = privacy
        self.ledger_ = ledger
        self.holdout_ = holdout
        self._n_generate_calls = 0

    def __repr__(self) -> str:
        return (
            f"SyntheticGenerator(method={self.method!r}, privacy={self.privacy!r}, "
            f"config={self.config!r}, random_state={self.random_state!r})"
        )


def resolve_method(method: str, private: bool = False) -> str:
    """Return the concrete method for "auto", and check that a DP fit uses a DP method.

    "auto" is MST under differential privacy, else CTGAN with PyTorch
    installed, else the Gaussian copula.
    """
    if method == "auto":
        if private:
            return "mst"
        if torch_available():
            return "ctgan"
        logger.info("method='auto' uses the Gaussian copula because PyTorch is not installed")
        return "gaussian_copula"

    generator_type = generator_class(method)
    if private and not generator_type.supports_dp:
        raise NotSupportedError(
            f"method {method!r} cannot train under differential privacy in this version. "
            f"Use one of {dp_methods()} (or method='auto'), or fit without differential privacy."
        )
    return method


def _check_quasi_identifiers(privacy: PrivacyConfig | None, schema: Schema) -> None:
    """Raise unless every quasi-identifier is a modelled column of the table."""
    if privacy is None or not privacy.quasi_identifiers:
        return
    modelled = [column.name for column in schema.modelled_columns]
    missing = [name for name in privacy.quasi_identifiers if name not in modelled]
    if missing:
        raise ConfigError(
            f"quasi_identifiers {missing} are not modelled columns of the table (absent, dropped, or "
            f"identifier-like). The modelled columns are {modelled}."
        )


def _check_data_frame(data: Any) -> None:
    if not isinstance(data, pd.DataFrame):
        raise InvalidDataError(
            f"data must be a pandas DataFrame, got {type(data).__name__}. "
            "Load the table with pandas.read_csv or pandas.read_parquet first."
        )


def _noise_state(random_state: Any) -> Any:
    """Return the random state for DP noise: its own stream for a seed, OS entropy for None."""
    if random_state is None or isinstance(random_state, np.random.Generator):
        return random_state
    return stream(random_state, NOISE_STREAM)
