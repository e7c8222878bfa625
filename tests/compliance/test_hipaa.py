"""HIPAA assessment: Safe Harbor screen per identifier, copied rows, Expert Determination section."""

from __future__ import annotations

import pandas as pd
import pytest

from genesis.compliance import ComplianceFramework, PrivacyCertificate
from genesis.compliance.safe_harbor import _age_value_verdict


def _hipaa(real, synthetic, audit, quality):
    certificate = PrivacyCertificate(real, synthetic, privacy_report=audit, quality_report=quality)
    return certificate.generate(ComplianceFramework.HIPAA, organization="Example Health")


def _check(report, check_id):
    return next(check for check in report.checks if check.id == check_id)


def test_safe_harbor_table_passes_screen(real_patients, safe_harbor_table, make_audit, quality_stub):
    report = _hipaa(real_patients, safe_harbor_table, make_audit(), quality_stub)

    screen = [c for c in report.checks if c.id.startswith("hipaa.safe_harbor.")]
    assert len(screen) == 18
    assert all(c.status == "pass" for c in screen), [c for c in screen if c.status != "pass"]
    assert report.is_compliant
    assert report.recommendation.startswith("No automated check failed.")


def test_planted_ssn_fails_with_drop_recommendation(real_patients, safe_harbor_table, make_audit,
                                                     quality_stub):
    synthetic = safe_harbor_table.copy()
    synthetic["ssn"] = [f"{100 + i % 800:03d}-{10 + i % 89:02d}-{1000 + i:04d}"
                        for i in range(len(synthetic))]

    report = _hipaa(real_patients, synthetic, make_audit(), quality_stub)
    check = _check(report, "hipaa.safe_harbor.G")

    assert check.status == "fail"
    assert "drop column ssn" in check.recommendation
    assert "drop column ssn" in report.recommendation
    assert not report.is_compliant


def test_five_digit_zip_fails_with_generalize_recommendation(real_patients, safe_harbor_table, make_audit,
                                                             quality_stub):
    synthetic = safe_harbor_table.copy()
    synthetic["zip_code"] = real_patients["zip_code"].to_numpy()[: len(synthetic)]

    report = _hipaa(real_patients, synthetic, make_audit(), quality_stub)
    check = _check(report, "hipaa.safe_harbor.B")

    assert check.status == "fail"
    assert "generalize zip_code to 3 digits" in report.recommendation
    n = len(synthetic)
    assert f"{n:,} of {n:,} values of zip_code are not 3-digit prefixes" in check.evidence


def test_restricted_zip_prefix_fails(real_patients, safe_harbor_table, make_audit, quality_stub):
    synthetic = safe_harbor_table.copy()
    synthetic.loc[:9, "zip_code"] = "036**"

    check = _check(_hipaa(real_patients, synthetic, make_audit(), quality_stub), "hipaa.safe_harbor.B")

    assert check.status == "fail"
    assert "10 values of zip_code carry one of the 17 restricted prefixes" in check.evidence
    assert "as 000" in check.recommendation
    assert "036**" not in check.evidence


def test_age_of_95_fails_with_top_code_recommendation(real_patients, safe_harbor_table, make_audit,
                                                      quality_stub):
    synthetic = safe_harbor_table.copy()
    synthetic["age"] = [40 + i % 40 for i in range(len(synthetic))]
    synthetic.loc[3, "age"] = 95

    report = _hipaa(real_patients, synthetic, make_audit(), quality_stub)
    check = _check(report, "hipaa.safe_harbor.C")

    assert check.status == "fail"
    assert "ages above 89 must be written as 90+" in report.recommendation
    assert "1 of" in check.evidence
    assert "95" not in check.evidence


