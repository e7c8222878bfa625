"""Per-column checks of the identifier scan that need more than one regular expression.

`column_evidence` gathers everything known about one column: the name rules, the
value patterns, and the checks here, which read values together with the name:

* ZIP columns holding 3-digit prefixes are allowed by 45 CFR 164.514(b)(2)(i)(B)
  unless a prefix is one of the 17 restricted areas, which must read 000.
* Years alone are allowed by (C), so a date-named column of years is not flagged,
  but a datetime column with a month and day is.
* Ages are allowed by (C) up to 89; an age-named column with a larger value is flagged,
  and so is a birth-year column whose years put someone over 89 today.
* A column whose values are nearly all distinct and shaped like codes is an "other
  unique identifying number" under (R).
* A column of yes/no flags cannot hold an identifier, so its name alone ("has_email")
  does not flag it.
"""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd

from genesis.privacy.identifiers_masking import mask_value
from genesis.privacy.identifiers_patterns import match_value_patterns
from genesis.privacy.identifiers_rules import (
    COLUMN_NAME,
    DIRECT_IDENTIFIER,
    ID_TOKENS,
    MEASUREMENT_TOKENS,
    QUASI_IDENTIFIER,
    RESTRICTED_ZIP3_PREFIXES,
    VALUE_PATTERN,
    Evidence,
    NameMatch,
    age_units_per_year,
    has_age_name,
    has_any_token,
    has_birth_year_name,
    match_name_rules,
)
from genesis.privacy.identifiers_sample import ColumnSample, regex_matches

MAX_AGE = 89
"""Largest age 45 CFR 164.514(b)(2)(i)(C) lets a data set keep; older ages must be grouped as 90 or older."""

MOSTLY = 0.9
"""Share of values that decides what a column contains (3-digit ZIP prefixes, years, codes)."""

NEAR_UNIQUE_SHARE = 0.95
"""Share of distinct values from which a code column counts as a unique identifier under (R)."""

MIN_UNIQUE_VALUES = 20
"""Minimum number of values before an all-distinct column counts as a unique identifier."""

MIN_CODE_DIGITS = 6
"""Minimum digits of fixed-width numbers that read as record numbers without an ID-like column name."""

BOOLEAN_TEXTS = frozenset({"0", "1", "true", "false", "yes", "no", "y", "n", "t", "f"})

_CODE_SHAPE = r"[A-Za-z0-9][A-Za-z0-9_.:#/-]{0,63}"
_YEAR_TEXT = r"(?:1[89]|2[01])[0-9]{2}"


def column_evidence(sample: ColumnSample) -> list[Evidence]:
    """Return the name and value evidence of one column, after the checks that clear name evidence."""
    names = match_name_rules(sample.tokens)
    name_keys = frozenset(match.rule.key for match in names)

    values = match_value_patterns(sample, name_keys)
    zip_values, zip_prefixes_only = _zip_check(sample, name_keys)
    values += zip_values
    date_values, years_only = _date_check(sample, name_keys)
    values += date_values
    values += _age_check(sample) + _birth_year_check(sample) + _unique_code_check(sample)

    cleared = set()
    if zip_prefixes_only:
        cleared.add("zip")
    if years_only:
        cleared.add("date")
    if _holds_flags(sample):
        cleared |= name_keys
    named = [_name_evidence(match) for match in names if match.rule.key not in cleared]
    return named + values


def is_zip_prefix_column(sample: ColumnSample) -> bool:
    """Return whether most values are 3-digit strings (or numbers below 1000), read as ZIP prefixes."""
    return sample.rate(regex_matches(_zip_texts(sample), "[0-9]{3}")) >= MOSTLY


def holds_years_only(sample: ColumnSample) -> bool:
    """Return whether the values are years alone: datetimes on 1 January at midnight, or 4-digit years."""
    if sample.kind == "datetime":
        stamps = sample.stamps
        if stamps is None or len(stamps) == 0:
            return False
        first_of_year = (stamps.dt.month == 1) & (stamps.dt.day == 1) & (stamps == stamps.dt.normalize())
        return bool(first_of_year.all())
    years = regex_matches(sample.distinct, _YEAR_TEXT)
    return sample.n_checked > 0 and sample.rate(years) >= MOSTLY


