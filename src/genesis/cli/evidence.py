"""`genesis audit`, `genesis evaluate` and `genesis certify`: evidence on a real and a synthetic file.

Each reads the release record `<SYNTH>.genesis.json` that `synth`, `run` and
`demo` write next to the synthetic table and attaches it to the loaded frame,
so the library finds k, the quasi-identifiers and the generalization. When the
record is absent, the options supply these facts, and the command prints what it
assumed. A record written by `genesis run` also stores the run's sensitive
columns and quasi-identifiers. `audit` and `certify` use them when the
matching option is absent and print which ones they used. The fit's holdout is
never saved, so a calibrated audit from files needs `--holdout` with real rows
kept out of training.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.markup import escape

from genesis import release
from genesis.cli.app import app, console, split_list, user_errors
from genesis.cli.pipeline import PIPELINE_RECORD_KEY, prepare_output_folder
from genesis.compliance import ComplianceFramework, PrivacyCertificate
from genesis.evaluation.privacy_audit import run_privacy_audit
from genesis.evaluation.quality import QualityEvaluator
from genesis.holdout import lookup_holdout
from genesis.io import read_table

RealArgument = Annotated[Path, typer.Argument(metavar="REAL", help="Real table the generator was fitted on.")]
SynthArgument = Annotated[Path, typer.Argument(metavar="SYNTH", help="Synthetic table, .csv or .parquet.")]
HoldoutOption = Annotated[
    Path | None,
    typer.Option(help="Real rows kept out of training (.csv or .parquet), to calibrate every risk."),
]
QuasiOption = Annotated[
    str,
    typer.Option(
        "--quasi-identifiers",
        help="Comma-separated columns an attacker could link [default: the recorded ones].",
    ),
]
SensitiveOption = Annotated[
    str,
    typer.Option(
        "--sensitive-columns",
        help="Comma-separated secrets for attribute inference [default: the other columns].",
    ),
]
KOption = Annotated[
    int | None,
    typer.Option("--k", min=2, help="k to check, at least 2 [default: the recorded k, else none]."),
]
NaOption = Annotated[str, typer.Option(help="Comma-separated CSV strings that mean missing, e.g. '?,NA'.")]
SeedOption = Annotated[
    int | None, typer.Option(help="Seed of the subsamples and models; same seed, same numbers.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON on standard output.")]


@dataclass
class _Tables:
    real: pd.DataFrame
    synthetic: pd.DataFrame
    holdout: pd.DataFrame | None
    record_path: str | None
    assumptions: list[str]
    pipeline_settings: dict[str, list[str]]
    """Audit settings `genesis run` stored in the release record (empty for other records)."""
    used_settings: dict[str, list[str]] = field(default_factory=dict)
    """The recorded settings a command used because their option was absent."""

    def audit_columns(self, quasi_option: str, sensitive_option: str) -> tuple[list[str] | None, ...]:
        """Return the quasi-identifiers and sensitive columns: the options, else the recorded settings."""
        chosen = []
        for key, option in (("quasi_identifiers", quasi_option), ("sensitive_columns", sensitive_option)):
            names = split_list(option) or None
            if names is None and self.pipeline_settings.get(key):
                names = list(self.pipeline_settings[key])
                self.used_settings[key] = names
            chosen.append(names)
        return tuple(chosen)


@app.command()
def audit(
    real_path: RealArgument,
    synthetic_path: SynthArgument,
    holdout: HoldoutOption = None,
    quasi_identifiers: QuasiOption = "",
    sensitive_columns: SensitiveOption = "",
    k: KOption = None,
    na_values: NaOption = "",
    seed: SeedOption = None,
    as_json: JsonOption = False,
) -> None:
    """Measure what SYNTH reveals about the rows of REAL: DCR, membership, inference, singling out."""
    with user_errors():
        tables = _load(real_path, synthetic_path, holdout, na_values)
        quasi, sensitive = tables.audit_columns(quasi_identifiers, sensitive_columns)
        report = run_privacy_audit(
            tables.real,
            tables.synthetic,
            holdout_data=tables.holdout,
            quasi_identifiers=quasi,
            sensitive_columns=sensitive,
            k=k,
            random_state=seed,
        )
    _emit(report, tables, as_json)


@app.command()
def evaluate(
    real_path: RealArgument,
    synthetic_path: SynthArgument,
    holdout: HoldoutOption = None,
    target_column: Annotated[
        str | None,
        typer.Option(help="Column the utility models predict [default: up to 3 chosen by the evaluator]."),
    ] = None,
    discrete: Annotated[str, typer.Option(help="Comma-separated columns to compare as categories.")] = "",
    na_values: NaOption = "",
    seed: SeedOption = None,
    as_json: JsonOption = False,
) -> None:
    """Score how well SYNTH keeps the statistics of REAL: shapes, pair trends, ML utility, detection."""
    with user_errors():
        tables = _load(
            real_path,
            synthetic_path,
            holdout,
            na_values,
            without_holdout="utility is tested on real rows the generator may have seen",
        )
        evaluator = QualityEvaluator(
            tables.real,
            tables.synthetic,
            holdout_data=tables.holdout,
            discrete_columns=split_list(discrete) or None,
            random_state=seed,
        )
        report = evaluator.evaluate(target_column=target_column)
    _emit(report, tables, as_json)


@app.command()
def certify(
    real_path: RealArgument,
    synthetic_path: SynthArgument,
    framework: Annotated[str, typer.Option(help="hipaa, gdpr or ccpa.")],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Folder for <framework>_assessment.html, .pdf and .json."),
    ] = None,
    organization: Annotated[str | None, typer.Option(help="Organization named in the assessment.")] = None,
    data_description: Annotated[str | None, typer.Option(help="Description of the data.")] = None,
    purpose: Annotated[str | None, typer.Option(help="Purpose of the release.")] = None,
    holdout: HoldoutOption = None,
    quasi_identifiers: QuasiOption = "",
    sensitive_columns: SensitiveOption = "",
    k: KOption = None,
    na_values: NaOption = "",
    seed: SeedOption = None,
    as_json: JsonOption = False,
) -> None:
    """Assess SYNTH under HIPAA, GDPR or CCPA; an assessment for review, not a legal determination."""
    with user_errors():
        chosen = ComplianceFramework.parse(framework)
        if output is not None:
            prepare_output_folder(output, "certify", setting="-o")
        tables = _load(real_path, synthetic_path, holdout, na_values)
        quasi, sensitive = tables.audit_columns(quasi_identifiers, sensitive_columns)
        # The audit runs here so that --k reaches it; the certificate reuses its report.
        privacy_report = run_privacy_audit(
            tables.real,
            tables.synthetic,
            holdout_data=tables.holdout,
            quasi_identifiers=quasi,
            sensitive_columns=sensitive,
            k=k,
            random_state=seed,
        )
        certificate = PrivacyCertificate(
            tables.real,
            tables.synthetic,
            privacy_report=privacy_report,
            holdout_data=tables.holdout,
            sensitive_columns=sensitive,
            quasi_identifiers=quasi,
            random_state=seed,
        )
        report = certificate.generate(
            chosen, organization=organization, data_description=data_description, purpose=purpose
        )
        written = _write_assessment(report, chosen.name.lower(), output) if output is not None else []

    _emit(report, tables, as_json)
    if written:
        console.print(f"Wrote {', '.join(escape(str(path)) for path in written)}.")
    else:
        name = chosen.name.lower()
        console.print(
            f"No files written: pass -o FOLDER to write {name}_assessment.html, .pdf and .json.",
            highlight=False,
        )


def _load(
    real_path: Path,
    synthetic_path: Path,
    holdout_path: Path | None,
    na_values: str,
    without_holdout: str = "every risk is a proxy and the verdict is at best 'inconclusive'",
) -> _Tables:
    """Read the tables and attach the release record found next to SYNTH; list what had to be assumed."""
    na = split_list(na_values)
    real = read_table(real_path, na)
    synthetic = read_table(synthetic_path, na)
    holdout = read_table(holdout_path, na) if holdout_path is not None else None

    assumptions: list[str] = []
    sidecar = release.sidecar_path(synthetic_path)
    record = release.read_sidecar(synthetic_path)
    if record:
        release.attach(synthetic, record)
    else:
        assumptions.append(
            f"No release record at {sidecar}: k, the quasi-identifiers and the generalization "
            "come only from --k and --quasi-identifiers, and the real and synthetic tables are "
            "compared as they are."
        )
    if holdout is None and lookup_holdout(synthetic) is None:
        assumptions.append(
            "No --holdout: the fit's holdout stays in the memory of the process that fitted the "
            f"model and is never saved, so {without_holdout}."
        )
    pipeline_settings = (record or {}).get(PIPELINE_RECORD_KEY) or {}
    return _Tables(real, synthetic, holdout, str(sidecar) if record else None, assumptions, pipeline_settings)


def _emit(report: Any, tables: _Tables, as_json: bool) -> None:
    """Print the report (text or JSON) on standard output and the assumptions on standard error."""
    if as_json:
        payload = {
            "release_record": tables.record_path,
            "assumptions": tables.assumptions,
            "settings_from_release_record": tables.used_settings,
            "report": report.to_dict(),
        }
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False, default=str))
        return
    typer.echo(str(report))
    for line in _provenance(tables):
        console.print(escape(line), highlight=False, soft_wrap=True)


def _provenance(tables: _Tables) -> list[str]:
    """Return the lines that say where the settings came from and what was assumed."""
    lines = [f"Release record: {tables.record_path}."] if tables.record_path else []
    labels = {"quasi_identifiers": "quasi-identifiers", "sensitive_columns": "sensitive columns"}
    for key, names in tables.used_settings.items():
        option = "--" + key.replace("_", "-")
        lines.append(f"Used the {labels[key]} {names} that `genesis run` recorded there; "
                     f"pass {option} to change them.")
    return lines + [f"Assumed: {note}" for note in tables.assumptions]


def _write_assessment(report: Any, framework: str, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [
        report.to_html(folder / f"{framework}_assessment.html"),
        report.to_pdf(folder / f"{framework}_assessment.pdf"),
        report.to_json(folder / f"{framework}_assessment.json"),
    ]
