"""k-anonymity of a synthetic table by generalization and suppression.

`anonymize` runs on the synthetic output, so under differential privacy it is
post-processing and spends no budget. It generalizes every quasi-identifier
with one level of its hierarchy (full-domain generalization, as in ARX). It
picks the combination of levels with the least information loss (NCP, see
`genesis.privacy.generalization`) among those that leave at most
`max_suppression` of the rows in equivalence classes smaller than k, and it
removes those rows. Equivalence classes are exact groups of generalized
values. HIPAA Safe Harbor
floors come first: ZIP codes, ages and dates recognised as such are never
released finer than Safe Harbor allows, unless `safe_harbor=False`.

The generalized quasi-identifier columns change dtype: they hold text. The
dtype is the frame's string dtype when it has one, otherwise object. The
other columns are left as they are.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from genesis.domain import Domain
from genesis.errors import ConfigError, InvalidDataError, invalid_value
from genesis.privacy.generalization_record import clip_to_hierarchy, hierarchy_from_entry
from genesis.privacy.kanonymity_encoding import EncodedColumn, encode_column, group_rows
from genesis.privacy.kanonymity_safe_harbor import QuasiIdentifier, resolve_quasi_identifiers
from genesis.privacy.kanonymity_search import NodeOutcome, search

logger = logging.getLogger(__name__)

LOSS_MEASURE = "NCP (Xu et al., KDD 2006): mean over quasi-identifier cells; suppressed rows count 1 per cell"


@dataclass(frozen=True)
class KAnonymityResult:
    """The record of one `anonymize` call: the generalization chosen, the rows suppressed and the loss.

    Attributes
    ----------
    k:
        The k that every equivalence class of the output meets.
    quasi_identifiers:
        The quasi-identifiers, in the caller's order.
    levels:
        Per quasi-identifier: the chosen `level`, its `name`, how values are
        written (`format`), the Safe Harbor `floor` the search started from,
        the hierarchy's `kind`, the recognised `safe_harbor_kind` and the
        hierarchy's `details`.
    rows_in, rows_out:
        Rows of the input and of the output.
    suppressed:
        Rows removed because their class was smaller than k.
    suppressed_share:
        `suppressed / rows_in`.
    surplus_dropped:
        Rows removed from classes larger than k to return exactly `target_rows`.
    smallest_class, n_classes:
        Size of the smallest equivalence class and number of classes in the output.
    information_loss:
        NCP of the chosen node, in [0, 1], over the input rows with suppressed
        rows counted as 1.
    naive_information_loss, naive_levels:
        NCP and levels of the naive full-domain generalization: the lowest
        uniform level (one level index for every column, within its floor and
        top) that meets k with no row suppressed. None when no such level
        exists.
    nodes_evaluated, lattice_size:
        Nodes whose classes the search counted, out of all nodes in the lattice.
    max_suppression:
        The suppression limit the search used, as a share of `rows_in`.
    safe_harbor:
        Whether Safe Harbor floors applied.
    """

    k: int
    quasi_identifiers: tuple[str, ...]
    levels: Mapping[str, Mapping[str, Any]]
    rows_in: int
    rows_out: int
    suppressed: int
    suppressed_share: float
    surplus_dropped: int
    smallest_class: int
    n_classes: int
    information_loss: float
    naive_information_loss: float | None
    naive_levels: Mapping[str, int] | None
    nodes_evaluated: int
    lattice_size: int
    max_suppression: float
    safe_harbor: bool

    def to_dict(self) -> dict[str, Any]:
        """Return the result as JSON-safe built-in types, for the release record."""
        return {
            "k": self.k,
            "quasi_identifiers": list(self.quasi_identifiers),
            "levels": {name: dict(entry) for name, entry in self.levels.items()},
            "rows_in": self.rows_in,
            "rows_out": self.rows_out,
            "suppressed": self.suppressed,
            "suppressed_share": self.suppressed_share,
            "surplus_dropped": self.surplus_dropped,
            "smallest_class": self.smallest_class,
            "n_classes": self.n_classes,
            "information_loss": self.information_loss,
            "information_loss_measure": LOSS_MEASURE,
            "naive_information_loss": self.naive_information_loss,
            "naive_levels": None if self.naive_levels is None else dict(self.naive_levels),
            "nodes_evaluated": self.nodes_evaluated,
            "lattice_size": self.lattice_size,
            "max_suppression": self.max_suppression,
            "safe_harbor": self.safe_harbor,
        }


def anonymize(
    frame: pd.DataFrame,
    quasi_identifiers: Sequence[str],
    k: int,
    *,
    hierarchies: Mapping[str, Any] | None = None,
    max_suppression: float = 0.01,
    safe_harbor: bool = True,
    domain: Domain | Mapping[str, Any] | None = None,
    target_rows: int | None = None,
    rng: int | np.random.Generator | None = None,
) -> tuple[pd.DataFrame, KAnonymityResult]:
    """Generalize and suppress `frame` so that every quasi-identifier combination occurs at least k times.

    Parameters
    ----------
    frame:
        The synthetic table. It is not modified.
    quasi_identifiers:
        Columns an attacker could link on.
    k:
        Minimum size of every equivalence class, at least 1. With k=1 only the
        Safe Harbor floors apply.
    hierarchies:
        Hierarchy per column, replacing the built-in choice: a
        `generalization.Hierarchy`, or a categorical tree (see
        `generalization.categorical_hierarchy`). Keys must be quasi-identifiers.
    max_suppression:
        Largest share of rows, in [0, 1), that may be removed because their
        class is smaller than k.
    safe_harbor:
        Start ZIP codes, ages and dates at their HIPAA Safe Harbor floor.
    domain:
        Public or DP bounds per column: a `genesis.domain.Domain`, or a mapping
        from column to (lower, upper). Numeric quasi-identifiers that are not
        ages need bounds for their bands.
    target_rows:
        Rows to return. The caller oversamples, then surplus rows are dropped
        at random, only from classes larger than k, so every class stays at or
        above k. The chosen generalization does not depend on it.
    rng:
        Seed or numpy Generator for choosing surplus rows; None draws from
        operating-system entropy.

    Returns
    -------
    frame:
        The kept rows in their input order and with their input index, the
        quasi-identifiers as generalized text.
    result:
        The generalization applied, for the release record.

    Raises
    ------
    InvalidDataError
        When no generalization meets k within the suppression limit, or when
        `target_rows` cannot be returned with every class at least k.
    ConfigError
        When an argument is invalid.
    """
    names = _check_arguments(frame, quasi_identifiers, k, max_suppression, target_rows)
    _check_rng(rng)
    hierarchies = _check_hierarchies(hierarchies, names)
    max_suppressed = math.floor(round(max_suppression * len(frame), 9))

    # Choose hierarchies and floors, then encode each column at every level.
    resolved = resolve_quasi_identifiers(frame, names, hierarchies, domain, safe_harbor)
    columns = [encode_column(frame[qi.name], qi.hierarchy) for qi in resolved]

    # Search the lattice above the floors.
    outcome = search(columns, [qi.floor for qi in resolved], k, max_suppressed)
    if outcome.best is None:
        raise InvalidDataError(
            _unreachable_message(resolved, outcome.top, k, len(frame), max_suppression, max_suppressed)
        )
    best = outcome.best
    logger.debug("k-anonymity: chose levels %s after %d of %d nodes", best.levels, outcome.nodes_evaluated,
                 outcome.lattice_size)

    # Suppress classes smaller than k, then drop surplus rows down to target_rows.
    class_ids, sizes = group_rows(columns, best.levels)
    kept = np.flatnonzero(sizes[class_ids] >= k)
    surplus = 0 if target_rows is None else _check_target_rows(target_rows, kept.size, class_ids[kept], k)
    if surplus:
        kept = np.delete(kept, choose_surplus_rows(class_ids[kept], k, surplus, rng))

    output = _write_generalized(frame, columns, best.levels, kept)
    final_sizes = np.bincount(class_ids[kept])
    final_sizes = final_sizes[final_sizes > 0]
    result = KAnonymityResult(
        k=int(k),
        quasi_identifiers=tuple(names),
        levels={qi.name: _level_entry(qi, level) for qi, level in zip(resolved, best.levels, strict=True)},
        rows_in=len(frame),
        rows_out=int(kept.size),
        suppressed=best.suppressed,
        suppressed_share=best.suppressed / len(frame),
        surplus_dropped=surplus,
        smallest_class=int(final_sizes.min()),
        n_classes=int(final_sizes.size),
        information_loss=best.loss,
        naive_information_loss=None if outcome.naive is None else outcome.naive.loss,
        naive_levels=_naive_levels(names, outcome.naive),
        nodes_evaluated=outcome.nodes_evaluated,
        lattice_size=outcome.lattice_size,
        max_suppression=float(max_suppression),
        safe_harbor=bool(safe_harbor),
    )
    return output, result


def generalize_like(frame: pd.DataFrame, record: Mapping[str, Any], *,
                    hierarchies: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Return a copy of `frame` with each quasi-identifier written at the level a release recorded.

    Real and synthetic tables can then be compared at the same
    generalization: the real ages become "50-54" or "90+" and its ZIP codes
    "100**" wherever the synthetic table has them so. Rows are neither
    suppressed nor reordered, and other columns are left as they are.
    Numeric quasi-identifiers are first clipped to the recorded bounds, as
    fitting clips training values to the domain.

    Parameters
    ----------
    frame:
        The table to generalize, e.g. the real one.
    record:
        The release record (``synthetic.attrs["genesis"]``), its
        ``"k_anonymity"`` entry, or a mapping with that entry's ``"levels"``.
    hierarchies:
        Hierarchies built by the caller when generating (categorical trees,
        custom ZIP3 lists), by column; the built-in ones are rebuilt from the
        record.

    Raises
    ------
    ConfigError
        When the record contains no generalization levels, names a column
        `frame` lacks, or records a hierarchy that needs `hierarchies`.
    """
    levels = _recorded_levels(record)
    missing = [name for name in levels if name not in frame.columns]
    if missing:
        raise ConfigError(invalid_value("The recorded quasi-identifiers", list(levels), f"the frame has no "
                                        f"columns {missing}", "Pass the table the release was made from."))
    hierarchies = dict(hierarchies or {})

    output = frame.copy()
    for name, entry in levels.items():
        hierarchy, level = hierarchy_from_entry(name, entry, hierarchies.get(name))
        written = hierarchy.generalize(clip_to_hierarchy(frame[name], hierarchy), level)
        output[name] = pd.Series(written.to_numpy(dtype=object), index=frame.index,
                                 dtype=_text_dtype(frame, name))
    return output


