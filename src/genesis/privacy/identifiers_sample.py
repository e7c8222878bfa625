"""Deterministic value samples for the identifier scan, as distinct texts with counts.

Every value check of the scan runs on the distinct texts of a sample of at most
`sample_size` non-missing values, each weighted by how often it occurs. Repeated
codes (`No`, `Steady`, `[70-80)`) are then matched once, which keeps the scan of a
100,000-row table within a second. `regex_matches` runs the expressions in RE2 through
pyarrow, the engine of `Series.str.fullmatch` on pyarrow strings, so pandas 2.2 and 3.x
and object columns all give the same results at the same speed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from genesis.privacy.identifiers_rules import name_tokens

DEFAULT_SAMPLE_SIZE = 10_000
"""Values checked per column; larger columns are sampled without replacement with a fixed seed."""

SAMPLE_SEED = 0
"""Seed of the sample drawn from large columns, so a scan of the same table always checks the same rows."""

MISSING_VALUE_CODES = frozenset({"", "?", "-", ".", "na", "n/a", "nan", "nat", "null", "none"})
"""Texts that stand for a missing value in real tables (the diabetes table writes `?` and `None`).

They count as missing, so they neither match nor dilute a match rate.
"""

TEXT_DTYPE = "string[pyarrow]"

_MAX_EXACT_FLOAT_INTEGER = 2.0**53


@dataclass(frozen=True)
class ColumnSample:
    """The values of one column that the checks look at, with what is known about its dtype."""

    label: str
    tokens: tuple[str, ...]
    kind: str
    """"text", "integer", "float", "datetime", "boolean" or "other" (timedelta, complex: not checked)."""
    column: pd.Series
    """The whole column; the uniqueness check of category (R) reads it in full."""
    n_present: int
    """Values of the whole column that are not NA."""
    n_checked: int
    """Sampled values after missing-value codes are dropped: the denominator of every match rate."""
    distinct: pd.Series
    """Distinct sampled texts in order of first appearance, as pyarrow strings."""
    counts: np.ndarray
    """How often each distinct text occurs in the sample."""
    stamps: pd.Series | None = None
    """The sampled timestamps of a datetime column (its `distinct` is empty)."""
    integral_share: float = 1.0
    """Share of sampled float values that are whole numbers; 1.0 for other dtypes."""

    def rate(self, matched: np.ndarray) -> float:
        """Return the share of checked values whose distinct text is marked in `matched`."""
        if self.n_checked == 0:
            return 0.0
        return float(self.counts[matched].sum() / self.n_checked)

    def first(self, matched: np.ndarray) -> str | None:
        """Return the first sampled text marked in `matched` (unmasked: callers mask it)."""
        positions = np.flatnonzero(matched)
        return str(self.distinct.iloc[positions[0]]) if positions.size else None

    def numbers(self) -> np.ndarray:
        """Return the distinct texts read as numbers, NaN where a text is not a number."""
        values = pd.to_numeric(self.distinct.astype(object), errors="coerce")
        return np.asarray(values, dtype=float)


def regex_matches(
    texts: pd.Series, regex: str, *, ignore_case: bool = False, anywhere: bool = False
) -> np.ndarray:
    """Return which texts match `regex` as a whole, or anywhere in them when `anywhere` is true.

    The match runs in pyarrow's RE2 kernel, which `Series.str.fullmatch` also uses for
    pyarrow strings. Calling it directly skips the check pandas 3 makes on every call
    (it parses the expression in Python to see whether RE2 can run it), which took
    about 1 ms per call and most of a scan's time. The scan's expressions use only
    syntax that RE2 and Python's `re` read alike: no lookaround, `\\d` or `\\s`.
    """
    if len(texts) == 0:
        return np.zeros(0, dtype=bool)
    pattern = regex if anywhere else f"^(?:{regex})$"
    result = pc.match_substring_regex(pa.array(texts, type=pa.large_string()), pattern=pattern,
                                      ignore_case=ignore_case)
    return result.to_numpy(zero_copy_only=False).astype(bool)


def sample_column(column: pd.Series, label: str, sample_size: int) -> ColumnSample:
    """Draw the deterministic sample of `column` and turn it into distinct texts with counts."""
    present = column.dropna()
    n_present = len(present)
    if n_present > sample_size:
        rng = np.random.default_rng(SAMPLE_SEED)
        positions = np.sort(rng.choice(n_present, size=sample_size, replace=False))
        present = present.iloc[positions]

    kind = _value_kind(column)
    integral_share = 1.0
    stamps = None
    if kind == "datetime":
        stamps = present
        texts = pd.Series([], dtype=TEXT_DTYPE)
    elif kind == "float":
        texts, integral_share = _float_texts(present)
    elif kind in ("boolean", "other"):
        texts = pd.Series([], dtype=TEXT_DTYPE)
    else:
        texts = pd.Series(present.astype(str).to_numpy(dtype=object), dtype=TEXT_DTYPE)

    texts = texts.str.strip()
    texts = texts[~texts.str.lower().isin(MISSING_VALUE_CODES).to_numpy(dtype=bool)]
    codes, distinct = pd.factorize(texts)
    counts = np.bincount(codes, minlength=len(distinct)) if len(codes) else np.zeros(0, dtype=np.int64)
    n_checked = len(stamps) if stamps is not None else len(texts)
    return ColumnSample(
        label=label,
        tokens=name_tokens(label),
        kind=kind,
        column=column,
        n_present=n_present,
        n_checked=n_checked,
        distinct=pd.Series(distinct, dtype=TEXT_DTYPE),
        counts=counts,
        stamps=stamps,
        integral_share=integral_share,
    )


def _value_kind(column: pd.Series) -> str:
    dtype = column.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if isinstance(dtype, pd.CategoricalDtype):
        return "text"
    if pd.api.types.is_integer_dtype(dtype):
        return "integer"
    if pd.api.types.is_float_dtype(dtype):
        return "float"
    if pd.api.types.is_timedelta64_dtype(dtype) or pd.api.types.is_complex_dtype(dtype):
        return "other"
    return "text"


def _float_texts(present: pd.Series) -> tuple[pd.Series, float]:
    """Write whole floats without a decimal part, so 2278392.0 reads as the code 2278392."""
    values = present.to_numpy(dtype=float)
    exact = np.isfinite(values) & (np.abs(values) < _MAX_EXACT_FLOAT_INTEGER)
    safe = np.where(exact, values, 0.0)
    integral = exact & (safe == np.floor(safe))
    texts = np.where(integral, safe.astype(np.int64).astype(str), values.astype(str))
    share = float(integral.mean()) if values.size else 1.0
    return pd.Series(texts.astype(object), dtype=TEXT_DTYPE), share