def age_numbers_in_years(sample: ColumnSample) -> np.ndarray:
    """Return the distinct values of an age column as numbers of years (NaN where not a number)."""
    return sample.numbers() / age_units_per_year(sample.tokens)


def _name_evidence(match: NameMatch) -> Evidence:
    description = f"column name contains {match.text!r}"
    return Evidence(match.rule.category, COLUMN_NAME, match.rule.role, description, match.rule.key)


def _zip_texts(sample: ColumnSample) -> pd.Series:
    """ZIP values as text; numeric columns lose leading zeros, so they are padded back to 3 or 5 digits."""
    if sample.kind not in ("integer", "float"):
        return sample.distinct
    numbers = sample.numbers()
    width = 3 if np.nanmax(numbers, initial=0) <= 999 else 5
    return sample.distinct.str.zfill(width)


def _zip_check(sample: ColumnSample, name_keys: frozenset[str]) -> tuple[list[Evidence], bool]:
    """Check a ZIP-named column for restricted 3-digit prefixes and for numeric 5-digit ZIP codes.

    Returns the evidence and whether the column contains 3-digit prefixes, which the
    rule allows, so that the column name alone no longer flags it.
    """
    if "zip" not in name_keys or len(sample.distinct) == 0:
        return [], False
    texts = _zip_texts(sample)

    if is_zip_prefix_column(sample):
        restricted = texts.isin(RESTRICTED_ZIP3_PREFIXES).to_numpy(dtype=bool)
        if not restricted.any():
            return [], True
        description = "3-digit ZIP prefixes of areas with 20,000 or fewer people, which must read 000"
        example = mask_value(str(texts.iloc[np.flatnonzero(restricted)[0]]), "zip")
        evidence = Evidence("B", VALUE_PATTERN, QUASI_IDENTIFIER, description, "zip3_restricted",
                            sample.rate(restricted), example)
        return [evidence], False

    if sample.kind not in ("integer", "float"):
        return [], False
    five_digits = regex_matches(texts, "[0-9]{5}")
    if not five_digits.any():
        return [], False
    description = "5-digit ZIP codes stored as numbers (leading zeros lost)"
    example = mask_value(sample.first(five_digits).zfill(5), "zip")
    return [Evidence("B", VALUE_PATTERN, QUASI_IDENTIFIER, description, "zip5_numeric",
                     sample.rate(five_digits), example)], False


def _date_check(sample: ColumnSample, name_keys: frozenset[str]) -> tuple[list[Evidence], bool]:
    """Flag datetime values finer than the year, and report whether the column contains years alone."""
    years_only = holds_years_only(sample)
    if sample.kind != "datetime" or years_only or sample.stamps is None or len(sample.stamps) == 0:
        return [], years_only and "date" in name_keys

    example = mask_value(pd.Timestamp(sample.stamps.iloc[0]).isoformat(), "date")
    description = "datetime values with month and day"
    return [Evidence("C", VALUE_PATTERN, QUASI_IDENTIFIER, description, "datetime", 1.0, example)], False


def _age_check(sample: ColumnSample) -> list[Evidence]:
    """Flag an age-named column holding ages over 89, which (C) allows only as one 90-or-older category."""
    if not has_age_name(sample.tokens) or sample.kind not in ("text", "integer", "float"):
        return []
    years = age_numbers_in_years(sample)
    over = np.isfinite(years) & (years > MAX_AGE)
    if not over.any():
        return []

    name = Evidence("C", COLUMN_NAME, QUASI_IDENTIFIER, "column name contains 'age'", "age")
    description = "ages over 89 present; Safe Harbor allows them only as one category of 90 or older"
    value = Evidence("C", VALUE_PATTERN, QUASI_IDENTIFIER, description, "age_over_89", sample.rate(over))
    return [name, value]


