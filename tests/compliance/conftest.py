"""Fixtures for the assessment tests: sample tables and test doubles of the audit and quality reports.

`StubMetricResult`, `StubPrivacyReport` and `StubQualityReport` are test doubles with
the attribute names the privacy audit and quality evaluation promise, so the checks
and renderers can be tested with chosen risks and without running the audit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pytest

from genesis.datasets import patient_table
from genesis.privacy.kanonymity import anonymize

CANARY = "Zebra-Canary-4417"
"""A value planted in one real row; no report file may contain it."""


@dataclass(frozen=True)
class StubMetricResult:
    """Test double of the audit's `MetricResult`."""

    name: str
    value: float
    ci_low: float | None
    ci_high: float | None
    n: int | None
    baseline: float | None
    method: str
    holdout_used: bool
    threshold: float | None
    passed: bool | None
    proxy: bool = False
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StubPrivacyReport:
    """Test double of the audit's `PrivacyReport`, with only the fields the assessment reads."""

    metrics: dict[str, StubMetricResult]
    verdict: str = "pass"
    overall_score: float = 0.95
    is_safe: bool = True
    exact_copies: int = 0
    k: int | None = 5
    quasi_identifiers: tuple[str, ...] = ("age", "gender", "zip_code")
    k_anonymity_satisfied: bool | None = True
    smallest_equivalence_class: int | None = 6
    holdout_used: bool = True
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class StubQualityReport:
    """Test double of the quality evaluation's `QualityReport`."""

    overall_score: float = 0.85
    fidelity_score: float = 0.9
    correlation_score: float = 0.88
    utility_score: float = 0.8
    detection_auc: float = 0.62


def stub_audit(risk: float = 0.02, threshold: float = 0.1, **overrides: Any) -> StubPrivacyReport:
    """Return an audit double whose four risks are `risk` (upper bound `risk` + 0.01), judged on `threshold`.

    `overrides` maps a metric key to the upper bound that metric should have instead.
    """
    metrics = {}
    for key in ("singling_out", "linkability", "attribute", "membership"):
        upper = overrides.get(key, risk + 0.01)
        metrics[key] = StubMetricResult(key, upper - 0.01, max(0.0, upper - 0.02), upper, 2000, 0.1,
                                        f"{key} attack against a holdout control", True, threshold,
                                        upper <= threshold)
    passed = all(m.passed for m in metrics.values())
    return StubPrivacyReport(metrics=metrics, verdict="pass" if passed else "fail", is_safe=passed)


@pytest.fixture(scope="session")
def real_patients() -> pd.DataFrame:
    """A 1,500-row patient table without its ID column, with a canary value in one row."""
    frame = patient_table(1_500, random_state=11).drop(columns=["patient_id"])
    frame["condition"] = frame["condition"].astype(object)
    frame.loc[7, "condition"] = CANARY
    return frame


@pytest.fixture(scope="session")
def safe_harbor_table() -> pd.DataFrame:
    """A fresh draw of the patient process, generalized by the Safe Harbor mode of k-anonymity."""
    fresh = patient_table(1_500, random_state=12).drop(columns=["patient_id"])
    generalized, _ = anonymize(fresh, ["age", "gender", "zip_code"], 5, rng=0)
    return generalized.reset_index(drop=True)


@pytest.fixture(scope="session")
def canary() -> str:
    return CANARY


@pytest.fixture(scope="session")
def make_audit():
    """The `stub_audit` factory, as a fixture so tests need not import from conftest."""
    return stub_audit


@pytest.fixture(scope="session")
def quality_stub() -> StubQualityReport:
    return StubQualityReport()
