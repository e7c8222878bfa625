"""`genesis run` and `genesis demo`: the whole job from one command, and its failures."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from genesis.cli import app
from genesis.cli.pipeline import STAGES
from genesis.datasets import patient_table
from genesis.evaluation.quality import QualityEvaluator
from genesis.io import read_table

runner = CliRunner()

OUTPUTS = [
    "synthetic.csv",
    "synthetic.csv.genesis.json",
    "model.genesis",
    "privacy_audit.json",
    "attacks.json",
    "quality.json",
    "hipaa_assessment.json",
    "hipaa_assessment.html",
    "hipaa_assessment.pdf",
    "audit_trail.json",
]


def write_config(folder: Path, **changes) -> Path:
    """Write a small MST pipeline over a 2,000-row patient table; `changes` replace or add keys."""
    table = folder / "patients.csv"
    if not table.exists():
        patient_table(2000, random_state=3).to_csv(table, index=False)
    settings = {
        "input": "patients.csv",
        "output": "release",
        "drop_columns": ["patient_id"],
        "discrete_columns": ["gender", "zip_code", "condition", "treatment"],
        "quasi_identifiers": ["age", "gender", "zip_code"],
        "sensitive_columns": ["condition"],
        "target_column": "condition",
        "method": "mst",
        "privacy": {"differential_privacy": {"epsilon": 1.0, "delta": 1e-5}, "k_anonymity": {"k": 5}},
        "public_domain": {
            "age": {"lower": 0, "upper": 100},
            "annual_cost": {"lower": 100, "upper": 50_000},
            "blood_pressure_systolic": {"lower": 80, "upper": 200},
        },
        "seed": 0,
        "organization": "Test Hospital",
    }
    settings.update(changes)
    path = folder / "pipeline.yaml"
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    return path


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error:")]


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("run")
    result = runner.invoke(app, ["run", str(write_config(folder))])
    assert result.exit_code == 0, result.output
    return folder / "release", result.output


def test_run_writes_every_output(finished_run):
    release, _ = finished_run

    for name in OUTPUTS:
        assert (release / name).is_file(), name
    assert not list(release.glob(".partial-*"))


def test_run_audit_trail(finished_run):
    release, _ = finished_run
    trail = json.loads((release / "audit_trail.json").read_text())

    assert trail["status"] == "completed"
    assert [stage["name"] for stage in trail["stages"]] == [name for name, _ in STAGES[:-1]]
    assert trail["privacy_spent"]["epsilon"] <= 1.0
    assert trail["k_anonymity"] == 5
    assert trail["records_generated"] == 2000
    assert 0 <= trail["privacy_score"] <= 1
    assert 0 <= trail["quality_score"] <= 1
    assert set(trail["outputs_sha256"]) == set(OUTPUTS) - {"audit_trail.json"}
    assert len(trail["input"]["sha256"]) == 64


def test_run_sidecar_and_assessment(finished_run):
    release, _ = finished_run
    record = json.loads((release / "synthetic.csv.genesis.json").read_text())
    assessment = json.loads((release / "hipaa_assessment.json").read_text())

    assert record["k_anonymity"]["k"] == 5
    assert record["generator"]["method"] == "mst"
    assert record["pipeline"] == {"sensitive_columns": ["condition"],
                                  "quasi_identifiers": ["age", "gender", "zip_code"]}
    assert assessment["organization"] == "Test Hospital"
    assert (release / "hipaa_assessment.pdf").read_bytes().startswith(b"%PDF")


def test_run_prints_summary(finished_run):
    _, output = finished_run

    assert "Every stage finished" in output
    assert "Privacy audit" in output
    assert "audit_trail.json" in output


def test_run_missing_input_file(tmp_path):
    config = write_config(tmp_path, input="absent.csv")

    result = runner.invoke(app, ["run", str(config)])

    assert result.exit_code == 1
    assert len(error_lines(result.output)) == 1
    assert "absent.csv" in result.output and "not found" in result.output
    assert not (tmp_path / "release").exists()


def test_run_missing_config_file(tmp_path):
    result = runner.invoke(app, ["run", str(tmp_path / "absent.yaml")])

    assert result.exit_code == 1
    assert "not found" in result.output


def test_run_key_typo(tmp_path):
    config = write_config(tmp_path, quasi_identifers=["age"])

    result = runner.invoke(app, ["run", str(config)])

    assert result.exit_code == 1
    assert len(error_lines(result.output)) == 1
    assert "unknown key 'quasi_identifers'" in result.output
    assert "Did you mean 'quasi_identifiers'?" in result.output
    assert "Valid keys:" in result.output
    assert not (tmp_path / "release").exists()


def test_run_privacy_key_typo(tmp_path):
    config = write_config(tmp_path, privacy={"differential_privacy": {"epsilon": 1.0, "detla": 1e-5}})

    result = runner.invoke(app, ["run", str(config)])

    assert result.exit_code == 1
    assert "key 'privacy'" in result.output
    assert "'detla'" in result.output
    assert "'delta'" in result.output


def test_run_column_not_in_table(tmp_path):
    config = write_config(tmp_path, quasi_identifiers=["age", "gender", "zipcode"])

    result = runner.invoke(app, ["run", str(config)])

    assert result.exit_code == 1
    assert len(error_lines(result.output)) == 1
    assert "key 'quasi_identifiers' names column 'zipcode'" in result.output
    assert "Did you mean 'zip_code'?" in result.output
    assert not (tmp_path / "release").exists()


def test_run_wrong_value_type(tmp_path):
    config = write_config(tmp_path, rows="many")

    result = runner.invoke(app, ["run", str(config)])

    assert result.exit_code == 1
    assert "key 'rows' is 'many'" in result.output


def test_run_invalid_yaml(tmp_path):
    config = tmp_path / "pipeline.yaml"
    config.write_text("input: [unclosed\n", encoding="utf-8")

    result = runner.invoke(app, ["run", str(config)])

    assert result.exit_code == 1
    assert "invalid YAML" in result.output


def test_run_output_below_a_file(tmp_path):
    (tmp_path / "blocker").write_text("a file, not a folder")
    config = write_config(tmp_path, output="blocker/release")

    result = runner.invoke(app, ["run", str(config)])

    assert result.exit_code == 1
    assert len(error_lines(result.output)) == 1
    assert "not writable" in result.output


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to read-only folders")
def test_run_unwritable_output_folder(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    config = write_config(tmp_path, output="locked")

    result = runner.invoke(app, ["run", str(config)])

    assert result.exit_code == 1
    assert "not writable" in result.output
    assert list(locked.iterdir()) == []


def test_run_failing_stage_keeps_earlier_outputs(tmp_path, monkeypatch):
    def broken(self, target_column=None):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(QualityEvaluator, "evaluate", broken)
    config = write_config(tmp_path)

    result = runner.invoke(app, ["run", str(config)])

    release = tmp_path / "release"
    trail = json.loads((release / "audit_trail.json").read_text())
    assert result.exit_code == 1
    assert len(error_lines(result.output)) == 1
    assert "stage 'quality' failed" in result.output
    assert "synthetic.csv" in error_lines(result.output)[0]
    assert (release / "privacy_audit.json").is_file()
    assert not (release / "quality.json").exists()
    assert trail["status"] == "failed"
    assert trail["failed_stage"] == "quality"


def test_demo_writes_outputs(tmp_path):
    folder = tmp_path / "demo"

    result = runner.invoke(app, ["demo", str(folder), "--rows", "4000"])

    assert result.exit_code == 0, result.output
    for name in OUTPUTS + ["sample_patients.csv", "pipeline.yaml"]:
        assert (folder / name).is_file(), name
    assert "chose MST" in result.output
    trail = json.loads((folder / "audit_trail.json").read_text())
    assert trail["config"]["privacy"]["differential_privacy"] == {"epsilon": 1.0, "delta": 1e-5}
    assert trail["config"]["quasi_identifiers"] == ["age", "gender", "zip_code"]


def test_demo_pipeline_file_reruns(tmp_path):
    folder = tmp_path / "demo"
    assert runner.invoke(app, ["demo", str(folder), "--rows", "4000"]).exit_code == 0

    demo_synthetic = (folder / "synthetic.csv").read_text()

    result = runner.invoke(app, ["run", "--overwrite", str(folder / "pipeline.yaml")])

    assert result.exit_code == 0, result.output
    assert json.loads((folder / "audit_trail.json").read_text())["input"]["path"].endswith(
        "sample_patients.csv"
    )
    assert (folder / "synthetic.csv").read_text() == demo_synthetic


def test_text_columns_keep_csv_numbers_as_text(tmp_path):
    path = tmp_path / "zips.csv"
    path.write_text("zip_code,age\n10001,40\n94110,51\n", encoding="utf-8")

    frame = read_table(path, text_columns=["zip_code"])

    assert frame["zip_code"].tolist() == ["10001", "94110"]
    assert frame["age"].dtype == "int64"


def test_run_text_column_not_in_table(tmp_path):
    config = write_config(tmp_path, text_columns=["zip"])

    result = runner.invoke(app, ["run", str(config)])

    assert result.exit_code == 1
    assert "key 'text_columns' names column 'zip'" in result.output


def test_run_subprocess_reports_typo(tmp_path):
    config = write_config(tmp_path, methd="mst")

    result = subprocess.run(
        [sys.executable, "-m", "genesis", "run", str(config)], capture_output=True, text=True
    )

    assert result.returncode == 1
    assert len(error_lines(result.stderr)) == 1
    assert "unknown key 'methd'" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_subprocess_happy_path(tmp_path):
    config = write_config(
        tmp_path,
        method="gaussian_copula",
        privacy={"k_anonymity": {"k": 5}},
        framework=["gdpr", "ccpa"],
        output_format="parquet",
    )

    result = subprocess.run(
        [sys.executable, "-m", "genesis", "run", str(config)], capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr
    release = tmp_path / "release"
    assert (release / "synthetic.parquet.genesis.json").is_file()
    assert (release / "gdpr_assessment.pdf").is_file()
    assert (release / "ccpa_assessment.html").is_file()


def test_run_interrupt_removes_partial_file(tmp_path, monkeypatch):
    def interrupted(self, path):
        Path(path).write_text("half a model")
        raise KeyboardInterrupt

    monkeypatch.setattr("genesis.synthesizer.SyntheticGenerator.save", interrupted)
    config = write_config(tmp_path)

    result = runner.invoke(app, ["run", str(config)])

    release = tmp_path / "release"
    assert result.exit_code == 1
    assert "stage 'model' failed: interrupted" in result.output
    assert not list(release.glob(".partial-*"))
    assert not (release / "model.genesis").exists()
    assert (release / "synthetic.csv").is_file()


def previous_run(folder: Path) -> None:
    """Leave a previous run's outputs (with other settings) and an unrelated file in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "attacks.json").write_text('{"settings": "previous run"}')
    (folder / "audit_trail.json").write_text('{"status": "completed"}')
    (folder / "notes.txt").write_text("the custodian's notes")


