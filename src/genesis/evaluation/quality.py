"""`QualityEvaluator`: is the synthetic table usable in place of the real one?

It runs four measures on the columns both tables share and returns a
`QualityReport`:

1. fidelity: per-column shapes and missing shares (`quality_columns`);
2. correlation: per-pair trends (`quality_pairs`);
3. ML utility: train on synthetic, test on real (`quality_models`);
4. detection: how well a classifier separates real rows from synthetic ones.

``overall_score`` is the mean of the first three (of the first two when no
utility target could be measured); detection is a diagnostic.
The results are computed on the real table without differential privacy.
They are meant for the data custodian, so they show only aggregates (see
`QualityReport`).

When the synthetic frame's release record says its quasi-identifiers were
generalized for k-anonymity, the real table (and the holdout) are written at
the same levels with `genesis.privacy.kanonymity.generalize_like` before any
comparison, and those columns are compared as categories.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from genesis import release
from genesis.errors import ConfigError, InvalidDataError, invalid_value
from genesis.evaluation import quality_models
from genesis.evaluation.quality_columns import (
    PreparedColumn,
    column_result,
    comparison_kind,
    declared_categorical,
    looks_like_identifier,
    prepare_column,
    record_identifiers,
)
from genesis.evaluation.quality_pairs import pair_results
from genesis.evaluation.quality_plots import summarize_distribution
from genesis.evaluation.quality_report import QualityReport
from genesis.holdout import lookup_holdout
from genesis.privacy.kanonymity import generalize_like
from genesis.randomness import check_random_state, stream

logger = logging.getLogger(__name__)

DEFAULT_PLOT_K = 10
"""Smallest real count a plotted cell needs when the synthetic frame records no k-anonymity k."""

DEFAULT_UTILITY_TARGETS = 3
"""Target columns the utility is averaged over when `evaluate` gets no `target_column`."""

UTILITY_STREAM = 0
DETECTION_STREAM = 1


class QualityEvaluator:
    """Compare a synthetic table with the real table it was made from.

    Parameters
    ----------
    real_data:
        The real table (without the direct identifiers removed before fitting).
    synthetic_data:
        The synthetic table. Its release record (``attrs["genesis"]``), when
        present, supplies the column kinds, identifier columns, the
        k-anonymity generalization and the holdout.
    holdout_data:
        Real rows the generator never saw. Utility models are tested on them.
        By default the holdout that `SyntheticGenerator.fit` kept in memory is
        used when the synthetic frame links to it. Without either, utility is
        tested on held-out real rows the generator did see, and the report
        states this.
    discrete_columns:
        Columns to compare as categories even when they hold numbers.
    k:
        Smallest real count a category or histogram bin needs to be drawn.
        Defaults to the recorded k-anonymity k, else `DEFAULT_PLOT_K`.
    random_state:
        Seed or numpy Generator for the subsamples and models of the utility
        and detection measures; stored as given.
    max_utility_targets:
        Number of target columns the utility is averaged over when
        `evaluate` gets no `target_column`.
    """

    def __init__(
        self,
        real_data: pd.DataFrame,
        synthetic_data: pd.DataFrame,
        *,
        holdout_data: pd.DataFrame | None = None,
        discrete_columns: Sequence[str] | None = None,
        k: int | None = None,
        random_state: int | np.random.Generator | None = None,
        max_utility_targets: int = DEFAULT_UTILITY_TARGETS,
    ) -> None:
        self.real_data = real_data
        self.synthetic_data = synthetic_data
        self.holdout_data = holdout_data
        self.discrete_columns = discrete_columns
        self.k = k
        self.random_state = random_state
        self.max_utility_targets = max_utility_targets

    def evaluate(self, target_column: str | None = None) -> QualityReport:
        """Score the synthetic table and return the `QualityReport`.

        Parameters
        ----------
        target_column:
            Column the utility models predict (classification for a
            categorical column, regression for a numeric one). Without it,
            utility is the mean over up to `max_utility_targets` columns that
            the other columns predict best in the real table (strongest mean
            pair trend), and the report names them.
        """
        random_state = check_random_state(self.random_state)
        self._validate()
        record = release.record_of(self.synthetic_data)
        warnings: list[str] = []

        # Bring real and holdout to the synthetic table's generalization.
        holdout, holdout_source = self._holdout()
        real, holdout, generalized, k, k_source = self._generalize(record, holdout)
        columns, skipped = self._prepare(real, holdout, record, generalized, warnings)

        # Column shapes and pair trends.
        column_scores = {column.name: column_result(column) for column in columns}
        pairs = pair_results(columns)
        correlation, correlation_all, basis = _correlation_scores(pairs, warnings)

        # Utility and detection, on subsamples.
        targets, chosen_by = self._targets(target_column, columns, pairs)
        if holdout is not None:
            columns = _without_holdout_rows(columns, real, holdout)
        utility = quality_models.utility(columns, targets, chosen_by, stream(random_state, UTILITY_STREAM))
        warnings += _utility_warnings(utility)
        detection = quality_models.detection_auc(columns, stream(random_state, DETECTION_STREAM))

        fidelity = float(np.mean([entry["score"] for entry in column_scores.values()]))
        utility_details = utility.to_dict() | {"holdout_source": holdout_source}
        measured = not math.isnan(utility.score)
        parts = [fidelity, correlation, utility.score] if measured else [fidelity, correlation]
        utility_score = utility.score if measured else _unmeasured_utility(utility)
        return QualityReport(
            overall_score=float(np.mean(parts)),
            fidelity_score=fidelity,
            column_shapes_score=float(np.mean([entry["shape_score"] for entry in column_scores.values()])),
            correlation_score=correlation,
            correlation_score_all_pairs=correlation_all,
            correlation_basis=basis,
            utility_score=utility_score,
            detection_auc=detection["auc"],
            column_scores=column_scores,
            pair_scores=pairs,
            utility=utility_details,
            detection=detection,
            generalized_columns=generalized,
            skipped_columns=skipped,
            k=k,
            k_source=k_source,
            rows={
                "real": len(self.real_data),
                "synthetic": len(self.synthetic_data),
                "holdout": 0 if holdout is None else len(holdout),
            },
            random_state=random_state if isinstance(random_state, int) else None,
            warnings=warnings,
            distributions={column.name: summarize_distribution(column, k) for column in columns},
        )

    def _validate(self) -> None:
        for name in ("real_data", "synthetic_data"):
            frame = getattr(self, name)
            if not isinstance(frame, pd.DataFrame):
                raise InvalidDataError(
                    invalid_value(
                        name,
                        type(frame).__name__,
                        "it must be a pandas DataFrame",
                        "Pass the table as a DataFrame, e.g. pd.read_csv(path).",
                    )
                )
            if len(frame) == 0:
                raise InvalidDataError(f"{name} has no rows. Pass a table with at least one row.")
        if self.holdout_data is not None and not isinstance(self.holdout_data, pd.DataFrame):
            raise InvalidDataError(
                invalid_value(
                    "holdout_data",
                    type(self.holdout_data).__name__,
                    "it must be a pandas DataFrame or None",
                    "Pass the holdout rows as a DataFrame.",
                )
            )
        k = self.k
        if k is not None and (isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1):
            raise ConfigError(
                invalid_value(
                    "k",
                    k,
                    "it must be a positive integer or None",
                    "Pass e.g. k=10, or None to use the recorded k.",
                )
            )
        targets = self.max_utility_targets
        if isinstance(targets, bool) or not isinstance(targets, int | np.integer) or targets < 1:
            raise ConfigError(
                invalid_value(
                    "max_utility_targets",
                    targets,
                    "it must be a positive integer",
                    "Pass e.g. max_utility_targets=3.",
                )
            )

    def _holdout(self) -> tuple[pd.DataFrame | None, str]:
        if self.holdout_data is not None:
            return self.holdout_data, "holdout_data argument"
        linked = lookup_holdout(self.synthetic_data)
        if linked is not None:
            return linked, "kept in memory by SyntheticGenerator.fit"
        return None, "none"

    def _generalize(
        self, record: Mapping[str, Any] | None, holdout: pd.DataFrame | None
    ) -> tuple[pd.DataFrame, pd.DataFrame | None, list[str], int, str]:
        """Write real and holdout quasi-identifiers at the recorded levels; return them, k and its source."""
        entry = (record or {}).get("k_anonymity")
        if self.k is not None:
            k, k_source = int(self.k), "k argument"
        elif entry:
            k, k_source = int(entry["k"]), "k-anonymity k recorded on the synthetic table"
        else:
            k, k_source = DEFAULT_PLOT_K, f"default {DEFAULT_PLOT_K} (no k recorded on the synthetic table)"
        if not entry:
            return self.real_data, holdout, [], k, k_source

        generalized = [name for name in entry["levels"] if name in self.synthetic_data.columns]
        real = generalize_like(self.real_data, entry)
        if holdout is not None:
            holdout = generalize_like(holdout, entry)
        return real, holdout, generalized, k, k_source

    def _prepare(
        self,
        real: pd.DataFrame,
        holdout: pd.DataFrame | None,
        record: Mapping[str, Any] | None,
        generalized: list[str],
        warnings: list[str],
    ) -> tuple[list[PreparedColumn], dict[str, str]]:
        """Choose the columns to score, give each a kind, and encode it; return them and the skipped ones."""
        synthetic = self.synthetic_data
        discrete = declared_categorical(record, self.discrete_columns or [])
        identifiers = record_identifiers(record)
        unknown = sorted(set(self.discrete_columns or []) - set(real.columns))
        if unknown:
            raise ConfigError(
                invalid_value(
                    "discrete_columns",
                    unknown,
                    "they are not columns of the real table",
                    f"Choose from {[str(name) for name in real.columns]}.",
                )
            )

        skipped: dict[str, str] = {}
        columns: list[PreparedColumn] = []
        for name in real.columns:
            if name not in synthetic.columns:
                skipped[name] = "not in the synthetic table"
            elif name in identifiers:
                skipped[name] = "identifier (surrogate values in the synthetic table)"
            elif looks_like_identifier(real[name]):
                skipped[name] = "identifier-like: every real value is distinct"
            elif holdout is not None and name not in holdout.columns:
                skipped[name] = "not in the holdout table"
            else:
                kind = comparison_kind(
                    real[name], synthetic[name], discrete=name in discrete, generalized=name in generalized
                )
                _warn_mixed_types(name, kind, real[name], synthetic[name], warnings)
                columns.append(
                    prepare_column(
                        name, kind, real[name], synthetic[name], None if holdout is None else holdout[name]
                    )
                )
        for name in synthetic.columns:
            if name not in real.columns:
                skipped[name] = "not in the real table"

        if not columns:
            raise InvalidDataError(
                "The real and synthetic tables share no column that can be compared "
                f"(real: {[str(c) for c in real.columns]}, "
                f"synthetic: {[str(c) for c in synthetic.columns]}). "
                "Pass the real table the synthetic one was generated from."
            )
        return columns, skipped

    def _targets(
        self, target_column: str | None, columns: Sequence[PreparedColumn], pairs: Sequence[dict[str, Any]]
    ) -> tuple[list[str], str]:
        names = [column.name for column in columns]
        if target_column is not None:
            if target_column not in names:
                raise ConfigError(
                    invalid_value(
                        "target_column",
                        target_column,
                        "it must be a scored column of both tables",
                        f"Choose one of {[str(name) for name in names]}.",
                    )
                )
            return [target_column], "target_column argument"
        if len(columns) < 2:
            raise InvalidDataError(
                "Utility needs at least two scored columns (a target and a feature); "
                f"the tables share only {names}."
            )
        targets = quality_models.default_targets(columns, pairs, self.max_utility_targets)
        if not targets:
            targets = names[: self.max_utility_targets]
            return targets, "first columns in table order (no column fits the default target rules)"
        return targets, (
            f"the {len(targets)} columns with the strongest mean real trend to the other "
            "columns (no target_column given)"
        )


def _correlation_scores(pairs: Sequence[dict[str, Any]], warnings: list[str]) -> tuple[float, float, str]:
    """Return the pair-trend score over pairs with a real trend, over all pairs, and the first one's basis."""
    defined = [pair for pair in pairs if pair["score"] is not None]
    if not defined:
        warnings.append("No column pair has a defined trend score, so the correlation score is set to 1.")
        return 1.0, 1.0, "no pairs to compare"
    all_pairs = float(np.mean([pair["score"] for pair in defined]))
    trending = [pair["score"] for pair in defined if pair["has_real_trend"]]
    if not trending:
        return all_pairs, all_pairs, "all pairs (no pair has a real trend)"
    return float(np.mean(trending)), all_pairs, f"{len(trending)} of {len(defined)} pairs with a real trend"


