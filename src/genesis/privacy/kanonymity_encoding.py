"""Integer codes of each quasi-identifier at each generalization level, and class sizes from them.

The search evaluates many combinations of levels, so each column is
generalized once per level, on its distinct values only. A level is then a
lookup table from value codes to label codes and costs one gather per
evaluation. Equivalence classes are the exact groups of label codes. A
combined key counts them with `numpy.bincount`, or with a hash-based
`pandas.factorize` when the key space is large.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from genesis.errors import ConfigError
from genesis.privacy.generalization import SUPPRESSED, Hierarchy

# Bincount over the product of label counts when it is at most this many times the row count.
DENSE_KEY_FACTOR = 4
# Keep combined keys below this bound (int64), compacting them with factorize when needed.
KEY_LIMIT = 2**62


@dataclass(frozen=True)
class EncodedColumn:
    """One quasi-identifier generalized at every level of its hierarchy.

    Attributes
    ----------
    name:
        Column label, as in the frame.
    hierarchy:
        The hierarchy the levels come from.
    value_codes:
        Per row, the index of its distinct value; missing values use the last
        index, `len(value_counts) - 1`.
    value_counts:
        Rows per distinct value, the missing slot last.
    label_codes:
        Per level, the label code of each distinct value (missing slot last).
    labels:
        Per level, the text of each label code; None for missing values.
    value_loss:
        Per level, the NCP of each distinct value (missing slot last).
    """

    name: Any
    hierarchy: Hierarchy
    value_codes: np.ndarray
    value_counts: np.ndarray
    label_codes: tuple[np.ndarray, ...]
    labels: tuple[np.ndarray, ...]
    value_loss: tuple[np.ndarray, ...]

    @property
    def n_levels(self) -> int:
        return len(self.label_codes)

    def row_codes(self, level: int) -> np.ndarray:
        """Return each row's label code at `level`."""
        return self.label_codes[level][self.value_codes]

    def loss_sum(self, level: int) -> float:
        """Return the sum of the column's cell NCP at `level` over all rows."""
        return float(np.dot(self.value_counts, self.value_loss[level]))

    def row_labels(self, level: int) -> np.ndarray:
        """Return each row's generalized text at `level` (object array; None for missing)."""
        return self.labels[level][self.row_codes(level)]


def encode_column(column: pd.Series, hierarchy: Hierarchy) -> EncodedColumn:
    """Generalize the distinct values of `column` at every level and check that levels nest."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    n_values = len(uniques)
    value_codes = np.where(codes < 0, n_values, codes).astype(np.intp)
    value_counts = np.bincount(value_codes, minlength=n_values + 1)
    distinct = pd.Series(uniques, name=column.name)

    label_codes, labels, value_loss = [], [], []
    for level in range(hierarchy.n_levels):
        level_labels, level_loss = hierarchy.generalize_distinct(distinct, level)
        codes_at_level, texts = _label_codes(level_labels, hierarchy.levels[level].suppresses)
        label_codes.append(codes_at_level)
        labels.append(texts)
        value_loss.append(np.append(level_loss, 1.0 if hierarchy.levels[level].suppresses else 0.0))
        if level:
            _check_nesting(column.name, hierarchy, level, label_codes[-2], codes_at_level, value_counts)

    return EncodedColumn(column.name, hierarchy, value_codes, value_counts, tuple(label_codes),
                         tuple(labels), tuple(value_loss))


def _label_codes(level_labels: np.ndarray, suppresses: bool) -> tuple[np.ndarray, np.ndarray]:
    """Return label codes per distinct value plus the missing slot, and the text of each code."""
    if suppresses:
        return np.zeros(level_labels.size + 1, dtype=np.intp), np.array([SUPPRESSED], dtype=object)
    codes, texts = pd.factorize(level_labels)
    missing_code = len(texts)
    all_codes = np.append(codes, missing_code).astype(np.intp)
    return all_codes, np.append(np.asarray(texts, dtype=object), np.array([None], dtype=object))


def _check_nesting(name: object, hierarchy: Hierarchy, level: int, finer: np.ndarray, coarser: np.ndarray,
                   value_counts: np.ndarray) -> None:
    """Raise when a level splits a group of the level below; the search's pruning needs nesting."""
    present = value_counts > 0
    pairs = pd.DataFrame({"finer": finer[present], "coarser": coarser[present]}).drop_duplicates()
    split = pairs["finer"].duplicated(keep=False)
    if split.any():
        raise ConfigError(
            f"Level {level} ({hierarchy.levels[level].name!r}) of the hierarchy of {name!r} splits values "
            f"that level {level - 1} writes alike, so it is not a generalization of that level. Each level "
            "must map every group of the level below to one value; fix the hierarchy."
        )


def group_rows(columns: list[EncodedColumn], levels: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Return each row's equivalence-class id and the size of each class id.

    Class ids index the returned sizes; ids of classes with no rows may exist
    (size 0) when the dense key space is used.
    """
    n_rows = columns[0].value_codes.size
    key = np.zeros(n_rows, dtype=np.int64)
    key_space = 1
    for column, level in zip(columns, levels, strict=True):
        n_labels = column.labels[level].size
        if key_space * n_labels >= KEY_LIMIT:
            key, uniques = pd.factorize(key)
            key_space = len(uniques)
        key = key * n_labels + column.row_codes(level)
        key_space *= n_labels

    if key_space <= DENSE_KEY_FACTOR * n_rows:
        return key, np.bincount(key, minlength=key_space)
    class_ids, uniques = pd.factorize(key)
    return class_ids, np.bincount(class_ids, minlength=len(uniques))
