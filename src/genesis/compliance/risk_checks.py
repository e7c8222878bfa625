"""Checks on the measured risks, shared by every framework: audit metrics, copied rows, the verdict.

Each measured risk passes when the audit judged it under its policy threshold.
Thresholds are the audit's configurable policy defaults, not values set by any law
or regulator.
"""

from __future__ import annotations

from genesis.compliance.checks import FAIL, NEEDS_ATTESTATION, NOT_APPLICABLE, PASS, Check
from genesis.compliance.evidence import AssessmentEvidence, MeasuredRisk
from genesis.compliance.safe_harbor import surrogate_columns

RECOMMENDATIONS = {
    "singling_out": "generalize the quasi-identifiers further (raise k or coarsen ZIP, age and date levels) "
                    "or lower epsilon, then regenerate",
    "linkability": "generalize the quasi-identifiers further or drop the ones an outsider is likely to hold, "
                   "then regenerate",
    "attribute": "lower epsilon or coarsen the sensitive columns, then regenerate",
    "membership": "lower epsilon, train for fewer epochs, or use a larger training table, then regenerate",
    "dcr": "lower epsilon or train for fewer epochs: synthetic rows sit closer to training rows than to "
           "unseen rows",
    "k_anonymity": "set privacy={'k_anonymity': {'k': ..., 'quasi_identifiers': [...]}} so the output is "
                   "generalized until every combination occurs at least k times",
}
COUNT_METRICS = ("k_anonymity",)
"""Audit metrics whose threshold is a count (k), not a rate; their values are described on their own."""
COPY_METHOD = (
    "the assessment compares every synthetic row with the real rows on all shared columns, "
    "values in canonical form (genesis.compliance.fingerprint)"
)

HOLDOUT_ADVICE = ("keep a holdout when fitting (the default; from the command line, pass the held-out rows "
                  "with --holdout) or pass holdout_data, so each risk is measured against rows the model "
                  "never saw")
"""One wording for every check that lacks a holdout, so the joined recommendation contains it once."""

MORE_TRIALS_ADVICE = "run the audit on more rows (or a larger n_attacks), so every interval narrows"
"""One wording for every check whose interval is too wide to decide, for the same reason."""


def metric_checks(evidence: AssessmentEvidence, prefix: str, reference: str) -> list[Check]:
    """Return one check per audit metric except exact copies, which `copies_check` covers."""
    return [risk_check(evidence.risks[key], f"{prefix}.{key}", reference)
            for key in evidence.risks if key != "exact_copies"]


def risk_check(risk: MeasuredRisk, check_id: str, reference: str, title: str | None = None) -> Check:
    """Judge one measured risk: pass when the audit found it under its policy threshold."""
    evidence = describe_risk(risk)
    method = risk.method
    if risk.proxy:
        method += " (proxy: computed without a holdout, so it has no calibrated baseline)"

    if risk.passed is True:
        status, recommendation = PASS, None
    elif risk.passed is False:
        status, recommendation = FAIL, RECOMMENDATIONS.get(risk.key, "review this metric and regenerate")
    elif risk.threshold is None:
        # No policy limit applies (e.g. k-anonymity when no k was requested): nothing to pass or fail.
        status, recommendation = NOT_APPLICABLE, None
        evidence += "; no policy threshold applies to this metric"
    else:
        status = FAIL
        reason, recommendation = _no_verdict_reason(risk)
        evidence += f"; the audit gave no verdict ({reason}), so it is not shown to be under the limit"
    return Check(check_id, title or risk.label, reference, status, evidence, method,
                 recommendation=recommendation, value=risk.upper, threshold=risk.threshold)


def _no_verdict_reason(risk: MeasuredRisk) -> tuple[str, str]:
    """Return why the audit left a metric undecided, and what to change so it can decide."""
    if risk.n == 0:
        return "too few trials", "run the audit on more rows, so this metric has trials to judge"
    if risk.proxy:
        return ("it was measured without a holdout, and the audit decides nothing on such a proxy",
                HOLDOUT_ADVICE)
    return ("its 95% confidence interval reaches past the threshold", MORE_TRIALS_ADVICE)


