import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from genesis.cli import app
from genesis.datasets import patient_table

runner = CliRunner()


@pytest.fixture
def patients_csv(tmp_path) -> Path:
    path = tmp_path / "patients.csv"
    patient_table(300, random_state=4).to_csv(path, index=False)
    return path


def test_synth_writes_table_and_sidecar(patients_csv, tmp_path):
    output = tmp_path / "out" / "synthetic.csv"

    result = runner.invoke(app, ["synth", str(patients_csv), "-o", str(output), "--method", "gaussian_copula",
                                 "--rows", "120", "--seed", "1", "--drop", "patient_id",
                                 "--discrete", "gender,zip_code,condition,treatment"])

    assert result.exit_code == 0, result.output
    synthetic = pd.read_csv(output, dtype={"zip_code": str})
    record = json.loads((tmp_path / "out" / "synthetic.csv.genesis.json").read_text())
    assert len(synthetic) == 120
    assert list(synthetic.columns) == ["age", "gender", "zip_code", "condition", "treatment",
                                       "blood_pressure_systolic", "annual_cost"]
    assert record["rows"]["generated"] == 120


def test_synth_parquet_and_model(patients_csv, tmp_path):
    output = tmp_path / "synthetic.parquet"
    model = tmp_path / "model.genesis"

    result = runner.invoke(app, ["synth", str(patients_csv), "-o", str(output), "--method", "gaussian_copula",
                                 "--model", str(model), "--drop", "patient_id"])

    assert result.exit_code == 0, result.output
    assert len(pd.read_parquet(output)) == 300
    assert model.is_file()


def test_synth_missing_input_is_one_line_error(tmp_path):
    result = runner.invoke(app, ["synth", str(tmp_path / "absent.csv"), "-o", str(tmp_path / "o.csv")])

    assert result.exit_code == 1
    assert "not found" in result.output
    assert "Traceback" not in result.output


def test_synth_unknown_discrete_column(patients_csv, tmp_path):
    result = runner.invoke(app, ["synth", str(patients_csv), "-o", str(tmp_path / "o.csv"),
                                 "--method", "gaussian_copula", "--discrete", "gendr"])

    assert result.exit_code == 1
    assert "['gendr']" in result.output


def test_synth_unknown_drop_column(patients_csv, tmp_path):
    result = runner.invoke(app, ["synth", str(patients_csv), "-o", str(tmp_path / "o.csv"), "--drop", "ssn"])

    assert result.exit_code == 1
    assert "['ssn']" in result.output


def test_synth_unknown_method(patients_csv, tmp_path):
    result = runner.invoke(app, ["synth", str(patients_csv), "-o", str(tmp_path / "o.csv"),
                                 "--method", "gan"])

    assert result.exit_code == 1
    assert "'gan'" in result.output


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to read-only folders")
def test_synth_unwritable_output(patients_csv, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)

    result = runner.invoke(app, ["synth", str(patients_csv), "-o", str(locked / "o.csv"),
                                 "--method", "gaussian_copula", "--drop", "patient_id"])

    assert result.exit_code == 1
    assert "Traceback" not in result.output


def test_synth_output_in_place_of_a_file(patients_csv, tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")

    result = runner.invoke(app, ["synth", str(patients_csv), "-o", str(blocker / "o.csv"),
                                 "--method", "gaussian_copula", "--drop", "patient_id"])

    assert result.exit_code == 1
    assert "Traceback" not in result.output


def test_module_entry_point_reports_errors(tmp_path):
    result = subprocess.run([sys.executable, "-m", "genesis", "synth", str(tmp_path / "absent.csv"),
                             "-o", str(tmp_path / "o.csv")], capture_output=True, text=True)

    assert result.returncode == 1
    assert "not found" in result.stderr
    assert "Traceback" not in result.stderr


def test_version_option():
    result = runner.invoke(app, ["--version"])

    assert result.exit_code == 0
    assert result.output.strip()


def test_synth_without_privacy_warns(patients_csv, tmp_path):
    result = runner.invoke(app, ["synth", str(patients_csv), "-o", str(tmp_path / "o.csv"),
                                 "--method", "gaussian_copula", "--drop", "patient_id"])

    assert result.exit_code == 0, result.output
    assert "no differential privacy and no k-anonymity" in result.output
    assert "--epsilon" in result.output
    assert "--k" in result.output


def test_synth_with_privacy_options(tmp_path):
    # DP finds the numeric ranges from the data, which needs more rows than the 300-row fixture.
    patients = tmp_path / "patients.csv"
    patient_table(3000, random_state=4).to_csv(patients, index=False)
    output = tmp_path / "o.csv"

    result = runner.invoke(app, ["synth", str(patients), "-o", str(output), "--drop", "patient_id",
                                 "--seed", "0", "--epsilon", "1", "--k", "5",
                                 "--quasi-identifiers", "age,gender,zip_code",
                                 "--discrete", "gender,zip_code,condition,treatment"])

    assert result.exit_code == 0, result.output
    assert "no differential privacy" not in result.output
    record = json.loads((tmp_path / "o.csv.genesis.json").read_text())
    assert record["k_anonymity"]["k"] == 5
    assert record["generator"]["method"] == "mst"
    assert record["privacy"]["ledger"]["spent"]["epsilon"] <= 1.0


def test_synth_delta_without_epsilon(patients_csv, tmp_path):
    result = runner.invoke(app, ["synth", str(patients_csv), "-o", str(tmp_path / "o.csv"),
                                 "--delta", "1e-6"])

    assert result.exit_code == 1
    assert "--delta" in result.output
    assert "--epsilon" in result.output


def test_help_shows_defaults_and_no_flag_metavar():
    synth_help = runner.invoke(app, ["synth", "--help"]).output
    audit_help = runner.invoke(app, ["audit", "--help"]).output
    flat_synth = " ".join(synth_help.split())

    assert "Rows to generate [default: as many as the input]." in flat_synth
    assert "[default: auto]" in flat_synth
    assert "<bool>" not in synth_help
    assert "<bool>" not in audit_help
    assert "--json <" not in audit_help
