"""The `genesis` command-line tool.

Each command reads tables with `genesis.io`, runs the library, and turns every
expected failure (a missing file, invalid data or settings) into a one-line
message on standard error with a non-zero exit code, never a traceback.
Importing this package registers the commands on `app`.
"""

from genesis.cli import evidence, run, synth  # noqa: F401  (each module registers its commands)
from genesis.cli.app import app, main

__all__ = ["app", "main"]
