"""Choose each quasi-identifier's hierarchy and its HIPAA Safe Harbor floor.

Safe Harbor (45 CFR 164.514(b)(2)(i)(B) and (C)) allows ZIP codes no finer
than their first three digits (restricted prefixes as 000), ages above 89 only
as "90+", and dates no finer than the year. A quasi-identifier recognised as a
ZIP code, an age or a date therefore starts the k-anonymity search at its
hierarchy's `safe_harbor_floor`, unless the caller passes `safe_harbor=False`.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from genesis.domain import ColumnDomain, Domain
from genesis.errors import ConfigError, invalid_value
from genesis.privacy import identifiers
from genesis.privacy.generalization import (
    AGE_TOP_CODE,
    Hierarchy,
    age_bracket_hierarchy,
    age_hierarchy,
    as_hierarchy,
    categorical_hierarchy,
    date_hierarchy,
    numeric_hierarchy,
    parse_dates,
    zip_hierarchy,
)

SAFE_HARBOR_KINDS = ("zip_code", "age", "date")
_KIND_WORDS = {"zip_code": "a ZIP code", "age": "an age", "date": "a date"}

_ZIP_NAME = re.compile(r"zip|postal|postcode", re.IGNORECASE)
_BIRTH_TOKENS = {"birth", "birthdate", "birthday", "dob", "born"}
_OTHER_AGE_UNITS = {"day", "days", "week", "weeks", "month", "months", "mo", "hours"}
_ZIP_TEXT = r"\d{5}(-?\d{4})?"
_AGE_BRACKET = r"\[\d+-\d+\)"
_ISO_DATE = r"\d{4}-\d{2}-\d{2}([T ].*)?"
MAX_AGE = 130
"""Largest number of years a column may contain and still be recognised as ages."""


@dataclass(frozen=True)
class QuasiIdentifier:
    """One quasi-identifier prepared for the search: its hierarchy and the lowest level it may take."""

    name: str
    hierarchy: Hierarchy
    floor: int
    safe_harbor_kind: str | None


def resolve_quasi_identifiers(frame: pd.DataFrame, names: list[str], hierarchies: Mapping[str, Any],
                              domain: Domain | Mapping[str, Any] | None, safe_harbor: bool
                              ) -> list[QuasiIdentifier]:
    """Return each quasi-identifier with its hierarchy (the caller's or a built-in one) and floor."""
    resolved = []
    for name in names:
        column = frame[name]
        readable = readable_kind(column)
        kind = readable if readable is not None else scanned_kind(column)
        if name in hierarchies:
            hierarchy = as_hierarchy(hierarchies[name], name)
        elif kind is not None and readable is None:
            _reject_unreadable(name, kind, safe_harbor)
            hierarchy = default_hierarchy(column, None, _bounds(domain, name))
        else:
            hierarchy = default_hierarchy(column, kind, _bounds(domain, name))
        resolved.append(QuasiIdentifier(name, hierarchy, _floor(name, kind, hierarchy, safe_harbor), kind))
    return resolved


def safe_harbor_kind(column: pd.Series) -> str | None:
    """Return "zip_code", "age" or "date" when `column` is one of Safe Harbor's kinds, else None.

    A column counts when the built-in hierarchies can read it (`readable_kind`)
    or when the identifier scan recognises it (`scanned_kind`).
    """
    readable = readable_kind(column)
    return readable if readable is not None else scanned_kind(column)


def readable_kind(column: pd.Series) -> str | None:
    """Return the Safe Harbor kind of `column` when the built-in hierarchies can read all its values.

    Recognition reads the name and the values. A ZIP code column has "zip",
    "postal" or "postcode" in its name and only 5-digit (or ZIP+4) codes. An
    age column has the word "age" in its name, no other unit than years, and
    only numbers from 0 to 130 or brackets such as "[70-80)". A date column has
    a datetime dtype or only ISO 8601 date text.
    """
    values = pd.Series(column.dropna().unique(), name=column.name)
    tokens = name_tokens(str(column.name))
    if pd.api.types.is_datetime64_any_dtype(column) or (_is_text(values) and _all_match(values, _ISO_DATE)):
        return "date" if len(values) else None
    if not len(values):
        return None
    if _ZIP_NAME.search(str(column.name)) and _looks_like_zip_codes(values):
        return "zip_code"
    in_years = "age" in tokens and not tokens & _OTHER_AGE_UNITS
    if in_years and (_is_age_numbers(values) or _all_match(values, _AGE_BRACKET)):
        return "age"
    return None


def scanned_kind(column: pd.Series) -> str | None:
    """Return the Safe Harbor kind that the identifier scan (`genesis.privacy.identifiers`) finds, else None.

    The scan accepts more formats than the built-in hierarchies read, such as
    "3/15/2020", years of birth, ages in months or columns where 90% of the
    values match, so it catches columns that `readable_kind` misses.
    """
    if identifiers.is_zip_code_column(column):
        return "zip_code"
    if identifiers.is_age_column(column):
        return "age"
    if identifiers.is_date_column(column):
        return "date"
    return None


def _reject_unreadable(name: str, kind: str, safe_harbor: bool) -> None:
    """Raise under Safe Harbor for a recognised column whose values the built-in hierarchies cannot read."""
    if not safe_harbor:
        return
    formats = {"zip_code": "5-digit or ZIP+4 codes", "age": "years from 0 to 130 or brackets such as "
               "'[70-80)'", "date": "datetimes or ISO 8601 dates"}[kind]
    raise ConfigError(
        f"Quasi-identifier {name!r} looks like {_KIND_WORDS[kind]} column, which Safe Harbor "
        f"restricts, but not all its values are {formats}, which the built-in hierarchy reads. Convert the "
        "column, pass a hierarchy for it with safe_harbor_floor set, or pass safe_harbor=False."
    )


def default_hierarchy(column: pd.Series, kind: str | None, bounds: tuple[Any, Any] | None) -> Hierarchy:
    """Return the built-in hierarchy for a column of Safe Harbor kind `kind` (or None).

    Parameters
    ----------
    bounds:
        The domain's (lower, upper) for this column, or None. Ages fall back
        to the public bounds 0 and 120 years. Dates fall back to the range of
        the frame passed to `anonymize`, which is the synthetic output. Other
        numeric columns need bounds, because their band edges are released.
    """
    if kind == "zip_code":
        return zip_hierarchy()
    if kind == "age":
        lower, upper = bounds if bounds is not None else (0.0, 120.0)
        if _is_text(column.dropna()):
            return age_bracket_hierarchy(lower=lower, upper=upper)
        return age_hierarchy(lower=lower, upper=upper)
    if kind == "date":
        return _date_hierarchy(column, bounds)
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        if bounds is None:
            raise ConfigError(
                f"Quasi-identifier {column.name!r} is numeric, but no domain bounds were given for its "
                "bands. Pass domain= with its public or DP bounds, or hierarchies={"
                f"{column.name!r}: numeric_hierarchy(lower, upper)}}."
            )
        return numeric_hierarchy(*bounds)
    return categorical_hierarchy()


def _date_hierarchy(column: pd.Series, bounds: tuple[Any, Any] | None) -> Hierarchy:
    if bounds is None:
        stamps = parse_dates(column.dropna())
        if stamps.dt.tz is not None:
            stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
        bounds = (stamps.min(), stamps.max())
    top_code_year = None
    if name_tokens(str(column.name)) & _BIRTH_TOKENS:
        # A birth year up to (release year - 90) may belong to someone aged 90 or more.
        top_code_year = datetime.date.today().year - AGE_TOP_CODE
    return date_hierarchy(lower=bounds[0], upper=bounds[1], top_code_year=top_code_year)


def _floor(name: str, kind: str | None, hierarchy: Hierarchy, safe_harbor: bool) -> int:
    """Return the lowest level the search may choose for this column."""
    if not safe_harbor:
        return 0
    if hierarchy.safe_harbor_floor is not None:
        return hierarchy.safe_harbor_floor
    if kind is None:
        return 0
    raise ConfigError(
        f"Quasi-identifier {name!r} looks like {_KIND_WORDS[kind]} column, which Safe Harbor "
        f"restricts, but its hierarchy ({hierarchy.kind!r}) declares no safe_harbor_floor. Build the "
        "hierarchy with safe_harbor_floor=<finest level Safe Harbor allows>, use the built-in hierarchy, "
        "or pass safe_harbor=False."
    )


def _bounds(domain: Domain | Mapping[str, Any] | None, name: str) -> tuple[Any, Any] | None:
    """Return (lower, upper) of `name` from a Domain or a mapping of columns to pairs, else None."""
    if domain is None:
        return None
    try:
        entry = domain[name]
    except KeyError:
        return None
    if isinstance(entry, ColumnDomain):
        return None if entry.lower is None or entry.upper is None else (entry.lower, entry.upper)
    if isinstance(entry, tuple | list) and len(entry) == 2:
        return entry[0], entry[1]
    raise ConfigError(invalid_value(f"domain[{name!r}]", entry, "it must be a ColumnDomain or a "
                                    "(lower, upper) pair", "Pass e.g. domain={'age': (0, 100)}."))


def name_tokens(name: str) -> set[str]:
    """Split a column name into lower-case words: "patientAge" and "patient_age" give {"patient", "age"}."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return {token for token in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if token}


def _is_text(values: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(values) or pd.api.types.is_object_dtype(values)


def _all_match(values: pd.Series, pattern: str) -> bool:
    if not _is_text(values) or not len(values):
        return False
    return bool(values.astype(str).str.strip().str.fullmatch(pattern).all())


def _looks_like_zip_codes(values: pd.Series) -> bool:
    if pd.api.types.is_integer_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return bool(((values >= 0) & (values <= 99_999)).all())
    return _all_match(values, _ZIP_TEXT)


def _is_age_numbers(values: pd.Series) -> bool:
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return False
    numbers = values.to_numpy(dtype=float)
    return bool(np.all((numbers >= 0) & (numbers <= MAX_AGE)))