def test_run_rejects_folder_with_previous_outputs(tmp_path):
    previous_run(tmp_path / "release")
    config = write_config(tmp_path)

    result = runner.invoke(app, ["run", str(config)])

    assert result.exit_code == 1
    assert len(error_lines(result.output)) == 1
    assert "--overwrite" in result.output
    assert "attacks.json" in result.output
    assert (tmp_path / "release" / "attacks.json").read_text() == '{"settings": "previous run"}'
    assert not (tmp_path / "release" / "synthetic.csv").exists()


def test_run_overwrite_removes_previous_outputs_before_first_stage(tmp_path, monkeypatch):
    def interrupted(self, path):
        raise KeyboardInterrupt

    monkeypatch.setattr("genesis.synthesizer.SyntheticGenerator.save", interrupted)
    release = tmp_path / "release"
    previous_run(release)
    config = write_config(tmp_path)

    result = runner.invoke(app, ["run", "--overwrite", str(config)])

    assert result.exit_code == 1
    assert "stage 'model' failed" in result.output
    assert "Removed the previous run's outputs" in result.output
    assert "attacks.json" in result.output
    assert not (release / "attacks.json").exists()
    assert (release / "synthetic.csv").is_file()
    assert (release / "notes.txt").read_text() == "the custodian's notes"
    assert json.loads((release / "audit_trail.json").read_text())["failed_stage"] == "model"


