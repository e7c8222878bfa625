"""Rebuild a quasi-identifier's generalization level from its entry in the release record.

`anonymize` records, per quasi-identifier, the chosen level's index and name,
the hierarchy's `kind` and its `details` (bounds, top codes, the restricted
ZIP3 list's version). The built-in hierarchies are determined by those facts
and the level's name ("5-year bands", "16 bands", "ZIP3"), so the same level
can be applied to another table, such as the real one, to compare both at one
generalization. A caller's own hierarchy (a categorical tree, a custom ZIP3
list) cannot be rebuilt from the record and must be passed again.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from genesis.errors import ConfigError, invalid_value
from genesis.privacy.generalization import (
    Hierarchy,
    age_bracket_hierarchy,
    age_hierarchy,
    categorical_hierarchy,
    date_hierarchy,
    load_restricted_zip3,
    numeric_hierarchy,
    zip_hierarchy,
)

_AGE_BANDS = re.compile(r"^(\d+)-year bands$")
_AGE_BRACKETS = re.compile(r"^(\d+)-year brackets$")
_NUMERIC_BANDS = re.compile(r"^(\d+) bands$")


def hierarchy_from_entry(name: Any, entry: Mapping[str, Any], hierarchy: Hierarchy | None = None
                         ) -> tuple[Hierarchy, int]:
    """Return the hierarchy of one release-record entry and the index of the recorded level in it.

    Parameters
    ----------
    name:
        The quasi-identifier, for messages.
    entry:
        ``record["k_anonymity"]["levels"][name]``: at least `kind`, `name`
        (of the level) and `details`.
    hierarchy:
        The caller's hierarchy for this column, used as it is. Needed for
        categorical trees and custom ZIP3 lists.

    Raises
    ------
    ConfigError
        When the entry is incomplete, or names a level the rebuilt hierarchy
        does not have.
    """
    level_name, kind, details = _read_entry(name, entry)
    if hierarchy is None:
        hierarchy = _rebuild(name, kind, level_name, details)

    names = [level.name for level in hierarchy.levels]
    if level_name not in names:
        raise ConfigError(
            invalid_value(f"The recorded level of {name!r}", level_name, f"the hierarchy has only {names}",
                          f"Pass hierarchies={{{name!r}: <the hierarchy used when generating>}}.")
        )
    return hierarchy, names.index(level_name)


def clip_to_hierarchy(values: pd.Series, hierarchy: Hierarchy) -> pd.Series:
    """Clip numbers to a numeric hierarchy's bounds, as fitting clips training data to the domain.

    Without it, a real value outside the public or DP bounds would have no band.
    """
    if hierarchy.kind != "numeric" or "lower" not in hierarchy.details:
        return values
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    return numbers.clip(hierarchy.details["lower"], hierarchy.details["upper"])


def _read_entry(name: Any, entry: Any) -> tuple[str, str, Mapping[str, Any]]:
    if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str) or "kind" not in entry:
        raise ConfigError(
            invalid_value(f"The k-anonymity record of {name!r}", entry, "it must hold the level's 'name', "
                          "the hierarchy's 'kind' and its 'details'",
                          "Pass the record written by generate(), or df.attrs['genesis'] unchanged.")
        )
    return entry["name"], str(entry["kind"]), entry.get("details") or {}


def _rebuild(name: Any, kind: str, level_name: str, details: Mapping[str, Any]) -> Hierarchy:
    """Build the built-in hierarchy of `kind` that contains the recorded level."""
    if kind == "zip_code":
        return _zip_hierarchy(name, details)
    if kind == "age":
        bounds = _bounds(details, 0.0, 120.0)
        return age_hierarchy(lower=bounds[0], upper=bounds[1], band_widths=_widths(_AGE_BANDS, level_name))
    if kind == "age_bracket":
        bounds = _bounds(details, 0.0, 120.0)
        return age_bracket_hierarchy(lower=bounds[0], upper=bounds[1],
                                     band_widths=_widths(_AGE_BRACKETS, level_name, default=(20,)))
    if kind == "date":
        return date_hierarchy(lower=details["lower"], upper=details["upper"],
                              top_code_year=details.get("top_code_year"))
    if kind == "numeric":
        return _numeric_hierarchy(name, level_name, details)
    if kind == "categorical" and level_name in ("exact", "suppressed"):
        return categorical_hierarchy()
    raise ConfigError(
        f"The generalization of {name!r} (a {kind!r} hierarchy at level {level_name!r}) cannot be rebuilt "
        f"from the release record, because it was built by the caller. Pass hierarchies={{{name!r}: ...}} "
        "with the hierarchy used when generating."
    )


def _zip_hierarchy(name: Any, details: Mapping[str, Any]) -> Hierarchy:
    recorded = (details.get("restricted_zip3") or {}).get("version")
    built_in = load_restricted_zip3()
    if recorded is not None and str(recorded) != built_in.version:
        raise ConfigError(
            invalid_value(f"The restricted ZIP3 list of {name!r}", recorded, f"the built-in list is version "
                          f"{built_in.version!r}", f"Pass hierarchies={{{name!r}: zip_hierarchy("
                          "restricted_zip3=<the list used when generating>)}.")
        )
    return zip_hierarchy()


def _numeric_hierarchy(name: Any, level_name: str, details: Mapping[str, Any]) -> Hierarchy:
    if "cut_points" in details:
        return numeric_hierarchy(cut_points=details["cut_points"])
    lower, upper = _bounds(details, None, None)
    if lower is None or upper is None:
        raise ConfigError(f"The numeric generalization of {name!r} records no bounds. Pass hierarchies="
                          f"{{{name!r}: numeric_hierarchy(lower, upper)}}.")
    return numeric_hierarchy(lower, upper, band_counts=_widths(_NUMERIC_BANDS, level_name, default=(2,)))


def _bounds(details: Mapping[str, Any], lower: Any, upper: Any) -> tuple[Any, Any]:
    return details.get("lower", lower), details.get("upper", upper)


def _widths(pattern: re.Pattern[str], level_name: str, default: tuple[int, ...] = (5,)) -> tuple[int, ...]:
    """Return the one band width (or count) named by a band level, or `default` for other levels."""
    match = pattern.match(level_name)
    return (int(match.group(1)),) if match else default

