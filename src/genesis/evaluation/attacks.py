"""Attack simulations a privacy officer can run one by one: membership, attribute inference, linkage.

Each attack uses only the synthetic table as its knowledge and runs on
training rows (targets) and on holdout rows (controls), equally many. Its
risk is the success on targets beyond the controls, with a 95% interval;
without a holdout it is a labelled proxy and its `risk_level` is
"inconclusive". The holdout comes from the `holdout=` argument or, while it
is in memory, from the synthetic frame's release record. The settings are
those of `run_privacy_audit` and are checked the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from genesis.errors import ConfigError, invalid_value
from genesis.evaluation.audit_inputs import AuditInputs, prepare_inputs
from genesis.evaluation.closeness import membership_metric
from genesis.evaluation.distance import nearest
from genesis.evaluation.inference import DEFAULT_TOLERANCE, inference_metrics, linkability_metric
from genesis.evaluation.privacy_audit import check_settings
from genesis.evaluation.privacy_report import DEFAULT_THRESHOLDS
from genesis.evaluation.sampling import (
    DEFAULT_MAX_REFERENCE,
    DEFAULT_N_ATTACKS,
    Groups,
    draw_groups,
    subsample,
)
from genesis.evaluation.stats import MetricResult
from genesis.randomness import check_random_state

LOW_RISK: Mapping[str, float] = {name: DEFAULT_THRESHOLDS[name]
                                 for name in ("membership", "attribute", "linkability")}
"""Largest upper 95% bound that reads "low", per attack's metric: the audit's default threshold (0.15)."""

HIGH_RISK = 0.5
"""Smallest lower 95% bound of a risk that reads "high"."""

BASELINE_LABELS = {"chance": "chance", "control": "control rows", "naive": "naive guess"}
"""Name that `AttackResult.__str__` prints after the baseline, per `baseline_kind`."""

# Opening words of the notes `prepare_inputs` writes for the audit, which `_attack_notes` rewords.
_NO_RECORD_NOTE = "The synthetic table has no release record"
_NO_HOLDOUT_NOTE = "No holdout:"
_NO_QUASI_IDENTIFIERS_NOTE = "No quasi-identifiers were recorded or passed"


@dataclass(frozen=True)
class AttackResult:
    """The outcome of one attack simulation.

    Attributes
    ----------
    attack:
        "membership_inference", "attribute_inference" or "linkage".
    accuracy:
        Membership: balanced accuracy on held-out pairs, with the decision
        threshold chosen on a separate half, so 0.5 is chance. Attribute
        inference: share of targets whose secret was inferred. Linkage: share
        of targets linked (the same as `success_rate`).
    success_rate:
        Share of targets on which the attack succeeded.
    risk, ci_low, ci_high:
        Success beyond the control group, in [0, 1], with its 95% interval.
    baseline:
        The rate the risk is measured against. Membership: 0.5 (chance).
        Otherwise the control group's success rate, or without a holdout the
        naive rate the proxy is computed against (a random synthetic row's
        secret; two random neighbour sets sharing a row).
    baseline_kind:
        "chance", "control" or "naive": which of the above `baseline` is.
    risk_level:
        "low" when the upper bound is at most `LOW_RISK` (0.15), "high" when
        the lower bound is at least `HIGH_RISK` (0.5), "medium" when the lower
        bound lies strictly between the two, and "inconclusive" when the
        interval straddles `LOW_RISK` (lower bound at most 0.15 < upper
        bound), without a holdout or without trials.
    n:
        Targets attacked (and as many controls).
    holdout_used:
        False when the value is a proxy.
    details:
        JSON-safe facts behind the result.
    """

    attack: str
    accuracy: float
    success_rate: float
    risk: float
    ci_low: float
    ci_high: float
    baseline: float
    baseline_kind: str
    risk_level: str
    n: int
    holdout_used: bool
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        proxy = "" if self.holdout_used else " (proxy: no holdout)"
        return (f"{self.attack}: success {self.success_rate:.1%}, accuracy {self.accuracy:.1%}, "
                f"risk {self.risk:.1%} [{self.ci_low:.1%}, {self.ci_high:.1%}], "
                f"baseline {self.baseline:.1%} ({BASELINE_LABELS[self.baseline_kind]}), n={self.n}, "
                f"{self.risk_level}{proxy}")

    def _repr_html_(self) -> str:
        return f"<pre>{self}</pre>"


class _Attack:
    """Shared settings and steps of the three attacks.

    Subclasses set their own settings before calling this `__init__`, which
    checks them all, so a wrong value fails where it is written. `evaluate`
    checks them again, in case an attribute was changed since.
    """

    def __init__(self, *, n_attacks: int = DEFAULT_N_ATTACKS, max_reference: int = DEFAULT_MAX_REFERENCE,
                 random_state: Any = None) -> None:
        self.n_attacks = n_attacks
        self.max_reference = max_reference
        self.random_state = random_state
        self._check()

    def _check(self) -> None:
        # The audit's own check, so that both reject the same values in the same words. An attack
        # without `tolerance` or `n_neighbors` passes that setting's default, which is valid.
        check_settings(self.n_attacks, self.max_reference, getattr(self, "tolerance", DEFAULT_TOLERANCE),
                        getattr(self, "n_neighbors", 1))

    def _prepare(self, real: pd.DataFrame, synthetic: pd.DataFrame, holdout: pd.DataFrame | None, *,
                 quasi_identifiers: Sequence[Any] | None, sensitive: Sequence[Any]
                 ) -> tuple[AuditInputs, Groups, np.random.Generator]:
        """Check the settings and the tables, and draw the targets and controls.

        Each attack passes the columns it uses, so that the preparation
        chooses no audit default that does not apply to it.
        """
        self._check()
        rng = np.random.default_rng(check_random_state(self.random_state))
        inputs = prepare_inputs(real, synthetic, sensitive_columns=sensitive,
                                quasi_identifiers=quasi_identifiers, k=None, holdout=holdout)
        inputs.warnings[:] = _attack_notes(inputs.warnings)
        return inputs, draw_groups(inputs, self.n_attacks, rng), rng


class MembershipInferenceAttack(_Attack):
    """Can an attacker tell whether a person's row was in the training data? (distance attack)

    A row is called a member when its nearest synthetic row is closer than a
    threshold. The risk is the attack's advantage 2 AUC - 1 over members
    (training rows) and non-members (holdout rows).
    """

    def evaluate(self, real: pd.DataFrame, synthetic: pd.DataFrame, holdout: pd.DataFrame | None = None
                 ) -> AttackResult:
        """Run the attack; `holdout` defaults to the fit's holdout found through the release record."""
        # Quasi-identifiers play no part here: None takes the recorded ones without a note of their own.
        inputs, groups, rng = self._prepare(real, synthetic, holdout, quasi_identifiers=None, sensitive=())
        metric = membership_metric(inputs, groups, self.max_reference, rng)
        accuracy = _balanced_accuracy(inputs, groups, self.max_reference, rng)
        return _result("membership_inference", accuracy, accuracy, metric, metric.baseline, "chance", inputs)