def test_run_nested_privacy_key_typo_suggests_key(tmp_path):
    config = write_config(tmp_path, privacy={"k_anonimity": {"k": 5}})

    result = runner.invoke(app, ["run", str(config)])

    assert result.exit_code == 1
    assert "Did you mean 'k_anonymity' for 'k_anonimity'?" in result.output


def test_run_empty_config_file(tmp_path):
    config = tmp_path / "pipeline.yaml"
    config.write_text("# nothing yet\n", encoding="utf-8")

    result = runner.invoke(app, ["run", str(config)])

    assert result.exit_code == 1
    assert "is empty" in result.output
    assert "NoneType" not in result.output


def test_run_framework_typo_lists_lower_case_names(tmp_path):
    config = write_config(tmp_path, framework="hippa")

    result = runner.invoke(app, ["run", str(config)])

    assert result.exit_code == 1
    assert "['hipaa', 'gdpr', 'ccpa']" in result.output
    assert "Did you mean 'hipaa'?" in result.output


def test_run_missing_input_names_its_source(tmp_path):
    config = write_config(tmp_path, input="absent.csv", input_source="the hospital's export, see the wiki")

    result = runner.invoke(app, ["run", str(config)])

    assert result.exit_code == 1
    assert "the hospital's export, see the wiki" in result.output
    assert "'input'" in result.output


def test_diabetes_example_names_where_its_table_comes_from():
    example = Path(__file__).resolve().parents[1] / "examples" / "diabetes_pipeline.yaml"

    settings = yaml.safe_load(example.read_text(encoding="utf-8"))

    assert "Diabetes 130-US hospitals" in settings["input_source"]
    assert "UCI" in settings["input_source"]


def test_demo_summary_counts_columns_and_replaced_rows(tmp_path):
    result = runner.invoke(app, ["demo", str(tmp_path / "demo"), "--rows", "3000"])

    flat = " ".join(result.output.replace("│", " ").split())
    assert result.exit_code == 0, result.output
    assert "8 columns read, 7 modelled" in flat
    assert "replaced by oversampling" in flat
    assert "from 3,000 rows" in flat


def test_demo_method_help_names_every_method():
    result = runner.invoke(app, ["demo", "--help"])

    assert "ctgan" in result.output
