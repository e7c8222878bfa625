"""Fingerprints: stable across dtype backends, changed by any cell, and verified by the report."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from genesis.compliance import ComplianceFramework, PrivacyCertificate
from genesis.compliance.fingerprint import configuration_fingerprint, count_copied_rows, table_fingerprint


def _table() -> pd.DataFrame:
    return pd.DataFrame({
        "age": [34, 51, 90],
        "zip": ["100**", "606**", None],
        "cost": [120.5, 99.0, np.nan],
        "smoker": [True, False, True],
        "seen": pd.to_datetime(["2020-01-01", "2021-06-30", None]),
    })


def test_fingerprint_ignores_dtype_backend():
    frame = _table()
    nullable = frame.convert_dtypes()
    as_object = frame.astype(object)

    assert table_fingerprint(frame) == table_fingerprint(nullable)
    assert table_fingerprint(frame) == table_fingerprint(as_object)


def test_fingerprint_writes_integral_floats_as_integers():
    ints = pd.DataFrame({"n": [1, 2, 3]})
    floats = pd.DataFrame({"n": [1.0, 2.0, 3.0]})

    assert table_fingerprint(ints) == table_fingerprint(floats)


def test_fingerprint_changes_with_one_cell():
    frame = _table()
    changed = frame.copy()
    changed.loc[1, "zip"] = "607**"

    assert table_fingerprint(frame) != table_fingerprint(changed)


def test_fingerprint_changes_with_row_order_and_column_name():
    frame = _table()

    assert table_fingerprint(frame) != table_fingerprint(frame.iloc[::-1])
    assert table_fingerprint(frame) != table_fingerprint(frame.rename(columns={"age": "years"}))


def test_fingerprint_converts_time_zones_to_utc():
    utc = pd.DataFrame({"t": pd.to_datetime(["2020-01-01 12:00"]).tz_localize("UTC")})
    berlin = pd.DataFrame({"t": utc["t"].dt.tz_convert("Europe/Berlin")})

    assert table_fingerprint(utc) == table_fingerprint(berlin)


def test_configuration_fingerprint_ignores_creation_time():
    record = {"generator": {"method": "mst"}, "random_state": 3, "created_at": "2024-01-01T00:00:00"}
    later = dict(record, created_at="2025-01-01T00:00:00")

    assert configuration_fingerprint(record) == configuration_fingerprint(later)
    assert configuration_fingerprint(record) != configuration_fingerprint(dict(record, random_state=4))
    assert configuration_fingerprint(None) is None


def test_count_copied_rows_compares_shared_columns():
    real = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]})
    synthetic = pd.DataFrame({"a": [1.0, 2.0, 9.0], "b": ["x", "q", "z"], "extra": [0, 0, 0]})

    copied, columns = count_copied_rows(real, synthetic)

    assert copied == 1
    assert columns == ("a", "b")


def test_report_verifies_its_tables(real_patients, safe_harbor_table, make_audit, quality_stub):
    certificate = PrivacyCertificate(real_patients, safe_harbor_table, privacy_report=make_audit(),
                                     quality_report=quality_stub)
    report = certificate.generate(ComplianceFramework.HIPAA)
    changed = safe_harbor_table.copy()
    changed.loc[0, "blood_pressure_systolic"] += 1

    assert report.verify(real_patients, safe_harbor_table)
    assert report.verify(real_patients.convert_dtypes(), safe_harbor_table.convert_dtypes())
    assert not report.verify(real_patients, changed)
    assert not report.verify(safe_harbor_table, safe_harbor_table)


@pytest.mark.parametrize("bad", [None, [1, 2]])
def test_certificate_rejects_non_frames(real_patients, bad, make_audit):
    certificate = PrivacyCertificate(real_patients, bad, privacy_report=make_audit())

    with pytest.raises(TypeError, match="synthetic_data must be a pandas DataFrame"):
        certificate.generate("HIPAA")


def test_verify_names_column_after_csv_round_trip(real_patients, safe_harbor_table, make_audit, quality_stub,
                                                 tmp_path):
    report = PrivacyCertificate(real_patients, safe_harbor_table, privacy_report=make_audit(),
                                quality_report=quality_stub).generate(ComplianceFramework.HIPAA)
    path = tmp_path / "synthetic.csv"
    safe_harbor_table.to_csv(path, index=False)

    plain = report.verify(real_patients, pd.read_csv(path))
    careful = report.verify(real_patients, pd.read_csv(path, keep_default_na=False, dtype={"zip_code": str}))

    assert not plain
    assert plain.matches is False
    assert len(plain.mismatches) == 1
    assert plain.mismatches[0].startswith("The synthetic table differs in column(s) 'treatment'")
    assert "keep_default_na=False" in plain.mismatches[0]
    assert "real table" not in str(plain)
    assert careful
    assert careful.mismatches == ()


def test_verify_names_changed_table_and_columns(real_patients, safe_harbor_table, make_audit, quality_stub):
    report = PrivacyCertificate(real_patients, safe_harbor_table, privacy_report=make_audit(),
                                quality_report=quality_stub).generate(ComplianceFramework.HIPAA)
    renamed = real_patients.rename(columns={"age": "age_years"})

    result = report.verify(renamed, safe_harbor_table)

    assert not result
    assert result.mismatches[0].startswith("The real table's columns differ")
