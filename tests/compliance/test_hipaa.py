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
    copies = type(audit.metrics["singling_out"])("exact_copies", 0.2, 0.18, 0.22, 1500, 0.8,
                                                 "copies compared with a holdout", True, 0.15, False)
    audit = type(audit)(metrics={**audit.metrics, "exact_copies": copies}, verdict="fail", is_safe=False,
                        exact_copies=300)

    report = _hipaa(real_patients, safe_harbor_table, audit, quality_stub)
    check = _check(report, "hipaa.expert.exact_copies")

    assert check.status == "fail"
    assert "0 of 1,500 synthetic rows are exact copies of real rows (verbatim" in check.evidence
    assert "The audit counted 300 synthetic rows equal to a training row" in check.evidence
    assert "excess-copy risk" in check.evidence
    assert "20.0% (95% CI 18.0% to 22.0%" in check.evidence
    assert "policy threshold 15.0%" in check.evidence
    assert "exact_copies" not in {c.id.rsplit(".", 1)[-1] for c in report.checks if c.id != check.id}


def test_audit_summary_labels_and_percent(real_patients, safe_harbor_table, make_audit, quality_stub,
                                          tmp_path):
    audit = type(make_audit())(metrics=make_audit().metrics, overall_score=0.3897983900611609,
                               exact_copies=94)

    report = _hipaa(real_patients, safe_harbor_table, audit, quality_stub)
    page = report.to_html(tmp_path / "report.html").read_text(encoding="utf-8")

    assert "0.3897983900611609" not in page
    assert "<td>39.0%</td>" in page
    assert "equal to a training row at the release&#39;s generalization (audit count)</th><td>94</td>" in page


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
    wide = result("linkability", 0.02, 0.0, 0.4, 12, 0.1, "linkage attack", True, 0.1, None)
    no_trials = result("attribute", 0.0, 0.0, 0.0, 0, 0.1, "inference attack", True, 0.1, None)
    proxy = result("membership", 0.3, 0.2, 0.4, 4_000, 0.5, "distance attack", False, 0.1, None, proxy=True)
    audit = type(audit)(metrics={**audit.metrics, "k_anonymity": no_threshold, "linkability": wide,
                                 "attribute": no_trials, "membership": proxy})

    report = _hipaa(real_patients, safe_harbor_table, audit, quality_stub)

    assert _check(report, "hipaa.expert.k_anonymity").status == "not applicable"
    assert _check(report, "hipaa.expert.linkability").status == "fail"
    assert "interval reaches past the threshold" in _check(report, "hipaa.expert.linkability").evidence
    assert "too few trials" in _check(report, "hipaa.expert.attribute").evidence
    assert "measured without a holdout" in _check(report, "hipaa.expert.membership").evidence
    assert "too few trials" not in _check(report, "hipaa.expert.membership").evidence
    assert not report.is_compliant


def test_k_anonymity_evidence_names_k_and_class(real_patients, safe_harbor_table, make_audit, quality_stub):
    audit = make_audit()
    result = type(audit.metrics["singling_out"])
    k_metric = result("k_anonymity", 1.0, 1.0, 1.0, 1_500, None, "share of rows in classes of k", False,
                      None, True, details={"smallest_class": 7, "classes": 40, "k": 5, "generalized": True})
    audit = type(audit)(metrics={**audit.metrics, "k_anonymity": k_metric})

    check = _check(_hipaa(real_patients, safe_harbor_table, audit, quality_stub), "hipaa.expert.k_anonymity")

    assert check.status == "pass"
    assert check.evidence.startswith("k=5 met: smallest class 7")
    assert "share of rows in classes of at least k rows: 100.0%" in check.evidence


def test_dcr_evidence_uses_audit_details(real_patients, safe_harbor_table, make_audit, quality_stub):
    audit = make_audit()
    result = type(audit.metrics["singling_out"])
    dcr = result("dcr", 1.0, 0.94, 1.0, 1_500, 0.5, "nearest record", False, 0.15, None, proxy=True,
                 details={"share_closer_to_training": 0.5, "expected_share": 0.5,
                          "median_distance_synthetic_to_training": 0.0,
                          "median_distance_synthetic_to_unseen": 0.0, "reference_rows": {"training": 750}})
    audit = type(audit)(metrics={**audit.metrics, "dcr": dcr})

    check = _check(_hipaa(real_patients, safe_harbor_table, audit, quality_stub), "hipaa.expert.dcr")

    assert check.evidence.startswith("score 100.0%, higher is better")
    assert "median distance to the nearest training row 0.000" in check.evidence
    assert "too few trials" not in check.evidence
    assert "measured without a holdout" in check.evidence
