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