def _birth_year_check(sample: ColumnSample) -> list[Evidence]:
    """Flag years of birth that put someone over 89 today, which (C) counts as a date element of age."""
    if not has_birth_year_name(sample.tokens) or sample.kind not in ("text", "integer", "float"):
        return []
    latest_year = datetime.date.today().year - MAX_AGE - 1
    years = sample.numbers()
    old = (years >= 1800) & (years <= latest_year)
    if not old.any():
        return []

    name = Evidence("C", COLUMN_NAME, QUASI_IDENTIFIER, "column name says year of birth", "birth_year")
    description = f"years of birth up to {latest_year}, which put the age over 89 today"
    value = Evidence("C", VALUE_PATTERN, QUASI_IDENTIFIER, description, "birth_year_over_89",
                     sample.rate(old))
    return [name, value]


def _unique_code_check(sample: ColumnSample) -> list[Evidence]:
    """Flag a column of nearly all distinct codes as an other unique identifying number (R).

    Continuous floats, measurements ("annual_cost"), years and short columns are left
    out, because their values are distinct without naming anyone. Codes kept under a
    re-identification scheme that 45 CFR 164.514(c) allows are flagged too: the scan
    cannot tell how a code was made.
    """
    if sample.kind not in ("text", "integer", "float") or sample.n_present < MIN_UNIQUE_VALUES:
        return []
    if sample.n_checked == 0 or len(sample.distinct) / sample.n_checked < NEAR_UNIQUE_SHARE:
        return []
    if holds_years_only(sample):
        return []
    numbers = sample.numbers()
    numeric = sample.kind in ("integer", "float") or sample.rate(np.isfinite(numbers)) >= NEAR_UNIQUE_SHARE
    if numeric and not _numbers_look_like_codes(sample, numbers):
        return []

    code_shaped = regex_matches(sample.distinct, _CODE_SHAPE)
    code_shaped &= regex_matches(sample.distinct, "[0-9]", anywhere=True)
    rate = sample.rate(code_shaped)
    if rate < MOSTLY:
        return []
    distinct_share = sample.column.nunique(dropna=True) / sample.n_present
    if distinct_share < NEAR_UNIQUE_SHARE:
        return []

    description = f"codes with {distinct_share:.1%} of values distinct"
    example = mask_value(sample.first(code_shaped), "code")
    evidence = [Evidence("R", VALUE_PATTERN, DIRECT_IDENTIFIER, description, "unique_code", rate, example)]
    id_tokens = sorted(set(sample.tokens) & ID_TOKENS)
    if id_tokens:
        description = f"column name contains {id_tokens[0]!r}"
        evidence.insert(0, Evidence("R", COLUMN_NAME, DIRECT_IDENTIFIER, description, "id_name"))
    return evidence


def _numbers_look_like_codes(sample: ColumnSample, numbers: np.ndarray) -> bool:
    """Return whether all-distinct numbers read as codes rather than as measurements.

    `numbers` are the distinct sampled values read as numbers; numbers written as text
    (a table read with `dtype=str`) get the same judgement. Whole numbers are codes
    under an ID word in the name ("encounter_id", "seqn"), when they run as densely as
    row numbers, or when all have the same number of digits, 6 or more, as record
    numbers often do. Otherwise distinct numbers are as likely a measurement: all 200
    census weights (`fnlwgt`) of a 200-row sample of the Adult table differ.
    """
    whole = np.isfinite(numbers) & (numbers == np.floor(np.where(np.isfinite(numbers), numbers, 0.0)))
    integral_share = min(sample.integral_share, sample.rate(whole))
    if integral_share < NEAR_UNIQUE_SHARE or has_any_token(sample.tokens, MEASUREMENT_TOKENS):
        return False
    if has_any_token(sample.tokens, ID_TOKENS):
        return True
    numbers = numbers[np.isfinite(numbers)]
    if numbers.size == 0:
        return False
    dense = numbers.max() - numbers.min() + 1 <= 2 * numbers.size
    widths = sample.distinct.str.len().unique()
    fixed_width = len(widths) == 1 and widths[0] >= MIN_CODE_DIGITS
    return bool(dense or fixed_width)


def _holds_flags(sample: ColumnSample) -> bool:
    """Return whether the column contains only yes/no flags, which cannot carry an identifier."""
    if sample.kind == "boolean":
        return True
    if len(sample.distinct) == 0:
        return False
    return bool(sample.distinct.str.lower().isin(BOOLEAN_TEXTS).all())
