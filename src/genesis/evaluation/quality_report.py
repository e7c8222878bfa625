"""`QualityReport`: the scores of one quality evaluation, as text, HTML, a dict and figures.

The report contains aggregates only: scores, shares, correlations and counts.
No real row, no real minimum or maximum and no category with fewer than k
real rows appears in it or in its figures.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, eq=False)
class QualityReport:
    """How closely a synthetic table follows the real one, and how useful it is.

    Every score is a float in [0, 1], where 1 is best. When no utility
    target could be measured, `utility_measured` is False and
    `utility_score` is no evidence (see `utility_score`).

    Attributes
    ----------
    overall_score:
        Mean of `fidelity_score`, `correlation_score` and `utility_score`
        (of the first two when no utility target was measured).
    fidelity_score:
        Mean column score: the column's shape score (KS complement for numbers
        and datetimes, TV complement for categories, on non-missing values)
        times its missing-share similarity ``1 - |m_real - m_synthetic|``.
    column_shapes_score:
        Mean shape score alone, as SDMetrics 0.32's Column Shapes defines it.
    correlation_score:
        Mean pair-trend score over the pairs with a real trend (as SDMetrics
        0.32's QualityReport averages Column Pair Trends). When no pair has
        one, it is the mean over all pairs, and `correlation_basis` states that.
    correlation_score_all_pairs:
        Mean pair-trend score over every pair whose score is defined.
    correlation_basis:
        Which pairs `correlation_score` averages.
    utility_score:
        Mean over the measured target columns of ``min(1, score trained on
        synthetic / score trained on real)``; see `utility` for how it was
        tested. A target is left out when the model trained on real rows does
        not beat a chance baseline. When every target is left out, the score
        is the same ratio over the left-out targets, which carries no evidence:
        `utility_measured` is then False and `warnings` says so.
    detection_auc:
        Cross-validated ROC AUC of a classifier telling real rows from
        synthetic ones (0.5: indistinguishable). A diagnostic, not part of
        `overall_score`.
    column_scores:
        Per column: kind, metric, shape score, missing shares and score.
    pair_scores:
        Per column pair: metric, score, the real and synthetic trend, and
        whether the real pair has a trend.
    utility, detection:
        Details of both model-based measures: targets, models, row counts,
        and whether a holdout was the test set (`utility["holdout_used"]`).
    generalized_columns:
        Quasi-identifiers compared at the generalization level recorded on the
        synthetic frame (the real values were generalized the same way).
    skipped_columns:
        Columns left out of every score, with the reason.
    k, k_source:
        The smallest real count a plotted category or histogram bin needs,
        and where that number comes from.
    rows:
        Row counts of the real, synthetic and holdout tables.
    random_state:
        The seed the model-based measures used, as given.
    warnings:
        What the reader should know about these numbers.
    distributions:
        Per column, the binned shares the distribution figure draws, already
        clipped to the real 1st-99th percentiles and with small real cells
        withheld (see `genesis.evaluation.quality_plots`).
    """

    overall_score: float
    fidelity_score: float
    column_shapes_score: float
    correlation_score: float
    correlation_score_all_pairs: float
    correlation_basis: str
    utility_score: float
    detection_auc: float
    column_scores: dict[str, dict[str, Any]]
    pair_scores: list[dict[str, Any]]
    utility: dict[str, Any]
    detection: dict[str, Any]
    generalized_columns: list[str]
    skipped_columns: dict[str, str]
    k: int
    k_source: str
    rows: dict[str, int]
    random_state: int | None
    warnings: list[str] = field(default_factory=list)
    distributions: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Return every score and detail as JSON-safe built-in types."""
        return {
            "overall_score": self.overall_score,
            "fidelity_score": self.fidelity_score,
            "column_shapes_score": self.column_shapes_score,
            "correlation_score": self.correlation_score,
            "correlation_score_all_pairs": self.correlation_score_all_pairs,
            "correlation_basis": self.correlation_basis,
            "utility_score": self.utility_score,
            "utility_measured": self.utility_measured,
            "detection_auc": self.detection_auc,
            "column_scores": {name: dict(entry) for name, entry in self.column_scores.items()},
            "pair_scores": [dict(entry) for entry in self.pair_scores],
            "utility": self.utility,
            "detection": self.detection,
            "generalized_columns": list(self.generalized_columns),
            "skipped_columns": dict(self.skipped_columns),
            "k": self.k,
            "k_source": self.k_source,
            "rows": dict(self.rows),
            "random_state": self.random_state,
            "warnings": list(self.warnings),
        }

    def __str__(self) -> str:
        lines = [
            "Synthetic data quality",
            f"  Overall score:            {self.overall_score:.1%}",
            f"  Statistical fidelity:     {self.fidelity_score:.1%}  "
            f"(column shapes {self.column_shapes_score:.1%})",
            f"  Correlation preservation: {self.correlation_score:.1%}  ({self.correlation_basis}; "
            f"all pairs {self.correlation_score_all_pairs:.1%})",
            f"  ML utility:               {self._utility_text()}  ({self._utility_summary()})",
            f"  Detection AUC:            {self.detection_auc:.3f}  (0.5 = indistinguishable)",
            "",
            "  Weakest columns:",
        ]
        weakest = sorted(self.column_scores.items(), key=lambda item: item[1]["score"])[:5]
        lines += [f"    {name}: {entry['score']:.1%} ({entry['metric']})" for name, entry in weakest]
        if self.generalized_columns:
            lines.append(f"  Compared at the recorded generalization: {', '.join(self.generalized_columns)}")
        if self.skipped_columns:
            lines.append(
                f"  Not scored: {', '.join(f'{name} ({why})' for name, why in self.skipped_columns.items())}"
            )
        lines += [f"  Note: {text}" for text in self.warnings]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        scores = [
            ("Overall score", f"{self.overall_score:.1%}"),
            ("Statistical fidelity", f"{self.fidelity_score:.1%}"),
            ("Correlation preservation", f"{self.correlation_score:.1%} ({self.correlation_basis})"),
            ("ML utility", f"{self._utility_text()} ({self._utility_summary()})"),
            ("Detection AUC", f"{self.detection_auc:.3f} (0.5 = indistinguishable)"),
        ]
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(name)}</th><td>{html.escape(value)}</td></tr>"
            for name, value in scores
        )
        columns = "".join(
            f"<tr><td>{html.escape(str(name))}</td><td>{html.escape(entry['metric'])}</td>"
            f"<td>{entry['shape_score']:.3f}</td><td>{entry['missing_share_real']:.1%} / "
            f"{entry['missing_share_synthetic']:.1%}</td><td>{entry['score']:.3f}</td></tr>"
            for name, entry in self.column_scores.items()
        )
        notes = "".join(f"<li>{html.escape(text)}</li>" for text in self.warnings)
        return (
            "<div><h4>Synthetic data quality</h4>"
            f"<table>{rows}</table>"
            "<details><summary>Per-column scores</summary><table>"
            "<tr><th>column</th><th>metric</th><th>shape</th>"
            "<th>missing real / synthetic</th><th>score</th></tr>"
            f"{columns}</table></details>" + (f"<ul>{notes}</ul>" if notes else "") + "</div>"
        )

    def plot(self) -> dict[str, Any]:
        """Return the report's figures as matplotlib `Figure` objects, keyed by title (for notebooks)."""
        from genesis.evaluation.quality_plots import build_figures

        return build_figures(self)

    def figures_svg(self) -> dict[str, str]:
        """Return the report's figures as inline SVG text, keyed by title, for HTML reports."""
        from genesis.evaluation.quality_plots import figure_to_svg

        return {title: figure_to_svg(figure) for title, figure in self.plot().items()}

    @property
    def utility_measured(self) -> bool:
        """Whether some utility target beat its chance baseline on the real table and was scored."""
        return any(entry["utility"] is not None for entry in self.utility["targets"])

    def _utility_text(self) -> str:
        if self.utility_measured:
            return f"{self.utility_score:.1%}"
        return f"{self.utility_score:.1%} (not measured: no target with signal)"

    def _utility_summary(self) -> str:
        targets = ", ".join(
            entry["target"] if entry["utility"] is not None else f"{entry['target']} (not measured)"
            for entry in self.utility["targets"]
        )
        tested_on = "holdout" if self.utility["holdout_used"] else "held-out real rows the generator saw"
        return f"target {targets}; tested on {tested_on}"
