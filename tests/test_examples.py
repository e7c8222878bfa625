"""The example scripts run: the tutorial in the project's words, and the verbatim runner's parsing."""

import importlib.util
import json
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def load_example(name: str):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.filterwarnings("ignore::genesis.errors.GenesisWarning")
@pytest.mark.parametrize(
    "method", ["mst", pytest.param("ctgan", marks=[pytest.mark.torch, pytest.mark.slow])]
)
def test_hipaa_tutorial_runs(method, tmp_path, capsys):
    if method == "ctgan":
        pytest.importorskip("torch")
    tutorial = load_example("hipaa_tutorial")

    trail = tutorial.run(tmp_path, method=method, epochs=1, rows=4000, seed=0)

    printed = capsys.readouterr().out
    for step in range(1, 10):
        assert f"Step {step}:" in printed
    assert trail["method"] == method
    assert trail["epsilon_spent"] <= 1.0
    assert trail["records_generated"] == 4000
    assert 0 <= trail["privacy_score"] <= 1
    assert json.loads((tmp_path / "synthesis_audit_trail.json").read_text())["k_anonymity"] == 5
    for name in (
        "hipaa_assessment.html",
        "hipaa_assessment.pdf",
        "synthetic_patients.csv",
        "patient_generator.genesis",
    ):
        assert (tmp_path / name).is_file(), name


def test_verbatim_runner_finds_step_blocks():
    runner = load_example("run_tutorial_verbatim")
    markdown = "\n".join(
        [
            "# Tutorial",
            "```python",
            "print('intro')",
            "```",
            "## Step 1: Load",
            "```python",
            "x = 1",
            "```",
            "```bash",
            "pip install x",
            "```",
            "## Step 2: Use",
            "Text.",
            "```python",
            "y = x + 1",
            "```",
            "## Complete script",
            "```python",
            "z = undefined",
            "```",
        ]
    )

    blocks = runner.step_blocks(markdown)

    assert blocks == [("Step 1: Load", "x = 1\n"), ("Step 2: Use", "y = x + 1\n")]


def test_verbatim_runner_executes_in_folder(tmp_path, capsys):
    runner = load_example("run_tutorial_verbatim")
    blocks = [
        ("Step 1: Write", "from pathlib import Path\nPath('a.txt').write_text('a')\nvalue = 2\n"),
        ("Step 2: Read", "assert value == 2\nprint(Path('a.txt').read_text())\n"),
    ]

    status = runner.run_blocks(blocks, tmp_path)

    assert status == 0
    assert (tmp_path / "a.txt").read_text() == "a"
    assert "Time per step" in capsys.readouterr().out


def test_verbatim_runner_names_failing_step(tmp_path, capsys):
    runner = load_example("run_tutorial_verbatim")

    status = runner.run_blocks([("Step 1: Break", "raise ValueError('boom')\n")], tmp_path)

    assert status == 1
    assert "FAILED in 'Step 1: Break'" in capsys.readouterr().err
