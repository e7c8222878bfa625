"""PDF rendering of a report's content dict with reportlab, with the same sections as the HTML file.

reportlab is a pip-installable library that writes PDF directly, so no browser or
system package is needed. Text goes through `Paragraph`, which reads a small XML
markup; every string is escaped first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Circle, Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from genesis.compliance.render import audit_summary_rows, bar_colour, chart_rows, format_percent

STATUS_COLOURS = {
    "pass": colors.HexColor("#dff3e4"),
    "fail": colors.HexColor("#fbe0e0"),
    "needs attestation": colors.HexColor("#fff1cc"),
    "not applicable": colors.HexColor("#eceff3"),
}
GRID = colors.HexColor("#d5dbe5")


def render_pdf(content: dict[str, Any], path: Path) -> None:
    """Write `content` (a `ComplianceReport.to_dict()`) as an A4 PDF to `path`."""
    styles = _styles()
    document = SimpleDocTemplate(str(path), pagesize=A4, leftMargin=16 * mm, rightMargin=16 * mm,
                                 topMargin=16 * mm, bottomMargin=16 * mm, title=content["title"],
                                 author=content["organization"] or "", subject="De-identification assessment",
                                 creator="genesis")
    story: list[Any] = []
    story += _header(content, styles)
    story += _outcome(content, styles)
    for section in content["sections"]:
        story += _section(section, styles)
    story += _provenance(content, styles)
    document.build(story)


def _styles() -> dict[str, ParagraphStyle]:
    sheet = getSampleStyleSheet()
    return {
        "title": ParagraphStyle("title", parent=sheet["Title"], fontSize=16, leading=20, alignment=0),
        "h2": ParagraphStyle("h2", parent=sheet["Heading2"], fontSize=12.5, spaceBefore=10),
        "h3": ParagraphStyle("h3", parent=sheet["Heading3"], fontSize=10.5),
        "body": ParagraphStyle("body", parent=sheet["BodyText"], fontSize=9, leading=11.5),
        "small": ParagraphStyle("small", parent=sheet["BodyText"], fontSize=7.5, leading=9.5,
                                textColor=colors.HexColor("#5b6577")),
        "cell": ParagraphStyle("cell", parent=sheet["BodyText"], fontSize=7.8, leading=9.6),
        "note": ParagraphStyle("note", parent=sheet["BodyText"], fontSize=9, leading=11.5,
                               backColor=colors.HexColor("#fff7e0"), borderPadding=4),
    }


def _text(value: Any, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape("" if value is None else str(value)), style)


def _facts(rows: list[tuple[str, Any]], styles: dict[str, ParagraphStyle]) -> Table:
    data = [[_text(key, styles["cell"]), _text(value, styles["cell"])] for key, value in rows]
    table = Table(data, colWidths=[50 * mm, 128 * mm])
    table.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.4, GRID),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def _header(content: dict[str, Any], styles: dict[str, ParagraphStyle]) -> list[Any]:
    rows = content["rows"]
    return [
        _text("DE-IDENTIFICATION ASSESSMENT", styles["small"]),
        _text(content["title"], styles["title"]),
        _text(content["disclaimer"], styles["note"]),
        Spacer(1, 6),
        _facts([("Organization", content["organization"] or "not stated"),
                ("Data", content["data_description"] or "not stated"),
                ("Purpose", content["purpose"] or "not stated"),
                ("Assessed", content["timestamp"]),
                ("Rows", f"{rows.get('real', 0):,} real, {rows.get('synthetic', 0):,} synthetic")], styles),
    ]


def _outcome(content: dict[str, Any], styles: dict[str, ParagraphStyle]) -> list[Any]:
    summary = content["summary"]
    if content["is_compliant"]:
        verdict = "Every automated check passed and every measured risk is under its policy threshold."
    else:
        verdict = f"{summary['fail']} automated check(s) failed."
    verdict += f" {summary['needs attestation']} item(s) need attestation by a person."
    story = [
        _text("Outcome", styles["h2"]),
        _text(verdict, styles["h3"]),
        _text(content["is_compliant_definition"], styles["body"]),
        _facts([("Re-identification risk", f"{format_percent(content['reidentification_risk'])} (larger "
                                           "upper bound of singling-out and linkability risk)"),
                ("Disclosure risk", f"{format_percent(content['disclosure_risk'])} (upper bound of "
                                    "attribute-inference risk)"),
                ("Recommendation", content["recommendation"]),
                ("Checks", ", ".join(f"{status}: {n}" for status, n in summary.items()))], styles),
    ]
    if content["risks"]:
        story += [_text("Measured risks", styles["h2"]),
                  _text("Bars show each risk's upper 95% confidence bound; the dot is the point estimate "
                        "and the vertical line the policy threshold.", styles["body"]),
                  _risk_chart(content["risks"])]
    return story


def _risk_chart(risks: dict[str, dict[str, Any]]) -> Drawing:
    """Draw the same chart as the HTML version with reportlab's vector graphics."""
    rows = chart_rows(risks)
    row_height, label_width, width = 20, 150, 480
    scale = width - label_width - 50
    height = row_height * len(rows) + 24
    drawing = Drawing(width, height)
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        x = label_width + tick * scale
        drawing.add(Line(x, 16, x, height, strokeColor=GRID))
        drawing.add(String(x, 4, f"{tick:.0%}", fontSize=7, textAnchor="middle"))
    for index, row in enumerate(rows):
        y = height - (index + 1) * row_height
        colour = bar_colour(row["passed"])
        drawing.add(String(label_width - 6, y + 4, row["label"], fontSize=7.5, textAnchor="end"))
        drawing.add(Rect(label_width, y + 1, max(1.0, row["upper"] * scale), 11,
                         fillColor=colors.HexColor(colour), strokeColor=None))
        drawing.add(Circle(label_width + row["value"] * scale, y + 6.5, 2.5, fillColor=colors.black))
        if row["threshold"] is not None:
            x = label_width + row["threshold"] * scale
            drawing.add(Line(x, y - 1, x, y + 14, strokeWidth=1.5))
        drawing.add(String(label_width + scale + 6, y + 4, f"{row['upper']:.1%}", fontSize=7.5))
    return drawing


