"""The command-line job on real tables: small copies always, the full shared tables when present."""

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from genesis.cli import app

DATA = Path(__file__).parent / "data"
SHARED_DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
runner = CliRunner()


def synthesize(source: Path, output: Path, *options: str) -> pd.DataFrame:
    result = runner.invoke(app, ["synth", str(source), "-o", str(output), "--method", "gaussian_copula",
                                 "--seed", "0", *options])
    assert result.exit_code == 0, result.output
    return pd.read_csv(output, dtype=str, keep_default_na=False)


def test_adult_sample(tmp_path):
    real = pd.read_csv(DATA / "adult_sample.csv", dtype=str, keep_default_na=False)

    synthetic = synthesize(DATA / "adult_sample.csv", tmp_path / "adult.csv")

    assert list(synthetic.columns) == list(real.columns)
    assert set(synthetic["workclass"]) <= set(real["workclass"])


def test_diabetes_sample_keeps_icd_codes(tmp_path):
    real = pd.read_csv(DATA / "diabetes_sample.csv", dtype=str, keep_default_na=False)

    synthetic = synthesize(DATA / "diabetes_sample.csv", tmp_path / "diabetes.csv",
                           "--drop", "encounter_id,patient_nbr")

    assert len(synthetic) == len(real)
    assert set(synthetic["diag_1"]) <= set(real["diag_1"])
    assert set(synthetic["A1Cresult"]) <= set(real["A1Cresult"])


@pytest.mark.datasets
@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("insurance.csv", ()),
        ("adult.csv", ()),
        ("diabetic_data.csv", ("--drop", "encounter_id,patient_nbr",
                               "--discrete",
                               "admission_type_id,discharge_disposition_id,admission_source_id")),
    ],
)
def test_shared_tables(tmp_path, name, options):
    source = SHARED_DATASETS / name
    if not source.is_file():
        pytest.skip(f"shared dataset {name} not found at {source}")

    synthetic = synthesize(source, tmp_path / name, *options)

    real_columns = pd.read_csv(source, nrows=0).columns.drop(list(options[1].split(",")) if options else [])
    assert list(synthetic.columns) == list(real_columns)
