"""`genesis synth`: fit a generator on a table and write synthetic rows, without the evidence stages."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from genesis import release
from genesis.cli.app import app, console, split_list, user_errors
from genesis.errors import GenesisError
from genesis.io import read_table, write_table
from genesis.synthesizer import SyntheticGenerator


@app.command()
def synth(
    input_path: Annotated[Path, typer.Argument(metavar="INPUT", help="Real table, .csv or .parquet.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Synthetic table to write, .csv or .parquet.")
    ],
    method: Annotated[str, typer.Option(help="ctgan, mst, gaussian_copula or auto.")] = "auto",
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
    with user_errors():
        data = read_table(input_path, split_list(na_values))
        data = _drop_columns(data, split_list(drop))
        config = {"epochs": epochs} if epochs is not None else {}

        generator = SyntheticGenerator(method=method, config=config, random_state=seed)
        seconds = _fit_with_progress(generator, data, split_list(discrete))
        synthetic = generator.generate(n_samples=rows or len(data))

        write_table(synthetic, output)
        sidecar = release.write_sidecar(output, release.record_of(synthetic) or {})
        if model is not None:
            generator.save(model)

    console.print(f"Fitted {generator.method_} on {len(data):,} rows in {seconds:.1f} s.")
    console.print(f"Wrote {len(synthetic):,} synthetic rows to {output} and the release record to {sidecar}.")


def _fit_with_progress(generator: SyntheticGenerator, data: pd.DataFrame, discrete: list[str]) -> float:
    columns = [
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    ]
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("Training", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        start = time.perf_counter()
        generator.fit(data, discrete_columns=discrete, progress=advance)
        seconds = time.perf_counter() - start
        total = bar.tasks[0].total or 1
        bar.update(task, completed=total, total=total)
    return seconds


def _drop_columns(data: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    missing = [n for n in names if n not in data.columns]
    if missing:
        raise GenesisError(
            f"--drop names columns {missing} that are not in the table; it has {list(data.columns)}."
        )
    return data.drop(columns=names)