def _recorded_levels(record: Any) -> Mapping[str, Mapping[str, Any]]:
    """Return the per-column levels from a release record or its k-anonymity entry."""
    if isinstance(record, Mapping) and isinstance(record.get("k_anonymity"), Mapping):
        record = record["k_anonymity"]
    levels = record.get("levels") if isinstance(record, Mapping) else None
    if not isinstance(levels, Mapping) or not levels:
        raise ConfigError(
            "The record contains no k-anonymity generalization levels. Pass synthetic.attrs['genesis'] from "
            "a table generated with k_anonymity, or its 'k_anonymity' entry."
        )
    return levels


def choose_surplus_rows(class_ids: np.ndarray, k: int, n_drop: int,
                        rng: int | np.random.Generator | None) -> np.ndarray:
    """Return `n_drop` positions to drop, at random, leaving every class with at least k rows.

    Rows are shuffled within each class. The rows after the first k of each
    class are eligible, and `n_drop` of them are drawn uniformly without
    replacement. A class of size s therefore loses on average a share of
    the drops proportional to s - k.
    """
    generator = np.random.default_rng(rng)
    order = np.lexsort((generator.random(class_ids.size), class_ids))
    sorted_ids = class_ids[order]
    rank_in_class = np.arange(sorted_ids.size) - np.searchsorted(sorted_ids, sorted_ids, side="left")
    eligible = order[rank_in_class >= k]
    return np.sort(generator.choice(eligible, size=n_drop, replace=False))


