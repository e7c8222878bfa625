"""Machine-learning utility and detection for the quality evaluation.

Utility measures whether a model trained on the synthetic table predicts
real rows as well as the same model trained on real rows (the usual "train
on synthetic, test on real" comparison). For each target column:

    utility = min(1, score(trained on synthetic) / score(trained on real))

both scored on the same real test rows: the holdout when there is one,
otherwise a held-out part of the real table. Without a holdout the
generator has seen those test rows, which flatters the synthetic model;
`UtilityResult.holdout_used` records which case applies. The score is the
macro-averaged F1 for a categorical target and R² (clipped at 0) for a
numeric one.

A target is measured only when the real model beats a chance baseline by
`MIN_SIGNAL_GAIN` of the range above it; otherwise the other columns do not
predict it, and a ratio of two chance-level scores would be noise. A
synthetic table with fewer than `MIN_TRAIN_ROWS` rows that have a target
value scores 0 for that target, because no model can be trained on it.

Detection trains a classifier to tell real rows from synthetic rows and
reports its cross-validated ROC AUC: 0.5 means the classifier cannot tell
them apart, 1.0 that it always can. Identical rows are kept in one fold.

Both use scikit-learn's HistGradientBoosting models, which take missing
values and categories natively. Rows are subsampled to the sizes below so
that a table of 100,000 rows is evaluated in seconds. The models run on one
OpenMP thread (`MODEL_THREADS`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.metrics import f1_score, r2_score
from sklearn.model_selection import StratifiedGroupKFold, cross_val_score
from threadpoolctl import threadpool_limits

from genesis.evaluation.quality_columns import CATEGORICAL, PreparedColumn

MAX_TRAIN_ROWS = 10_000
"""Training rows per utility model; the real and the synthetic model get the same number."""

MAX_TEST_ROWS = 5_000
"""Real test rows per utility target."""

TEST_SHARE = 0.25
"""Share of the real rows held out for testing when no holdout is given."""

MAX_DETECTION_ROWS = 5_000
"""Rows per side (real and synthetic) for the detection classifier."""

DETECTION_FOLDS = 3

MIN_TRAIN_ROWS = 100
"""Fewest training rows with a target value that a utility model needs.

HistGradientBoosting puts at least 20 rows in a leaf (`min_samples_leaf`),
so fewer than 100 rows allow a tree of at most four leaves. This is a
policy default, not a statistical bound.
"""

MIN_SIGNAL_GAIN = 0.05
"""Share of the range between the chance baseline and a perfect score that the real model must cover.

Below it the target carries no signal the other columns can learn, and the
target is left out of the utility score. With 2,500 test rows the standard
error of a macro F1 near 0.5 is about 0.01, so the gain this asks for at a
baseline of 0.5 (0.025) is about two and a half standard errors.
"""

MAX_MODEL_CATEGORIES = 250
"""Categories kept per categorical feature; rarer ones share one code.

HistGradientBoosting accepts at most 255 categories per feature.
"""

MAX_TARGET_CLASSES = 50
"""A categorical column with more classes than this is not chosen as a default target."""

MIN_NUMERIC_TARGET_VALUES = 10
"""A numeric column with fewer distinct real values than this is not chosen as a default target."""

MODEL_ITERATIONS = 100

MODEL_THREADS = 1
"""OpenMP threads per model fit.

