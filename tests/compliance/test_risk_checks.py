"""Risk checks shared by the frameworks: the audit verdict and direct identifiers."""

from types import SimpleNamespace

from genesis.compliance.checks import FAIL, NEEDS_ATTESTATION
from genesis.compliance.risk_checks import audit_verdict_check, direct_identifiers_check


def verdict_check(verdict: str, holdout_used: bool):
    report = SimpleNamespace(verdict=verdict, warnings=[], holdout_used=holdout_used)
    return audit_verdict_check(SimpleNamespace(privacy_report=report), "audit", "45 CFR 164.514(b)(1)")


def test_inconclusive_without_holdout_asks_for_one():
    check = verdict_check("inconclusive", holdout_used=False)

    assert check.status == FAIL
    assert "keep a holdout" in check.recommendation


def test_inconclusive_with_holdout_asks_for_more_rows():
    check = verdict_check("inconclusive", holdout_used=True)

    assert check.status == FAIL
    assert "more rows" in check.recommendation
    assert "holdout" not in check.recommendation


def identifier_evidence(columns: list[str], surrogate: list[str]):
    findings = [SimpleNamespace(column=name, category_name="medical record numbers",
                                is_direct_identifier=True) for name in columns]
    schema = {"columns": [{"name": name, "id_format": {"kind": "integer"}} for name in surrogate]}
    return SimpleNamespace(scan=SimpleNamespace(findings=findings, sample_size=10_000),
                           record={"schema": schema})


def test_direct_identifier_surrogate_needs_attestation():
    evidence = identifier_evidence(["patient_nbr"], ["patient_nbr"])

    check = direct_identifiers_check(evidence, "gdpr.ids", "WP216")

    assert check.status == NEEDS_ATTESTATION
    assert "surrogate codes" in check.evidence
    assert check.recommendation is None


def test_direct_identifier_real_column_fails():
    check = direct_identifiers_check(identifier_evidence(["mrn", "patient_nbr"], ["patient_nbr"]), "gdpr.ids",
                                     "WP216")

    assert check.status == FAIL
    assert check.recommendation == "drop column mrn"