class AttributeInferenceAttack(_Attack):
    """Can an attacker who knows every other column infer `target_column` from the synthetic table?

    The guess is the secret of the nearest synthetic row on the other
    columns. A numeric secret counts as inferred within `tolerance` (relative),
    so a continuous value is never a many-class problem.
    """

    def __init__(self, target_column: Any, *, tolerance: float = DEFAULT_TOLERANCE, **settings: Any) -> None:
        self.target_column = target_column
        self.tolerance = tolerance
        super().__init__(**settings)

    def evaluate(self, real: pd.DataFrame, synthetic: pd.DataFrame, holdout: pd.DataFrame | None = None
                 ) -> AttackResult:
        """Run the attack; `holdout` defaults to the fit's holdout found through the release record."""
        # The secret is checked against the compared columns below rather than passed as a sensitive
        # column, so that an error names target_column.
        inputs, groups, rng = self._prepare(real, synthetic, holdout, quasi_identifiers=None, sensitive=())
        if self.target_column not in inputs.columns:
            raise ConfigError(invalid_value(
                "target_column", self.target_column,
                "the compared columns (those the tables share, without identifiers) do not include it",
                f"Choose among {[str(name) for name in inputs.columns]}."))

        metric = inference_metrics(inputs, groups, [self.target_column], self.max_reference, self.tolerance,
                                   rng)[self.target_column]
        rate = metric.details["attack_rate"]
        return _result("attribute_inference", rate, rate, metric, *_reference(metric), inputs)


class LinkageAttack(_Attack):
    """Can an attacker join a dataset of `quasi_identifiers` to one of the other columns through the
    synthetic table?"""

    def __init__(self, quasi_identifiers: Sequence[Any], *, n_neighbors: int = 1, **settings: Any) -> None:
        self.quasi_identifiers = _column_names(quasi_identifiers)
        self.n_neighbors = n_neighbors
        super().__init__(**settings)

    def evaluate(self, real: pd.DataFrame, synthetic: pd.DataFrame, holdout: pd.DataFrame | None = None
                 ) -> AttackResult:
        """Run the attack; `holdout` defaults to the fit's holdout found through the release record.

        A quasi-identifier missing from the tables raises `ConfigError`, and so
        does a list that leaves no compared column for the second dataset.
        """
        quasi_identifiers = _column_names(self.quasi_identifiers)
        inputs, groups, rng = self._prepare(real, synthetic, holdout, quasi_identifiers=quasi_identifiers,
                                            sensitive=())
        if all(name in quasi_identifiers for name in inputs.columns):
            raise ConfigError(invalid_value(
                "quasi_identifiers", quasi_identifiers,
                "it covers every compared column, so the attacker's second dataset would have none",
                "List only the columns an attacker could find in another dataset, leaving out at least "
                f"one of {[str(name) for name in inputs.columns]}."))

        metric = linkability_metric(inputs, groups, self.max_reference, self.n_neighbors, rng,
                                    first=quasi_identifiers)
        rate = metric.details["attack_rate"]
        return _result("linkage", rate, rate, metric, *_reference(metric), inputs)


