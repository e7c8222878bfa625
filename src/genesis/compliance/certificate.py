"""`PrivacyCertificate`: gather the evidence on a real and a synthetic table, then assess it per framework.

The name follows the tutorial's API; the documents it produces are assessments,
not certificates in any legal sense (see `ComplianceReport`). The privacy audit
and the quality evaluation run once per `PrivacyCertificate` and are reused for
every framework; reports passed in are used as they are.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from genesis import release
from genesis.compliance.checks import FAIL, Check
from genesis.compliance.evidence import AssessmentEvidence, measured_risks
from genesis.compliance.fingerprint import configuration_fingerprint, count_copied_rows
from genesis.compliance.frameworks import ComplianceFramework, framework_sections
from genesis.compliance.provenance import (
    NO_RECORD,
    dp_summary,
    generalization_summary,
    seeds,
    software_versions,
)
from genesis.compliance.report import ComplianceReport, fingerprint_block
from genesis.errors import InvalidColumnTypeError
from genesis.privacy.identifiers import scan_identifiers

logger = logging.getLogger(__name__)

LIMITATIONS = (
    "The identifier screen reads column names and a fixed-seed sample of values; identifiers under "
    "unhelpful column names or inside free text can go unseen, apart from the strong shapes it searches for.",
    "The measured risks cover only the attacks the privacy audit simulates, under its threat model; a risk "
    "under its threshold says nothing about other attacks.",
    "Each risk is an estimate from finite samples; the report uses the upper bound of its 95% confidence "
    "interval, and a repeated run with other random draws can differ.",
    "The thresholds are configurable policy defaults of genesis. No regulator has approved them.",
    "Results describe the released table as assessed. Adding columns, joining other data or releasing more "
    "tables from the same real data calls for a new assessment.",
)


class PrivacyCertificate:
    """Assess a synthetic table against HIPAA, GDPR or CCPA de-identification conditions.

    Parameters
    ----------
    real_data, synthetic_data:
        The table the generator was trained on (direct identifiers already removed
        or not) and the table to release. The real table is read to measure risks
        and count copied rows; none of its values appears in a report.
    generator:
        The fitted `SyntheticGenerator`, used for the release record when the
        synthetic frame carries none.
    privacy_report, quality_report:
        Results of `run_privacy_audit` and `QualityEvaluator.evaluate` on these
        tables. When None, the assessment runs them itself.
    holdout_data:
        Real rows not used for training, passed on to the audit and the quality
        evaluation. When None they use the holdout linked to the synthetic frame.
    sensitive_columns, quasi_identifiers:
        Passed on to the audit when the assessment runs it. Pass the same lists
        as to your own `run_privacy_audit` call, or its numbers and the
        report's differ. When None, the audit takes the quasi-identifiers the
        release record names and treats every other column as sensitive, and
        the report says so under its limitations.
    random_state:
        Seed for the audit's and quality evaluation's random draws.
    """

    def __init__(
        self,
        real_data: pd.DataFrame,
        synthetic_data: pd.DataFrame,
        *,
        generator: Any = None,
        privacy_report: Any = None,
        quality_report: Any = None,
        holdout_data: pd.DataFrame | None = None,
        sensitive_columns: Sequence[str] | None = None,
        quasi_identifiers: Sequence[str] | None = None,
        random_state: int | np.random.Generator | None = None,
    ) -> None:
        self.real_data = real_data
        self.synthetic_data = synthetic_data
        self.generator = generator
        self.privacy_report = privacy_report
        self.quality_report = quality_report
        self.holdout_data = holdout_data
        self.sensitive_columns = sensitive_columns
        self.quasi_identifiers = quasi_identifiers
        self.random_state = random_state
        self._ran_audit = False

    def generate(
        self,
        framework: ComplianceFramework | str,
        organization: str | None = None,
        data_description: str | None = None,
        purpose: str | None = None,
    ) -> ComplianceReport:
        """Assess the synthetic table under `framework` and return the report.

        Every argument but the framework is optional and only printed in the report.
        """
        framework = ComplianceFramework.parse(framework)
        _check_frame("real_data", self.real_data)
        _check_frame("synthetic_data", self.synthetic_data)

        evidence = self._evidence()
        sections = framework_sections(framework, evidence)
        checks = [check for section in sections for check in section.checks]

        failed = [check for check in checks if check.automated and check.status == FAIL]
        record = evidence.record
        quality = self._quality()
        report = ComplianceReport(
            framework=framework.value,
            title=framework.document_title,
            organization=organization,
            data_description=data_description,
            purpose=purpose,
            timestamp=datetime.now(UTC).isoformat(timespec="seconds"),
            is_compliant=not failed,
            reidentification_risk=evidence.reidentification_risk,
            disclosure_risk=evidence.disclosure_risk,
            recommendation=recommendation(checks),
            sections=tuple(sections),
            risks={key: risk.to_dict() for key, risk in evidence.risks.items()},
            privacy_summary=_privacy_summary(evidence.privacy_report),
            quality=quality,
            differential_privacy=dp_summary(record),
            generalization=generalization_summary(record),
            fingerprints=fingerprint_block(self.real_data, self.synthetic_data,
                                           configuration_fingerprint(record)),
            software=software_versions(),
            seeds=seeds(record, self.random_state),
            limitations=self._limitations(evidence, quality),
            rows={"real": evidence.n_real, "synthetic": evidence.n_synthetic},
        )
        logger.info("%s assessment: %d checks, %d failed", framework.value, len(checks), len(failed))
        return report

    # Evidence ------------------------------------------------------------------------

    def _evidence(self) -> AssessmentEvidence:
        """Gather the facts every framework reads; the audit runs here when no report was passed."""
        record, assumptions = self._record()
        privacy_report = self._privacy_report()
        copied, columns = count_copied_rows(self.real_data, self.synthetic_data)
        return AssessmentEvidence(
            synthetic=self.synthetic_data,
            scan=scan_identifiers(self.synthetic_data),
            privacy_report=privacy_report,
            risks=measured_risks(privacy_report),
            record=record,
            copied_rows=copied,
            copy_columns=columns,
            n_real=len(self.real_data),
            n_synthetic=len(self.synthetic_data),
            assumptions=assumptions,
        )

    def _record(self) -> tuple[dict[str, Any] | None, tuple[str, ...]]:
        record = release.record_of(self.synthetic_data)
        if record is not None:
            return record, ()
        if self.generator is not None and hasattr(self.generator, "release_record"):
            note = ("The synthetic table carries no release record; the fitted generator's record was used, "
                    "which cannot show the generalization applied to this table.")
            return self.generator.release_record(len(self.synthetic_data)), (note,)
        return None, (NO_RECORD,)

    def _privacy_report(self) -> Any:
        if self.privacy_report is None:
            from genesis.evaluation.privacy_audit import run_privacy_audit

            self.privacy_report = run_privacy_audit(
                self.real_data, self.synthetic_data, sensitive_columns=self.sensitive_columns,
                quasi_identifiers=self.quasi_identifiers, holdout_data=self.holdout_data,
                random_state=self.random_state,
            )
            self._ran_audit = True
        return self.privacy_report

    def _quality(self) -> dict[str, Any] | None:
        """Return the quality scores, evaluating them when no report was passed and the evaluator exists."""
        if self.quality_report is None:
            try:
                from genesis.evaluation.quality import QualityEvaluator
            except ImportError:
                logger.warning("genesis.evaluation.quality is not available; the report has no quality "
                               "section")
                return None
            self.quality_report = QualityEvaluator(self.real_data, self.synthetic_data,
                                                   holdout_data=self.holdout_data,
                                                   random_state=self.random_state).evaluate()
        report = self.quality_report
        scores = {name: getattr(report, name, None) for name in
                  ("overall_score", "fidelity_score", "correlation_score", "utility_score", "detection_auc")}
        # A NaN score (no utility target measured) becomes None, which JSON can hold and the renderers
        # show as n/a.
        return {name: None if math.isnan(value) else float(value)
                for name, value in scores.items() if value is not None}

    def _limitations(self, evidence: AssessmentEvidence, quality: dict[str, Any] | None) -> tuple[str, ...]:
        notes = list(LIMITATIONS) + list(evidence.assumptions)
        proxies = [risk.label for risk in evidence.risks.values() if risk.proxy]
        if proxies:
            notes.append("These risks were measured without a holdout and are proxies with no calibrated "
                         "baseline: " + ", ".join(proxies) + ".")
        if quality is None:
            notes.append("Data quality was not evaluated.")
        notes += self._audit_assumptions(evidence.privacy_report)
        return tuple(notes)

    def _audit_assumptions(self, report: Any) -> list[str]:
        """State which columns the audit that this assessment ran assumed, when the caller named none."""
        if not self._ran_audit:
            return []
        settings = getattr(report, "settings", None) or {}
        notes = []
        if self.sensitive_columns is None:
            notes.append(
                "The assessment ran the privacy audit without sensitive_columns, so the audit treated "
                f"each of {list(settings.get('sensitive_columns', []))} as a secret. Pass sensitive_columns= "
                "to PrivacyCertificate, as to run_privacy_audit, to audit the columns you consider sensitive."
            )
        if self.quasi_identifiers is None:
            chosen = list(getattr(report, "quasi_identifiers", ()) or ())
            source = (f"the quasi-identifiers {chosen} recorded on the release" if chosen
                      else "no quasi-identifiers (none were recorded on the release)")
            notes.append(f"The assessment ran the privacy audit without quasi_identifiers, so the audit used "
                         f"{source}. Pass quasi_identifiers= to PrivacyCertificate to set them.")
        return notes


def recommendation(checks: Sequence[Check]) -> str:
    """Join the fixes of the failed automated checks; without failures, name what is left to a person."""
    failed = [c for c in checks if c.automated and c.status == FAIL and c.recommendation]
    failed.sort(key=lambda c: not c.id.endswith("exact_copies"))  # copied rows first: they block any release
    fixes = list(dict.fromkeys(c.recommendation or "" for c in failed))
    if fixes:
        return "; ".join(fixes) + "."
    open_items = [c.title for c in checks if not c.automated]
    if open_items:
        return (f"No automated check failed. Before release, a responsible person must attest to or decide "
                f"{len(open_items)} items: {', '.join(open_items)}.")
    return "No automated check failed."


def _privacy_summary(report: Any) -> dict[str, Any]:
    """Return the audit's headline results, JSON-safe."""
    keys = ("overall_score", "is_safe", "verdict", "k", "k_anonymity_satisfied", "smallest_equivalence_class",
            "holdout_used", "exact_copies")
    summary = {key: _json_value(getattr(report, key, None)) for key in keys}
    summary["quasi_identifiers"] = list(getattr(report, "quasi_identifiers", ()) or ())
    settings = getattr(report, "settings", None) or {}
    if "sensitive_columns" in settings:
        summary["sensitive_columns"] = [str(name) for name in settings["sensitive_columns"]]
    summary["warnings"] = [str(w) for w in getattr(report, "warnings", ()) or ()]
    return summary


def _json_value(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def _check_frame(name: str, frame: Any) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise InvalidColumnTypeError(
            f"{name} must be a pandas DataFrame, got {type(frame).__name__}. "
            "Load the table with pandas.read_csv or pandas.read_parquet first."
        )