def describe_risk(risk: MeasuredRisk) -> str:
    """Write a risk as "12.0% (95% CI 10.1% to 14.2%; n=2,000; policy threshold 20.0%; holdout used)".

    k-anonymity and the distance to closest record read differently and get their own wording.
    """
    if risk.key == "k_anonymity":
        return _describe_k_anonymity(risk)
    if risk.key == "dcr":
        return _describe_dcr(risk)
    parts = [_percent_or_count(risk.key, risk.value)]
    details = []
    is_rate = risk.key not in COUNT_METRICS
    if is_rate and risk.ci_low is not None and risk.ci_high is not None:
        details.append(f"95% CI {risk.ci_low:.1%} to {risk.ci_high:.1%}")
    if risk.n is not None:
        details.append(f"n={risk.n:,}")
    if is_rate and risk.baseline is not None:
        baseline = "expected training share" if risk.key == "exact_copies" else "baseline"
        details.append(f"{baseline} {risk.baseline:.1%}")
    if risk.threshold is not None:
        details.append(f"policy threshold {_percent_or_count(risk.key, risk.threshold)}")
    details.append("holdout used" if risk.holdout_used else "no holdout")
    return f"{parts[0]} ({'; '.join(details)})"


def _describe_k_anonymity(risk: MeasuredRisk) -> str:
    """Write "k=5 met: smallest class 7 (share of rows in classes of at least k rows: 100.0%; ...)"."""
    k, smallest, classes = (risk.details.get(name) for name in ("k", "smallest_class", "classes"))
    size = "smallest class unknown" if smallest is None else f"smallest class {smallest:,.0f}"
    counted = f"{risk.n:,} synthetic rows" if risk.n is not None else "the synthetic rows"
    if classes is not None:
        counted = f"{classes:,.0f} classes over {counted}"
    if k is None:
        return f"no k requested: {size} ({counted})"
    met = {True: "met", False: "not met", None: "not judged"}[risk.passed]
    return (f"k={k:.0f} {met}: {size} (share of rows in classes of at least k rows: {risk.value:.1%}; "
            f"{counted})")


def _describe_dcr(risk: MeasuredRisk) -> str:
    """Write the DCR score with its interval, the limit on 1 - score, and the audit's distance details."""
    details = []
    if risk.ci_low is not None and risk.ci_high is not None:
        details.append(f"95% CI {risk.ci_low:.1%} to {risk.ci_high:.1%}")
    if risk.n is not None:
        details.append(f"n={risk.n:,}")
    if risk.threshold is not None:
        details.append(f"policy: 1 - score at its upper bound at most {risk.threshold:.1%}")
    share, expected = risk.details.get("share_closer_to_training"), risk.details.get("expected_share")
    if share is not None and expected is not None:
        details.append(f"{share:.1%} of synthetic rows lie nearer a training row than an unseen row, "
                       f"{expected:.1%} expected from the table sizes")
    to_training = risk.details.get("median_distance_synthetic_to_training")
    to_unseen = risk.details.get("median_distance_synthetic_to_unseen")
    if to_training is not None and to_unseen is not None:
        details.append(f"median distance to the nearest training row {to_training:.3f}, "
                       f"to the nearest unseen row {to_unseen:.3f}")
    details.append("holdout used" if risk.holdout_used else "no holdout: unseen rows are other training rows")
    return f"score {risk.value:.1%}, higher is better ({'; '.join(details)})"


