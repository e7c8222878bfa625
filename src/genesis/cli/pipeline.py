"""The stages of `genesis run`, run in order into one output folder with a progress bar per stage.

load -> fit -> generate -> model -> audit -> attacks -> quality -> assessment -> trail.
Each file is written under a temporary name and renamed when complete, so the
folder never contains a half-written output under its final name. When a stage
fails, the files of the stages before it stay, the partial file is removed,
`audit_trail.json` records the failure (when the folder is still writable),
and `StageFailedError` names the stage.

A folder that contains a previous run's outputs is rejected unless the run
may overwrite them. With `--overwrite`, those files are deleted before the
first stage, so a failed or interrupted run cannot leave its outputs beside
old ones made with other settings.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from genesis import __version__, release
from genesis.cli.pipeline_config import PipelineConfig, check_columns
from genesis.compliance import PrivacyCertificate
from genesis.errors import GenesisError
from genesis.evaluation.attacks import (
    AttackResult,
    AttributeInferenceAttack,
    LinkageAttack,
    MembershipInferenceAttack,
)
from genesis.evaluation.privacy_audit import run_privacy_audit
from genesis.evaluation.quality import QualityEvaluator
from genesis.io import read_table, write_table
from genesis.synthesizer import SyntheticGenerator

STAGES: tuple[tuple[str, str], ...] = (
    ("load", "Load the table"),
    ("fit", "Fit the generator"),
    ("generate", "Generate the synthetic table"),
    ("model", "Save the model"),
    ("audit", "Privacy audit"),
    ("attacks", "Attack simulations"),
    ("quality", "Quality evaluation"),
    ("assessment", "Assessment (HTML, PDF, JSON)"),
    ("trail", "Audit trail"),
)
TRAIL_FILE = "audit_trail.json"
PIPELINE_RECORD_KEY = "pipeline"
"""Key of the release record under which `genesis run` stores its audit settings."""
MODEL_FILE = "model.genesis"
OUTPUT_PATTERNS = (
    "synthetic.csv",
    "synthetic.parquet",
    "synthetic.csv.genesis.json",
    "synthetic.parquet.genesis.json",
    MODEL_FILE,
    "privacy_audit.json",
    "attacks.json",
    "quality.json",
    "*_assessment.json",
    "*_assessment.html",
    "*_assessment.pdf",
    TRAIL_FILE,
    ".partial-*",
)
"""Names (glob patterns) of every file a run writes; `--overwrite` deletes only these."""


class StageFailedError(GenesisError):
    """A pipeline stage failed; the message names it and the files already written."""


@dataclass
class StageOutcome:
    """Time, files and one-line result of a finished stage, for the summary table and the audit trail."""

    name: str
    label: str
    seconds: float
    files: list[str]
    result: str


@dataclass
class _State:
    """Objects the stages hand on to each other."""

    real: pd.DataFrame | None = None
    generator: SyntheticGenerator | None = None
    synthetic: pd.DataFrame | None = None
    privacy_report: Any = None
    attacks: dict[str, AttackResult] = field(default_factory=dict)
    quality_report: Any = None
    assessments: dict[str, Any] = field(default_factory=dict)


class PipelineRun:
    """Run every stage of one pipeline configuration into `config.output`.

    Parameters
    ----------
    config:
        The checked configuration.
    data:
        The input table when it is already in memory (`genesis demo`); otherwise
        the stage "load" reads `config.input`.
    config_sha256:
        SHA-256 of the configuration file, recorded in the audit trail.
    console:
        Where the progress bars go.
    overwrite:
        Delete a previous run's outputs in `config.output` before the first
        stage; when false, such files make the run fail before it starts.
    """

    def __init__(
        self,
        config: PipelineConfig,
        *,
        data: pd.DataFrame | None = None,
        config_sha256: str | None = None,
        console: Console | None = None,
        overwrite: bool = False,
    ) -> None:
        self.config = config
        self.overwrite = overwrite
        self.data = data
        self.config_sha256 = config_sha256
        self.console = console or Console(stderr=True)
        self.folder = config.output
        self.state = _State()
        self.outcomes: list[StageOutcome] = []
        self.written: list[str] = []
        self._partial: Path | None = None
        self._started_at = datetime.now(UTC).isoformat(timespec="seconds")

    def run(self) -> list[StageOutcome]:
        """Run the stages in order; return their outcomes or raise `StageFailedError`."""
        prepare_output_folder(self.folder, self.config.source)
        clear_previous_outputs(self.folder, self.config, overwrite=self.overwrite, console=self.console)
        columns = [
            TextColumn("{task.description:<30}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        ]
        with Progress(*columns, console=self.console) as bar:
            tasks = {name: bar.add_task(label, total=None, start=False) for name, label in STAGES}
            for name, label in STAGES:
                task = tasks[name]
                bar.start_task(task)

                def advance(done: int, total: int, task: Any = task) -> None:
                    bar.update(task, completed=done, total=total)

                start = time.perf_counter()
                try:
                    files, result = getattr(self, f"_{name}")(advance)
                except (Exception, KeyboardInterrupt) as error:  # noqa: BLE001  (every failure names its stage)
                    bar.stop()
                    raise self._failure(name, error) from None
                total = bar.tasks[task].total or 1
                bar.update(task, completed=total, total=total)
                self.outcomes.append(StageOutcome(name, label, time.perf_counter() - start, files, result))
        return self.outcomes

    # Stages -------------------------------------------------------------------------------

    def _load(self, _: Callable[[int, int], None]) -> tuple[list[str], str]:
        config = self.config
        if self.data is None:
            data = read_table(config.input, config.na_values, config.text_columns)
            check_columns(config, list(data.columns), str(config.input))
        else:
            data = self.data
            check_columns(config, list(data.columns), "the input table")
        self.state.real = data.drop(columns=list(config.drop_columns))
        if not config.drop_columns:
            return [], f"{len(data):,} rows x {data.shape[1]} columns"
        return [], (
            f"{len(data):,} rows, {data.shape[1]} columns read, {self.state.real.shape[1]} modelled "
            f"(dropped {list(config.drop_columns)})"
        )

    def _fit(self, advance: Callable[[int, int], None]) -> tuple[list[str], str]:
        config = self.config
        generator = SyntheticGenerator(
            method=config.method,
            privacy=config.privacy,
            config=config.generator,
            random_state=config.seed,
            holdout=config.holdout,
        )
        generator.fit(
            self.state.real,
            discrete_columns=list(config.discrete_columns) or None,
            public_domain=config.public_domain,
            progress=advance,
        )
        self.state.generator = generator

        holdout = generator.holdout_["rows"] if generator.holdout_ else 0
        result = f"{generator.method_} on {generator.n_training_rows_:,} rows, {holdout:,} held out"
        if generator.ledger_ is not None:
            epsilon, delta = generator.privacy_spent
            budget = generator.privacy_config_
            result += f"; DP spent epsilon {epsilon:.3f} of {budget.epsilon:g}, delta {delta:.1e}"
        return [], result

    def _generate(self, _: Callable[[int, int], None]) -> tuple[list[str], str]:
        config, generator = self.config, self.state.generator
        synthetic = generator.generate(n_samples=config.rows or len(self.state.real))
        self.state.synthetic = synthetic

        name = f"synthetic.{config.output_format}"
        self._write(name, lambda path: write_table(synthetic, path))
        # The audit settings go into the sidecar too, so that `genesis audit` and `certify`
        # on these files attack the same columns as this run.
        record = dict(release.record_of(synthetic) or {})
        record[PIPELINE_RECORD_KEY] = {
            "sensitive_columns": None if config.sensitive_columns is None else list(config.sensitive_columns),
            "quasi_identifiers": list(config.quasi_identifiers),
        }
        sidecar = release.write_sidecar(self.folder / name, record)
        self.written.append(sidecar.name)

        result = f"{len(synthetic):,} rows"
        anonymity = (release.record_of(synthetic) or {}).get("k_anonymity")
        if anonymity:
            result += (
                f"; k={anonymity['k']} on {anonymity['quasi_identifiers']}, smallest class "
                f"{anonymity['smallest_class']}, {anonymity['suppressed']} rows suppressed and replaced "
                f"by oversampling, so the output still has {len(synthetic):,} rows"
            )
        return [name, sidecar.name], result

    def _model(self, _: Callable[[int, int], None]) -> tuple[list[str], str]:
        self._write(MODEL_FILE, self.state.generator.save)
        size = (self.folder / MODEL_FILE).stat().st_size
        return [MODEL_FILE], f"{size / 1024:,.0f} KiB, no training rows inside"

    def _audit(self, _: Callable[[int, int], None]) -> tuple[list[str], str]:
        config = self.config
        report = run_privacy_audit(
            self.state.real,
            self.state.synthetic,
            sensitive_columns=config.sensitive_columns,
            quasi_identifiers=list(config.quasi_identifiers) or None,
            random_state=config.seed,
        )
        self.state.privacy_report = report
        self._write_json("privacy_audit.json", report.to_dict())
        holdout = "" if report.holdout_used else " (no holdout: proxies)"
        return ["privacy_audit.json"], (
            f"verdict {report.verdict}, overall score {report.overall_score:.1%}{holdout}"
        )

    def _attacks(self, _: Callable[[int, int], None]) -> tuple[list[str], str]:
        config, report = self.config, self.state.privacy_report
        attacks: dict[str, Any] = {"membership": MembershipInferenceAttack(random_state=config.seed)}
        # Without configured secrets, attack the column the audit found easiest to infer.
        targets = config.sensitive_columns or [report.metrics["attribute"].details.get("worst_of")]
        for target in targets:
            attacks[f"attribute {target}"] = AttributeInferenceAttack(target, random_state=config.seed)
        quasi = config.quasi_identifiers or report.quasi_identifiers
        if quasi:
            attacks["linkage"] = LinkageAttack(list(quasi), random_state=config.seed)

        self.state.attacks = {
            name: attack.evaluate(self.state.real, self.state.synthetic) for name, attack in attacks.items()
        }
        self._write_json(
            "attacks.json", {name: result.to_dict() for name, result in self.state.attacks.items()}
        )
        levels = ", ".join(f"{name} {result.risk_level}" for name, result in self.state.attacks.items())
        skipped = "" if quasi else "; linkage skipped (no quasi-identifiers)"
        return ["attacks.json"], levels + skipped

    def _quality(self, _: Callable[[int, int], None]) -> tuple[list[str], str]:
        config = self.config
        evaluator = QualityEvaluator(
            self.state.real,
            self.state.synthetic,
            discrete_columns=list(config.discrete_columns) or None,
            random_state=config.seed,
        )
        report = evaluator.evaluate(target_column=config.target_column)
        self.state.quality_report = report
        self._write_json("quality.json", report.to_dict())
        return ["quality.json"], (
            f"overall {report.overall_score:.1%} (fidelity {report.fidelity_score:.1%}, "
            f"utility {report.utility_score:.1%}, correlation {report.correlation_score:.1%})"
        )

    def _assessment(self, _: Callable[[int, int], None]) -> tuple[list[str], str]:
        config, state = self.config, self.state
        certificate = PrivacyCertificate(
            state.real,
            state.synthetic,
            generator=state.generator,
            privacy_report=state.privacy_report,
            quality_report=state.quality_report,
            sensitive_columns=config.sensitive_columns,
            quasi_identifiers=list(config.quasi_identifiers) or None,
            random_state=config.seed,
        )
        files, results = [], []
        for framework in config.frameworks:
            report = certificate.generate(
                framework,
                organization=config.organization,
                data_description=config.data_description,
                purpose=config.purpose,
            )
            state.assessments[framework] = report
            for suffix, writer in (
                ("json", report.to_json),
                ("html", report.to_html),
                ("pdf", report.to_pdf),
            ):
                name = f"{framework}_assessment.{suffix}"
                self._write(name, writer)
                files.append(name)
            failed = len(report.failed_checks)
            verdict = (
                "every automated check passed"
                if report.is_compliant
                else f"{failed} check{'' if failed == 1 else 's'} failed"
            )
            results.append(f"{framework.upper()}: {verdict}")
        return files, "; ".join(results)

    def _trail(self, _: Callable[[int, int], None]) -> tuple[list[str], str]:
        self._write_json(TRAIL_FILE, self._trail_record(status="completed"))
        return [TRAIL_FILE], f"{len(self.written)} files with their SHA-256"

    # Writing ------------------------------------------------------------------------------

    def _write(self, name: str, writer: Callable[[Path], Any]) -> None:
        """Write `name` through `writer` under a temporary name, then rename it into place."""
        final = self.folder / name
        self._partial = self.folder / f".partial-{name}"
        writer(self._partial)
        os.replace(self._partial, final)
        self._partial = None
        if name not in self.written:
            self.written.append(name)

    def _write_json(self, name: str, content: Any) -> None:
        text = json.dumps(content, indent=2, ensure_ascii=False, default=str) + "\n"
        self._write(name, lambda path: path.write_text(text, encoding="utf-8"))

    def _failure(self, stage: str, error: Exception) -> StageFailedError:
        """Clean up the partial file, record the failure in the trail, and build the error."""
        if self._partial is not None:
            self._partial.unlink(missing_ok=True)
        expected = isinstance(error, GenesisError | OSError | KeyboardInterrupt)
        if isinstance(error, KeyboardInterrupt):
            reason = "interrupted (Ctrl-C)."
        else:
            reason = str(error) if expected else f"unexpected {type(error).__name__}: {error}"
        trail = self._trail_record(
            status="failed", stage=stage, error=reason, details=None if expected else traceback.format_exc()
        )
        try:
            self._write_json(TRAIL_FILE, trail)
            recorded = f"; {TRAIL_FILE} records the failure"
        except OSError:
            recorded = ""
        kept = ", ".join(name for name in self.written if name != TRAIL_FILE) or "nothing"
        return StageFailedError(
            f"stage {stage!r} failed: {reason} Already written in {self.folder}: {kept} "
            f"(left as they are){recorded}."
        )

    def _trail_record(
        self, status: str, stage: str | None = None, error: str | None = None, details: str | None = None
    ) -> dict[str, Any]:
        """Return the audit trail: settings, input and output fingerprints, stage times and key results."""
        config = self.config
        files = {
            name: _sha256(self.folder / name)
            for name in self.written
            if name != TRAIL_FILE and (self.folder / name).is_file()
        }
        trail: dict[str, Any] = {
            "status": status,
            "failed_stage": stage,
            "error": error,
            "traceback": details,
            "started_at": self._started_at,
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "genesis_version": __version__,
            "config_source": config.source,
            "config_sha256": self.config_sha256,
            "config": config.to_dict(),
            "input": _input_facts(config.input),
            "stages": [
                {"name": o.name, "seconds": round(o.seconds, 3), "files": o.files, "result": o.result}
                for o in self.outcomes
            ],
            "outputs_sha256": files,
        }
        trail.update(self._results())
        return trail

    def _results(self) -> dict[str, Any]:
        """Return the headline numbers of the stages that finished (the tutorial's audit trail fields)."""
        state, results = self.state, {}
        if state.generator is not None and getattr(state.generator, "ledger_", None) is not None:
            epsilon, delta = state.generator.privacy_spent
            results["privacy_spent"] = {"epsilon": epsilon, "delta": delta}
        if state.synthetic is not None:
            results["records_generated"] = len(state.synthetic)
            results["k_anonymity"] = (
                (release.record_of(state.synthetic) or {}).get("k_anonymity") or {}
            ).get("k")
        if state.privacy_report is not None:
            results.update(
                privacy_score=state.privacy_report.overall_score, privacy_verdict=state.privacy_report.verdict
            )
        if state.attacks:
            results["attack_risk_levels"] = {
                name: result.risk_level for name, result in state.attacks.items()
            }
        if state.quality_report is not None:
            results["quality_score"] = state.quality_report.overall_score
        if state.assessments:
            results["assessments"] = {
                name: {"is_compliant": report.is_compliant, "recommendation": report.recommendation}
                for name, report in state.assessments.items()
            }
        return results


def prepare_output_folder(folder: Path, source: str, setting: str = "'output'") -> None:
    """Create `folder` and check that files can be written in it; raise `GenesisError` with the fix if not.

    `setting` names where the folder was given (a config key or an option) in the message.
    """
    if folder.exists() and not folder.is_dir():
        raise GenesisError(
            f"{source}: output {str(folder)!r} is a file, not a folder. Choose another {setting}."
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise GenesisError(
            f"{source}: output folder {str(folder)!r} is not writable ({error.strerror or error}). "
            f"Choose another {setting} or change the folder's permissions."
        ) from None


def previous_outputs(folder: Path) -> list[Path]:
    """Return the files in `folder` whose names a run writes, sorted by name."""
    if not folder.is_dir():
        return []
    found = {path for pattern in OUTPUT_PATTERNS for path in folder.glob(pattern) if path.is_file()}
    return sorted(found)


def clear_previous_outputs(
    folder: Path, config: PipelineConfig, *, overwrite: bool, console: Console
) -> list[str]:
    """Delete a previous run's outputs from `folder` when `overwrite`, list them on `console`, return them.

    Raise `GenesisError` when the folder contains such files and `overwrite` is
    false, or when the input table itself has the name of an output.
    """
    found = previous_outputs(folder)
    if not found:
        return []
    names = [path.name for path in found]
    if config.input is not None and config.input.resolve() in {path.resolve() for path in found}:
        raise GenesisError(
            f"{config.source}: input {str(config.input)!r} has the name of an output of `genesis run` "
            "in the output folder, which a run replaces. Move the input or choose another 'output'."
        )
    if not overwrite:
        raise GenesisError(
            f"{config.source}: output folder {str(folder)!r} contains a previous run's outputs "
            f"({', '.join(names)}). Pass --overwrite to delete them before the first stage, or "
            "choose another 'output'."
        )
    for path in found:
        path.unlink()
    console.print(
        f"Removed the previous run's outputs from {folder}: {', '.join(names)}.",
        markup=False,
        highlight=False,
    )
    return names


def _input_facts(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {"path": None, "note": "table passed in memory (genesis demo: the built-in sample table)"}
    return {"path": str(path), "sha256": _sha256(path)}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