def _check_target_rows(target_rows: int, n_kept: int, class_ids: np.ndarray, k: int) -> int:
    """Return how many rows to drop to reach `target_rows`; raise when that is impossible."""
    if target_rows > n_kept:
        raise InvalidDataError(
            f"After suppression {n_kept} rows remain, fewer than target_rows={target_rows}. Generate more "
            "rows before anonymizing, or allow a larger max_suppression."
        )
    surplus = n_kept - target_rows
    sizes = np.bincount(class_ids)
    droppable = int(np.clip(sizes - k, 0, None).sum())
    if surplus > droppable:
        raise InvalidDataError(
            f"Reaching target_rows={target_rows} means dropping {surplus} of {n_kept} rows, but only "
            f"{droppable} can go without leaving a class smaller than k={k}. Generate fewer surplus rows "
            "or lower k."
        )
    return surplus


def _write_generalized(frame: pd.DataFrame, columns: list[EncodedColumn], levels: tuple[int, ...],
                       kept: np.ndarray) -> pd.DataFrame:
    output = frame.iloc[kept].copy()
    for column, level in zip(columns, levels, strict=True):
        labels = column.row_labels(level)[kept]
        output[column.name] = pd.Series(labels, index=output.index, dtype=_text_dtype(frame, column.name))
    return output


