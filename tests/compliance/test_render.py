"""Renderings: JSON, self-contained HTML shown in headless Chromium, and a PDF read back with pypdfium2."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from genesis import SyntheticGenerator
from genesis.compliance import ComplianceFramework, PrivacyCertificate
from genesis.errors import PrivacyWarning

CHROMIUM = Path("/usr/bin/chromium")
FORBIDDEN_WORDS = ("certified", "zero risk", "compliant by law", "hhs-approved", "approved by hhs")


@pytest.fixture(scope="module")
def reports(real_patients, safe_harbor_table, make_audit, quality_stub):
    certificate = PrivacyCertificate(real_patients, safe_harbor_table, privacy_report=make_audit(),
                                     quality_report=quality_stub)
    return {framework: certificate.generate(framework, organization="Example Health",
                                            data_description="Synthetic patients", purpose="Testing")
            for framework in ComplianceFramework}


def _pdf_pages(path: Path) -> tuple[list[str], list[np.ndarray]]:
    pdfium = pytest.importorskip("pypdfium2")
    document = pdfium.PdfDocument(str(path))
    texts, images = [], []
    for index in range(len(document)):
        page = document[index]
        texts.append(page.get_textpage().get_text_range())
        images.append(np.asarray(page.render(scale=0.6).to_pil().convert("L")))
    document.close()
    return texts, images


def test_json_holds_the_report(reports, tmp_path):
    report = reports[ComplianceFramework.HIPAA]
    path = report.to_json(tmp_path / "report.json")
    content = json.loads(path.read_text(encoding="utf-8"))

    assert content["framework"] == "HIPAA"
    assert content["is_compliant"] is report.is_compliant
    assert len(content["sections"][0]["checks"]) == len(report.sections[0].checks)
    assert content["fingerprints"]["real_table"] == report.fingerprints["real_table"]
    assert "not a legal determination" in content["disclaimer"]
    assert content["is_compliant_definition"].startswith("is_compliant is True when every automated check")


@pytest.mark.parametrize("framework", list(ComplianceFramework))
def test_html_is_self_contained(reports, tmp_path, framework):
    html = reports[framework].to_html(tmp_path / "report.html").read_text(encoding="utf-8")

    assert html.startswith("<!DOCTYPE html>")
    assert "<svg" in html
    assert not re.search(r"<script|<link|<img|@import|url\(|src=", html, re.IGNORECASE)
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", html)
    assert "assessment" in html
    for word in FORBIDDEN_WORDS:
        assert word not in html.lower()


def test_repr_html_is_a_fragment(reports):
    fragment = reports[ComplianceFramework.GDPR]._repr_html_()

    assert "<!DOCTYPE" not in fragment
    assert "Opinion 05/2014" in fragment


@pytest.mark.skipif(not CHROMIUM.exists(),
                    reason="headless Chromium (Debian package chromium) is not installed")
def test_html_renders_in_chromium(reports, tmp_path):
    html = reports[ComplianceFramework.HIPAA].to_html(tmp_path / "report.html")
    png = tmp_path / "report.png"

    subprocess.run([str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--screenshot={png}", "--window-size=1100,1600", html.as_uri()],
                   check=True, capture_output=True, timeout=120)
    from PIL import Image

    pixels = np.asarray(Image.open(png).convert("L"))
    assert pixels.shape == (1600, 1100)
    assert (pixels < 128).mean() > 0.01  # text is drawn
    assert pixels.std() > 20


@pytest.mark.parametrize("framework", list(ComplianceFramework))
def test_pdf_renders_with_the_same_content(reports, tmp_path, framework):
    report = reports[framework]
    path = report.to_pdf(tmp_path / "report.pdf")
    texts, images = _pdf_pages(path)
    text = re.sub(r"\s+", " ", " ".join(texts))

    assert path.read_bytes().startswith(b"%PDF-")
    assert len(images) >= 2
    assert all(image.std() > 10 for image in images)
    assert report.title in text
    assert "not a legal determination" in text
    for check in report.checks[:5]:
        assert check.title in text
    assert report.fingerprints["synthetic_table"] in text.replace(" ", "")
    for word in FORBIDDEN_WORDS:
        assert word not in text.lower()


def test_canary_appears_in_no_output(real_patients, safe_harbor_table, canary, make_audit, quality_stub,
                                     tmp_path):
    written = []
    for name, synthetic in (("copy", real_patients.copy()), ("fresh", safe_harbor_table)):
        certificate = PrivacyCertificate(real_patients, synthetic, privacy_report=make_audit(),
                                         quality_report=quality_stub)
        for framework in ComplianceFramework:
            report = certificate.generate(framework)
            stem = tmp_path / f"{name}-{framework.value}"
            written += [report.to_html(stem.with_suffix(".html")), report.to_json(stem.with_suffix(".json")),
                        report.to_pdf(stem.with_suffix(".pdf"))]
            assert canary not in str(report)

    for path in written:
        assert canary.encode() not in path.read_bytes()
        if path.suffix == ".pdf":
            assert canary not in " ".join(_pdf_pages(path)[0])


CANARY_SSN = "078-05-1120"
CANARY_EMAIL = "canary.person@hospital-canary.example"


def test_copied_identifiers_show_no_characters(real_patients, make_audit, quality_stub, tmp_path):
    real = real_patients.copy()
    real["ssn"] = [f"{100 + index % 800:03d}-{10 + index % 89:02d}-{1000 + index:04d}"
                   for index in range(len(real))]
    real["email"] = [f"person{index}@clinic{index % 7}.example" for index in range(len(real))]
    real.loc[3, "ssn"] = CANARY_SSN
    real.loc[3, "email"] = CANARY_EMAIL
    report = PrivacyCertificate(real, real.copy(), privacy_report=make_audit(),
                                quality_report=quality_stub).generate(ComplianceFramework.HIPAA)
    paths = [report.to_html(tmp_path / "copy.html"), report.to_json(tmp_path / "copy.json"),
             report.to_pdf(tmp_path / "copy.pdf")]
    outputs = [str(report)] + [path.read_text(encoding="utf-8") for path in paths[:2]]
    outputs.append(" ".join(_pdf_pages(paths[2])[0]))
    checks = {check.id: check for check in report.checks}

    assert "value shape ***-**-****" in checks["hipaa.safe_harbor.G"].evidence
    assert "value shape ****@****.*******" in checks["hipaa.safe_harbor.F"].evidence
    for text in outputs:
        assert CANARY_SSN not in text
        assert "-1120" not in text
        assert CANARY_EMAIL not in text
        assert "canary" not in text.lower()
        assert not re.search(r"\*\*-\d{4}", text)
        assert not re.search(r"[A-Za-z0-9]\*{3}@", text)


def test_release_with_dp_and_k_anonymity_reports_ledger(real_patients, make_audit, quality_stub, tmp_path):
    generator = SyntheticGenerator(method="mst", random_state=3, privacy={
        "differential_privacy": {"epsilon": 1.0, "delta": 1e-5},
        "k_anonymity": {"k": 5, "quasi_identifiers": ["age", "gender", "zip_code"]},
    })
    with pytest.warns(PrivacyWarning, match="fell below the differential-privacy threshold"):
        generator.fit(real_patients.drop(index=7))
    synthetic = generator.generate(n_samples=1_000)

    report = PrivacyCertificate(real_patients, synthetic, privacy_report=make_audit(),
                                quality_report=quality_stub).generate("HIPAA")
    text = report.to_html(tmp_path / "dp.html").read_text(encoding="utf-8")

    assert report.differential_privacy["applied"]
    assert report.differential_privacy["spent"]["epsilon"] <= 1.0 + 1e-9
    assert any("noisy" in step for step in report.differential_privacy["covered"])
    assert report.generalization["k"] == 5
    assert {level["column"] for level in report.generalization["levels"]} == {"age", "gender", "zip_code"}
    assert report.fingerprints["configuration"] is not None
    assert all(c.status == "pass" for c in report.checks if c.id.startswith("hipaa.safe_harbor."))
    assert "Steps not covered by differential privacy" in text
