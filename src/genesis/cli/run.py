"""`genesis run` (the whole job from a YAML file) and `genesis demo` (the job on the sample patient table)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.markup import escape
from rich.table import Table

from genesis.cli.app import app, console, user_errors
from genesis.cli.pipeline import PipelineRun, StageOutcome, clear_previous_outputs
from genesis.cli.pipeline_config import check_columns, check_input, config_from_mapping, load_config
from genesis.datasets import (
    PATIENT_DISCRETE_COLUMNS,
    PATIENT_QUASI_IDENTIFIERS,
    PATIENT_SENSITIVE_COLUMNS,
    patient_table,
)
from genesis.io import read_columns, write_table

DEMO_INPUT = "sample_patients.csv"
DEMO_CONFIG = "pipeline.yaml"


OverwriteOption = Annotated[
    bool,
    typer.Option(
        "--overwrite",
        help="Delete a previous run's outputs in the output folder (and list them) before the first "
        "stage. Without it, a folder that contains them is an error.",
    ),
]


@app.command()
def run(
    config_file: Annotated[Path, typer.Argument(metavar="CONFIG", help="Pipeline file (YAML).")],
    overwrite: OverwriteOption = False,
) -> None:
    """Run the whole job in CONFIG: fit, generate, audit, attack, evaluate and assess, into one folder.

    The file is checked before any stage runs. An output folder that contains a
    previous run's outputs is rejected unless --overwrite is given, so new
    outputs never sit beside old ones made with other settings. When a stage
    fails, the files of the stages before it stay, and the error names the
    stage.
    """
    with user_errors():
        config, digest = load_config(config_file)
        check_input(config)
        check_columns(config, read_columns(config.input), str(config.input))
        outcomes = PipelineRun(config, config_sha256=digest, console=console, overwrite=overwrite).run()

    _print_summary(outcomes, config.output)


@app.command()
def demo(
    directory: Annotated[Path, typer.Argument(help="Folder for the outputs.")] = Path("genesis-demo"),
    rows: Annotated[int, typer.Option(help="Rows in the sample table and in the output.")] = 10_000,
    seed: Annotated[
        int, typer.Option(help="Random seed of the fit and the evaluation (the sample table uses seed 42).")
    ] = 0,
    method: Annotated[
        str,
        typer.Option(
            help="auto (MST under differential privacy), mst, or ctgan (DP-CTGAN, needs PyTorch; at "
            "epsilon 1 it learns little)."
        ),
    ] = "auto",
    overwrite: OverwriteOption = False,
) -> None:
    """Run the whole job on the built-in sample patient table with the HIPAA tutorial's settings.

    Differential privacy with epsilon 1 and delta 1e-5, k-anonymity with k=5 on
    age, gender and zip_code, outlier suppression and a minimum category count
    of 10. DIRECTORY receives the sample input, the pipeline file that
    reproduces the run with `genesis run`, and every output.
    """
    with user_errors():
        mapping = demo_settings(rows, seed, method)
        config = config_from_mapping(mapping, source=str(directory / DEMO_CONFIG), base=directory)
        real = patient_table(rows, random_state=42)
        clear_previous_outputs(directory, config, overwrite=overwrite, console=console)

        directory.mkdir(parents=True, exist_ok=True)
        write_table(real, directory / DEMO_INPUT)
        (directory / DEMO_CONFIG).write_text(_demo_yaml(mapping), encoding="utf-8")
        outcomes = PipelineRun(config, data=real, console=console, overwrite=overwrite).run()

    _print_summary(outcomes, directory)
    if method == "auto":
        console.print(
            "method 'auto' chose MST: under differential privacy it fits a few noisy marginals, "
            f"while DP-CTGAN at epsilon 1 learns little from {rows:,} rows (see docs/privacy.md)."
        )
    console.print(
        f"Inputs: {escape(str(directory / DEMO_INPUT))} (the sample table, generated in code) and "
        f"{escape(str(directory / DEMO_CONFIG))}. Try next: genesis audit "
        f"{escape(str(directory / DEMO_INPUT))} {escape(str(directory / 'synthetic.csv'))}"
    )


def demo_settings(rows: int, seed: int, method: str) -> dict[str, Any]:
    """Return the pipeline mapping of `genesis demo`: the tutorial's privacy settings on the sample table."""
    return {
        "input": DEMO_INPUT,
        "output": ".",
        # The sample table stores ZIP codes as text; read from the CSV they would become integers.
        "text_columns": ["zip_code"],
        "drop_columns": ["patient_id"],
        "discrete_columns": list(PATIENT_DISCRETE_COLUMNS),
        "quasi_identifiers": list(PATIENT_QUASI_IDENTIFIERS),
        "sensitive_columns": list(PATIENT_SENSITIVE_COLUMNS),
        "target_column": "condition",
        "method": method,
        "privacy": {
            "differential_privacy": {"epsilon": 1.0, "delta": 1e-5},
            "k_anonymity": {"k": 5},
            "suppress_outliers": True,
            "min_category_count": 10,
        },
        "rows": rows,
        "seed": seed,
        "framework": "hipaa",
        "organization": "Example Healthcare System",
        "data_description": "Synthetic patient records for research (genesis demo)",
        "purpose": "Machine learning model development and testing",
    }


def _demo_yaml(mapping: dict[str, Any]) -> str:
    header = (
        "# Written by `genesis demo`. Rerun with: genesis run --overwrite pipeline.yaml\n"
        "# (--overwrite replaces the demo's outputs, which are in this folder).\n"
        "# Relative paths are read from this file's folder.\n"
    )
    return header + yaml.safe_dump(mapping, sort_keys=False)


def _print_summary(outcomes: list[StageOutcome], folder: Path) -> None:
    table = Table(title="Every stage finished")
    table.add_column("stage")
    table.add_column("seconds", justify="right")
    table.add_column("result")
    for outcome in outcomes:
        table.add_row(outcome.label, f"{outcome.seconds:.1f}", escape(outcome.result))
    console.print(table)

    files = [name for outcome in outcomes for name in outcome.files]
    console.print(f"Outputs in {escape(str(folder))}: {escape(', '.join(files))}.", highlight=False)