def _section(section: dict[str, Any], styles: dict[str, ParagraphStyle]) -> list[Any]:
    story: list[Any] = [_text(section["title"], styles["h2"]), _text(section["reference"], styles["small"])]
    story += [_text(paragraph, styles["body"]) for paragraph in section["paragraphs"]]
    if section["checks"]:
        story.append(Spacer(1, 4))
        story.append(_checks_table(section["checks"], styles))
    if section["signature_fields"]:
        rows = [[_text(name, styles["cell"]), ""] for name in section["signature_fields"]]
        table = Table(rows, colWidths=[80 * mm, 98 * mm], rowHeights=[11 * mm] * len(rows))
        table.setStyle(TableStyle([("LINEBELOW", (1, 0), (1, -1), 0.8, colors.black),
                                   ("VALIGN", (0, 0), (-1, -1), "BOTTOM")]))
        story.append(KeepTogether([_text("Expert's determination (to be completed by a qualified person)",
                                         styles["h3"]), table]))
    return story


def _checks_table(checks: list[dict[str, Any]], styles: dict[str, ParagraphStyle]) -> Table:
    cell, small = styles["cell"], styles["small"]
    data = [[_text("Status", cell), _text("Check", cell), _text("Evidence", cell), _text("Method", cell)]]
    commands: list[tuple[Any, ...]] = [("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f6")),
                                       ("LINEBELOW", (0, 0), (-1, -1), 0.4, GRID),
                                       ("VALIGN", (0, 0), (-1, -1), "TOP")]
    for row, check in enumerate(checks, start=1):
        evidence = [_text(check["evidence"], cell)]
        if check["recommendation"]:
            evidence.append(_text(f"Fix: {check['recommendation']}", cell))
        data.append([_text(check["status"], cell),
                     [_text(check["title"], cell), _text(check["reference"], small)],
                     evidence,
                     _text(check["method"], small)])
        commands.append(("BACKGROUND", (0, row), (0, row), STATUS_COLOURS[check["status"]]))
    # splitInRow lets a tall row continue on the next page instead of leaving the rest of this one blank.
    table = Table(data, colWidths=[20 * mm, 38 * mm, 66 * mm, 54 * mm], splitInRow=1)
    table.setStyle(TableStyle(commands))
    return table


def _provenance(content: dict[str, Any], styles: dict[str, ParagraphStyle]) -> list[Any]:
    """Differential privacy, generalization, audit and quality, fingerprints, versions and limitations."""
    dp, generalization = content["differential_privacy"], content["generalization"]
    story: list[Any] = [_text("Differential privacy", styles["h2"]), _text(dp["statement"], styles["body"])]
    if dp["covered"]:
        story.append(_text("Steps covered by the budget", styles["h3"]))
        story += [_text(f"- {item}", styles["body"]) for item in dp["covered"]]
        story.append(_text(dp["post_processing"], styles["body"]))
    story.append(_text("Steps not covered by differential privacy", styles["h3"]))
    story += [_text(f"- {item}", styles["body"]) for item in dp["not_covered"]]

    story += [_text("Generalization applied", styles["h2"]),
              _text(generalization["statement"], styles["body"])]
    if generalization["levels"]:
        story.append(_facts([(level["column"], f"{level['level']}: {level['format']}")
                             for level in generalization["levels"]], styles))

    audit = content["privacy_audit"]
    story += [_text("Privacy audit and data quality", styles["h2"]),
              _facts(audit_summary_rows(audit), styles)]
    story += [_text(f"Warning: {warning}", styles["body"]) for warning in audit["warnings"]]
    if content["quality"]:
        scores = [(key, format_percent(value)) for key, value in content["quality"].items()]
        story.append(_facts(scores, styles))
    else:
        story.append(_text("Data quality was not evaluated.", styles["body"]))

    fingerprints = content["fingerprints"]
    story += [_text("Audit trail", styles["h2"]),
              _facts([("Real table SHA-256", fingerprints["real_table"]),
                      ("Synthetic table SHA-256", fingerprints["synthetic_table"]),
                      ("Configuration SHA-256", fingerprints["configuration"] or "no release record")],
                     styles),
              _text(fingerprints["method"], styles["small"]),
              _facts(list(content["seeds"].items()) + list(content["software"].items()), styles)]

    story.append(_text("Limitations", styles["h2"]))
    story += [_text(f"- {item}", styles["body"]) for item in content["limitations"]]
    return story
