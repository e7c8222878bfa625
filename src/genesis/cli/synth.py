"""`genesis synth`: fit a generator on a table and write synthetic rows, without the evidence stages."""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from genesis import release
from genesis.cli.app import app, console, split_list, user_errors
from genesis.errors import ConfigError, GenesisError, PrivacyWarning
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
    epsilon: Annotated[
        float | None, typer.Option(help="Differential privacy budget of the fit, e.g. 1 [default: no DP].")
    ] = None,
    delta: Annotated[
        float | None, typer.Option(help="DP delta, with --epsilon [default: min(1e-5, 1/(10 rows))].")
    ] = None,
    k: Annotated[
        int | None, typer.Option("--k", help="k-anonymity on --quasi-identifiers, k >= 2 [default: none].")
    ] = None,
    quasi_identifiers: Annotated[
        str, typer.Option(help="Comma-separated columns an attacker could link, for --k.")
    ] = "",
) -> None:
    """Fit a generator on INPUT and write synthetic rows to OUTPUT, with a release record beside it.

    Without --epsilon or --k the fit has no privacy protection, and a warning
    says so. `genesis run` adds the audit, the attacks and the assessment.
    """
    with user_errors():
        privacy = _privacy_settings(epsilon, delta, k, split_list(quasi_identifiers))
        data = read_table(input_path, split_list(na_values))
        data = _drop_columns(data, split_list(drop))
        config = {"epochs": epochs} if epochs is not None else {}
        if privacy is None:
            warnings.warn(UNPROTECTED_WARNING, PrivacyWarning, stacklevel=1)

        generator = SyntheticGenerator(method=method, privacy=privacy, config=config, random_state=seed)
        seconds = _fit_with_progress(generator, data, split_list(discrete))
        synthetic = generator.generate(n_samples=rows or len(data))

        write_table(synthetic, output)
        sidecar = release.write_sidecar(output, release.record_of(synthetic) or {})
        if model is not None:
            generator.save(model)

    console.print(f"Fitted {generator.method_} on {len(data):,} rows in {seconds:.1f} s.")
    console.print(f"Wrote {len(synthetic):,} synthetic rows to {output} and the release record to {sidecar}.")


UNPROTECTED_WARNING = (
    "no privacy setting given, so the output has no differential privacy and no k-anonymity: the "
    "generator may reproduce rare or whole real rows, and nothing bounds what it reveals about any "
    "person. Only the columns named in --drop are left out. Add --epsilon 1 for differential privacy "
    "and --k 5 --quasi-identifiers age,gender,zip_code for k-anonymity (or use `genesis run` with a "
    "pipeline file), and measure the output with `genesis audit`."
)


def _privacy_settings(
    epsilon: float | None, delta: float | None, k: int | None, quasi_identifiers: list[str]
) -> dict[str, Any] | None:
    """Return the `privacy` mapping of the options, or None when they request no protection."""
    if delta is not None and epsilon is None:
        raise ConfigError(
            "--delta is set without --epsilon. Add --epsilon, e.g. --epsilon 1, or drop --delta."
        )
    if quasi_identifiers and k is None:
        raise ConfigError(
            "--quasi-identifiers is set without --k, so it would change nothing. Add --k, e.g. --k 5."
        )

    privacy: dict[str, Any] = {}
    if epsilon is not None:
        privacy["differential_privacy"] = {"epsilon": epsilon} | (
            {"delta": delta} if delta is not None else {}
        )
    if k is not None:
        privacy["k_anonymity"] = {"k": k, "quasi_identifiers": quasi_identifiers}
    return privacy or None


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