def risk_level(metric: MetricResult) -> str:
    """Return the level of an attack's risk from its 95% interval.

    "low": upper bound at most `LOW_RISK[metric.name]`. "high": lower bound
    at least `HIGH_RISK`. "medium": lower bound above `LOW_RISK` and below
    `HIGH_RISK`. "inconclusive": an interval that straddles `LOW_RISK` (lower
    bound at most the limit, upper bound above it), because it is consistent
    with both a low and a higher risk. A proxy computed without a holdout and
    a metric without trials are "inconclusive" too. `metric.name` is one of
    "membership", "attribute" and "linkability".
    """
    low_limit = LOW_RISK[metric.name]
    if metric.proxy or metric.n == 0:
        return "inconclusive"
    if metric.ci_high <= low_limit:
        return "low"
    if metric.ci_low <= low_limit:
        return "inconclusive"
    if metric.ci_low >= HIGH_RISK:
        return "high"
    return "medium"


def _column_names(quasi_identifiers: Any) -> list[Any]:
    """Return the quasi-identifiers as a list; raise `ConfigError` unless they name at least one column."""
    if isinstance(quasi_identifiers, str):
        raise ConfigError(invalid_value("quasi_identifiers", quasi_identifiers,
                                        "it must be a list of column names, not one string",
                                        f"Pass e.g. quasi_identifiers=[{quasi_identifiers!r}]."))
    if not isinstance(quasi_identifiers, Iterable):
        raise ConfigError(invalid_value("quasi_identifiers", quasi_identifiers,
                                        "it must be a list of column names",
                                        "Pass e.g. quasi_identifiers=['age', 'gender', 'zip_code']."))
    names = list(quasi_identifiers)
    if not names:
        raise ConfigError(invalid_value("quasi_identifiers", names, "it must name at least one column",
                                        "Pass e.g. quasi_identifiers=['age', 'gender', 'zip_code']."))
    return names


def _reference(metric: MetricResult) -> tuple[float, str]:
    """Return the rate an attribute or linkage risk was computed against, and its kind."""
    return metric.details["reference_rate"], "control" if metric.holdout_used else "naive"


def _attack_notes(notes: list[str]) -> list[str]:
    """Return the preparation's notes reworded for an attack, without those that concern only the audit.

    The notes are written for `run_privacy_audit`: they name its
    `holdout_data=` argument and its verdict, and the one about missing
    quasi-identifiers describes singling out, which no attack here runs.
    """
    reworded = []
    for note in notes:
        if note.startswith(_NO_RECORD_NOTE):
            reworded.append("The synthetic table has no release record (e.g. read from CSV), so the attack "
                            "assumes the real and synthetic tables are at the same generalization.")
        elif note.startswith(_NO_HOLDOUT_NOTE):
            # The first sentence gives the reason ("No holdout: ..."); the rest is the audit's advice.
            reason = note.split(". ", 1)[0]
            reworded.append(f"{reason}. The risk is a proxy computed without rows the model never saw, so "
                            "risk_level is 'inconclusive'. Pass real rows kept out of training as holdout=.")
        elif not note.startswith(_NO_QUASI_IDENTIFIERS_NOTE):
            reworded.append(note)
    return reworded


def _result(attack: str, accuracy: float, success_rate: float, metric: MetricResult, baseline: float,
            baseline_kind: str, inputs: AuditInputs) -> AttackResult:
    return AttackResult(
        attack=attack, accuracy=float(accuracy), success_rate=float(success_rate), risk=metric.value,
        ci_low=metric.ci_low, ci_high=metric.ci_high, baseline=float(baseline), baseline_kind=baseline_kind,
        risk_level=risk_level(metric), n=metric.n, holdout_used=metric.holdout_used,
        details={**metric.details, "method": metric.method, "warnings": list(inputs.warnings)},
    )


def _balanced_accuracy(inputs: AuditInputs, groups: Groups, max_reference: int, rng: np.random.Generator
                       ) -> float:
    """Return the membership attack's balanced accuracy on one half, thresholded on the other half.

    Choosing the threshold on the pairs it is scored on would make chance
    look like about 52%; a separate half keeps chance at 50%.
    """
    reference = inputs.encoded_synthetic.take(subsample(len(inputs.synthetic), max_reference, rng))
    members = nearest(groups.target_rows(inputs), reference, rng).distance
    others = nearest(groups.control_rows(inputs), reference, rng).distance
    half = groups.n // 2
    if half == 0:
        return 0.5
    candidates = np.unique(np.concatenate([members[:half], others[:half]]))
    true_positive = (members[:half, None] <= candidates[None, :]).mean(axis=0)
    true_negative = (others[:half, None] > candidates[None, :]).mean(axis=0)
    threshold = candidates[np.argmax(true_positive + true_negative)]
    return float(((members[half:] <= threshold).mean() + (others[half:] > threshold).mean()) / 2)


__all__ = ["AttackResult", "AttributeInferenceAttack", "LinkageAttack", "MembershipInferenceAttack",
           "risk_level"]
