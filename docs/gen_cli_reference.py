"""Write docs/cli.md, the command-line reference, from the typer app and the pipeline file's keys.

Run ``python docs/gen_cli_reference.py`` after changing a command, an option
or a pipeline key; a test fails while the committed page is out of date.
"""

from __future__ import annotations

import inspect
import sys
import typing
from pathlib import Path
from typing import Any

import typer

from genesis.cli import app
from genesis.cli.pipeline_config import KEYS, REQUIRED_KEYS

PAGE = Path(__file__).resolve().parent / "cli.md"

INTRODUCTION = """\
# Command-line reference

This page is generated from the `genesis` command by `docs/gen_cli_reference.py`; edit the
commands' help text, then run `python docs/gen_cli_reference.py`.

Every command prints progress, messages and summaries on standard error and exits with status 0
when it finished. It exits with status 2 on a usage error that the command line itself shows (a
missing argument or option, an unknown option, a value of the wrong type or out of range), with
click's usage message, and with status 1 on any other error (a missing file, an invalid setting, a
failed stage), with a one-line message that names the file, key or column and the fix. With `--json`,
standard output holds only the JSON document. The exit status does not depend on a verdict: read `verdict`,
`is_safe` or `is_compliant` from the JSON to gate a release.
"""


def render() -> str:
    """Return the Markdown of the reference page."""
    root = typer.main.get_command(app)
    root_context = root.context_class(root, info_name="genesis")
    sections = [INTRODUCTION]
    for name, command in root.commands.items():
        context = command.context_class(command, info_name=name, parent=root_context)
        sections.append(_command_section(name, command, context))
    sections.append(_pipeline_keys())
    return "\n".join(sections)


def _command_section(name: str, command: Any, context: Any) -> str:
    # typer writes required arguments as {NAME}; the page uses the plain names.
    usage = " ".join(command.collect_usage_pieces(context)).replace("{", "").replace("}", "")
    lines = [f"## genesis {name}", "", "```", f"genesis {name} {usage}", "```", "",
             inspect.cleandoc(command.help or ""), ""]
    rows = [_parameter_row(parameter) for parameter in command.params if parameter.name != "help"]
    if rows:
        lines += ["| argument or option | value | default | meaning |", "|---|---|---|---|", *rows, ""]
    return "\n".join(lines)


def _parameter_row(parameter: Any) -> str:
    # typer bundles its own click, so parameters are distinguished by kind, not by class.
    if parameter.param_type_name == "argument":
        label = f"`{parameter.metavar or parameter.name.upper()}`"
    else:
        label = ", ".join(f"`{option}`" for option in parameter.opts + parameter.secondary_opts)
    flag = getattr(parameter, "is_flag", False)
    kind = "flag" if flag else _kind(parameter.type_descriptor.annotation)
    default = "required" if parameter.required else _default(parameter.default)
    help_text = (getattr(parameter, "help", None) or "").replace("|", "\\|")
    return f"| {label} | {kind} | {default} | {help_text} |"


def _kind(annotation: Any) -> str:
    """Return the value kind of an option's type annotation, e.g. "integer" for ``int | None``."""
    names = {Path: "path", int: "integer", float: "number", str: "text"}
    for candidate in typing.get_args(annotation) or (annotation,):
        if candidate in names:
            return names[candidate]
    return str(annotation)


def _default(value: object) -> str:
    if value in (None, "", False):
        return ""
    return f"`{value}`"


def _pipeline_keys() -> str:
    lines = ["## The pipeline file of `genesis run`", "",
             "A YAML mapping. Only these keys are accepted; an unknown key is an error that lists them. "
             f"Required: {', '.join(f'`{key}`' for key in REQUIRED_KEYS)}. "
             "`examples/diabetes_pipeline.yaml` is a complete example, and `genesis demo` writes another.",
             "", "| key | meaning |", "|---|---|"]
    lines += [f"| `{key}` | {meaning} |" for key, meaning in KEYS.items()]
    return "\n".join(lines) + "\n"


def main() -> int:
    PAGE.write_text(render(), encoding="utf-8")
    print(f"Wrote {PAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
