"""`run_privacy_audit`: measure how much a synthetic table reveals about the real rows it was fitted on.

The audit runs on the real table without differential privacy; its report
is for the data custodian and shows no real row. It compares the synthetic
table with the training rows and with the holdout (real rows the model never
saw), at the generalization the release recorded. Metric definitions and
references are in docs/metrics.md.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from genesis.errors import ConfigError, invalid_value
from genesis.evaluation.audit_inputs import AuditInputs, prepare_inputs
from genesis.evaluation.closeness import closeness_metrics, membership_metric
from genesis.evaluation.inference import DEFAULT_TOLERANCE, inference_metrics, linkability_metric
from genesis.evaluation.privacy_report import (
    PrivacyReport,
    check_thresholds,
    judge,
    overall_score,
    undecided_notes,
    verdict_of,
)
from genesis.evaluation.sampling import DEFAULT_MAX_REFERENCE, DEFAULT_N_ATTACKS, draw_groups
from genesis.evaluation.singling_out import singling_out_metrics
from genesis.evaluation.stats import MetricResult
from genesis.randomness import check_random_state

logger = logging.getLogger(__name__)

DCR_QUERIES = 10_000
"""Synthetic rows queried for DCR and exact copies (all of them in smaller tables)."""

__all__ = ["MetricResult", "PrivacyReport", "run_privacy_audit"]


def run_privacy_audit(
    real_data: pd.DataFrame,
    synthetic_data: pd.DataFrame,
    *,
    sensitive_columns: Iterable[Any] | None = None,
    quasi_identifiers: Iterable[Any] | None = None,
    k: int | None = None,
    holdout_data: pd.DataFrame | None = None,
    thresholds: Mapping[str, float] | None = None,
    random_state: Any = None,
    n_attacks: int = DEFAULT_N_ATTACKS,
    max_reference: int = DEFAULT_MAX_REFERENCE,
    tolerance: float = DEFAULT_TOLERANCE,
    n_neighbors: int = 1,
) -> PrivacyReport:
    """Audit `synthetic_data` against `real_data`; return a `PrivacyReport`.

    Parameters
    ----------
    real_data:
        The table passed to `fit` (the holdout rows in it are recognised and
        set apart), or only its training rows.
    synthetic_data:
        The released table. Its release record supplies k, the
        quasi-identifiers, the generalization and the holdout when present.
    sensitive_columns:
        Secrets for attribute inference; default: every compared column that
        is not a quasi-identifier. Numeric secrets count as inferred within
        `tolerance`.
    quasi_identifiers:
        Columns an attacker may know; default: the recorded ones.
    k:
        The k to check; default: the recorded k, else no check.
    holdout_data:
        Real rows kept out of training; default: the fit's holdout, found
        through the release record while it is in memory.
    thresholds:
        Policy limits on each risk's upper 95% bound, updating
        `privacy_report.DEFAULT_THRESHOLDS`.
    random_state:
        Seed or numpy Generator for the subsamples, tie-breaking and bootstrap.
    n_attacks:
        Targets and controls per attack, and synthetic rows queried for DCR.
    max_reference:
        Largest table searched for nearest neighbours (subsampled beyond it).
    tolerance:
        Relative tolerance for numeric secrets.
    n_neighbors:
        Neighbours compared by the linkability attack.
    """
    check_settings(n_attacks, max_reference, tolerance, n_neighbors)
    if sensitive_columns is not None and not isinstance(sensitive_columns, str):
        sensitive_columns = list(sensitive_columns)
        if not sensitive_columns:
            raise ConfigError(invalid_value("sensitive_columns", [], "at least one column is needed",
                                            "Name the secrets, or pass None to treat every column that is "
                                            "not a quasi-identifier as one."))
    limits = check_thresholds(thresholds)
    rng = np.random.default_rng(check_random_state(random_state))
    inputs = prepare_inputs(real_data, synthetic_data, sensitive_columns=sensitive_columns,
                            quasi_identifiers=quasi_identifiers, k=k, holdout=holdout_data)
    groups = draw_groups(inputs, n_attacks, rng)
    if groups.n < 50:
        advice = ("Raise n_attacks." if groups.n == n_attacks else
                  "Audit a larger table, or keep a larger holdout.")
        inputs.warnings.append(f"Only {groups.n} target and control rows were attacked, so the intervals "
                               f"are wide. {advice}")

    # Distance-based metrics, attribute inference, singling out, linkability.
    # DCR queries are cheap and its interval is scaled by 1 / (1 - expected share), so it queries more rows.
    n_queries = max(n_attacks, min(len(inputs.synthetic), DCR_QUERIES))
    dcr, copies, n_copies = closeness_metrics(inputs, groups, n_queries, max_reference, rng)
    membership = membership_metric(inputs, groups, max_reference, rng)
    per_secret = inference_metrics(inputs, groups, inputs.sensitive_columns, max_reference, tolerance, rng)
    attribute = _worst(per_secret, "attribute")
    singling = _worst(singling_out_metrics(inputs, groups, n_attacks, rng), "singling_out")
    linkability = linkability_metric(inputs, groups, max_reference, n_neighbors, rng)

    metrics = {name: judge(metric, limits[name]) for name, metric in (
        ("dcr", dcr), ("membership", membership), ("attribute", attribute), ("singling_out", singling),
        ("linkability", linkability), ("exact_copies", copies))}
    satisfied, smallest, k_metric = _k_anonymity(inputs)
    if k_metric is not None:
        metrics["k_anonymity"] = k_metric
    if not groups.holdout_used:
        inputs.warnings.append("Every risk above is a proxy computed without a holdout, so the verdict "
                               "cannot be 'pass'.")
    holdout_copied = copies.details.get("holdout_copied", False)
    if holdout_copied:
        synthetic_share = copies.details["share_copying_holdout"]
        real_share = copies.details["real_share_copying_holdout"]
        inputs.warnings.append(
            f"{synthetic_share:.1%} of the synthetic rows checked equal a holdout row, against "
            f"{real_share:.1%} of training rows: the synthetic table contains real rows, or the holdout was "
            "used in training. Every risk measured against the holdout is then understated, so the verdict "
            "cannot be 'pass'. Check that holdout_data was kept out of fit.")
    inputs.warnings.extend(undecided_notes(metrics, n_attacks, groups.n))
    verdict = verdict_of(metrics, satisfied, inputs.k)
    if holdout_copied and verdict == "pass":
        verdict = "inconclusive"

    return PrivacyReport(
        overall_score=overall_score({name: metrics[name] for name in
                                     ("dcr", "membership", "attribute", "singling_out", "linkability")}),
        verdict=verdict,
        dcr_score=dcr.value, membership_risk=membership.value, attribute_risk=attribute.value,
        singling_out_risk=singling.value, linkability_risk=linkability.value, exact_copies=n_copies,
        k=inputs.k, quasi_identifiers=tuple(str(name) for name in inputs.quasi_identifiers),
        k_anonymity_satisfied=satisfied, smallest_equivalence_class=smallest,
        holdout_used=groups.holdout_used, metrics=metrics, thresholds=limits, warnings=inputs.warnings,
        settings={"n_attacks": n_attacks, "max_reference": max_reference, "tolerance": tolerance,
                  "n_neighbors": n_neighbors, "holdout_source": inputs.holdout_source,
                  "generalized_like_release": inputs.generalized,
                  "compared_columns": list(map(str, inputs.columns)),
                  "sensitive_columns": list(map(str, inputs.sensitive_columns)),
                  "rows": {"training": len(inputs.training), "synthetic": len(inputs.synthetic),
                           "holdout": None if inputs.holdout is None else len(inputs.holdout)}},
    )


def _worst(results: Mapping[Any, MetricResult], name: str) -> MetricResult:
    """Return the result with the largest upper bound, its name set to `name` and the others in details."""
    # A kind of attack that found no trials (e.g. no predicate) decides nothing, so the others decide.
    tried = {key: result for key, result in results.items() if result.n > 0} or results
    worst_key = max(tried, key=lambda key: (tried[key].ci_high, tried[key].value))
    worst = results[worst_key]
    summary = {str(key): {"value": r.value, "ci": [r.ci_low, r.ci_high], "n": r.n,
                          "unclipped": r.details.get("unclipped")} for key, r in results.items()}
    return MetricResult(**{**worst.to_dict(), "name": name,
                           "details": {**worst.details, "worst_of": str(worst_key), "all": summary}})


def _k_anonymity(inputs: AuditInputs) -> tuple[bool | None, int | None, MetricResult | None]:
    """Return (k met, smallest equivalence class, metric) of the synthetic table over its
    quasi-identifiers."""
    if not inputs.quasi_identifiers:
        return None, None, None
    sizes = inputs.synthetic.groupby(list(inputs.quasi_identifiers), dropna=False, observed=True).size()
    smallest = int(sizes.min())
    satisfied = None if inputs.k is None else bool(smallest >= inputs.k)
    share = 1.0 if inputs.k is None else float(sizes[sizes >= inputs.k].sum() / len(inputs.synthetic))
    metric = MetricResult(
        name="k_anonymity", value=share, ci_low=share, ci_high=share, n=len(inputs.synthetic), baseline=None,
        method="share of synthetic rows in equivalence classes of at least k rows over the "
               "quasi-identifiers, at the released generalization",
        holdout_used=False, threshold=None, passed=satisfied,
        details={"smallest_class": smallest, "classes": int(sizes.size), "k": inputs.k,
                 "generalized": inputs.generalized},
    )
    return satisfied, smallest, metric


_EXAMPLES = {"n_attacks": 2000, "max_reference": 20000, "n_neighbors": 1}


def check_settings(n_attacks: Any, max_reference: Any, tolerance: Any, n_neighbors: Any) -> None:
    """Raise `ConfigError` naming the first audit or attack setting that is out of range."""
    for name, value, low in (("n_attacks", n_attacks, 10), ("max_reference", max_reference, 10),
                             ("n_neighbors", n_neighbors, 1)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            raise ConfigError(invalid_value(name, value, f"it must be an integer of at least {low}",
                                            f"Pass e.g. {name}={_EXAMPLES[name]}."))
    if isinstance(tolerance, bool) or not isinstance(tolerance, int | float) or not 0 <= tolerance < 1:
        raise ConfigError(invalid_value("tolerance", tolerance, "it must be a relative tolerance in [0, 1)",
                                        "Pass e.g. tolerance=0.05 for 5%."))
