"""docs/cli.md is generated from the typer app and must match it."""

import importlib.util
from pathlib import Path

GENERATOR = Path(__file__).resolve().parents[1] / "docs" / "gen_cli_reference.py"


def test_cli_reference_is_up_to_date():
    spec = importlib.util.spec_from_file_location("gen_cli_reference", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    committed = module.PAGE.read_text(encoding="utf-8")

    assert committed == module.render(), "docs/cli.md is stale: run python docs/gen_cli_reference.py"


def test_cli_reference_lists_every_command():
    page = (GENERATOR.parent / "cli.md").read_text(encoding="utf-8")

    for command in ("run", "demo", "synth", "audit", "evaluate", "certify"):
        assert f"## genesis {command}" in page