HistGradientBoosting's OpenMP threads wait actively for each other, so they
slow a fit down sharply on cores that other processes also use. On a 2-core
machine under a load average of 4, one fit on 10,000 x 48 values took 14 s
with the default thread count and 0.7 s with one thread.
"""


@dataclass(frozen=True)
class TargetUtility:
    """The utility of one target column."""

    target: str
    task: str
    metric: str
    score_real: float | None
    score_synthetic: float | None
    baseline: float | None
    utility: float | None
    train_rows: int
    test_rows: int
    note: str | None

    @property
    def measured(self) -> bool:
        """Whether this target enters the utility score (False: too few real rows, or no signal)."""
        return self.utility is not None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class UtilityResult:
    """Utility over one or more targets, with how it was tested.

    `score` is the mean utility of the measured targets, and NaN when no
    target was measured.
    """

    score: float
    targets: tuple[TargetUtility, ...]
    holdout_used: bool
    target_chosen_by: str
    model: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "holdout_used": self.holdout_used,
            "test_data": "holdout"
            if self.holdout_used
            else f"{TEST_SHARE:.0%} of the real rows held out (the generator saw them)",
            "target_chosen_by": self.target_chosen_by,
            "model": self.model,
            "targets": [target.to_dict() for target in self.targets],
        }


def utility(
    columns: Sequence[PreparedColumn],
    targets: Sequence[str],
    target_chosen_by: str,
    rng: np.random.Generator,
) -> UtilityResult:
    """Compute the utility of each target column and their mean."""
    holdout_used = columns[0].holdout is not None
    results = tuple(_target_utility(columns, target, holdout_used, rng) for target in targets)
    measured = [result.utility for result in results if result.measured]
    return UtilityResult(
        score=float(np.mean(measured)) if measured else math.nan,
        targets=results,
        holdout_used=holdout_used,
        target_chosen_by=target_chosen_by,
        model=f"scikit-learn HistGradientBoosting (max_iter={MODEL_ITERATIONS})",
    )


def default_targets(
    columns: Sequence[PreparedColumn], pairs: Sequence[dict[str, Any]], limit: int
) -> list[str]:
    """Choose up to `limit` targets: the eligible columns with the strongest mean real trend to the others.

    A column whose values the other columns barely predict gives a ratio of
    two near-zero scores, so the columns most associated with the rest (mean
    |Pearson rho| or Cramér's V over the column's pairs) come first.
    """
    strength: dict[str, list[float]] = {column.name: [] for column in columns}
    for pair in pairs:
        trend = pair["real_trend"]
        for name in pair["columns"]:
            strength[name].append(0.0 if trend is None else abs(trend))

    eligible = [column for column in columns if _is_eligible_target(column)]
    eligible.sort(key=lambda column: -float(np.mean(strength[column.name] or [0.0])))
    return [column.name for column in eligible[:limit]]


def detection_auc(columns: Sequence[PreparedColumn], rng: np.random.Generator) -> dict[str, Any]:
    """Return the cross-validated ROC AUC of a classifier telling real rows from synthetic rows."""
    real_rows = _sample_rows(columns[0].real.size, MAX_DETECTION_ROWS, rng)
    synthetic_rows = _sample_rows(columns[0].synthetic.size, MAX_DETECTION_ROWS, rng)
    features = np.vstack(
        [
            _feature_matrix(columns, "real", real_rows),
            _feature_matrix(columns, "synthetic", synthetic_rows),
        ]
    )
    features = _fill_unobserved(features)
    labels = np.concatenate([np.zeros(real_rows.size), np.ones(synthetic_rows.size)])

    model = HistGradientBoostingClassifier(
        max_iter=MODEL_ITERATIONS,
        categorical_features=_categorical_mask(columns),
        random_state=_seed(rng),
    )
    # Identical rows share a fold: a copy with the opposite label in the training
    # folds would make the model predict the wrong side and push the AUC below 0.5.
    groups = pd.factorize(pd.util.hash_pandas_object(pd.DataFrame(features), index=False))[0]
    folds = StratifiedGroupKFold(n_splits=DETECTION_FOLDS, shuffle=True, random_state=_seed(rng))
    with threadpool_limits(limits=MODEL_THREADS, user_api="openmp"):
        aucs = cross_val_score(model, features, labels, groups=groups, cv=folds, scoring="roc_auc")
    return {
        "auc": float(np.mean(aucs)),
        "fold_aucs": [float(value) for value in aucs],
        "real_rows": int(real_rows.size),
        "synthetic_rows": int(synthetic_rows.size),
        "folds": DETECTION_FOLDS,
        "model": f"scikit-learn HistGradientBoostingClassifier (max_iter={MODEL_ITERATIONS})",
    }


def _target_utility(
    columns: Sequence[PreparedColumn], target: str, holdout_used: bool, rng: np.random.Generator
) -> TargetUtility:
    target_column = next(column for column in columns if column.name == target)
    features = [column for column in columns if column.name != target]
    task = "classification" if target_column.kind == CATEGORICAL else "regression"

    # Split: test on the holdout, or hold out part of the real rows.
    real_present = np.flatnonzero(_present(target_column.real, task))
    synthetic_present = np.flatnonzero(_present(target_column.synthetic, task))
    if holdout_used:
        test_side = "holdout"
        test_rows = _sample_from(np.flatnonzero(_present(target_column.holdout, task)), MAX_TEST_ROWS, rng)
        real_pool = real_present
    else:
        test_side = "real"
        shuffled = rng.permutation(real_present)
        n_test = min(MAX_TEST_ROWS, int(round(TEST_SHARE * shuffled.size)))
        test_rows, real_pool = np.sort(shuffled[:n_test]), shuffled[n_test:]
    metric = _metric_name(task)
    if real_pool.size < MIN_TRAIN_ROWS or test_rows.size < 2:
        note = (
            f"not measured: the real table has {real_pool.size} training rows and {test_rows.size} test "
            f"rows with a value in {target!r}, and a model needs at least {MIN_TRAIN_ROWS} and 2"
        )
        return TargetUtility(
            target, task, metric, None, None, None, None, int(real_pool.size), int(test_rows.size), note
        )
    if synthetic_present.size < MIN_TRAIN_ROWS:
        note = (
            f"scored 0: the synthetic table has {synthetic_present.size} rows with a value in {target!r}, "
            f"fewer than the {MIN_TRAIN_ROWS} a model needs to train"
        )
        return TargetUtility(
            target, task, metric, None, None, None, 0.0, int(synthetic_present.size), int(test_rows.size),
            note
        )
    n_train = min(MAX_TRAIN_ROWS, real_pool.size, synthetic_present.size)
    real_train = _sample_from(real_pool, n_train, rng)
    synthetic_train = _sample_from(synthetic_present, n_train, rng)

    # Train the same model on each side and score both on the same test rows.
    test_x = _feature_matrix(features, test_side, test_rows)
    test_y = getattr(target_column, test_side)[test_rows]
    seed = _seed(rng)
    score_real = _train_and_score(
        task, features, "real", real_train, target_column.real[real_train], test_x, test_y, seed
    )
    score_synthetic = _train_and_score(
        task,
        features,
        "synthetic",
        synthetic_train,
        target_column.synthetic[synthetic_train],
        test_x,
        test_y,
        seed,
    )

    # A target the real model cannot predict better than chance gives a ratio of two noise scores.
    baseline = _chance_score(task, target_column.real[real_train], test_y)
    note = None
    if score_real < baseline + MIN_SIGNAL_GAIN * (1.0 - baseline):
        ratio = None
        note = (
            f"left out: the model trained on real rows scores {score_real:.3f} ({metric}), which does not "
            f"beat the chance baseline {baseline:.3f} by {MIN_SIGNAL_GAIN:.0%} of the range above it, so "
            "the other columns carry no learnable signal about this target"
        )
    else:
        ratio = min(1.0, score_synthetic / score_real)
    return TargetUtility(
        target,
        task,
        metric,
        score_real,
        score_synthetic,
        baseline,
        ratio,
        int(n_train),
        int(test_rows.size),
        note,
    )


def _chance_score(task: str, train_y: np.ndarray, test_y: np.ndarray) -> float:
    """Return the test score of the better trivial predictor that ignores the features.

    For regression that is the training mean. For classification it is the
    better of two: always predicting the most frequent training class, and
    guessing at the training class shares. The guess's macro F1 is taken
    from expected counts. With p and q a class's test and training shares,
    expected true positives are n*p*q, so F1 = 2*p*q / (p + q), averaged
    over the test classes.
    """
    if task == "regression":
        predicted = np.full(test_y.shape, float(np.mean(train_y)))
        return float(max(0.0, r2_score(test_y, predicted)))

    labels = np.unique(test_y)
    classes, train_counts = np.unique(train_y, return_counts=True)
    majority = np.full(test_y.shape, classes[np.argmax(train_counts)])
    majority_f1 = f1_score(test_y, majority, labels=labels, average="macro", zero_division=0)

    test_shares = np.array([np.mean(test_y == label) for label in labels])
    train_shares = np.array([np.mean(train_y == label) for label in labels])
    guess_f1 = 2 * test_shares * train_shares / (test_shares + train_shares)
    return float(max(majority_f1, np.mean(guess_f1)))


def _train_and_score(
    task: str,
    features: Sequence[PreparedColumn],
    side: str,
    rows: np.ndarray,
    target: np.ndarray,
    test_x: np.ndarray,
    test_y: np.ndarray,
    seed: int,
) -> float:
    with threadpool_limits(limits=MODEL_THREADS, user_api="openmp"):
        return _fit_and_score(
            task,
            _fill_unobserved(_feature_matrix(features, side, rows)),
            target,
            test_x,
            test_y,
            _categorical_mask(features),
            seed,
        )


def _fit_and_score(
    task: str,
    train_x: np.ndarray,
    target: np.ndarray,
    test_x: np.ndarray,
    test_y: np.ndarray,
    mask: np.ndarray,
    seed: int,
) -> float:
    if task == "classification":
        if np.unique(target).size < 2:
            predicted = np.full(test_y.shape, target[0])
        else:
            model = HistGradientBoostingClassifier(
                max_iter=MODEL_ITERATIONS, categorical_features=mask, random_state=seed
            )
            predicted = model.fit(train_x, target).predict(test_x)
        return float(f1_score(test_y, predicted, labels=np.unique(test_y), average="macro", zero_division=0))

    model = HistGradientBoostingRegressor(
        max_iter=MODEL_ITERATIONS, categorical_features=mask, random_state=seed
    )
    predicted = model.fit(train_x, target).predict(test_x)
    return float(max(0.0, r2_score(test_y, predicted)))


def _feature_matrix(columns: Sequence[PreparedColumn], side: str, rows: np.ndarray) -> np.ndarray:
    """Stack the columns of one side into a float matrix of values or capped category ranks."""
    if not columns:
        return np.zeros((rows.size, 1))
    matrix = np.empty((rows.size, len(columns)), dtype=np.float64)
    for index, column in enumerate(columns):
        values = getattr(column, side)[rows]
        if column.kind == CATEGORICAL:
            ranks = _frequency_ranks(column)
            capped = np.minimum(ranks[np.maximum(values, 0)], MAX_MODEL_CATEGORIES).astype(np.float64)
            values = np.where(values < 0, np.nan, capped)
        matrix[:, index] = values
    return matrix


def _fill_unobserved(train_x: np.ndarray) -> np.ndarray:
    """Set each feature that has no value in the training rows to 0, so the model cannot split on it.

    scikit-learn 1.9's HistGradientBoosting raises "window shape cannot be
    larger than input array shape" when a feature is missing in every
    training row (e.g. a synthetic column that came out entirely empty). A
    constant feature gets no split, which is what an empty one means.
    """
    unobserved = np.isnan(train_x).all(axis=0)
    if not unobserved.any():
        return train_x
    filled = train_x.copy()
    filled[:, unobserved] = 0.0
    return filled


def _frequency_ranks(column: PreparedColumn) -> np.ndarray:
    """Return, per category code, its rank by real frequency (0 = most frequent)."""
    counts = np.bincount(column.real[column.real >= 0], minlength=len(column.categories))
    ranks = np.empty(len(column.categories), dtype=np.int64)
    ranks[np.argsort(-counts, kind="stable")] = np.arange(len(column.categories))
    return ranks


def _categorical_mask(columns: Sequence[PreparedColumn]) -> np.ndarray:
    if not columns:
        return np.zeros(1, dtype=bool)
    return np.array([column.kind == CATEGORICAL for column in columns])


def _is_eligible_target(column: PreparedColumn) -> bool:
    if column.kind == CATEGORICAL:
        n_classes = np.unique(column.real[column.real >= 0]).size
        return 2 <= n_classes <= MAX_TARGET_CLASSES
    values = column.real[~np.isnan(column.real)]
    return np.unique(values).size >= MIN_NUMERIC_TARGET_VALUES


def _present(values: np.ndarray, task: str) -> np.ndarray:
    return values >= 0 if task == "classification" else ~np.isnan(values)


def _metric_name(task: str) -> str:
    return "macro F1" if task == "classification" else "R² clipped at 0"


def _sample_rows(n_rows: int, limit: int, rng: np.random.Generator) -> np.ndarray:
    return _sample_from(np.arange(n_rows), limit, rng)


def _sample_from(rows: np.ndarray, limit: int, rng: np.random.Generator) -> np.ndarray:
    if rows.size <= limit:
        return rows
    return np.sort(rng.choice(rows, size=limit, replace=False))


def _seed(rng: np.random.Generator) -> int:
    return int(rng.integers(2**31 - 1))
