"""GDPR and CCPA assessments, and the framework names."""

from __future__ import annotations

import pytest

from genesis.compliance import ComplianceFramework, PrivacyCertificate
from genesis.errors import ConfigError


def _generate(real, synthetic, audit, quality, framework):
    certificate = PrivacyCertificate(real, synthetic, privacy_report=audit, quality_report=quality)
    return certificate.generate(framework)


def test_gdpr_maps_the_three_criteria(real_patients, safe_harbor_table, make_audit, quality_stub):
    report = _generate(real_patients, safe_harbor_table, make_audit(attribute=0.4), quality_stub, "GDPR")
    by_id = {c.id: c for c in report.checks}

    assert by_id["gdpr.singling_out"].title.startswith("Singling out")
    assert by_id["gdpr.linkability"].title.startswith("Linkability")
    assert by_id["gdpr.attribute"].title.startswith("Inference")
    assert by_id["gdpr.attribute"].status == "fail"
    assert by_id["gdpr.singling_out"].status == "pass"
    assert by_id["gdpr.means_reasonably_likely"].status == "needs attestation"
    assert report.disclosure_risk == pytest.approx(0.4)
    assert not report.is_compliant
    assert [s.key for s in report.sections] == ["recital_26", "opinion_05_2014"]


def test_gdpr_fails_on_direct_identifier(real_patients, safe_harbor_table, make_audit, quality_stub):
    synthetic = safe_harbor_table.copy()
    synthetic["email"] = [f"person{i}@example.org" for i in range(len(synthetic))]

    report = _generate(real_patients, synthetic, make_audit(), quality_stub, ComplianceFramework.GDPR)
    check = next(c for c in report.checks if c.id == "gdpr.direct_identifiers")

    assert check.status == "fail"
    assert check.recommendation == "drop column email"
    assert "person1@example.org" not in str(report)


def test_ccpa_separates_data_from_commitments(real_patients, safe_harbor_table, make_audit, quality_stub):
    report = _generate(real_patients, safe_harbor_table, make_audit(), quality_stub, "ccpa")
    data, commitments = report.sections

    assert data.key == "data"
    assert commitments.key == "commitments"
    assert all(c.automated for c in data.checks)
    assert [c.reference for c in commitments.checks] == [
        "Cal. Civ. Code §1798.140(m)(1)", "Cal. Civ. Code §1798.140(m)(2)", "Cal. Civ. Code §1798.140(m)(3)"]
    assert all(c.status == "needs attestation" for c in commitments.checks)
    assert report.is_compliant


def test_framework_parse_rejects_unknown_name():
    assert ComplianceFramework.parse("gdpr") is ComplianceFramework.GDPR

    with pytest.raises(ConfigError, match="framework is 'PIPEDA'"):
        ComplianceFramework.parse("PIPEDA")


def test_report_str_and_dict_agree(real_patients, safe_harbor_table, make_audit, quality_stub):
    report = _generate(real_patients, safe_harbor_table, make_audit(), quality_stub, "HIPAA")
    content = report.to_dict()

    assert content["summary"]["pass"] == sum(c.status == "pass" for c in report.checks)
    assert "not a legal determination" in str(report)
    assert report.timestamp == content["timestamp"]
    assert content["quality"]["overall_score"] == pytest.approx(0.85)
    assert content["software"]["pandas"] != "not installed"
