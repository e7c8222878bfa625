"""HIPAA Safe Harbor identifier scan: which columns contain one of the 18 identifier types.

Under the Safe Harbor method of 45 CFR 164.514(b)(2), health data is de-identified
when the identifiers (A)-(R) of the individual and of relatives, employers and
household members are removed. The covered entity must also have no actual knowledge
that the rest could identify anyone.

`scan_identifiers` looks at each column's name and at a deterministic sample of its
values, and returns one finding per flagged column: its category letter, the
evidence, the match rate, a masked example, and whether the column must be dropped
(a direct identifier) or can be generalized (a quasi-identifier: ZIP codes, exact
dates, ages over 89, cities). `is_zip_code_column`, `is_age_column` and
`is_date_column` recognize the columns that k-anonymity generalizes.

What the scan cannot do, and the result says so in `requires_attestation`:

* Names are found by column name only. Telling "Jordan" the person from "Jordan" the
  country or the ward by value alone fails too often to be useful.
* Biometrics (P) and photographs (Q) are found by column name and image file name, never
  by content.
* Unique characteristics (R) and identifiers in free text under unhelpful column names
  go unseen, apart from the strong shapes (SSN, phone, email, URL, IP, dates) that are
  searched inside text.

Examples in findings are masked (`***-**-6789`, `j***@e***.com`, `2020-**-**`), so a
scan result can go into a report without copying an identifier into it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from genesis.errors import ConfigError, InvalidColumnTypeError, invalid_value
from genesis.privacy.identifiers_checks import column_evidence
from genesis.privacy.identifiers_columns import is_age_column, is_date_column, is_zip_code_column
from genesis.privacy.identifiers_masking import mask_value
from genesis.privacy.identifiers_rules import (
    ATTESTATION_ITEMS,
    COLUMN_NAME,
    DIRECT_IDENTIFIER,
    QUASI_IDENTIFIER,
    RESTRICTED_ZIP3_PREFIXES,
    SAFE_HARBOR_CATEGORIES,
    VALUE_PATTERN,
    AttestationItem,
    Evidence,
    citation,
)
from genesis.privacy.identifiers_sample import DEFAULT_SAMPLE_SIZE, ColumnSample, sample_column

__all__ = [
    "ATTESTATION_ITEMS",
    "DEFAULT_SAMPLE_SIZE",
    "DIRECT_IDENTIFIER",
    "QUASI_IDENTIFIER",
    "RESTRICTED_ZIP3_PREFIXES",
    "SAFE_HARBOR_CATEGORIES",
    "AttestationItem",
    "IdentifierFinding",
    "IdentifierScan",
    "is_age_column",
    "is_date_column",
    "is_zip_code_column",
    "scan_identifiers",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IdentifierFinding:
    """One column that contains, or is named like, a Safe Harbor identifier."""

    column: str
    category: str
    """Letter of the identifier type in 45 CFR 164.514(b)(2)(i), "A" to "R"."""
    category_name: str
    evidence: tuple[str, ...]
    """"column name", "value pattern", or both."""
    role: str
    """`DIRECT_IDENTIFIER` (remove the column) or `QUASI_IDENTIFIER` (generalize it)."""
    description: str
    """The matching value patterns and name words, e.g. "social security numbers written NNN-NN-NNNN;
    column name contains 'ssn'"."""
    match_rate: float | None
    """Share of the checked values matching the category's patterns; None when only the name matched."""
    values_checked: int
    """Non-missing values looked at: all of them, or the deterministic sample of a large column."""
    values_present: int
    """Non-missing values in the whole column."""
    example: str | None = None
    """A masked matching value such as `***-**-6789`; None for ages or when examples are off."""
    other_categories: tuple[str, ...] = ()
    """Further categories the column matched, e.g. "R" for a patient ID that is also unique."""

    @property
    def citation(self) -> str:
        return citation(self.category)

    @property
    def is_direct_identifier(self) -> bool:
        return self.role == DIRECT_IDENTIFIER

    def to_dict(self) -> dict[str, Any]:
        """Return the finding as JSON-safe built-in types."""
        return {
            "column": self.column,
            "category": self.category,
            "category_name": self.category_name,
            "citation": self.citation,
            "evidence": list(self.evidence),
            "role": self.role,
            "description": self.description,
            "match_rate": self.match_rate,
            "values_checked": self.values_checked,
            "values_present": self.values_present,
            "example": self.example,
            "other_categories": list(self.other_categories),
        }

    def __str__(self) -> str:
        rate = "" if self.match_rate is None else f", {self.match_rate:.1%} of {self.values_checked:,} values"
        example = "" if self.example is None else f", e.g. {self.example}"
        return (f"{self.column}: ({self.category}) {self.category_name}, {self.role}: {self.description} "
                f"[{' + '.join(self.evidence)}{rate}{example}]")


