"""`ComplianceReport`: the result of one assessment, as a dict of content and its renderings.

The content is built once (`to_dict`); HTML, PDF and JSON are renderings of that
dict, so the three carry the same facts. No content field contains a row of the real
table: evidence is counts, measured risks and the shapes of matched values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from genesis.compliance.checks import FAIL, NEEDS_ATTESTATION, Check, Section
from genesis.compliance.fingerprint import FINGERPRINT_METHOD, column_fingerprints, table_fingerprint

IS_COMPLIANT_DEFINITION = (
    "is_compliant is True when every automated check passed and every measured risk is under its policy "
    "threshold. It does not cover the items that need attestation, and it is not a legal determination."
)

MISSING_VALUE_HINT = (
    "it has missing values: pandas.read_csv reads the text 'None', 'NA', 'null' and empty fields as "
    "missing, so read the CSV with keep_default_na=False (and dtype=str for codes such as ZIP), or "
    "store the tables as Parquet"
)


@dataclass(frozen=True)
class VerificationResult:
    """The outcome of `ComplianceReport.verify`: true when both tables match, else which parts differ.

    It is truthy exactly when both fingerprints match, so ``if report.verify(real, synthetic):``
    works as a bool.
    """

    matches: bool
    mismatches: tuple[str, ...] = ()
    """One sentence per differing table, naming its columns that differ (when the report recorded them)."""

    def __bool__(self) -> bool:
        return self.matches

    def __str__(self) -> str:
        if self.matches:
            return "Both tables match the fingerprints in the report."
        return "The tables do not match the report: " + " ".join(self.mismatches)


NOT_LEGAL_ADVICE = (
    "This document is an assessment computed by software. It is not a legal determination, it does not "
    "certify compliance with any law, and it does not replace the judgement of a privacy officer, a "
    "qualified expert or counsel. Every number in it is an estimate with the uncertainty shown."
)


@dataclass(frozen=True)
class ComplianceReport:
    """A de-identification assessment of one synthetic table under one framework.

    Attributes follow the tutorial's names: `organization`, `timestamp`,
    `is_compliant`, `reidentification_risk` (the larger upper confidence bound of
    the singling-out and linkability risks), `disclosure_risk` (the upper bound of
    the attribute-inference risk) and `recommendation`.
    """

    framework: str
    title: str
    organization: str | None
    data_description: str | None
    purpose: str | None
    timestamp: str
    """When the assessment was computed, ISO 8601 in UTC."""
    is_compliant: bool
    reidentification_risk: float
    disclosure_risk: float
    recommendation: str
    sections: tuple[Section, ...]
    risks: dict[str, dict[str, Any]]
    privacy_summary: dict[str, Any]
    quality: dict[str, Any] | None
    differential_privacy: dict[str, Any]
    generalization: dict[str, Any]
    fingerprints: dict[str, Any]
    software: dict[str, str]
    seeds: dict[str, Any]
    limitations: tuple[str, ...]
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def checks(self) -> list[Check]:
        """Every check of every section, in document order."""
        return [check for section in self.sections for check in section.checks]

    @property
    def failed_checks(self) -> list[Check]:
        return [check for check in self.checks if check.status == FAIL]

    @property
    def attestations(self) -> list[Check]:
        """Items a person must attest to or decide before release."""
        return [check for check in self.checks if check.status == NEEDS_ATTESTATION]

    def verify(self, real_data: pd.DataFrame, synthetic_data: pd.DataFrame) -> VerificationResult:
        """Check that the two tables have the fingerprints recorded in this report.

        A reviewer can check with it that a report belongs to the files at hand:
        any changed cell, row, column name or order changes a fingerprint. The
        result is falsy on a mismatch and names the table and columns that differ.
        """
        mismatches = [
            _table_mismatch(name, frame, self.fingerprints[f"{name}_table"],
                            self.fingerprints.get(f"{name}_columns"))
            for name, frame in (("real", real_data), ("synthetic", synthetic_data))
        ]
        found = tuple(text for text in mismatches if text is not None)
        return VerificationResult(matches=not found, mismatches=found)

    def to_dict(self) -> dict[str, Any]:
        """Return the whole report as JSON-safe built-in types."""
        return {
            "title": self.title,
            "framework": self.framework,
            "organization": self.organization,
            "data_description": self.data_description,
            "purpose": self.purpose,
            "timestamp": self.timestamp,
            "is_compliant": self.is_compliant,
            "is_compliant_definition": IS_COMPLIANT_DEFINITION,
            "disclaimer": NOT_LEGAL_ADVICE,
            "reidentification_risk": self.reidentification_risk,
            "disclosure_risk": self.disclosure_risk,
            "recommendation": self.recommendation,
            "summary": self.summary_counts(),
            "sections": [section.to_dict() for section in self.sections],
            "risks": self.risks,
            "privacy_audit": self.privacy_summary,
            "quality": self.quality,
            "differential_privacy": self.differential_privacy,
            "generalization": self.generalization,
            "fingerprints": self.fingerprints,
            "software": self.software,
            "seeds": self.seeds,
            "rows": self.rows,
            "limitations": list(self.limitations),
        }

    def summary_counts(self) -> dict[str, int]:
        """Count the checks by status."""
        counts = {"pass": 0, "fail": 0, "needs attestation": 0, "not applicable": 0}
        for check in self.checks:
            counts[check.status] += 1
        return counts

    def to_json(self, path: str | Path) -> Path:
        """Write the report as indented JSON to `path` and return the path."""
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return path

    def to_html(self, path: str | Path) -> Path:
        """Write the report as one self-contained HTML file (inline CSS and SVG, no network fetches)."""
        from genesis.compliance.render import render_html

        path = Path(path)
        path.write_text(render_html(self.to_dict()), encoding="utf-8")
        return path

    def to_pdf(self, path: str | Path) -> Path:
        """Write the report as a PDF with the same content as the HTML file (built with reportlab)."""
        from genesis.compliance.render_pdf import render_pdf

        path = Path(path)
        render_pdf(self.to_dict(), path)
        return path

    def _repr_html_(self) -> str:
        from genesis.compliance.render import render_html

        return render_html(self.to_dict(), fragment=True)

    def __str__(self) -> str:
        counts = self.summary_counts()
        outcome = ("every automated check passed and every measured risk is under its policy threshold"
                   if self.is_compliant else f"{counts['fail']} automated checks failed")
        lines = [
            self.title,
            f"Organization: {self.organization or 'not stated'}",
            f"Assessed: {self.timestamp}",
            f"Outcome: {outcome} (is_compliant={self.is_compliant}); "
            f"{counts['needs attestation']} items need attestation",
            f"Re-identification risk (upper bound): {self.reidentification_risk:.2%}",
            f"Disclosure risk (upper bound): {self.disclosure_risk:.2%}",
            "",
        ]
        for section in self.sections:
            lines.append(f"{section.title} [{section.reference}]")
            lines += [f"  {check.status.upper():<17} {check.title}: {check.evidence}"
                      for check in section.checks]
            lines.append("")
        lines += [f"Recommendation: {self.recommendation}", "", NOT_LEGAL_ADVICE]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"ComplianceReport(framework={self.framework!r}, is_compliant={self.is_compliant}, "
                f"failed_checks={len(self.failed_checks)}, attestations={len(self.attestations)})")


def fingerprint_block(
    real: pd.DataFrame, synthetic: pd.DataFrame, configuration: str | None
) -> dict[str, Any]:
    """Return the fingerprints of the real table, the synthetic table, their columns and the configuration."""
    return {
        "real_table": table_fingerprint(real),
        "synthetic_table": table_fingerprint(synthetic),
        "configuration": configuration,
        "real_columns": column_fingerprints(real),
        "synthetic_columns": column_fingerprints(synthetic),
        "method": FINGERPRINT_METHOD,
    }


def _table_mismatch(name: str, frame: pd.DataFrame, expected: str, expected_columns: dict[str, str] | None
                    ) -> str | None:
    """Return a sentence on how `frame` differs from the recorded fingerprints, or None when it matches."""
    if table_fingerprint(frame) == expected:
        return None
    if not expected_columns:
        return f"The {name} table differs (the report recorded no per-column fingerprints)."

    actual = column_fingerprints(frame)
    if list(actual) != list(expected_columns):
        return (f"The {name} table's columns differ: the report recorded {list(expected_columns)}, "
                f"the table has {list(actual)}.")
    changed = [label for label in actual if actual[label] != expected_columns[label]]
    if not changed:
        return f"The {name} table differs, though each of its columns matches."
    reasons = []
    for label in changed:
        column = frame[label]
        hint = f" ({MISSING_VALUE_HINT})" if column.isna().any() else ""
        reasons.append(f"{label!r}{hint}")
    return f"The {name} table differs in column(s) {', '.join(reasons)}."