def copies_check(evidence: AssessmentEvidence, check_id: str, reference: str) -> Check:
    """Check that the synthetic table does not repeat real rows.

    Two counts answer different questions, so the evidence labels both. The
    assessment counts verbatim copies: synthetic rows equal to a real row in
    every shared column, with the real values as they are. The audit counts
    synthetic rows equal to a training row after writing the real
    quasi-identifiers at the release's generalization, where coarse values
    also coincide by chance. So it judges the excess share of training copies
    over what copies of holdout rows predict. When the audit judged copies,
    its verdict decides; without one, any verbatim copy fails.
    """
    copied, n_rows = evidence.copied_rows, evidence.n_synthetic
    columns = len(evidence.copy_columns)
    found = (f"{copied:,} of {n_rows:,} synthetic rows are exact copies of real rows "
             f"(verbatim: equal in all {columns} shared columns, real values not generalized)")
    if evidence.k_anonymity:
        found += ("; a generalized column never equals a raw real value, so this count finds only rows "
                  "that were released without generalization")
    audit = evidence.risks.get("exact_copies")
    audit_count = getattr(evidence.privacy_report, "exact_copies", None)
    if audit_count is not None:
        found += (f". The audit counted {int(audit_count):,} synthetic rows equal to a training row with the "
                  "real quasi-identifiers written at the release's generalization")
    if audit is not None:
        found += (f". The audit's excess-copy risk (the share of synthetic rows that copy a training row "
                  f"beyond what copies of holdout rows predict) is {describe_risk(audit)}")
    title = "Exact copies of real rows"
    recommendation = (f"{copied:,} rows are exact copies of real rows: do not release this table; remove the "
                      "copied rows and regenerate, with differential privacy or fewer training epochs")

    if audit is not None and audit.passed is not None:
        status = PASS if audit.passed else FAIL
        method = f"{COPY_METHOD}; verdict from the audit: {audit.method}"
        if status == FAIL and copied == 0:
            recommendation = ("the release repeats training rows more often than holdout rows: lower epsilon "
                              "or train for fewer epochs, then regenerate")
    else:
        status = PASS if copied == 0 else FAIL
        method = f"{COPY_METHOD}; any verbatim copy fails, because no audit verdict on copies was available"
    return Check(check_id, title, reference, status, found, method,
                 recommendation=recommendation if status == FAIL else None, value=float(copied))


def audit_verdict_check(evidence: AssessmentEvidence, check_id: str, reference: str) -> Check:
    """Check the audit's overall verdict: "inconclusive" counts as not passed."""
    report = evidence.privacy_report
    verdict = str(getattr(report, "verdict", "pass" if getattr(report, "is_safe", False) else "fail"))
    warnings = list(getattr(report, "warnings", []) or [])
    found = f"verdict: {verdict}"
    if warnings:
        found += "; audit warnings: " + " | ".join(warnings)
    status = PASS if verdict == "pass" else FAIL
    recommendation = None
    if verdict == "inconclusive" and getattr(report, "holdout_used", False):
        # With a holdout, "inconclusive" means a metric had too few trials, not a missing control group.
        recommendation = MORE_TRIALS_ADVICE
    elif verdict == "inconclusive":
        recommendation = HOLDOUT_ADVICE
    elif verdict != "pass":
        recommendation = "resolve the failing audit metrics, then regenerate"
    return Check(check_id, "Privacy audit verdict", reference, status, found,
                 "genesis.evaluation.privacy_audit.run_privacy_audit: pass when no excess copies, every "
                 "risk's "
                 "upper confidence bound is under its threshold, k is met and every component was computed",
                 recommendation=recommendation)


def _percent_or_count(key: str, value: float) -> str:
    if key in COUNT_METRICS:
        return f"{value:,.0f}"
    return f"{value:.1%}"


def direct_identifiers_check(evidence: AssessmentEvidence, check_id: str, reference: str) -> Check:
    """Check that the identifier scan finds no direct identifier (name, SSN, email ...) in the released table.
    """
    surrogates = surrogate_columns(evidence.record)
    all_findings = [f for f in evidence.scan.findings if f.is_direct_identifier]
    findings = [f for f in all_findings if f.column not in surrogates]
    method = (f"genesis.privacy.identifiers.scan_identifiers on the released table (column names and value "
              f"patterns on up to {evidence.scan.sample_size:,} values per column)")
    if not all_findings:
        return Check(check_id, "Direct identifiers in the released table", reference, PASS,
                     "no column is named like or holds values shaped like a direct identifier", method)
    if not findings:
        # As in the HIPAA screen, fresh surrogate codes identify no real person, but a person must confirm it.
        columns = ", ".join(sorted({f.column for f in all_findings}))
        return Check(check_id, "Direct identifiers in the released table", reference, NEEDS_ATTESTATION,
                     f"column {columns} holds surrogate codes that genesis generated for the synthetic rows, "
                     "not codes of real people",
                     method + "; a person must confirm that no mapping from these codes to real records "
                     "exists",
                     automated=False)
    described = "; ".join(f"column {f.column}: {f.category_name}" for f in findings)
    drops = "; ".join(f"drop column {f.column}" for f in findings)
    return Check(check_id, "Direct identifiers in the released table", reference, FAIL, described, method,
                 recommendation=drops)
