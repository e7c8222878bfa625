"""The `genesis` command-line tool.

Each command reads tables with `genesis.io`, runs the library, and turns every
expected failure (a missing file, invalid data or settings) into a one-line
message on standard error with a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from genesis import __version__, release
from genesis.datasets import PATIENT_DISCRETE_COLUMNS, patient_table
from genesis.errors import GenesisError, GenesisWarning
from genesis.io import read_table, write_table
from genesis.synthesizer import SyntheticGenerator

app = typer.Typer(
    help="Synthetic data for sensitive tables, with privacy evidence.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)
EXIT_FAILURE = 1


@app.callback(invoke_without_command=True)
def _main(
    context: typer.Context,
    version: Annotated[bool, typer.Option("--version", help="Print the genesis version and exit.")] = False,
) -> None:
    if version:
        typer.echo(__version__)
        raise typer.Exit()
    if context.invoked_subcommand is None:
        typer.echo(context.get_help())
        raise typer.Exit()


@app.command()
def synth(
    input_path: Annotated[Path, typer.Argument(metavar="INPUT", help="Real table, .csv or .parquet.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Synthetic table to write, .csv or .parquet.")
    ],
    method: Annotated[str, typer.Option(help="ctgan, gaussian_copula or auto.")] = "auto",
    rows: Annotated[
        int | None, typer.Option(help="Rows to generate [default: as many as the input].")
    ] = None,
    epochs: Annotated[int | None, typer.Option(help="CTGAN training epochs [default: the method's].")] = None,
    seed: Annotated[
        int | None, typer.Option(help="Random seed; the same seed gives the same output.")
    ] = None,
    discrete: Annotated[str, typer.Option(help="Comma-separated columns to model as categories.")] = "",
    drop: Annotated[
        str, typer.Option(help="Comma-separated columns to leave out, e.g. direct identifiers.")
    ] = "",
    na_values: Annotated[
        str, typer.Option(help="Comma-separated CSV strings that mean missing, e.g. '?,NA'.")
    ] = "",
    model: Annotated[Path | None, typer.Option(help="Also save the fitted model to this file.")] = None,
) -> None:
    """Fit a generator on INPUT and write synthetic rows to OUTPUT, with a release record beside it."""
    with _user_errors():
        data = read_table(input_path, _split(na_values))
        data = _drop_columns(data, _split(drop))
        config = {"epochs": epochs} if epochs is not None else {}

        generator = SyntheticGenerator(method=method, config=config, random_state=seed)
        seconds = _fit_with_progress(generator, data, _split(discrete))
        synthetic = generator.generate(n_samples=rows or len(data))

        write_table(synthetic, output)
        sidecar = release.write_sidecar(output, release.record_of(synthetic) or {})
        if model is not None:
            generator.save(model)

    console.print(f"Fitted {generator.method_} on {len(data):,} rows in {seconds:.1f} s.")
    console.print(f"Wrote {len(synthetic):,} synthetic rows to {output} and the release record to {sidecar}.")


@app.command()
def demo(
    directory: Annotated[Path, typer.Argument(help="Folder for the outputs.")] = Path("genesis-demo"),
    method: Annotated[str, typer.Option(help="ctgan, gaussian_copula or auto.")] = "auto",
    epochs: Annotated[int | None, typer.Option(help="CTGAN training epochs [default: 300].")] = None,
    rows: Annotated[int, typer.Option(help="Rows in the sample table and in the output.")] = 10_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Run the whole job on the built-in sample patient table and write the results to DIRECTORY."""
    with _user_errors():
        directory.mkdir(parents=True, exist_ok=True)
        real = patient_table(rows, random_state=42).drop(columns="patient_id")
        config: dict[str, Any] = {"epochs": epochs if epochs is not None else 300}
        if method == "gaussian_copula":
            config = {}

        generator = SyntheticGenerator(method=method, config=config, random_state=seed)
        seconds = _fit_with_progress(generator, real, list(PATIENT_DISCRETE_COLUMNS))
        synthetic = generator.generate(n_samples=rows)

        output = directory / "synthetic_patients.csv"
        write_table(synthetic, output)
        release.write_sidecar(output, release.record_of(synthetic) or {})
        generator.save(directory / "patient_generator.genesis")
        summary = _comparison(real, synthetic)
        (directory / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")

    console.print(_summary_table(summary))
    console.print(
        f"Fitted {generator.method_} on {len(real):,} sample patients in {seconds:.1f} s and wrote to "
        f"{directory}/: synthetic_patients.csv (+ .genesis.json release record), patient_generator.genesis "
        "(the model), summary.json."
    )
    console.print(
        "[yellow]This run applies no privacy protection (no differential privacy, no k-anonymity); "
        "do not release its output as de-identified.[/yellow]"
    )


def _fit_with_progress(generator: SyntheticGenerator, data: pd.DataFrame, discrete: list[str]) -> float:
    columns = [TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn()]
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("Training", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        start = time.perf_counter()
        generator.fit(data, discrete_columns=discrete, progress=advance)
        seconds = time.perf_counter() - start
        bar.update(task, completed=1 if bar.tasks[0].total is None else bar.tasks[0].total,
                   total=bar.tasks[0].total or 1)
    return seconds


def _comparison(real: pd.DataFrame, synthetic: pd.DataFrame) -> dict[str, Any]:
    """Compare per-column summaries; computed on the real table, for its custodian only."""
    columns = {}
    for name in real.columns:
        if pd.api.types.is_numeric_dtype(real[name].dtype):
            columns[name] = {
                "kind": "numeric",
                "real_mean": round(float(real[name].mean()), 2),
                "synthetic_mean": round(float(synthetic[name].mean()), 2),
                "real_std": round(float(real[name].std()), 2),
                "synthetic_std": round(float(synthetic[name].std()), 2),
            }
        else:
            p = real[name].value_counts(normalize=True)
            q = synthetic[name].value_counts(normalize=True)
            p, q = p.align(q, fill_value=0.0)
            columns[name] = {"kind": "categorical",
                             "total_variation_distance": round(float(0.5 * (p - q).abs().sum()), 4)}
    return {"rows_real": len(real), "rows_synthetic": len(synthetic), "columns": columns,
            "note": "Computed on the real table; for the data custodian, not for release."}


def _summary_table(summary: dict[str, Any]) -> Table:
    table = Table(title="Real vs synthetic, per column (computed on the real table)")
    for header in ("column", "real", "synthetic"):
        table.add_column(header)
    for name, stats in summary["columns"].items():
        if stats["kind"] == "numeric":
            table.add_row(name, f"mean {stats['real_mean']:g} sd {stats['real_std']:g}",
                          f"mean {stats['synthetic_mean']:g} sd {stats['synthetic_std']:g}")
        else:
            table.add_row(name, "category shares", f"total variation {stats['total_variation_distance']:.3f}")
    return table


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _drop_columns(data: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    missing = [n for n in names if n not in data.columns]
    if missing:
        raise GenesisError(
            f"--drop names columns {missing} that are not in the table; it has {list(data.columns)}."
        )
    return data.drop(columns=names)


@contextmanager
def _user_errors() -> Iterator[None]:
    """Print expected failures as one line and exit non-zero; show genesis warnings briefly."""
    with warnings.catch_warnings():
        warnings.simplefilter("always", GenesisWarning)
        warnings.showwarning = _show_warning
        try:
            yield
        except (GenesisError, FileNotFoundError, PermissionError, IsADirectoryError) as error:
            console.print(f"[red]error:[/red] {error}", highlight=False, soft_wrap=True)
            raise typer.Exit(EXIT_FAILURE) from None
        except OSError as error:
            reason = error.strerror or error
            console.print(f"[red]error:[/red] {reason}: {error.filename or ''}", highlight=False)
            raise typer.Exit(EXIT_FAILURE) from None


def _show_warning(message: Warning | str, category: type[Warning], *_: Any, **__: Any) -> None:
    console.print(f"[yellow]warning ({category.__name__}):[/yellow] {message}", highlight=False,
                  soft_wrap=True)


def main() -> None:
    app()


