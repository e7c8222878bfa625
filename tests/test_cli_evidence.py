"""`genesis audit`, `evaluate` and `certify` on CSV files, with and without the release record."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from genesis.cli import app
from genesis.datasets import patient_table

runner = CliRunner()


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """A real table, a k-anonymous synthetic table with its release record, and a copy without it."""
    folder = tmp_path_factory.mktemp("evidence")
    real = folder / "real.csv"
    patient_table(1500, random_state=8).to_csv(real, index=False)
    # Another process fits, as in real use, so the fit's in-memory holdout is not reachable from here.
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "genesis",
            "synth",
            str(real),
            "-o",
            str(folder / "synthetic.csv"),
            "--method",
            "gaussian_copula",
            "--seed",
            "0",
            "--drop",
            "patient_id",
            "--discrete",
            "gender,zip_code,condition,treatment",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr

    bare = folder / "bare"
    bare.mkdir()
    shutil.copy(folder / "synthetic.csv", bare / "synthetic.csv")
    holdout = folder / "holdout.csv"
    patient_table(400, random_state=9).drop(columns="patient_id").to_csv(holdout, index=False)
    return {
        "real": real,
        "synthetic": folder / "synthetic.csv",
        "bare": bare / "synthetic.csv",
        "holdout": holdout,
        "folder": folder,
    }


def json_output(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_audit_reads_release_record(files):
    result = runner.invoke(
        app, ["audit", str(files["real"]), str(files["synthetic"]), "--json", "--seed", "0"]
    )

    payload = json_output(result)
    assert payload["release_record"].endswith("synthetic.csv.genesis.json")
    assert payload["report"]["verdict"] == "inconclusive"
    assert payload["report"]["holdout_used"] is False
    assert any("No --holdout" in note for note in payload["assumptions"])


def test_audit_without_record_says_so(files):
    result = runner.invoke(app, ["audit", str(files["real"]), str(files["bare"]), "--json", "--seed", "0"])

    payload = json_output(result)
    assert payload["release_record"] is None
    assert any("No release record" in note for note in payload["assumptions"])
    assert payload["report"]["k"] is None


def test_audit_options_replace_record(files):
    result = runner.invoke(
        app,
        [
            "audit",
            str(files["real"]),
            str(files["bare"]),
            "--json",
            "--seed",
            "0",
            "--k",
            "3",
            "--quasi-identifiers",
            "age,gender",
            "--sensitive-columns",
            "condition",
            "--holdout",
            str(files["holdout"]),
        ],
    )

    report = json_output(result)["report"]
    assert report["k"] == 3
    assert report["quasi_identifiers"] == ["age", "gender"]
    assert report["holdout_used"] is True
    assert report["settings"]["sensitive_columns"] == ["condition"]


def test_audit_text_output(files):
    result = runner.invoke(app, ["audit", str(files["real"]), str(files["bare"]), "--seed", "0"])

    assert result.exit_code == 0, result.output
    assert "Privacy audit" in result.stdout
    assert "Assumed: No release record" in result.output


def test_audit_unknown_quasi_identifier(files):
    result = runner.invoke(
        app, ["audit", str(files["real"]), str(files["bare"]), "--quasi-identifiers", "zipcode"]
    )

    assert result.exit_code == 1
    assert "zipcode" in result.output
    assert "Traceback" not in result.output


def test_audit_missing_file(files):
    result = runner.invoke(app, ["audit", str(files["real"]), str(files["folder"] / "absent.csv")])

    assert result.exit_code == 1
    assert "not found" in result.output


def test_evaluate_json(files):
    result = runner.invoke(
        app,
        [
            "evaluate",
            str(files["real"]),
            str(files["synthetic"]),
            "--json",
            "--seed",
            "0",
            "--target-column",
            "condition",
        ],
    )

    payload = json_output(result)
    assert 0 <= payload["report"]["overall_score"] <= 1
    assert payload["release_record"] is not None


def test_evaluate_without_record(files):
    result = runner.invoke(app, ["evaluate", str(files["real"]), str(files["bare"]), "--seed", "0"])

    assert result.exit_code == 0, result.output
    assert "Overall score" in result.stdout
    assert "Assumed: No release record" in result.output


def test_certify_writes_documents(files, tmp_path):
    result = runner.invoke(
        app,
        [
            "certify",
            str(files["real"]),
            str(files["synthetic"]),
            "--framework",
            "hipaa",
            "-o",
            str(tmp_path / "docs"),
            "--organization",
            "Test Clinic",
            "--seed",
            "0",
        ],
    )

    assert result.exit_code == 0, result.output
    assert "assessment" in result.stdout.lower()
    for suffix in ("html", "pdf", "json"):
        assert (tmp_path / "docs" / f"hipaa_assessment.{suffix}").is_file()


def test_certify_json_with_k(files):
    result = runner.invoke(
        app,
        [
            "certify",
            str(files["real"]),
            str(files["bare"]),
            "--framework",
            "gdpr",
            "--json",
            "--k",
            "5",
            "--quasi-identifiers",
            "age,gender,zip_code",
            "--seed",
            "0",
        ],
    )

    payload = json_output(result)
    assert payload["report"]["framework"] == "GDPR"
    assert isinstance(payload["report"]["is_compliant"], bool)
    assert any("No release record" in note for note in payload["assumptions"])


def test_certify_unknown_framework(files):
    result = runner.invoke(
        app, ["certify", str(files["real"]), str(files["synthetic"]), "--framework", "pipeda"]
    )

    assert result.exit_code == 1
    assert "'pipeda'" in result.output


def test_audit_subprocess_json(files):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "genesis",
            "audit",
            str(files["real"]),
            str(files["synthetic"]),
            "--json",
            "--seed",
            "0",
        ],
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["report"]["verdict"] in ("pass", "fail", "inconclusive")


@pytest.fixture
def pipeline_release(files, tmp_path) -> Path:
    """A copy of the synthetic table whose release record carries `genesis run`'s audit settings."""
    synthetic = tmp_path / "synthetic.csv"
    shutil.copy(files["synthetic"], synthetic)
    record = json.loads(Path(f"{files['synthetic']}.genesis.json").read_text())
    record["pipeline"] = {"sensitive_columns": ["condition"], "quasi_identifiers": ["age", "gender"]}
    Path(f"{synthetic}.genesis.json").write_text(json.dumps(record))
    return synthetic


