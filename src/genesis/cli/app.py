"""The typer application shared by every command, and its error and warning handling."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console

from genesis import __version__
from genesis.errors import GenesisError, GenesisWarning

app = typer.Typer(
    help="Synthetic data for sensitive tables, with privacy evidence.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain click help: rich markup would swallow "[default: ...]" in help texts, and
    # typer 0.29's rich panels give every flag a "<bool>" metavar.
    rich_markup_mode=None,
)
console = Console(stderr=True)
"""Console for progress, messages and summaries: standard error, so `--json` output stays clean."""

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


def split_list(text: str) -> list[str]:
    """Split a comma-separated option value into names, ignoring blanks."""
    return [part.strip() for part in text.split(",") if part.strip()]


def print_error(message: str) -> None:
    console.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True, markup=True)


@contextmanager
def user_errors() -> Iterator[None]:
    """Print expected failures as one line and exit non-zero; show genesis warnings briefly."""
    with warnings.catch_warnings():
        warnings.simplefilter("always", GenesisWarning)
        warnings.showwarning = _show_warning
        try:
            yield
        except (GenesisError, FileNotFoundError, PermissionError, IsADirectoryError) as error:
            print_error(_escape(str(error)))
            raise typer.Exit(EXIT_FAILURE) from None
        except OSError as error:
            reason = error.strerror or error
            print_error(_escape(f"{reason}: {error.filename or ''}"))
            raise typer.Exit(EXIT_FAILURE) from None


def _show_warning(message: Warning | str, category: type[Warning], *_: Any, **__: Any) -> None:
    console.print(
        f"[yellow]warning ({category.__name__}):[/yellow] {_escape(str(message))}",
        highlight=False,
        soft_wrap=True,
    )


def _escape(text: str) -> str:
    """Escape rich markup, so that a column name such as '[70-80)' prints as it is."""
    from rich.markup import escape

    return escape(text)


def main() -> None:
    app()
