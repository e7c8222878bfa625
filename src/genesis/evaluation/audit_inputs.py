"""Prepare the tables an audit compares: training, holdout and synthetic rows in one encoding.

The facts an audit needs (quasi-identifiers, k, the generalization, which
columns are identifiers) come from the synthetic frame's release record when
it has one, and otherwise from the caller's arguments. Every assumption made
without either is written to `warnings`, so a report states what it rests on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from genesis import release
from genesis.errors import ConfigError, InvalidDataError, invalid_value
from genesis.evaluation.distance import EncodedRows, MixedSpace
from genesis.holdout import lookup_holdout
from genesis.privacy.kanonymity import generalize_like


@dataclass
class AuditInputs:
    """The three tables of one audit, generalized alike and encoded in one `MixedSpace`.

    Attributes
    ----------
    training:
        Real rows the model was fitted on: the real table without the holdout rows.
    holdout:
        Real rows kept out of training, or None.
    synthetic:
        The released table.
    columns:
        Columns compared: those the real and synthetic tables share, without identifiers.
    quasi_identifiers, sensitive_columns, k:
        As recorded or passed; see `warnings` for assumptions.
    holdout_source:
        "release record", "argument" or None.
    generalized:
        True when real rows were written at the release's recorded generalization.
    """

    training: pd.DataFrame
    holdout: pd.DataFrame | None
    synthetic: pd.DataFrame
    columns: list[Any]
    quasi_identifiers: tuple[Any, ...]
    sensitive_columns: tuple[Any, ...]
    k: int | None
    holdout_source: str | None
    generalized: bool
    record: Mapping[str, Any] | None
    space: MixedSpace
    encoded_training: EncodedRows
    encoded_holdout: EncodedRows | None
    encoded_synthetic: EncodedRows
    warnings: list[str] = field(default_factory=list)


def prepare_inputs(real: Any, synthetic: Any, *, sensitive_columns: Iterable[Any] | None,
                   quasi_identifiers: Iterable[Any] | None, k: int | None, holdout: Any) -> AuditInputs:
    """Check the tables, find the holdout and the recorded facts, and encode every table."""
    _check_frame(real, "real_data")
    _check_frame(synthetic, "synthetic_data")
    record = release.record_of(synthetic)
    notes: list[str] = []
    if record is None:
        notes.append("The synthetic table has no release record (e.g. read from CSV), so the audit uses the "
                     "arguments only and assumes the real and synthetic tables are at the same "
                     "generalization.")

    holdout, holdout_source = _find_holdout(synthetic, holdout, notes)
    training = remove_rows(real, holdout) if holdout is not None else real
    columns = _compared_columns(real, synthetic, holdout, record, notes)
    quasi = _quasi_identifiers(quasi_identifiers, record, columns, notes)
    sensitive = _sensitive_columns(sensitive_columns, quasi, columns, notes)
    k = _recorded_k(k, record, notes)

    generalized = False
    levels = ((record or {}).get("k_anonymity") or {}).get("levels")
    if levels:
        try:
            training = generalize_like(training, record)
            holdout = generalize_like(holdout, record) if holdout is not None else None
            generalized = True
        except (ConfigError, InvalidDataError) as error:
            notes.append(f"The real rows could not be written at the release's generalization ({error}); "
                         "they are compared as they are, which overstates the distance to the synthetic "
                         "rows.")

    _note_kind_mismatches(training, synthetic, columns, notes)  # after generalization, which writes bands
    space = MixedSpace.fit([training, synthetic], columns, categorical=_categorical_columns(record))
    return AuditInputs(
        training=training, holdout=holdout, synthetic=synthetic, columns=columns, quasi_identifiers=quasi,
        sensitive_columns=sensitive, k=k, holdout_source=holdout_source, generalized=generalized,
        record=record, space=space, encoded_training=space.encode(training),
        encoded_holdout=None if holdout is None else space.encode(holdout),
        encoded_synthetic=space.encode(synthetic), warnings=notes,
    )


def remove_rows(real: pd.DataFrame, holdout: pd.DataFrame) -> pd.DataFrame:
    """Return `real` without the rows of `holdout`, matched by value, each holdout row removing one copy.

    The holdout is a subset of the table passed to `fit`, and the caller's
    real table usually is that table, so matching by value finds the
    training rows whatever the order or index. Rows of `real` that match no
    holdout row are all kept, so a real table that holds only training rows
    is returned whole.
    """
    shared = [column for column in holdout.columns if column in real.columns]
    if not shared or len(holdout) == 0:
        return real
    real_keys = pd.util.hash_pandas_object(_comparable(real[shared]), index=False).to_numpy()
    holdout_keys = pd.util.hash_pandas_object(_comparable(holdout[shared]), index=False).to_numpy()

    holdout_counts = pd.Series(holdout_keys).value_counts()
    rank = pd.Series(real_keys).groupby(real_keys).cumcount().to_numpy()
    to_remove = pd.Series(real_keys).map(holdout_counts).fillna(0).to_numpy()
    return real.loc[rank >= to_remove].reset_index(drop=True)


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """Return the frame with text in one dtype, so equal values hash alike whatever the string dtype."""
    return frame.apply(lambda column: column.astype(object) if not pd.api.types.is_numeric_dtype(column)
                       else column)


def _find_holdout(synthetic: pd.DataFrame, holdout: Any, notes: list[str]) -> tuple[Any, str | None]:
    if holdout is not None:
        _check_frame(holdout, "holdout_data")
        return holdout, "argument"
    found = lookup_holdout(synthetic)
    if found is not None:
        return found, "release record"
    entry = (release.record_of(synthetic) or {}).get("holdout")
    reason = ("the fit's holdout is no longer in memory (the model was loaded from a file or fitted "
              "again, or the table comes from another process)"
              if entry else "no holdout was reserved or passed")
    notes.append(f"No holdout: {reason}. Risks that need rows the model never saw are labelled proxies, and "
                 "the verdict is at best 'inconclusive'. Pass real rows kept out of training as "
                 "holdout_data= (--holdout on the command line).")
    return None, None


def _compared_columns(real: pd.DataFrame, synthetic: pd.DataFrame, holdout: pd.DataFrame | None,
                      record: Mapping[str, Any] | None, notes: list[str]) -> list[Any]:
    identifiers = set((record or {}).get("dropped_identifier_columns") or [])
    for column in ((record or {}).get("schema") or {}).get("columns", []):
        if column.get("kind") == "identifier":
            identifiers.add(column["name"])
    shared = [name for name in synthetic.columns if name in real.columns
              and (holdout is None or name in holdout.columns)]
    _note_unshared(real, synthetic, holdout, shared, notes)
    columns = [name for name in shared if name not in identifiers]
    if record is None:
        id_like = [name for name in columns if _looks_like_identifier(real[name])]
        if id_like:
            notes.append(f"Columns {id_like} have a distinct text value in every real row and are left out "
                         "of the comparison as identifiers.")
        columns = [name for name in columns if name not in id_like]
        # With a release record, genesis made the identifier columns itself, as surrogates.
        _note_real_identifiers([real] if holdout is None else [real, holdout], synthetic, id_like, notes)
    if not columns:
        raise InvalidDataError(
            "The real and synthetic tables share no comparable column. "
            "Pass tables with the same column names."
        )
    return columns


def _note_unshared(real: pd.DataFrame, synthetic: pd.DataFrame, holdout: pd.DataFrame | None,
                   shared: Sequence[Any], notes: list[str]) -> None:
    """Add a note naming the columns that only some of the tables contain, since they are left out."""
    tables = {"real_data": real, "synthetic_data": synthetic}
    if holdout is not None:
        tables["holdout_data"] = holdout
    for what, frame in tables.items():
        extra = [name for name in frame.columns if name not in shared]
        if extra:
            notes.append(f"Columns {[str(name) for name in extra]} of {what} are missing from another table "
                         "and are left out of the comparison. Pass tables with the same columns to compare "
                         "them.")


def _note_real_identifiers(real: Sequence[pd.DataFrame], synthetic: pd.DataFrame, identifiers: Sequence[Any],
                           notes: list[str]) -> None:
    """Add a note counting synthetic values of identifier columns that equal a real value of that column.

    Identifier columns are left out of the distances, so a table without a
    release record that carries real IDs or names over would otherwise go
    unnoticed. Counters (1, 2, 3 ...) made as surrogates can equal real
    counters by chance; the note mentions that case.
    """
    for name in identifiers:
        real_values = {value for frame in real for value in frame[name].dropna().astype(str)}
        found = int(synthetic[name].dropna().astype(str).isin(real_values).sum())
        if found:
            notes.append(f"{found} of {len(synthetic)} synthetic values in identifier column {name!r} equal "
                         "a real value of that column. Real identifiers must not be released; if the column "
                         "holds surrogates such as counters that equal real ones by chance, replace them "
                         "with a format the real table does not use.")


def _note_kind_mismatches(real: pd.DataFrame, synthetic: pd.DataFrame, columns: Sequence[Any],
                          notes: list[str]) -> None:
    """Add a note naming columns numeric in one table and text in the other (e.g. bands read from a CSV)."""
    numeric = pd.api.types.is_numeric_dtype
    mismatched = [str(name) for name in columns if numeric(real[name]) != numeric(synthetic[name])]
    if mismatched:
        notes.append(f"Columns {mismatched} are numbers in one table and text in the other (for example "
                     "generalized bands such as '65-69'), so they are compared as categories and rarely "
                     "match. If the synthetic table was generalized, audit it with its release record, or "
                     "write the real columns at the same generalization first.")


def _quasi_identifiers(argument: Iterable[Any] | None, record: Mapping[str, Any] | None,
                       columns: Sequence[Any], notes: list[str]) -> tuple[Any, ...]:
    recorded = _recorded_quasi_identifiers(record)
    if argument is not None:
        chosen = _column_list(argument, "quasi_identifiers", columns)
        if recorded and set(recorded) != set(chosen):
            notes.append(f"quasi_identifiers {list(chosen)} differ from those recorded for the release "
                         f"{list(recorded)}; the attacks use the argument.")
        return chosen
    if recorded:
        return tuple(name for name in recorded if name in columns)
    notes.append("No quasi-identifiers were recorded or passed, so singling-out predicates use every "
                 "compared column and linkability splits the columns in two halves. Set them with "
                 "quasi_identifiers= (--quasi-identifiers on the command line).")
    return ()


def _recorded_quasi_identifiers(record: Mapping[str, Any] | None) -> tuple[Any, ...]:
    if not record:
        return ()
    entry = record.get("k_anonymity") or {}
    if entry.get("quasi_identifiers"):
        return tuple(entry["quasi_identifiers"])
    config = ((record.get("privacy") or {}).get("config") or {}).get("k_anonymity") or {}
    return tuple(config.get("quasi_identifiers") or ())


def _sensitive_columns(argument: Iterable[Any] | None, quasi: Sequence[Any], columns: Sequence[Any],
                       notes: list[str]) -> tuple[Any, ...]:
    if argument is not None:
        return _column_list(argument, "sensitive_columns", columns)
    chosen = tuple(name for name in columns if name not in quasi)
    if not chosen:
        chosen = tuple(columns)
    notes.append(f"No sensitive_columns were passed, so attribute inference treats each of {list(chosen)} as "
                 "a secret.")
    return chosen


def _recorded_k(argument: int | None, record: Mapping[str, Any] | None, notes: list[str]) -> int | None:
    recorded = ((record or {}).get("k_anonymity") or {}).get("k")
    if argument is None:
        return None if recorded is None else int(recorded)
    if isinstance(argument, bool) or not isinstance(argument, int | np.integer) or argument < 1:
        raise ConfigError(invalid_value("k", argument, "it must be a positive integer or None",
                                        "Pass e.g. k=5, or None to read it from the release record."))
    if recorded is not None and int(recorded) != int(argument):
        notes.append(f"k={argument} differs from the recorded k={recorded}; the check uses k={argument}.")
    return int(argument)


def _categorical_columns(record: Mapping[str, Any] | None) -> list[Any]:
    columns = ((record or {}).get("schema") or {}).get("columns", [])
    return [column["name"] for column in columns if column.get("kind") in ("categorical", "boolean")]


def _column_list(argument: Iterable[Any], what: str, columns: Sequence[Any]) -> tuple[Any, ...]:
    if isinstance(argument, str):
        raise ConfigError(invalid_value(what, argument, "it must be a list of column names, not one string",
                                        f"Pass e.g. {what}=[{argument!r}]."))
    chosen = tuple(argument)
    missing = [name for name in chosen if name not in columns]
    if missing:
        raise ConfigError(invalid_value(what, list(chosen), f"the compared columns do not include {missing}",
                                        f"Choose among {list(columns)}."))
    return chosen


def _looks_like_identifier(column: pd.Series) -> bool:
    if pd.api.types.is_numeric_dtype(column) or len(column) < 2:
        return False
    return bool(column.nunique(dropna=True) == len(column))


def _check_frame(frame: Any, what: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise ConfigError(invalid_value(what, type(frame).__name__, "it must be a pandas DataFrame",
                                        "Load the table with pandas first."))
    if len(frame) == 0:
        raise InvalidDataError(f"{what} has no rows, so there is nothing to audit. Pass a table with rows.")
    duplicated = frame.columns[frame.columns.duplicated()].unique().tolist()
    if duplicated:
        raise InvalidDataError(f"{what} has more than one column named {[str(n) for n in duplicated]}. "
                               "Rename or drop the repeated columns.")