@dataclass(frozen=True)
class IdentifierScan:
    """Result of `scan_identifiers`: the findings, and the conditions a person must attest to.

    `bool(scan)` is True when the scan found something, like a non-empty list of
    findings; `is_clean` is its negation. A clean scan is not a de-identification
    verdict: the items of `requires_attestation` still need a signature.
    """

    findings: tuple[IdentifierFinding, ...]
    columns_scanned: tuple[str, ...]
    n_rows: int
    sample_size: int
    requires_attestation: tuple[AttestationItem, ...] = field(default=ATTESTATION_ITEMS)
    """Safe Harbor conditions software cannot check: (P), (Q), names in values, (R) characteristics, (ii)."""

    @property
    def direct_identifiers(self) -> list[str]:
        """Columns to remove before release."""
        return [f.column for f in self.findings if f.role == DIRECT_IDENTIFIER]

    @property
    def quasi_identifiers(self) -> list[str]:
        """Columns to generalize before release (ZIP to 3 digits, dates to years, ages to 90 or older)."""
        return [f.column for f in self.findings if f.role == QUASI_IDENTIFIER]

    @property
    def is_clean(self) -> bool:
        return not self.findings

    def __bool__(self) -> bool:
        return bool(self.findings)

    def by_column(self, name: object) -> IdentifierFinding | None:
        """Return the finding of column `name`, or None when the column was not flagged."""
        return next((f for f in self.findings if f.column == str(name)), None)

    def to_dict(self) -> dict[str, Any]:
        """Return the scan as JSON-safe built-in types, for the compliance report."""
        return {
            "standard": "HIPAA Safe Harbor, 45 CFR 164.514(b)(2)",
            "n_rows": self.n_rows,
            "sample_size": self.sample_size,
            "columns_scanned": list(self.columns_scanned),
            "is_clean": self.is_clean,
            "direct_identifiers": self.direct_identifiers,
            "quasi_identifiers": self.quasi_identifiers,
            "findings": [f.to_dict() for f in self.findings],
            "requires_attestation": [item.to_dict() for item in self.requires_attestation],
        }

    def __str__(self) -> str:
        flagged = f"{len(self.findings)} of {len(self.columns_scanned)} columns flagged"
        checked = f"{self.n_rows:,} rows, up to {self.sample_size:,} values checked per column"
        header = f"HIPAA Safe Harbor identifier scan: {flagged} ({checked})"
        lines = [header] + [f"  {finding}" for finding in self.findings]
        if not self.findings:
            lines.append("  no identifiers found by column name or value")
        lines.append("Requires attestation (software cannot check these):")
        lines += [f"  {item.reference}: {item.title}" for item in self.requires_attestation]
        return "\n".join(lines)


def scan_identifiers(
    df: pd.DataFrame,
    *,
    sample_size: int = DEFAULT_SAMPLE_SIZE,
    columns: Sequence[object] | None = None,
    examples: bool = True,
) -> IdentifierScan:
    """Scan a table for the 18 Safe Harbor identifier types of 45 CFR 164.514(b)(2)(i)(A)-(R).

    Parameters
    ----------
    df:
        The table. Any dtype works: text (object or pandas string), numbers,
        datetimes, categoricals, booleans; missing values and missing-value codes
        such as "?" are skipped.
    sample_size:
        Values checked per column. Larger columns are sampled with a fixed seed, so
        the same table always gives the same result. The uniqueness check of (R)
        still counts distinct values over the whole column.
    columns:
        Column labels to scan; all columns when None.
    examples:
        Whether findings carry a masked example value.

    Returns
    -------
    IdentifierScan
        One finding per flagged column, in column order.
    """
    labels = _validate_arguments(df, sample_size, columns)

    findings = []
    for position, label in labels:
        sample = sample_column(df.iloc[:, position], str(label), sample_size)
        finding = _finding(sample, column_evidence(sample), examples)
        if finding is not None:
            findings.append(finding)

    logger.info("Identifier scan of %d columns and %d rows flagged %d columns",
                len(labels), len(df), len(findings))
    return IdentifierScan(tuple(findings), tuple(str(label) for _, label in labels), len(df), sample_size)


