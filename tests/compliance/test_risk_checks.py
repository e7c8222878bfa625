"""The audit-verdict check recommends what fits the cause of an inconclusive verdict."""

from types import SimpleNamespace

from genesis.compliance.checks import FAIL
from genesis.compliance.risk_checks import audit_verdict_check


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
