"""GDPR anonymisation assessment: the three criteria of Opinion 05/2014, in the light of Recital 26.

Recital 26 GDPR puts anonymous information outside the Regulation: information that
does not relate to an identified or identifiable person, where identifiability is
judged by "all the means reasonably likely to be used", considering costs, time,
the technology available and its development. The Article 29 Working Party's
Opinion 05/2014 on Anonymisation Techniques (WP216, adopted 10 April 2014) tests
an anonymised data set by three criteria: whether it is still possible to single
out an individual, to link records relating to an individual, and to infer
information about an individual. Each criterion is mapped here to the audit's measured risk for it.
"""

from __future__ import annotations

from genesis.compliance.checks import Section, attestation
from genesis.compliance.evidence import AssessmentEvidence
from genesis.compliance.risk_checks import (
    audit_verdict_check,
    copies_check,
    direct_identifiers_check,
    risk_check,
)

OPINION = "Article 29 Working Party, Opinion 05/2014 on Anonymisation Techniques (WP216)"

CRITERIA = (
    ("singling_out", "Singling out",
     "the possibility to isolate some or all records which identify an individual in the data set"),
    ("linkability", "Linkability",
     "the ability to link at least two records concerning the same person or group of people"),
    ("attribute", "Inference",
     "the possibility to deduce, with significant probability, the value of an attribute from the values "
     "of other attributes"),
)


def gdpr_sections(evidence: AssessmentEvidence) -> list[Section]:
    """Return the Recital 26 context and the section of the three Opinion 05/2014 criteria."""
    context = Section(
        key="recital_26",
        title="Context: Recital 26 GDPR",
        reference="Regulation (EU) 2016/679, Recital 26",
        paragraphs=(
            "Data protection rules do not apply to anonymous information. Whether a person is identifiable "
            "is judged by all the means reasonably likely to be used by the controller or by another person, "
            "taking into account the costs and time of identification, the technology available at the "
            "time of processing, and technological developments.",
            "The real table, the trained model and the holdout remain personal data. This assessment is "
            "about the released synthetic table only, and only against the attacks the audit simulates.",
        ),
        checks=(
            attestation("gdpr.means_reasonably_likely", "Means reasonably likely to be used",
                        "Regulation (EU) 2016/679, Recital 26",
                        "The controller has assessed who could receive the synthetic table, what other "
                        "information they could hold, and the cost, time and technology of an attempt, and "
                        "concludes that identification is not reasonably likely.",
                        "the circumstances of the release are known to the controller, not to the software"),
            attestation("gdpr.periodic_review", "Periodic review", OPINION,
                        "The controller will repeat this assessment when the release, the recipients or the "
                        "available outside data change.",
                        "Opinion 05/2014 treats anonymisation as a risk that changes over time"),
        ),
    )

    checks = [direct_identifiers_check(evidence, "gdpr.direct_identifiers", OPINION),
              copies_check(evidence, "gdpr.exact_copies", OPINION)]
    for key, name, _ in CRITERIA:
        risk = evidence.risks.get(key)
        if risk is not None:
            checks.append(risk_check(risk, f"gdpr.{key}", OPINION, title=f"{name}: {risk.label.lower()}"))
    for key in evidence.risks:
        if key not in {criterion[0] for criterion in CRITERIA} | {"exact_copies"}:
            checks.append(risk_check(evidence.risks[key], f"gdpr.{key}", OPINION))
    checks.append(audit_verdict_check(evidence, "gdpr.audit_verdict", OPINION))

    criteria = Section(
        key="opinion_05_2014",
        title="The three criteria of Opinion 05/2014",
        reference=OPINION,
        paragraphs=tuple(f"{name}: {definition}. Measured by the audit's {key.replace('_', '-')} attack."
                         for key, name, definition in CRITERIA) + (
            "A criterion passes when the attack's upper confidence bound is under its policy threshold. "
            "The Opinion sets no numeric threshold; the thresholds are genesis defaults a controller can "
            "change.",
        ),
        checks=tuple(checks),
    )
    return [context, criteria]
