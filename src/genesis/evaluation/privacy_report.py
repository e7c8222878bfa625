"""`PrivacyReport`: the audit's verdict, every metric with its interval, and the policy it was
checked against.

The thresholds are policy defaults, not law or a standard: a data custodian
sets their own with `thresholds=`. The defaults are sized so that, on the
built-in 10,000-row patient table with the default 20% holdout and 2,000
attacks per metric, a fresh draw from the table's generating process passes
(every upper 95% bound stays below its limit) and a copy of the training
rows fails on every metric.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from genesis.errors import ConfigError, invalid_value
from genesis.evaluation.stats import MetricResult

DEFAULT_THRESHOLDS: dict[str, float] = {
    "dcr": 0.15,
    "exact_copies": 0.15,
    "membership": 0.15,
    "attribute": 0.15,
    "singling_out": 0.15,
    "linkability": 0.15,
}
"""Largest upper 95% bound of each risk that passes; for "dcr", of 1 - dcr_score."""

RISK_NAMES = ("membership", "attribute", "singling_out", "linkability")


@dataclass
class PrivacyReport:
    """The result of `run_privacy_audit`.

    Every risk is a float in [0, 1] (0: no measurable risk), never None. A
    value computed without a holdout is a labelled proxy (`metrics[name].proxy`).
    `verdict` is "pass" when every metric was computed with a holdout, no
    risk's upper 95% bound exceeds its threshold and k is met; "fail" when a
    risk's estimate exceeds its threshold or k is not met; "inconclusive"
    otherwise (an interval reaching past the threshold, a proxy, no trials). `is_safe` is
    ``verdict == "pass"``. `overall_score` is 1 minus the largest upper bound
    among the risks: the weakest link, not an average.
    """

    overall_score: float
    verdict: str
    dcr_score: float
    membership_risk: float
    attribute_risk: float
    singling_out_risk: float
    linkability_risk: float
    exact_copies: int
    k: int | None
    quasi_identifiers: tuple[str, ...]
    k_anonymity_satisfied: bool | None
    smallest_equivalence_class: int | None
    holdout_used: bool
    metrics: dict[str, MetricResult]
    thresholds: dict[str, float]
    warnings: list[str] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def is_safe(self) -> bool:
        return self.verdict == "pass"

    def to_dict(self) -> dict[str, Any]:
        """Return the report as JSON-safe built-in types; it contains no real row."""
        return {
            "overall_score": self.overall_score, "is_safe": self.is_safe, "verdict": self.verdict,
            "dcr_score": self.dcr_score, "membership_risk": self.membership_risk,
            "attribute_risk": self.attribute_risk, "singling_out_risk": self.singling_out_risk,
            "linkability_risk": self.linkability_risk, "exact_copies": self.exact_copies, "k": self.k,
            "quasi_identifiers": [str(name) for name in self.quasi_identifiers],
            "k_anonymity_satisfied": self.k_anonymity_satisfied,
            "smallest_equivalence_class": self.smallest_equivalence_class, "holdout_used": self.holdout_used,
            "metrics": {name: _json_safe(metric.to_dict()) for name, metric in self.metrics.items()},
            "thresholds": dict(self.thresholds), "warnings": list(self.warnings),
            "settings": _json_safe(self.settings),
        }

    def __str__(self) -> str:
        lines = [f"Privacy audit: {self.verdict.upper()} (overall score {self.overall_score:.1%}, "
                 f"holdout {'used' if self.holdout_used else 'not available: proxies'})"]
        for name, metric in self.metrics.items():
            if name == "k_anonymity":
                continue  # a yes/no check, printed below with its smallest class
            status = {True: "pass", False: "FAIL", None: "undecided"}[metric.passed]
            proxy = " (proxy)" if metric.proxy else ""
            lines.append(f"  {name:<14} {metric.value:7.1%}  95% CI [{metric.ci_low:.1%}, "
                         f"{metric.ci_high:.1%}]  n={metric.n:<6} {status}{proxy}")
        if self.k is not None:
            lines.append(f"  k={self.k}: {'met' if self.k_anonymity_satisfied else 'NOT met'}, smallest "
                         f"class {self.smallest_equivalence_class}")
        lines.append(f"  exact copies of training rows: {self.exact_copies}")
        lines.extend(f"  warning: {text}" for text in self.warnings)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(name)}</td><td>{metric.value:.1%}</td><td>[{metric.ci_low:.1%}, "
            f"{metric.ci_high:.1%}]</td><td>{metric.n}</td><td>"
            f"{'' if metric.threshold is None else f'{metric.threshold:.0%}'}</td><td>"
            f"{ {True: 'pass', False: 'fail', None: 'undecided'}[metric.passed]}"
            f"{' (proxy)' if metric.proxy else ''}</td></tr>" for name, metric in self.metrics.items()
            if name != "k_anonymity")
        notes = "".join(f"<li>{html.escape(text)}</li>" for text in self.warnings)
        return (f"<div><strong>Privacy audit: {self.verdict}</strong> "
                f"(overall score {self.overall_score:.1%})"
                "<table><tr><th>metric</th><th>value</th><th>95% CI</th><th>n</th><th>threshold</th>"
                f"<th>result</th></tr>{rows}</table><ul>{notes}</ul></div>")


def check_thresholds(thresholds: Mapping[str, float] | None) -> dict[str, float]:
    """Return the default thresholds updated with the caller's, each checked to be in [0, 1]."""
    merged = dict(DEFAULT_THRESHOLDS)
    for name, value in (thresholds or {}).items():
        if name not in DEFAULT_THRESHOLDS:
            raise ConfigError(invalid_value("thresholds key", name,
                                            f"it must be one of {list(DEFAULT_THRESHOLDS)}",
                                            "Remove or correct the key."))
        number_ok = isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1
        if not number_ok:
            raise ConfigError(invalid_value(f"thresholds[{name!r}]", value, "it must be a number in [0, 1]",
                                            "Pass e.g. 0.1 for a 10% limit on the risk's upper bound."))
        merged[name] = float(value)
    return merged


