"""One item of an assessment: a check, its status, the evidence, the method and the fix.

A check is either automated (software computed the evidence and decided pass or
fail) or left to a person ("needs attestation"). `not applicable` marks a rule
the table gives no occasion for, such as the ZIP rule on a table without ZIP codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PASS = "pass"
FAIL = "fail"
NEEDS_ATTESTATION = "needs attestation"
NOT_APPLICABLE = "not applicable"
STATUSES = (PASS, FAIL, NEEDS_ATTESTATION, NOT_APPLICABLE)


@dataclass(frozen=True)
class Check:
    """One rule of a framework applied to the released table or to the measured risks.

    Evidence and recommendations never quote a value of the real table. A matched
    value of the synthetic table appears only as its shape (``***-**-****``),
    because a synthetic value can be a copy of a real one.
    """

    id: str
    """Short stable key, e.g. "hipaa.safe_harbor.B" or "gdpr.singling_out"."""
    title: str
    reference: str
    """The provision the check comes from, e.g. "45 CFR 164.514(b)(2)(i)(B)"."""
    status: str
    """One of `STATUSES`."""
    evidence: str
    """The findings, in words and counts."""
    method: str
    """The computation behind the evidence, or the reason software cannot compute it."""
    recommendation: str | None = None
    """The change that fixes a failed check; None when the check did not fail."""
    automated: bool = True
    """False for items a person must attest to or decide."""
    value: float | None = None
    """The measured quantity behind the check, when it has one (a risk's upper bound, a count)."""
    threshold: float | None = None
    """The policy threshold `value` is compared with; None when there is none."""

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"Check status is {self.status!r}, but it must be one of {list(STATUSES)}.")

    @property
    def passed(self) -> bool:
        return self.status == PASS

    @property
    def failed(self) -> bool:
        return self.status == FAIL

    def to_dict(self) -> dict[str, Any]:
        """Return the check as JSON-safe built-in types."""
        return {
            "id": self.id,
            "title": self.title,
            "reference": self.reference,
            "status": self.status,
            "evidence": self.evidence,
            "method": self.method,
            "recommendation": self.recommendation,
            "automated": self.automated,
            "value": self.value,
            "threshold": self.threshold,
        }


def attestation(id: str, title: str, reference: str, statement: str, why: str) -> Check:
    """Build a check that a person must attest to, because software cannot establish it."""
    return Check(id=id, title=title, reference=reference, status=NEEDS_ATTESTATION, evidence=statement,
                 method=why, automated=False)


@dataclass(frozen=True)
class Section:
    """A part of an assessment: its title, the provision it applies, explanatory text and its checks."""

    key: str
    title: str
    reference: str
    paragraphs: tuple[str, ...]
    """Plain-text paragraphs that explain what the section establishes and what it does not."""
    checks: tuple[Check, ...] = ()
    signature_fields: tuple[str, ...] = ()
    """Fields of a signature block left empty for a person to fill in; empty when the section has none."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "reference": self.reference,
            "paragraphs": list(self.paragraphs),
            "checks": [check.to_dict() for check in self.checks],
            "signature_fields": list(self.signature_fields),
        }
