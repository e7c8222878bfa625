"""Recognition helpers for columns the k-anonymity work generalizes: ZIP codes, ages, dates.

Each helper reads a column's name and a deterministic sample of its values, as the
identifier scan does, and returns a plain bool. Being flagged by the scan and
being recognized here differ: a column of ages up to 89 is an age column but no
Safe Harbor finding, and a column of years is a date column that Safe Harbor allows.
"""

from __future__ import annotations

import pandas as pd

from genesis.privacy.identifiers_checks import (
    MOSTLY,
    age_numbers_in_years,
    holds_years_only,
    is_zip_prefix_column,
)
from genesis.privacy.identifiers_patterns import VALUE_PATTERNS
from genesis.privacy.identifiers_rules import has_age_name, has_birth_year_name, match_name_rules
from genesis.privacy.identifiers_sample import DEFAULT_SAMPLE_SIZE, ColumnSample, regex_matches, sample_column

_AGE_RANGE = r"[\[(]?[0-9]{1,3} ?(?:-|to) ?[0-9]{1,3}[\])]?|[0-9]{1,3} ?\+|[<>]=? ?[0-9]{1,3}"
_ZIP_SHAPES = r"[0-9]{5}(?:-?[0-9]{4})?|[0-9]{3}"


def is_zip_code_column(series: pd.Series) -> bool:
    """Return whether a column contains ZIP codes, judged by its name and values.

    True when the name contains a ZIP word ("zip", "zip_code", "postal") and at least
    90% of the non-missing values are 5-digit, ZIP+4, 9-digit or 3-digit ZIP codes
    (numbers are padded back to their leading zeros), or, whatever the name, when at
    least 90% are written ZIP+4 (NNNNN-NNNN).
    """
    sample = sample_column(series, str(series.name), DEFAULT_SAMPLE_SIZE)
    if sample.n_checked == 0:
        return False
    if "zip" in {m.rule.key for m in match_name_rules(sample.tokens)}:
        if sample.kind in ("integer", "float") and sample.integral_share == 1.0:
            numbers = sample.numbers()
            in_range = (numbers >= 0) & (numbers <= 99_999)
            return is_zip_prefix_column(sample) or sample.rate(in_range) >= MOSTLY
        return _share_matching(sample, _ZIP_SHAPES) >= MOSTLY
    return _share_matching(sample, "[0-9]{5}-[0-9]{4}") >= MOSTLY


def is_age_column(series: pd.Series) -> bool:
    """Return whether a column contains ages, judged by its name and values.

    True when the name contains "age" and at least 90% of the non-missing values
    are numbers from 0 to 130 years (after the unit in the name, as in "age_months")
    or age ranges such as "[70-80)", "70-79", "90+" or ">89".
    """
    sample = sample_column(series, str(series.name), DEFAULT_SAMPLE_SIZE)
    if not has_age_name(sample.tokens) or sample.kind not in ("text", "integer", "float"):
        return False
    if sample.n_checked == 0:
        return False
    years = age_numbers_in_years(sample)
    plausible = (years >= 0) & (years <= 130)
    ranges = regex_matches(sample.distinct, _AGE_RANGE)
    return sample.rate(plausible | ranges) >= MOSTLY


def is_date_column(series: pd.Series) -> bool:
    """Return whether a column contains dates or years, judged by its dtype, values and name.

    True for datetime dtypes; for columns where at least 90% of the non-missing
    values are written dates or year-months ("2020-03-15", "3/15/2020", "Mar 2020");
    and for date- or birth-year-named columns of years or YYYYMMDD numbers. Year
    columns count because k-anonymity generalizes them like any date.
    """
    sample = sample_column(series, str(series.name), DEFAULT_SAMPLE_SIZE)
    if sample.kind == "datetime":
        return sample.n_checked > 0
    if sample.n_checked == 0 or sample.kind not in ("text", "integer", "float"):
        return False
    date_patterns = [p for p in VALUE_PATTERNS if p.category == "C" and not p.needs_name]
    if sum(_share_matching(sample, p.regex, p.ignore_case) for p in date_patterns) >= MOSTLY:
        return True
    date_named = any(m.rule.key == "date" for m in match_name_rules(sample.tokens))
    named = date_named or has_birth_year_name(sample.tokens)
    compact = next(p for p in VALUE_PATTERNS if p.key == "date_compact")
    return named and (holds_years_only(sample) or _share_matching(sample, compact.regex) >= MOSTLY)


def _share_matching(sample: ColumnSample, regex: str, ignore_case: bool = False) -> float:
    return sample.rate(regex_matches(sample.distinct, regex, ignore_case=ignore_case))