def _text_dtype(frame: pd.DataFrame, name: str) -> Any:
    """Return the dtype for generalized text: the column's or the frame's string dtype, else object."""
    if isinstance(frame[name].dtype, pd.StringDtype):
        return frame[name].dtype
    string_dtypes = [dtype for dtype in frame.dtypes if isinstance(dtype, pd.StringDtype)]
    if string_dtypes:
        return string_dtypes[0]
    if any(pd.api.types.is_object_dtype(dtype) for dtype in frame.dtypes):
        return object
    # A frame without text columns: use the dtype this pandas version infers for text.
    return pd.Series(["text"]).dtype


def _level_entry(qi: QuasiIdentifier, level: int) -> dict[str, Any]:
    entry = qi.hierarchy.describe(level)
    entry.update(floor=qi.floor, kind=qi.hierarchy.kind, safe_harbor_kind=qi.safe_harbor_kind,
                 details=dict(qi.hierarchy.details))
    return entry


def _naive_levels(names: list[str], naive: NodeOutcome | None) -> dict[str, int] | None:
    if naive is None:
        return None
    return dict(zip(names, naive.levels, strict=True))


def _unreachable_message(resolved: list[QuasiIdentifier], top: NodeOutcome, k: int, n_rows: int,
                         max_suppression: float, max_suppressed: int) -> str:
    coarsest = ", ".join(f"{qi.name}: {qi.hierarchy.levels[-1].name}" for qi in resolved)
    return (
        f"No generalization of {[qi.name for qi in resolved]} meets k={k}: even the coarsest ({coarsest}) "
        f"leaves {top.suppressed} of {n_rows} rows in classes smaller than k, but "
        f"max_suppression={max_suppression} allows at most {max_suppressed}. Use coarser hierarchies, a "
        "larger max_suppression, fewer quasi-identifiers or more rows."
    )


def _check_arguments(frame: Any, quasi_identifiers: Any, k: Any, max_suppression: Any,
                     target_rows: Any) -> list[str]:
    if not isinstance(frame, pd.DataFrame):
        raise ConfigError(invalid_value("frame", type(frame).__name__, "it must be a pandas DataFrame",
                                        "Pass the synthetic table as a DataFrame."))
    if len(frame) == 0:
        raise InvalidDataError("The frame has no rows, so there is nothing to anonymize. Pass a table.")
    is_list = isinstance(quasi_identifiers, Sequence) and not isinstance(quasi_identifiers, str)
    if not is_list or not quasi_identifiers:
        raise ConfigError(invalid_value("quasi_identifiers", quasi_identifiers, "it must be a non-empty list "
                                        "of column names", "Pass e.g. ['age', 'gender', 'zip_code']."))
    names = list(quasi_identifiers)
    missing = [name for name in names if name not in frame.columns]
    if missing:
        raise ConfigError(invalid_value("quasi_identifiers", names, f"the frame has no columns {missing}",
                                        f"Choose among {list(frame.columns)}."))
    columns = list(frame.columns)
    repeated = sorted({name for name in names if names.count(name) > 1 or columns.count(name) > 1})
    if repeated:
        raise ConfigError(invalid_value("quasi_identifiers", names, f"{repeated} occur more than once in "
                                        "the list or the frame", "Name each column once and uniquely."))
    if not _is_integer(k) or k < 1:
        raise ConfigError(invalid_value("k", k, "it must be an integer of at least 1", "Pass e.g. k=5."))
    if isinstance(max_suppression, bool) or not isinstance(max_suppression, int | float) \
            or not 0 <= max_suppression < 1:
        raise ConfigError(invalid_value("max_suppression", max_suppression, "it must be a share in [0, 1)",
                                        "Pass e.g. max_suppression=0.01 for at most 1% of rows."))
    if target_rows is not None and (not _is_integer(target_rows) or not 1 <= target_rows <= len(frame)):
        raise ConfigError(invalid_value("target_rows", target_rows, f"it must be an integer from 1 to "
                                        f"the frame's {len(frame)} rows", "Oversample, then pass it."))
    return names


def _check_hierarchies(hierarchies: Mapping[str, Any] | None, names: list[str]) -> Mapping[str, Any]:
    if hierarchies is None:
        return {}
    unknown = [name for name in hierarchies if name not in names]
    if unknown:
        raise ConfigError(invalid_value("hierarchies", unknown, "their keys must be quasi-identifiers "
                                        f"{names}", "Remove them or add them to quasi_identifiers."))
    return hierarchies


def _check_rng(rng: Any) -> None:
    if rng is None or isinstance(rng, np.random.Generator) or (_is_integer(rng) and rng >= 0):
        return
    raise ConfigError(invalid_value("rng", rng, "it must be a non-negative integer, a numpy.random.Generator "
                                    "or None", "Pass e.g. rng=42."))


def _is_integer(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)