def test_age_bands_with_top_code_pass(real_patients, safe_harbor_table, make_audit, quality_stub):
    synthetic = safe_harbor_table.copy()
    n = len(synthetic)
    synthetic["age"] = ["40-59", "60-79", "80-89", "90+"] * (n // 4) + ["*"] * (n % 4)

    check = _check(_hipaa(real_patients, synthetic, make_audit(), quality_stub), "hipaa.safe_harbor.C")

    assert check.status == "pass"
    assert "age: no age above 89" in check.evidence


@pytest.mark.parametrize(("text", "verdict"), [
    ("54", "ok"), ("89", "ok"), ("90", "over"), ("89.5", "over"), ("50-54", "ok"), ("85-94", "over"),
    ("[80-90)", "ok"), ("[80-100)", "over"), ("90+", "ok"), ("85+", "ok"), ("95+", "over"), (">89", "ok"),
    (">=90", "ok"), (">94", "over"), ("*", "ok"), ("elderly", "unreadable"),
])
def test_age_value_verdict(text, verdict):
    assert _age_value_verdict(text) == verdict


def test_full_date_fails_and_year_passes(real_patients, safe_harbor_table, make_audit, quality_stub):
    with_dates = safe_harbor_table.copy()
    with_dates["admission_date"] = pd.date_range("2020-01-01", periods=len(with_dates), freq="D")
    with_years = safe_harbor_table.copy()
    with_years["admission_year"] = [2019 + i % 3 for i in range(len(with_years))]

    dates = _check(_hipaa(real_patients, with_dates, make_audit(), quality_stub), "hipaa.safe_harbor.C")
    years = _check(_hipaa(real_patients, with_years, make_audit(), quality_stub), "hipaa.safe_harbor.C")

    assert dates.status == "fail"
    assert "write column admission_date as years only" in dates.recommendation
    assert years.status == "pass"


def test_verbatim_copy_fails_with_copied_row_count(real_patients, make_audit, quality_stub):
    report = _hipaa(real_patients, real_patients.copy(), make_audit(), quality_stub)
    check = _check(report, "hipaa.expert.exact_copies")
    n = len(real_patients)

    assert check.status == "fail"
    assert f"{n:,} of {n:,} synthetic rows are exact copies of real rows" in check.evidence
    assert report.recommendation.startswith(f"{n:,} rows are exact copies of real rows")
    assert not report.is_compliant


def test_audit_verdict_on_copies_decides(real_patients, safe_harbor_table, make_audit, quality_stub):
    audit = make_audit()
    copies = type(audit.metrics["singling_out"])("exact_copies", 12, None, None, 1500, 0.0,
                                                 "copies compared with a holdout", True, 3, False)
    audit = type(audit)(metrics={**audit.metrics, "exact_copies": copies}, verdict="fail", is_safe=False)

    report = _hipaa(real_patients, safe_harbor_table, audit, quality_stub)
    check = _check(report, "hipaa.expert.exact_copies")

    assert check.status == "fail"
    assert "the audit counted 12 against an allowance of 3" in check.evidence
    assert "exact_copies" not in {c.id.rsplit(".", 1)[-1] for c in report.checks if c.id != check.id}


def test_risk_over_threshold_fails(real_patients, safe_harbor_table, make_audit, quality_stub):
    report = _hipaa(real_patients, safe_harbor_table, make_audit(linkability=0.3), quality_stub)

    assert _check(report, "hipaa.expert.linkability").status == "fail"
    assert _check(report, "hipaa.expert.singling_out").status == "pass"
    assert report.reidentification_risk == pytest.approx(0.3)
    assert report.disclosure_risk == pytest.approx(0.03)
    assert not report.is_compliant
    assert "generalize the quasi-identifiers further" in report.recommendation


def test_inconclusive_audit_is_not_compliant(real_patients, safe_harbor_table, make_audit, quality_stub):
    audit = make_audit()
    audit = type(audit)(metrics=audit.metrics, verdict="inconclusive", is_safe=False,
                        warnings=["no holdout: risks are proxies"], holdout_used=False)

    report = _hipaa(real_patients, safe_harbor_table, audit, quality_stub)
    check = _check(report, "hipaa.expert.audit_verdict")

    assert check.status == "fail"
    assert "no holdout: risks are proxies" in check.evidence
    assert "holdout" in check.recommendation
    assert not report.is_compliant


def test_attestation_items_and_signature_block(real_patients, safe_harbor_table, make_audit, quality_stub):
    report = _hipaa(real_patients, safe_harbor_table, make_audit(), quality_stub)
    attested = {c.reference for c in report.attestations}
    expert = next(s for s in report.sections if s.key == "expert_determination")

    for reference in ("45 CFR 164.514(b)(2)(i)(P)", "45 CFR 164.514(b)(2)(i)(Q)",
                      "45 CFR 164.514(b)(2)(i)(R)",
                      "45 CFR 164.514(b)(2)(ii)", "45 CFR 164.514(b)(1)(i)"):
        assert reference in attested
    assert any("Name" in f for f in expert.signature_fields)
    assert any("Qualifications" in f for f in expert.signature_fields)
    assert any("review" in f for f in expert.signature_fields)
    assert any("Recipient" in f for f in expert.signature_fields)
    assert all(not c.automated for c in report.attestations)


def test_surrogate_id_column_needs_attestation(real_patients, safe_harbor_table, make_audit, quality_stub):
    synthetic = safe_harbor_table.copy()
    synthetic.insert(0, "patient_id", [f"SP{i:06d}" for i in range(len(synthetic))])
    synthetic.attrs["genesis"] = {"schema": {"columns": [{"name": "patient_id", "id_format": "SP{:06d}"}]}}

    report = _hipaa(real_patients, synthetic, make_audit(), quality_stub)
    check = _check(report, "hipaa.safe_harbor.H")

    assert check.status == "needs attestation"
    assert "surrogate codes" in check.evidence


def test_metric_without_verdict(real_patients, safe_harbor_table, make_audit, quality_stub):
    audit = make_audit()
    result = type(audit.metrics["singling_out"])
    no_threshold = result("k_anonymity", 1.0, None, None, None, None, "k-anonymity of the output", True,
                          None, None)
    too_few = result("linkability", 0.02, 0.0, 0.4, 12, 0.1, "linkage attack", True, 0.1, None)
    audit = type(audit)(metrics={**audit.metrics, "k_anonymity": no_threshold, "linkability": too_few})

    report = _hipaa(real_patients, safe_harbor_table, audit, quality_stub)

    assert _check(report, "hipaa.expert.k_anonymity").status == "not applicable"
    assert _check(report, "hipaa.expert.linkability").status == "fail"
    assert "too few trials" in _check(report, "hipaa.expert.linkability").evidence
    assert not report.is_compliant
