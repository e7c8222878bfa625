"""HIPAA, GDPR and CCPA de-identification assessments of synthetic tables, as HTML, PDF and JSON.

`PrivacyCertificate(real, synthetic).generate(ComplianceFramework.HIPAA)` returns a
`ComplianceReport`. The names follow the tutorial's API; the documents are
assessments computed by software, not legal determinations.
"""

from genesis.compliance.certificate import PrivacyCertificate
from genesis.compliance.checks import Check, Section
from genesis.compliance.frameworks import ComplianceFramework
from genesis.compliance.report import ComplianceReport, VerificationResult

__all__ = ["Check", "ComplianceFramework", "ComplianceReport", "PrivacyCertificate", "Section",
           "VerificationResult"]