def _validate_arguments(
    df: Any, sample_size: Any, columns: Sequence[object] | None
) -> list[tuple[int, object]]:
    """Check the arguments and return the (position, label) pairs of the columns to scan."""
    if not isinstance(df, pd.DataFrame):
        raise InvalidColumnTypeError(
            f"df must be a pandas DataFrame, got {type(df).__name__}. "
            "Load the table with pandas.read_csv or pandas.read_parquet first."
        )
    if isinstance(sample_size, bool) or not isinstance(sample_size, int) or sample_size < 1:
        raise ConfigError(invalid_value("sample_size", sample_size, "it must be a positive integer",
                                        f"Pass for example sample_size={DEFAULT_SAMPLE_SIZE}."))
    if isinstance(columns, str):
        raise ConfigError(invalid_value("columns", columns, "it must be a list of column names",
                                        f"Pass columns=[{columns!r}]."))

    pairs = list(enumerate(df.columns))
    if columns is None:
        return pairs
    missing = [str(c) for c in columns if c not in set(df.columns)]
    if missing:
        raise ConfigError(f"Columns {missing} are named in columns but not in the table. "
                          f"The table has columns {[str(c) for c in df.columns]}.")
    wanted = set(columns)
    return [(position, label) for position, label in pairs if label in wanted]


def _finding(sample: ColumnSample, evidence: list[Evidence], examples: bool) -> IdentifierFinding | None:
    """Merge a column's evidence into one finding under the best-supported category.

    A category backed by both the name and the values beats one backed by values,
    which beats one backed by the name alone. Category (R) yields to any other.
    """
    if not evidence:
        return None
    by_category: dict[str, list[Evidence]] = {}
    for item in evidence:
        by_category.setdefault(item.category, []).append(item)
    category = max(by_category, key=lambda letter: _support(letter, by_category[letter]))

    chosen = by_category[category]
    values = [e for e in chosen if e.kind == VALUE_PATTERN]
    kinds = tuple(kind for kind in (COLUMN_NAME, VALUE_PATTERN) if any(e.kind == kind for e in chosen))
    rate = min(1.0, sum(e.rate or 0.0 for e in values)) if values else None
    role = DIRECT_IDENTIFIER if any(e.role == DIRECT_IDENTIFIER for e in chosen) else QUASI_IDENTIFIER
    descriptions = dict.fromkeys(e.description for e in values + [e for e in chosen if e not in values])
    return IdentifierFinding(
        column=sample.label,
        category=category,
        category_name=SAFE_HARBOR_CATEGORIES[category],
        evidence=kinds,
        role=role,
        description="; ".join(descriptions),
        match_rate=rate,
        values_checked=sample.n_checked,
        values_present=sample.n_present,
        example=_example(sample, category, values) if examples else None,
        other_categories=tuple(sorted(set(by_category) - {category})),
    )


def _support(category: str, evidence: list[Evidence]) -> tuple[bool, bool, float, bool]:
    named = any(e.kind == COLUMN_NAME for e in evidence)
    rates = [e.rate or 0.0 for e in evidence if e.kind == VALUE_PATTERN]
    return category != "R", named and bool(rates), max(rates, default=0.0), named


def _example(sample: ColumnSample, category: str, values: list[Evidence]) -> str | None:
    """Return the masked example of the strongest value evidence, else the masked first value."""
    if values:
        return max(values, key=lambda e: e.rate or 0.0).example
    if len(sample.distinct) == 0:
        return None
    return mask_value(str(sample.distinct.iloc[0]), "words" if category == "A" else "code")
