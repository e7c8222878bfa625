"""The facts an assessment is built from, gathered once and read by every framework's rules.

The framework modules (`hipaa`, `gdpr`, `ccpa`) turn these facts into checks. They
never read the real table: everything about it arrives here as counts and measured
risks, so no rule can copy a real value into a report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from genesis.privacy.identifiers import IdentifierScan

RISK_METRICS = ("singling_out", "linkability", "attribute", "membership")
"""Audit metrics that are risks in [0, 1] (higher is worse), in the order reports list them."""

METRIC_LABELS = {
    "singling_out": "Singling-out risk",
    "linkability": "Linkability risk",
    "attribute": "Attribute-inference risk",
    "membership": "Membership-inference risk",
    "dcr": "Distance to closest record",
    "exact_copies": "Excess copies of training rows (share beyond what holdout copies predict)",
    "k_anonymity": "k-anonymity of the quasi-identifiers",
}


@dataclass(frozen=True)
class MeasuredRisk:
    """One metric of the privacy audit, flattened for a report."""

    key: str
    label: str
    value: float
    ci_low: float | None
    ci_high: float | None
    threshold: float | None
    passed: bool | None
    method: str
    baseline: float | None = None
    n: int | None = None
    holdout_used: bool = False
    proxy: bool = False
    details: dict[str, float] = field(default_factory=dict, repr=False)
    """The metric's numeric details (e.g. "smallest_class" of k-anonymity), for the evidence text only.

    Only numbers are kept, and `to_dict` leaves them out, so no text of the audit's details reaches a report.
    """

    @property
    def upper(self) -> float:
        """The upper confidence bound when there is one, else the point value."""
        return self.value if self.ci_high is None else self.ci_high

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key, "label": self.label, "value": self.value, "ci_low": self.ci_low,
            "ci_high": self.ci_high, "threshold": self.threshold, "passed": self.passed,
            "method": self.method, "baseline": self.baseline, "n": self.n,
            "holdout_used": self.holdout_used, "proxy": self.proxy,
        }


@dataclass(frozen=True)
class AssessmentEvidence:
    """Everything the rules read: the released table, its scan, the audit, and the release record."""

    synthetic: pd.DataFrame = field(repr=False)
    """The released table. Rules may read it, and show a matched value only as its shape."""
    scan: IdentifierScan
    """Safe Harbor identifier scan of the released table."""
    privacy_report: Any
    """The `PrivacyReport` of `run_privacy_audit` on the real and synthetic tables."""
    risks: dict[str, MeasuredRisk]
    record: dict[str, Any] | None
    """Release record of the synthetic table; None for a table from elsewhere."""
    copied_rows: int
    """Synthetic rows equal to a real row in every shared column (real values not generalized),
    counted here."""
    copy_columns: tuple[str, ...]
    n_real: int
    n_synthetic: int
    assumptions: tuple[str, ...] = ()
    """Assumptions the assessment made because the release record was missing."""

    @property
    def reidentification_risk(self) -> float:
        """The larger upper bound of the singling-out and linkability risks, in [0, 1]."""
        uppers = [self.risks[key].upper for key in ("singling_out", "linkability") if key in self.risks]
        return max(uppers, default=0.0)

    @property
    def disclosure_risk(self) -> float:
        """The upper bound of the attribute-inference risk, in [0, 1]."""
        risk = self.risks.get("attribute")
        return 0.0 if risk is None else risk.upper

    @property
    def k_anonymity(self) -> dict[str, Any] | None:
        return None if self.record is None else self.record.get("k_anonymity")

    @property
    def ledger(self) -> dict[str, Any] | None:
        privacy = None if self.record is None else self.record.get("privacy")
        return None if not privacy else privacy.get("ledger")


def measured_risks(privacy_report: Any) -> dict[str, MeasuredRisk]:
    """Flatten the audit's per-metric results (`PrivacyReport.metrics`) into `MeasuredRisk`s.

    A metric missing from `metrics` but present as a report attribute (for example
    `singling_out_risk`) is taken with no interval, threshold or verdict.
    """
    metrics = getattr(privacy_report, "metrics", None) or {}
    risks = {}
    for key, result in metrics.items():
        risks[key] = MeasuredRisk(
            key=key,
            label=METRIC_LABELS.get(key, key),
            value=float(result.value),
            ci_low=_float_or_none(result.ci_low),
            ci_high=_float_or_none(result.ci_high),
            threshold=_float_or_none(result.threshold),
            passed=result.passed,
            method=str(result.method),
            baseline=_float_or_none(result.baseline),
            n=None if result.n is None else int(result.n),
            holdout_used=bool(result.holdout_used),
            proxy=bool(result.proxy),
            details=_numeric_details(getattr(result, "details", None)),
        )

    for key in RISK_METRICS:
        attribute = f"{key}_risk"
        if key not in risks and getattr(privacy_report, attribute, None) is not None:
            risks[key] = MeasuredRisk(key=key, label=METRIC_LABELS[key],
                                      value=float(getattr(privacy_report, attribute)), ci_low=None,
                                      ci_high=None, threshold=None, passed=None,
                                      method=f"taken from PrivacyReport.{attribute}; no interval reported")
    return risks


def _numeric_details(details: Any) -> dict[str, float]:
    """Return the top-level numbers of a metric's details (booleans excluded)."""
    if not isinstance(details, dict):
        return {}
    return {str(key): float(value) for key, value in details.items()
            if isinstance(value, int | float | np.integer | np.floating)
            and not isinstance(value, bool | np.bool_)}


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)
