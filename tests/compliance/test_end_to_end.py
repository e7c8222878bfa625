"""The assessment with the real privacy audit and quality evaluation, as the tutorial's Step 7 calls it."""

from __future__ import annotations

import pytest

pytest.importorskip("genesis.evaluation.privacy_audit")

from genesis import SyntheticGenerator  # noqa: E402
from genesis.compliance import ComplianceFramework, PrivacyCertificate  # noqa: E402
from genesis.datasets import patient_table  # noqa: E402
from genesis.errors import PrivacyWarning  # noqa: E402


@pytest.fixture(scope="module")
def patients():
    return patient_table(2_000, random_state=5).drop(columns=["patient_id"])


def test_step_7_runs_as_written(patients, tmp_path):
    generator = SyntheticGenerator(method="mst", random_state=1, privacy={
        "differential_privacy": {"epsilon": 1.0, "delta": 1e-5},
        "k_anonymity": {"k": 5, "quasi_identifiers": ["age", "gender", "zip_code"]},
        "suppress_outliers": True,
    })
    with pytest.warns(PrivacyWarning, match="differential-privacy threshold"):
        generator.fit(patients, discrete_columns=["gender", "zip_code", "condition", "treatment"])
    synthetic_patients = generator.generate(n_samples=2_000)

    certificate = PrivacyCertificate(real_data=patients, synthetic_data=synthetic_patients)
    hipaa_report = certificate.generate(
        framework=ComplianceFramework.HIPAA,
        organization="Example Healthcare System",
        data_description="Synthetic patient records for research",
        purpose="Machine learning model development and testing",
    )
    hipaa_report.to_html(tmp_path / "hipaa_compliance_certificate.html")
    hipaa_report.to_pdf(tmp_path / "hipaa_compliance_certificate.pdf")

    assert f"{hipaa_report.reidentification_risk:.2%}"
    assert 0.0 <= hipaa_report.disclosure_risk <= 1.0
    assert all(c.status == "pass" for c in hipaa_report.checks if c.id.startswith("hipaa.safe_harbor."))
    assert hipaa_report.verify(patients, synthetic_patients)


def test_verbatim_copy_fails_with_real_audit(patients):
    report = PrivacyCertificate(patients, patients.copy()).generate(ComplianceFramework.HIPAA)
    check = next(c for c in report.checks if c.id == "hipaa.expert.exact_copies")

    assert not report.is_compliant
    assert check.status == "fail"
    assert f"{len(patients):,} rows are exact copies of real rows" in report.recommendation


@pytest.fixture(scope="module")
def mst_release(patients):
    generator = SyntheticGenerator(method="mst", random_state=1, privacy={
        "differential_privacy": {"epsilon": 1.0, "delta": 1e-5},
        "k_anonymity": {"k": 5, "quasi_identifiers": ["age", "gender", "zip_code"]},
    })
    with pytest.warns(PrivacyWarning, match="differential-privacy threshold"):
        generator.fit(patients, discrete_columns=["gender", "zip_code", "condition", "treatment"])
    return generator.generate(n_samples=2_000)


def test_sensitive_columns_reach_the_audit(patients, mst_release):
    sensitive = ["condition", "treatment", "annual_cost"]
    report = PrivacyCertificate(patients, mst_release, sensitive_columns=sensitive,
                                quasi_identifiers=["age", "gender", "zip_code"]).generate("HIPAA")

    assert report.privacy_summary["sensitive_columns"] == sensitive
    assert not any("sensitive_columns" in warning for warning in report.privacy_summary["warnings"])
    assert not any("without sensitive_columns" in note for note in report.limitations)


def test_assumed_audit_columns_are_stated(patients, mst_release):
    report = PrivacyCertificate(patients, mst_release).generate("HIPAA")

    notes = [note for note in report.limitations if "ran the privacy audit without" in note]
    assert any("sensitive_columns" in note and "'blood_pressure_systolic'" in note for note in notes)
    assert any("quasi_identifiers" in note and "['age', 'gender', 'zip_code']" in note for note in notes)