def test_audit_uses_recorded_pipeline_settings(files, pipeline_release):
    result = runner.invoke(app, ["audit", str(files["real"]), str(pipeline_release), "--json", "--seed", "0"])

    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["report"]["settings"]["sensitive_columns"] == ["condition"]
    assert payload["report"]["quasi_identifiers"] == ["age", "gender"]
    assert payload["settings_from_release_record"] == {
        "sensitive_columns": ["condition"],
        "quasi_identifiers": ["age", "gender"],
    }


def test_audit_says_it_used_recorded_settings(files, pipeline_release):
    result = runner.invoke(app, ["audit", str(files["real"]), str(pipeline_release), "--seed", "0"])

    assert result.exit_code == 0, result.output
    assert "Used the sensitive columns ['condition'] that `genesis run` recorded" in result.stderr
    assert "--sensitive-columns" in result.stderr


def test_audit_options_override_recorded_settings(files, pipeline_release):
    result = runner.invoke(app, ["audit", str(files["real"]), str(pipeline_release), "--json", "--seed", "0",
                                 "--sensitive-columns", "treatment"])

    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["report"]["settings"]["sensitive_columns"] == ["treatment"]
    assert "sensitive_columns" not in payload["settings_from_release_record"]


def test_certify_output_below_a_file_fails_before_assessment(files, tmp_path, monkeypatch):
    def not_reached(*args, **kwargs):
        raise AssertionError("the assessment ran before the output folder was checked")

    monkeypatch.setattr("genesis.cli.evidence.run_privacy_audit", not_reached)
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")

    result = runner.invoke(app, ["certify", str(files["real"]), str(files["synthetic"]),
                                 "--framework", "hipaa", "-o", str(blocker / "docs")])

    assert result.exit_code == 1
    assert "not writable" in result.output
    assert "-o" in result.output


def test_certify_without_output_says_how_to_write(files):
    result = runner.invoke(app, ["certify", str(files["real"]), str(files["synthetic"]),
                                 "--framework", "hipaa", "--seed", "0"])

    assert result.exit_code == 0, result.output
    assert "No files written" in result.stderr
    assert "-o FOLDER" in result.stderr


def test_audit_rejects_k_below_two(files):
    result = runner.invoke(app, ["audit", str(files["real"]), str(files["synthetic"]), "--k", "1"])

    assert result.exit_code == 2
    assert "--k" in result.output