def _utility_warnings(utility: quality_models.UtilityResult) -> list[str]:
    """Return what the reader must know about the utility score: its test rows and the targets
    not measured."""
    warnings = []
    if not utility.holdout_used:
        warnings.append(
            "No holdout was available, so utility was tested on real rows the generator "
            "was trained on, which flatters the synthetic model."
        )
    for target in utility.targets:
        if target.note is not None:
            warnings.append(f"Utility target {target.target!r}: {target.note}.")
    if math.isnan(utility.score):
        warnings.append(
            "No utility target could be measured: on the real table no target's model beat its chance "
            "baseline (or too few rows had a target value). utility_score is then the plain ratio of "
            "synthetic-trained to real-trained scores over those targets, which carries no evidence of "
            "utility, and overall_score is the mean of fidelity and correlation. Pass a target_column "
            "that the other columns predict in the real table, or none to let genesis choose."
        )
    return warnings


def _unmeasured_utility(utility: quality_models.UtilityResult) -> float:
    """Return min(1, synthetic score / real score) averaged over targets left out for lack of signal.

    A float in [0, 1], because the tutorial formats every score as a percentage; the warning of
    `_utility_warnings` states that it is no evidence. 0.0 when no target has both scores.
    """
    ratios = [min(1.0, max(0.0, t.score_synthetic) / t.score_real) for t in utility.targets
              if t.score_real is not None and t.score_synthetic is not None and t.score_real > 0]
    return float(np.mean(ratios)) if ratios else 0.0


