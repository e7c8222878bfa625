"""Tests of the HIPAA Safe Harbor identifier scan (45 CFR 164.514(b)(2)(i)(A)-(R)).

The planted table has one column per identifier type, made up in code; the clean
tables (the sample patient table, Adult, the diabetes table) must raise no false alarm.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genesis.datasets import patient_table
from genesis.errors import ConfigError, InvalidColumnTypeError
from genesis.privacy.identifiers import (
    DIRECT_IDENTIFIER,
    QUASI_IDENTIFIER,
    RESTRICTED_ZIP3_PREFIXES,
    IdentifierScan,
    is_age_column,
    is_date_column,
    is_zip_code_column,
    scan_identifiers,
)
from genesis.privacy.identifiers_masking import mask_value
from genesis.privacy.identifiers_rules import match_name_rules, name_tokens

DATA = Path(__file__).resolve().parents[1] / "data"
SHARED_DATASETS = Path(__file__).resolve().parents[3] / "shared" / "datasets"
N_ROWS = 60
VIN_CHARACTERS = list("ABCDEFGHJKLMNPRSTUVWXYZ0123456789")


# Fixtures --------------------------------------------------------------------------------

def luhn_complete(digits: str) -> str:
    """Append the Luhn check digit to `digits`."""
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return digits + str((10 - total % 10) % 10)


def planted_table(n: int = N_ROWS) -> pd.DataFrame:
    """A table with one column per identifier type, and three clean columns."""
    rng = np.random.default_rng(11)
    index = np.arange(n)
    ssn_parts = zip(rng.integers(100, 600, n), rng.integers(10, 100, n), rng.integers(1000, 10000, n),
                    strict=True)
    ssns = [f"{area}-{group}-{serial}" for area, group, serial in ssn_parts]
    return pd.DataFrame(
        {
            "ssn": ssns,
            "social_security_number": [s.replace("-", "") for s in ssns[::-1]],
            "email": [f"pat.smith{i}@example{i % 3}.org" for i in index],
            "contact_phone": [f"(617) 555-{1000 + i:04d}" for i in index],
            "fax_number": [f"212-555-{2000 + i:04d}" for i in index],
            "mrn": [f"A{3000000 + 7 * i}" for i in index],
            "admission_date": pd.Timestamp("2021-01-04") + pd.to_timedelta(rng.integers(0, 700, n), unit="D"),
            "discharged_on": [f"{1 + i % 12:02d}/{1 + i % 28:02d}/2021" for i in index],
            "zip": [f"{2100 + 13 * i:05d}" for i in index],
            "postal_code_full": [f"{10001 + i:05d}-{4000 + i:04d}" for i in index],
            "client_ip": [f"192.168.{i}.{200 - i}" for i in index],
            "server_ipv6": [f"2001:db8::{i + 4096:x}" for i in index],
            "website": [f"https://clinic.example.com/patients/{i}" for i in index],
            "vehicle_vin": ["".join(rng.choice(VIN_CHARACTERS, 14)) + f"A{i % 10}{i % 7}" for i in index],
            "device_mac": [f"00:1A:2B:{i:02X}:4D:5E" for i in index],
            "handset": [luhn_complete(f"35{rng.integers(10**10, 10**11)}{i % 10}") for i in index],
            "patient_name": [f"Pat Quinnley{i}" for i in index],
            "encounter_id": 10_000_000 + rng.choice(90_000_000, n, replace=False),
            "member_id": [f"XJH{880000000 + 17 * i}" for i in index],
            "account_number": [f"{4400000000 + 31 * i}" for i in index],
            "license_number": [f"D{5500000 + i}" for i in index],
            "notes": [f"patient gave SSN {s} at intake" if i % 5 == 0 else "no remarks" for i, s in
                      zip(index, ssns, strict=True)],
            "photo_file": [f"scan_{i:04d}.jpg" for i in index],
            "fingerprint_template": [f"{i:032x}" for i in index],
            "street_address": [f"{i + 10} Larkspur Lane" for i in index],
            "city": rng.choice(["Springfield", "Riverton", "Lakewood"], n),
            "age": np.where(index % 15 == 0, 93, 30 + index % 50),
            "diagnosis": rng.choice(["250.83", "V57", "E888", "428"], n),
            "weight_kg": np.round(rng.normal(70, 12, n), 1),
            "visits": rng.integers(0, 6, n),
        }
    )


PLANTED = [
    ("ssn", "G", DIRECT_IDENTIFIER),
    ("social_security_number", "G", DIRECT_IDENTIFIER),
    ("email", "F", DIRECT_IDENTIFIER),
    ("contact_phone", "D", DIRECT_IDENTIFIER),
    ("fax_number", "E", DIRECT_IDENTIFIER),
    ("mrn", "H", DIRECT_IDENTIFIER),
    ("admission_date", "C", QUASI_IDENTIFIER),
    ("discharged_on", "C", QUASI_IDENTIFIER),
    ("zip", "B", QUASI_IDENTIFIER),
    ("postal_code_full", "B", QUASI_IDENTIFIER),
    ("client_ip", "O", DIRECT_IDENTIFIER),
    ("server_ipv6", "O", DIRECT_IDENTIFIER),
    ("website", "N", DIRECT_IDENTIFIER),
    ("vehicle_vin", "L", DIRECT_IDENTIFIER),
    ("device_mac", "M", DIRECT_IDENTIFIER),
    ("handset", "M", DIRECT_IDENTIFIER),
    ("patient_name", "A", DIRECT_IDENTIFIER),
    ("encounter_id", "R", DIRECT_IDENTIFIER),
    ("member_id", "I", DIRECT_IDENTIFIER),
    ("account_number", "J", DIRECT_IDENTIFIER),
    ("license_number", "K", DIRECT_IDENTIFIER),
    ("notes", "G", DIRECT_IDENTIFIER),
    ("photo_file", "Q", DIRECT_IDENTIFIER),
    ("fingerprint_template", "P", DIRECT_IDENTIFIER),
    ("street_address", "B", DIRECT_IDENTIFIER),
    ("city", "B", QUASI_IDENTIFIER),
    ("age", "C", QUASI_IDENTIFIER),
]
CLEAN_PLANTED_COLUMNS = ["diagnosis", "weight_kg", "visits"]


@pytest.fixture(scope="module")
def planted() -> pd.DataFrame:
    return planted_table()


@pytest.fixture(scope="module")
def planted_scan(planted) -> IdentifierScan:
    return scan_identifiers(planted)


def outputs(scan: IdentifierScan) -> list[str]:
    return [str(scan), repr(scan), json.dumps(scan.to_dict())]


def identifier_texts(table: pd.DataFrame) -> set[str]:
    """Every value of the identifier columns written as text, at least five characters long."""
    texts = set()
    for column, _, _ in PLANTED:
        values = table[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            texts |= {value.isoformat() for value in values} | {str(value.date()) for value in values}
        else:
            texts |= {str(value) for value in values}
    return {text for text in texts if len(text) >= 5}


# The planted table -----------------------------------------------------------------------

@pytest.mark.parametrize(("column", "letter", "role"), PLANTED)
def test_planted_identifier_found(planted_scan, column, letter, role):
    finding = planted_scan.by_column(column)

    assert finding is not None
    assert finding.category == letter
    assert finding.role == role
    assert finding.citation == f"45 CFR 164.514(b)(2)(i)({letter})"


def test_planted_clean_columns_not_flagged(planted_scan):
    for column in CLEAN_PLANTED_COLUMNS:
        assert planted_scan.by_column(column) is None, column


def test_planted_evidence_kinds(planted_scan):
    assert planted_scan.by_column("ssn").evidence == ("column name", "value pattern")
    assert planted_scan.by_column("email").evidence == ("column name", "value pattern")
    assert planted_scan.by_column("discharged_on").evidence == ("value pattern",)
    assert planted_scan.by_column("patient_name").evidence == ("column name",)
    assert planted_scan.by_column("patient_name").match_rate is None


def test_planted_match_rates(planted_scan):
    assert planted_scan.by_column("ssn").match_rate == 1.0
    assert planted_scan.by_column("notes").match_rate == pytest.approx(12 / N_ROWS)
    assert planted_scan.by_column("age").match_rate == pytest.approx(4 / N_ROWS)
    assert planted_scan.by_column("ssn").values_checked == N_ROWS


def test_planted_role_lists(planted_scan):
    assert planted_scan.quasi_identifiers == [c for c, _, role in PLANTED if role == QUASI_IDENTIFIER]
    assert planted_scan.direct_identifiers == [c for c, _, role in PLANTED if role == DIRECT_IDENTIFIER]


def test_no_full_value_in_any_output(planted, planted_scan):
    texts = identifier_texts(planted)
    assert len(texts) > 20 * N_ROWS

    for output in outputs(planted_scan):
        leaked = [text for text in texts if text in output]
        assert leaked == []


def test_examples_are_masked(planted_scan):
    assert planted_scan.by_column("ssn").example.startswith("***-**-")
    assert planted_scan.by_column("email").example == "p***@e***.org"
    assert planted_scan.by_column("contact_phone").example == "(***) ***-1000"
    assert planted_scan.by_column("zip").example == "021**"
    assert planted_scan.by_column("age").example is None


def test_examples_can_be_turned_off(planted):
    scan = scan_identifiers(planted, examples=False)

    assert all(finding.example is None for finding in scan.findings)


def test_object_and_string_dtypes_agree(planted, planted_scan):
    as_objects = planted.copy()
    for column in as_objects.columns:
        if pd.api.types.is_string_dtype(as_objects[column]):
            as_objects[column] = as_objects[column].astype(object)
    as_strings = planted.copy()
    for column in as_strings.columns:
        if pd.api.types.is_string_dtype(as_strings[column]):
            as_strings[column] = as_strings[column].astype("string")

    assert scan_identifiers(as_objects).findings == planted_scan.findings
    assert scan_identifiers(as_strings).findings == planted_scan.findings


# The result object -----------------------------------------------------------------------

def test_scan_is_frozen(planted_scan):
    with pytest.raises(dataclasses.FrozenInstanceError):
        planted_scan.findings = ()
    with pytest.raises(dataclasses.FrozenInstanceError):
        planted_scan.findings[0].category = "Z"


def test_scan_truth_value(planted_scan):
    clean = scan_identifiers(pd.DataFrame({"visits": [1, 2, 3]}))

    assert bool(planted_scan) is True
    assert planted_scan.is_clean is False
    assert bool(clean) is False
    assert clean.is_clean is True


def test_to_dict_is_json_safe(planted_scan):
    data = json.loads(json.dumps(planted_scan.to_dict()))

    assert data["n_rows"] == N_ROWS
    assert data["findings"][0]["column"] == "ssn"
    assert data["findings"][0]["category"] == "G"
    assert data["findings"][0]["evidence"] == ["column name", "value pattern"]
    assert data["quasi_identifiers"] == planted_scan.quasi_identifiers
    assert data["is_clean"] is False


def test_attestation_list(planted_scan):
    references = [item.reference for item in planted_scan.requires_attestation]

    assert "45 CFR 164.514(b)(2)(i)(P)" in references
    assert "45 CFR 164.514(b)(2)(i)(Q)" in references
    assert "45 CFR 164.514(b)(2)(ii)" in references
    assert "actual knowledge" in json.dumps(planted_scan.to_dict()["requires_attestation"])


def test_str_lists_findings_and_attestation(planted_scan):
    text = str(planted_scan)

    assert text.startswith(f"HIPAA Safe Harbor identifier scan: {len(PLANTED)} of 30 columns flagged")
    assert "ssn: (G) social security numbers, direct identifier: social security numbers written" in text
    assert "45 CFR 164.514(b)(2)(ii): no actual knowledge" in text


def test_by_column_unknown_is_none(planted_scan):
    assert planted_scan.by_column("no such column") is None


def test_scan_is_deterministic(planted):
    big = pd.concat([planted] * 50, ignore_index=True)

    first = scan_identifiers(big, sample_size=500)
    second = scan_identifiers(big, sample_size=500)

    assert first == second
    assert first.by_column("ssn").values_checked == 500
    assert first.by_column("ssn").values_present == 50 * N_ROWS


def test_columns_argument_limits_scan(planted):
    scan = scan_identifiers(planted, columns=["email", "visits"])

    assert scan.columns_scanned == ("email", "visits")
    assert [f.column for f in scan.findings] == ["email"]


# Clean tables ----------------------------------------------------------------------------

def test_patient_table_flags_only_zip_and_old_ages():
    table = patient_table(2_000, random_state=3).drop(columns="patient_id")

    scan = scan_identifiers(table)

    assert [f.column for f in scan.findings] == ["age", "zip_code"]
    assert scan.by_column("zip_code").category == "B"
    assert scan.by_column("zip_code").role == QUASI_IDENTIFIER
    assert scan.by_column("age").category == "C"
    assert "ages over 89" in scan.by_column("age").description
    assert scan.direct_identifiers == []


def test_patient_table_without_old_ages_keeps_age():
    table = patient_table(2_000, random_state=3).drop(columns="patient_id")
    table["age"] = table["age"].clip(upper=89)

    scan = scan_identifiers(table)

    assert scan.by_column("age") is None
    assert scan.quasi_identifiers == ["zip_code"]


def test_patient_id_is_record_number():
    scan = scan_identifiers(patient_table(500, random_state=1))

    finding = scan.by_column("patient_id")
    assert finding.category == "H"
    assert finding.other_categories == ("R",)


def test_diabetes_sample():
    table = pd.read_csv(DATA / "diabetes_sample.csv")

    scan = scan_identifiers(table)

    assert [f.column for f in scan.findings] == ["encounter_id", "patient_nbr"]
    assert scan.by_column("encounter_id").category == "R"
    assert scan.by_column("patient_nbr").category == "H"


def test_adult_sample():
    table = pd.read_csv(DATA / "adult_sample.csv")

    scan = scan_identifiers(table)

    assert {f.column for f in scan.findings} <= {"age"}


def test_adult_sample_read_as_text():
    table = pd.read_csv(DATA / "adult_sample.csv", dtype=str, keep_default_na=False)

    scan = scan_identifiers(table)

    assert {f.column for f in scan.findings} <= {"age"}
    assert table["fnlwgt"].is_unique


@pytest.fixture(scope="module")
def shared_table():
    def read(name: str) -> pd.DataFrame:
        path = SHARED_DATASETS / name
        if not path.exists():
            pytest.skip(f"{path} is absent")
        return pd.read_csv(path)

    return read


@pytest.mark.datasets
def test_adult_full_raises_no_false_alarm(shared_table):
    table = shared_table("adult.csv")

    scan = scan_identifiers(table)

    assert [f.column for f in scan.findings] == ["age"]
    assert scan.by_column("age").role == QUASI_IDENTIFIER
    assert scan.by_column("age").match_rate < 0.01


@pytest.mark.datasets
def test_diabetes_full_ids(shared_table):
    table = shared_table("diabetic_data.csv")

    scan = scan_identifiers(table)

    assert [f.column for f in scan.findings] == ["encounter_id", "patient_nbr"]
    assert scan.by_column("encounter_id").category == "R"
    assert scan.by_column("patient_nbr").category == "H"
    for column in ("diag_1", "diag_2", "diag_3", "age", "weight"):
        assert not is_date_column(table[column]), column
        assert not is_zip_code_column(table[column]), column


@pytest.mark.datasets
def test_nhefs_full_flags_ids_and_death_date(shared_table):
    scan = scan_identifiers(shared_table("nhefs.csv"))

    assert [(f.column, f.category) for f in scan.findings] == [
        ("seqn", "R"), ("modth", "C"), ("dadth", "C"), ("id", "R")
    ]


@pytest.mark.datasets
def test_insurance_full_is_clean(shared_table):
    assert scan_identifiers(shared_table("insurance.csv")).is_clean


# Value rules -----------------------------------------------------------------------------

def test_bare_digit_strings_need_a_name():
    rng = np.random.default_rng(5)
    table = pd.DataFrame(
        {
            "lab_batch": rng.integers(100_000_000, 999_999_999, 50).astype(str),  # 9 digits, like an SSN
            "reading": rng.integers(2_000_000_000, 9_999_999_999, 50) % 7,  # repeated, not unique
            "cpt": rng.choice(["99213", "99214", "00100", "36415"], 50),  # 5 digits, like a ZIP
            "ten_digits": rng.choice(["6175550123", "2125550199"], 50),  # 10 digits, like a phone
        }
    )

    scan = scan_identifiers(table)

    assert scan.by_column("cpt") is None
    assert scan.by_column("ten_digits") is None
    assert scan.by_column("reading") is None
    assert scan.by_column("lab_batch").category == "R"


def test_zip_prefixes_allowed_unless_restricted():
    allowed = pd.DataFrame({"zip3": ["021", "100", "606"] * 10})
    restricted = pd.DataFrame({"zip3": ["021", "036", "893"] * 10})

    assert scan_identifiers(allowed).is_clean
    finding = scan_identifiers(restricted).by_column("zip3")
    assert finding.category == "B"
    assert finding.match_rate == pytest.approx(2 / 3)
    assert "000" in finding.description
    assert len(RESTRICTED_ZIP3_PREFIXES) == 17


def test_numeric_zip_codes_lose_leading_zeros():
    table = pd.DataFrame({"zip": [2134.0, 90210.0, np.nan, 1001.0] * 8})

    finding = scan_identifiers(table).by_column("zip")

    assert finding.category == "B"
    assert finding.evidence == ("column name", "value pattern")
    assert finding.example == "021**"


def test_year_columns_are_allowed():
    table = pd.DataFrame(
        {
            "admission_year": [2015, 2016, 2017] * 10,
            "visit_date": [2015, 2016, 2017] * 10,
            "discharge_date": pd.to_datetime(["2015-01-01", "2016-01-01"] * 15),
        }
    )

    assert scan_identifiers(table).is_clean


def test_birth_years_over_89_flagged():
    table = pd.DataFrame({"birth_year": [1920, 1975, 1990, 2001] * 5, "yob": [1980, 1990] * 10})

    scan = scan_identifiers(table)

    assert scan.by_column("birth_year").category == "C"
    assert scan.by_column("birth_year").match_rate == pytest.approx(0.25)
    assert scan.by_column("yob") is None


def test_ages_over_89_in_name_units():
    table = pd.DataFrame(
        {
            "age_months": [1_000, 1_100, 24] * 10,  # 83 and 92 years
            "Age": ["34", "91", "?"] * 10,
            "age_group": ["[80-90)", "[90-100)", "90+"] * 10,
            "visits": [95, 96, 97] * 10,
        }
    )

    scan = scan_identifiers(table)

    assert scan.by_column("age_months").match_rate == pytest.approx(1 / 3)
    assert scan.by_column("Age").match_rate == pytest.approx(1 / 2)
    assert scan.by_column("Age").values_checked == 20
    assert scan.by_column("age_group") is None
    assert scan.by_column("visits") is None


def test_phone_column_holding_emails_is_email():
    table = pd.DataFrame({"phone": [f"a{i}@example.com" for i in range(20)]})

    finding = scan_identifiers(table).by_column("phone")

    assert finding.category == "F"
    assert finding.evidence == ("value pattern",)
    assert "D" in finding.other_categories


def test_vin_needs_letters_and_digits():
    table = pd.DataFrame({"code17": ["12345678901234567", "ABCDEFGHJKLMNPRST"] * 10})

    assert scan_identifiers(table).is_clean


def test_imei_needs_check_digit():
    rng = np.random.default_rng(2)
    valid = [luhn_complete(str(rng.integers(10**13, 10**14))) for _ in range(30)]
    invalid = [v[:-1] + str((int(v[-1]) + 1) % 10) for v in valid]

    assert scan_identifiers(pd.DataFrame({"code": valid})).by_column("code").category == "M"
    assert scan_identifiers(pd.DataFrame({"code": invalid})).by_column("code").category == "R"


def test_unique_codes_need_enough_distinct_codes():
    rng = np.random.default_rng(4)
    table = pd.DataFrame(
        {
            "short_ids": [f"S{i}" for i in range(10)],
            "annual_cost": rng.choice(10**6, 10, replace=False),
            "readings": rng.normal(size=10),
        }
    )
    long_table = pd.DataFrame(
        {"annual_cost": rng.choice(10**6, 40, replace=False), "readings": rng.normal(size=40)}
    )

    assert scan_identifiers(table).is_clean
    assert scan_identifiers(long_table).is_clean


def test_distinct_numbers_need_a_code_shape():
    rng = np.random.default_rng(8)
    table = pd.DataFrame(
        {
            "fnlwgt": np.round(rng.lognormal(12, 0.5, 50)).astype(int),  # census weights, as in Adult
            "row": np.arange(100, 150),
            "badge": 100_000 + rng.choice(900_000, 50, replace=False),
            "visit_key": 1 + rng.choice(10**9, 50, replace=False),
        }
    )

    scan = scan_identifiers(table)

    assert table["fnlwgt"].is_unique
    assert scan.by_column("fnlwgt") is None
    assert scan.by_column("row").category == "R"
    assert scan.by_column("badge").category == "R"
    assert scan.by_column("visit_key").category == "R"


def test_unique_check_reads_whole_column():
    repeated = pd.DataFrame({"record": np.repeat(np.arange(1_000_000, 1_001_000), 2)})

    assert scan_identifiers(repeated, sample_size=100).is_clean


def test_identifiers_inside_free_text():
    notes = ["seen today", "email me at jo.doe@mail.example.net please", "call (415) 555-0188 after 5",
             "follow up on 2021-03-04 with Dr Lee"] * 5
    table = pd.DataFrame(
        {"email_note": notes[1::4] * 4, "call_note": notes[2::4] * 4, "date_note": notes[3::4] * 4}
    )

    scan = scan_identifiers(table)

    assert scan.by_column("email_note").category == "F"
    assert scan.by_column("call_note").category == "D"
    assert scan.by_column("date_note").category == "C"
    assert "inside free text" in scan.by_column("date_note").description
    assert "jo.doe" not in str(scan)


# Dtypes and edge cases -------------------------------------------------------------------

def test_empty_table():
    scan = scan_identifiers(pd.DataFrame())

    assert scan.is_clean
    assert scan.columns_scanned == ()


def test_all_missing_columns():
    table = pd.DataFrame({"ssn": [np.nan] * 5, "email": pd.Series([None] * 5, dtype=object),
                          "notes": [np.nan] * 5, "zip": ["?"] * 5})

    scan = scan_identifiers(table)

    assert [f.column for f in scan.findings] == ["ssn", "email", "zip"]
    assert scan.by_column("ssn").evidence == ("column name",)
    assert scan.by_column("ssn").values_checked == 0
    assert scan.by_column("ssn").example is None
    assert scan.by_column("zip").values_present == 5


def test_zero_rows_flags_names():
    scan = scan_identifiers(pd.DataFrame({"email": pd.Series([], dtype=object), "x": []}))

    assert [f.column for f in scan.findings] == ["email"]


def test_non_string_values_and_labels():
    table = pd.DataFrame(
        {
            "mixed": [1, "a@b.example.com", 2.5, None, b"raw", (1, 2)] * 5,
            0: range(30),
            "cat_ssn": pd.Categorical(["123-45-6789", "unknown"] * 15),
            "nullable": pd.array([1, 2, None] * 10, dtype="Int64"),
            "span": pd.to_timedelta(np.arange(30), unit="D"),
            "stamp_tz": pd.date_range("2020-01-01", periods=30, freq="h", tz="UTC"),
            "month": pd.period_range("2020-01", periods=30, freq="M"),
            "flag": [True, False] * 15,
        }
    )

    scan = scan_identifiers(table)

    assert scan.by_column("mixed").category == "F"
    assert scan.by_column(0).category == "R"
    assert scan.by_column("cat_ssn").category == "G"
    assert scan.by_column("nullable") is None
    assert scan.by_column("span") is None
    assert scan.by_column("stamp_tz").category == "C"
    assert scan.by_column("month").category == "C"
    assert scan.by_column("flag") is None
    json.dumps(scan.to_dict())


def test_flag_columns_named_like_identifiers():
    table = pd.DataFrame({"has_email": [True, False] * 5, "phone_on_file": ["Y", "N"] * 5,
                          "email_verified": ["yes", "no"] * 5})

    assert scan_identifiers(table).is_clean


def test_duplicate_column_labels():
    table = pd.DataFrame([["a@b.example.com", 1]] * 3, columns=["x", "x"])

    scan = scan_identifiers(table)

    assert [f.column for f in scan.findings] == ["x"]


# Argument errors -------------------------------------------------------------------------

def test_rejects_non_dataframe():
    with pytest.raises(InvalidColumnTypeError, match="^df must be a pandas DataFrame, got list"):
        scan_identifiers([[1, 2]])


@pytest.mark.parametrize("value", [0, -5, 2.5, True, "100"])
def test_rejects_bad_sample_size(value):
    message = (f"sample_size is {value!r}, but it must be a positive integer. "
               "Pass for example sample_size=10000.")
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}$"):
        scan_identifiers(pd.DataFrame({"a": [1]}), sample_size=value)


def test_rejects_columns_as_string():
    with pytest.raises(ConfigError, match=r"^columns is 'a', but it must be a list of column names\."):
        scan_identifiers(pd.DataFrame({"a": [1]}), columns="a")


def test_rejects_unknown_columns():
    with pytest.raises(ConfigError, match=r"^Columns \['b'\] are named in columns but not in the table\."):
        scan_identifiers(pd.DataFrame({"a": [1]}), columns=["b"])


# Column names ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("PatientDOB", "date"),
        ("date_of_birth", "date"),
        ("e-mail", "email"),
        ("ZIPCode", "zip"),
        ("zip_code", "zip"),
        ("FirstName", "person_name"),
        ("last name", "person_name"),
        ("email_address", "email"),
        ("IPAddress", "ip"),
        ("ipv4", "ip"),
        ("license_plate", "vehicle"),
        ("Social Security No", "ssn"),
        ("patient_nbr", "mrn"),
        ("MemberID", "beneficiary"),
    ],
)
def test_name_rules_match(name, key):
    assert [m.rule.key for m in match_name_rules(name_tokens(name))] == [key]


@pytest.mark.parametrize(
    "name",
    ["drug_name", "hospital_name", "email_verified", "phone_type", "admission_type_id", "time_in_hospital",
     "birthplace", "zipper", "stage", "page_count", "diag_1", "tip_amount", "death"],
)
def test_name_rules_ignore(name):
    assert match_name_rules(name_tokens(name)) == []


# Recognition helpers ---------------------------------------------------------------------

def test_is_zip_code_column():
    assert is_zip_code_column(pd.Series(["02134", "10001-1234", "606"], name="zip_code"))
    assert is_zip_code_column(pd.Series([2134, 10001], name="postal"))
    assert is_zip_code_column(pd.Series(["02134-1234", "10001-0001"], name="x"))
    assert not is_zip_code_column(pd.Series(["02134", "10001"], name="cpt"))
    assert not is_zip_code_column(pd.Series(["Boston", "Salem"], name="zip"))
    assert not is_zip_code_column(pd.Series([np.nan, np.nan], name="zip"))


def test_is_age_column():
    assert is_age_column(pd.Series([34, 56, 91], name="age"))
    assert is_age_column(pd.Series(["[70-80)", "[90-100)", "90+"], name="age_group"))
    assert is_age_column(pd.Series([300, 1_200], name="age_months"))
    assert not is_age_column(pd.Series([34, 56], name="visits"))
    assert not is_age_column(pd.Series([340, 560], name="age"))
    assert not is_age_column(pd.Series(["old", "young"], name="age"))


def test_is_date_column():
    assert is_date_column(pd.Series(pd.to_datetime(["2020-01-05", "2021-02-03"]), name="x"))
    assert is_date_column(pd.Series(["2020-01-05", "3/4/2021", "Mar 2020"], name="x"))
    assert is_date_column(pd.Series([1950, 1961], name="birth_year"))
    assert is_date_column(pd.Series([20200105, 20210203], name="visit_dt"))
    assert not is_date_column(pd.Series(["250.83", "V57", "E888"], name="diag_1"))
    assert not is_date_column(pd.Series([1950, 1961], name="count"))
    assert not is_date_column(pd.Series([], dtype="datetime64[ns]", name="x"))


def test_helpers_on_patient_table():
    table = patient_table(500, random_state=2)

    assert is_zip_code_column(table["zip_code"])
    assert is_age_column(table["age"])
    assert not is_date_column(table["age"])
    for column in ("gender", "condition", "treatment", "blood_pressure_systolic", "annual_cost"):
        assert not is_zip_code_column(table[column]), column
        assert not is_age_column(table[column]), column
        assert not is_date_column(table[column]), column


IDENTIFIER_LIKE_NAMES = ["zip", "age", "age_months", "birth_year", "dob", "ssn", "phone", "id", "notes"]


@settings(max_examples=40, deadline=None)
@given(
    name=st.sampled_from(IDENTIFIER_LIKE_NAMES),
    values=st.lists(
        st.one_of(
            st.none(),
            st.integers(-(2**63), 2**63 - 1),
            st.floats(allow_nan=True, allow_infinity=True),
            st.text(alphabet="abcXYZ0123456789-.@:/ ?", max_size=20),
        ),
        max_size=30,
    ),
)
def test_scan_handles_any_values(name, values):
    series = pd.Series(values, dtype=object, name=name)

    scan = scan_identifiers(series.to_frame())

    json.dumps(scan.to_dict())
    long_texts = {str(v) for v in values if isinstance(v, str) and len(v) >= 8}
    assert not [text for text in long_texts if text in str(scan)]
    assert isinstance(is_zip_code_column(series), bool)
    assert isinstance(is_age_column(series), bool)
    assert isinstance(is_date_column(series), bool)


# Masking ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "style", "masked"),
    [
        ("123-45-6789", "last4", "***-**-6789"),
        ("(617) 555-0123", "last4", "(***) ***-0123"),
        ("john.smith@example.com", "email", "j***@e***.com"),
        ("https://www.example.org/a/b", "url", "https://www.e***.org/***"),
        ("192.168.1.20", "ip", "192.***.***.***"),
        ("2001:db8::1", "ip", "2001:****:****"),
        ("02134-1234", "zip", "021**-****"),
        ("2021-03-15T10:30:00Z", "date", "2021-**-**T**:**:**Z"),
        ("March 15, 2021", "date", "*** **, 2021"),
        ("00:1A:2B:3C:4D:5E", "mac", "00:1A:2B:**:**:**"),
        ("1HGCM82633A004352", "vin", "1HG**************"),
        ("P000123", "code", "P******"),
        ("Pat Quinn", "words", "P*** Q***"),
        ("scan_0001.jpg", "image", "***.jpg"),
    ],
)
def test_mask_value(text, style, masked):
    assert mask_value(text, style) == masked


def test_mask_value_hides_short_values():
    assert mask_value("7", "code") == "*"
    assert mask_value("1234", "last4") == "****"
    assert mask_value("021", "zip") == "***"


def test_mask_value_shortens_long_examples():
    assert len(mask_value("x" * 100, "code")) == 32


@given(
    text=st.text(alphabet="abcXYZ0123456789-.@:/ _", min_size=1, max_size=40),
    style=st.sampled_from(
        ["last4", "email", "url", "ip", "zip", "date", "mac", "vin", "code", "words", "image"]
    ),
)
def test_mask_value_never_contains_the_value(text, style):
    masked = mask_value(text, style)

    assert text not in masked
    assert "*" in masked