def judge(metric: MetricResult, threshold: float) -> MetricResult:
    """Return `metric` judged against `threshold`; a NaN or a proxy never passes.

    False when the estimate exceeds the threshold, True when the whole upper
    bound stays within it and the value is no proxy, None otherwise.
    """
    upper = 1 - metric.ci_low if metric.name == "dcr" else metric.ci_high
    point = 1 - metric.value if metric.name == "dcr" else metric.value
    no_trials = metric.n == 0 and metric.name != "exact_copies"
    # A proxy measured against the naive baseline overstates the risk by design, so it decides nothing.
    against_baseline = metric.proxy and metric.details.get("proxy_reference") == "naive baseline"
    if no_trials or against_baseline or not math.isfinite(upper) or not math.isfinite(point):
        passed: bool | None = None
    elif point > threshold:
        passed = False
    elif upper <= threshold and not metric.proxy:
        passed = True
    else:
        # The estimate is within the limit but its interval is not (or it is a proxy): undecided.
        passed = None
    return MetricResult(**{**metric.to_dict(), "threshold": threshold, "passed": passed})


def undecided_notes(metrics: Mapping[str, MetricResult], n_attacks: int, n_attacked: int) -> list[str]:
    """Return one sentence per undecided metric that is no proxy, saying why and what narrows it.

    A metric is undecided when its estimate is within the limit but its 95%
    upper bound is not. The verdict is then "inconclusive", so the user
    should see which interval decided it.
    """
    notes = []
    for name, metric in metrics.items():
        if metric.passed is not None or metric.proxy or metric.threshold is None or name == "k_anonymity":
            continue
        if metric.n == 0:
            notes.append(f"Undecided: {name} had no trials (e.g. no predicate could be written), so it "
                         "cannot pass.")
            continue
        worst = 1 - metric.ci_low if name == "dcr" else metric.ci_high
        value = 1 - metric.value if name == "dcr" else metric.value
        more = "raise n_attacks" if n_attacked == n_attacks else "keep a larger holdout"
        where = f" (worst column: {metric.details.get('worst_of')})" if name == "attribute" else ""
        notes.append(f"Undecided: {name} risk{where} is {value:.1%}, but its 95% upper bound {worst:.1%} "
                     f"exceeds the {metric.threshold:.0%} limit. More trials narrow the interval ({more}).")
    return notes


def verdict_of(metrics: Mapping[str, MetricResult], k_satisfied: bool | None, k: int | None) -> str:
    """Return "fail" when any metric or k fails, "pass" when all pass, else "inconclusive"."""
    outcomes = [metric.passed for name, metric in metrics.items() if name != "k_anonymity"]
    if any(outcome is False for outcome in outcomes) or (k is not None and k_satisfied is False):
        return "fail"
    if all(outcome is True for outcome in outcomes) and (k is None or k_satisfied is True):
        return "pass"
    return "inconclusive"


def overall_score(metrics: Mapping[str, MetricResult]) -> float:
    """Return 1 minus the largest upper bound among the risks (DCR as 1 - its lower bound);
    NaN counts as 1."""
    uppers = [1 - metric.ci_low if name == "dcr" else metric.ci_high for name, metric in metrics.items()]
    uppers = [upper if math.isfinite(upper) else 1.0 for upper in uppers]
    return float(max(0.0, 1 - max(uppers, default=1.0)))


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))
