"""HIPAA de-identification assessment: the Safe Harbor screen and evidence for an Expert Determination.

45 CFR 164.514(b) offers two ways to show health information is de-identified:

* Safe Harbor, (b)(2): the 18 identifiers (A)-(R) are removed and the covered
  entity has no actual knowledge that the rest could identify anyone. The screen in
  `genesis.compliance.safe_harbor` checks what software can check on the released
  table and lists the rest for attestation.
* Expert Determination, (b)(1): a person with appropriate knowledge of generally
  accepted statistical and scientific methods determines that the risk is very
  small that an anticipated recipient could identify anyone. The recipient may use
  the information alone or with other reasonably available information. The expert
  documents the methods and results. The
  software cannot make that determination; it supplies the measured risks as
  evidence and leaves the signature block empty.
"""

from __future__ import annotations

from genesis.compliance.checks import Check, Section, attestation
from genesis.compliance.evidence import AssessmentEvidence
from genesis.compliance.risk_checks import audit_verdict_check, copies_check, metric_checks
from genesis.compliance.safe_harbor import safe_harbor_checks

SAFE_HARBOR_REFERENCE = "45 CFR 164.514(b)(2)"
EXPERT_REFERENCE = "45 CFR 164.514(b)(1)"

SIGNATURE_FIELDS = (
    "Name of the expert",
    "Qualifications (knowledge of and experience with statistical and scientific methods for "
    "rendering information not individually identifiable)",
    "Date of the determination",
    "Recipient(s) and use the determination covers",
    "Date by which the determination is to be reviewed",
    "Signature",
)

THREAT_MODEL = (
    "Threat model of the measured risks: the adversary holds the released synthetic table and, for a "
    "target person, some of that person's attributes (the quasi-identifiers for singling out and "
    "linkage; all columns but the sensitive one for attribute inference). Each attack is scored on "
    "real rows used for training against the same attack on held-out real rows (the control), so a "
    "risk measures what the synthetic table adds beyond what the population's general patterns reveal.",
    "Not modelled: an adversary with access to the trained model, to the training pipeline or to the "
    "real table; several releases from the same real table combined; outside data sets richer than "
    "the quasi-identifiers; and people who are not in the table but are described by it as members "
    "of a group. A risk under its threshold is evidence about these attacks only.",
)


def hipaa_sections(evidence: AssessmentEvidence) -> list[Section]:
    """Return the Safe Harbor section and the Expert Determination section."""
    safe_harbor = Section(
        key="safe_harbor",
        title="Safe Harbor screen of the released table",
        reference=SAFE_HARBOR_REFERENCE,
        paragraphs=(
            "Each identifier type (A)-(R) is screened on the released synthetic table by column names "
            "and values, for identifiers of the individual and of relatives, employers and household "
            "members alike. ZIP codes must keep at most 3 digits, with the restricted prefixes written "
            "000; dates must show the year only; ages above 89 may appear only as one 90+ category.",
            "A pass means the screen found no such identifier. It does not establish that none is "
            "present: names in free text, biometrics, images, unique characteristics and the "
            "\"no actual knowledge\" condition of (b)(2)(ii) need a person's attestation, listed below.",
        ),
        checks=tuple(safe_harbor_checks(evidence)),
    )
    return [safe_harbor, expert_determination_section(evidence)]


def expert_determination_section(evidence: AssessmentEvidence) -> Section:
    """Return the measured risks as evidence for a qualified expert, with an empty signature block."""
    checks: list[Check] = [
        audit_verdict_check(evidence, "hipaa.expert.audit_verdict", EXPERT_REFERENCE),
        copies_check(evidence, "hipaa.expert.exact_copies", EXPERT_REFERENCE),
        *metric_checks(evidence, "hipaa.expert", EXPERT_REFERENCE),
        attestation(
            "hipaa.expert.determination", "Determination that the risk is very small",
            "45 CFR 164.514(b)(1)(i)",
            "A qualified expert, applying generally accepted statistical and scientific principles and "
            "methods, determines that the risk is very small that the information could be used, alone or "
            "in combination with other reasonably available information, by an anticipated recipient to "
            "identify an individual who is a subject of the information.",
            "only a qualified person can make this determination; the measured risks are evidence for it",
        ),
        attestation(
            "hipaa.expert.documentation", "Documentation of methods and results", "45 CFR 164.514(b)(1)(ii)",
            "The expert documents the methods and results of the analysis that justify the determination. "
            "This report can be part of that documentation.",
            "the documentation belongs to the expert's determination",
        ),
    ]
    return Section(
        key="expert_determination",
        title="Evidence for an Expert Determination",
        reference=EXPERT_REFERENCE,
        paragraphs=(
            "genesis does not perform an Expert Determination. The measured risks below, each with its "
            "confidence interval, sample size, control baseline and policy threshold, are evidence that a "
            "qualified expert may weigh. The thresholds are configurable policy defaults of genesis; no "
            "regulator has approved a numeric threshold for \"very small\" risk.",
            *THREAT_MODEL,
        ),
        checks=tuple(checks),
        signature_fields=SIGNATURE_FIELDS,
    )
