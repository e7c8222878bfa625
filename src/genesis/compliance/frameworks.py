"""The frameworks an assessment can apply, and the rules of each.

`ComplianceFramework` names the framework; `framework_sections` returns its
sections of checks, built by `genesis.compliance.hipaa`, `gdpr` or `ccpa` from the
gathered `AssessmentEvidence`.
"""

from __future__ import annotations

from enum import Enum

from genesis.compliance.ccpa import ccpa_sections
from genesis.compliance.checks import Section
from genesis.compliance.evidence import AssessmentEvidence
from genesis.compliance.gdpr import gdpr_sections
from genesis.compliance.hipaa import hipaa_sections
from genesis.errors import ConfigError, invalid_value


class ComplianceFramework(str, Enum):
    """A regulation whose de-identification conditions a report assesses."""

    HIPAA = "HIPAA"
    """US Health Insurance Portability and Accountability Act, Privacy Rule, 45 CFR 164.514(b)."""
    GDPR = "GDPR"
    """EU General Data Protection Regulation 2016/679, Recital 26 and Opinion 05/2014."""
    CCPA = "CCPA"
    """California Consumer Privacy Act as amended by the CPRA, Cal. Civ. Code §1798.140(m)."""

    def __str__(self) -> str:
        return self.value

    @property
    def document_title(self) -> str:
        """Title of the assessment document for this framework."""
        return FRAMEWORK_TITLES[self]

    @classmethod
    def parse(cls, value: object) -> ComplianceFramework:
        """Return the framework named by `value` (a member or its name in any case)."""
        if isinstance(value, cls):
            return value
        if isinstance(value, str) and value.strip().upper() in cls.__members__:
            return cls[value.strip().upper()]
        raise ConfigError(invalid_value("framework", value, f"it must be one of {[m.value for m in cls]}",
                                        "Pass for example framework=ComplianceFramework.HIPAA."))


FRAMEWORK_TITLES = {
    ComplianceFramework.HIPAA: "HIPAA de-identification assessment (45 CFR 164.514(b))",
    ComplianceFramework.GDPR: "GDPR anonymisation assessment (Recital 26, WP29 Opinion 05/2014)",
    ComplianceFramework.CCPA: "CCPA deidentification assessment (Cal. Civ. Code §1798.140(m))",
}


def framework_sections(framework: ComplianceFramework, evidence: AssessmentEvidence) -> list[Section]:
    """Return the sections of checks that `framework` applies to the evidence."""
    builders = {
        ComplianceFramework.HIPAA: hipaa_sections,
        ComplianceFramework.GDPR: gdpr_sections,
        ComplianceFramework.CCPA: ccpa_sections,
    }
    return builders[framework](evidence)
