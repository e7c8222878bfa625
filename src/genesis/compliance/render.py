"""HTML rendering of a report's content dict, and the risk chart drawn as inline SVG.

The HTML file is self-contained: the stylesheet and the chart are inlined, it
loads no script, font or image, and it prints on paper with the same content.
"""

from __future__ import annotations

from html import escape
from importlib import resources
from typing import Any

import jinja2

CHART_WIDTH = 640
ROW_HEIGHT = 28
LABEL_WIDTH = 230


def render_html(content: dict[str, Any], *, fragment: bool = False) -> str:
    """Return the report as an HTML document, or as a styled fragment for notebooks when `fragment`."""
    templates = resources.files("genesis.compliance").joinpath("templates")
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined,
                                     trim_blocks=True, lstrip_blocks=True)
    template = environment.from_string(templates.joinpath("report.html.j2").read_text("utf-8"))
    css = templates.joinpath("report.css").read_text("utf-8")
    return template.render(r=content, css=css, chart=risk_chart_svg(content["risks"]), fragment=fragment,
                           pct=format_percent, audit_rows=audit_summary_rows(content["privacy_audit"]))


AUDIT_SUMMARY_LABELS = {
    "overall_score": "Audit overall score (1 minus the largest upper risk bound)",
    "is_safe": "Safe to release (audit verdict is pass)",
    "verdict": "Audit verdict",
    "k": "k requested",
    "k_anonymity_satisfied": "k-anonymity met",
    "smallest_equivalence_class": "Smallest equivalence class",
    "holdout_used": "Holdout used",
    "exact_copies": "Synthetic rows equal to a training row at the release's generalization (audit count)",
    "quasi_identifiers": "Quasi-identifiers",
    "sensitive_columns": "Sensitive columns",
}


def format_percent(value: Any) -> str:
    return "n/a" if value is None else f"{float(value):.1%}"


def audit_summary_rows(summary: dict[str, Any]) -> list[tuple[str, str]]:
    """Return the privacy audit's headline results as (label, text) rows, scores as percentages."""
    rows = []
    for key, value in summary.items():
        if key in ("warnings", "assumptions"):
            continue
        if key == "overall_score":
            text = format_percent(value)
        elif isinstance(value, bool):
            text = "yes" if value else "no"
        elif isinstance(value, list):
            text = ", ".join(str(item) for item in value) or "none"
        elif isinstance(value, int):
            text = f"{value:,}"
        else:
            text = "n/a" if value is None else str(value)
        rows.append((AUDIT_SUMMARY_LABELS.get(key, key), text))
    return rows


def chart_rows(risks: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the risks a chart shows: those on a [0, 1] risk scale, with their upper bound and threshold."""
    rows = []
    for key, risk in risks.items():
        if key in ("exact_copies", "k_anonymity", "dcr"):
            continue
        upper = risk["ci_high"] if risk["ci_high"] is not None else risk["value"]
        rows.append({"label": risk["label"], "value": risk["value"], "upper": upper,
                     "threshold": risk["threshold"], "passed": risk["passed"]})
    return rows


def bar_colour(passed: bool | None) -> str:
    """Return the chart colour of a risk: red when it failed, green when it passed, amber when not judged."""
    if passed is None:
        return "#9a7b00"
    return "#2e7d4f" if passed else "#c0392b"


def risk_chart_svg(risks: dict[str, dict[str, Any]]) -> str:
    """Draw each risk's upper bound as a bar, its point value as a dot and its threshold as a line."""
    rows = chart_rows(risks)
    height = ROW_HEIGHT * len(rows) + 30
    scale = CHART_WIDTH - LABEL_WIDTH - 60
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{CHART_WIDTH}" height="{height}" '
             f'viewBox="0 0 {CHART_WIDTH} {height}" role="img" aria-label="Measured risks" '
             'font-family="system-ui, Helvetica, Arial, sans-serif" font-size="12">']
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        x = LABEL_WIDTH + tick * scale
        parts.append(f'<line x1="{x:.1f}" y1="4" x2="{x:.1f}" y2="{height - 22}" stroke="#e3e7ee"/>')
        parts.append(f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle" fill="#5b6577">'
                     f'{tick:.0%}</text>')

    for index, row in enumerate(rows):
        y = 8 + index * ROW_HEIGHT
        colour = bar_colour(row["passed"])
        label = escape(row["label"])
        parts.append(f'<text x="{LABEL_WIDTH - 8}" y="{y + 14}" text-anchor="end">{label}</text>')
        parts.append(f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{max(1.0, row["upper"] * scale):.1f}" '
                     f'height="14" fill="{colour}" fill-opacity="0.75"/>')
        dot = LABEL_WIDTH + row["value"] * scale
        parts.append(f'<circle cx="{dot:.1f}" cy="{y + 10}" r="3.5" fill="#1d2430"/>')
        if row["threshold"] is not None:
            x = LABEL_WIDTH + row["threshold"] * scale
            parts.append(f'<line x1="{x:.1f}" y1="{y}" x2="{x:.1f}" y2="{y + 20}" stroke="#1d2430" '
                         'stroke-width="2"/>')
        parts.append(f'<text x="{LABEL_WIDTH + scale + 8}" y="{y + 14}">{row["upper"]:.1%}</text>')
    parts.append("</svg>")
    return "".join(parts)