def _without_holdout_rows(
    columns: Sequence[PreparedColumn], real: pd.DataFrame, holdout: pd.DataFrame
) -> list[PreparedColumn]:
    """Drop real rows that also occur in the holdout, so the real utility model never trains on its test rows.

    `fit` takes the holdout out of the table the user passes as real, so
    without this the real model would be tested partly on its own training
    rows. Rows are matched on the scored columns' values.
    """
    names = [column.name for column in columns]
    real_hashes = pd.util.hash_pandas_object(real[names].astype(str), index=False).to_numpy()
    holdout_hashes = pd.util.hash_pandas_object(holdout[names].astype(str), index=False).to_numpy()
    keep = ~np.isin(real_hashes, holdout_hashes)
    if keep.all():
        return list(columns)
    return [_replace_real(column, keep) for column in columns]


def _replace_real(column: PreparedColumn, keep: np.ndarray) -> PreparedColumn:
    return replace(column, real=column.real[keep], pair_real=column.pair_real[keep])


def _warn_mixed_types(
    name: str, kind: str, real: pd.Series, synthetic: pd.Series, warnings: list[str]
) -> None:
    real_is_number = pd.api.types.is_numeric_dtype(real.dtype)
    if kind == "categorical" and real_is_number != pd.api.types.is_numeric_dtype(synthetic.dtype):
        warnings.append(
            f"Column {name!r} holds numbers in one table and text in the other, so it is compared "
            "as text. If the synthetic values are generalized (bands, ZIP3), keep the release "
            "record on the frame or generalize the real table the same way."
        )
