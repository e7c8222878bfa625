"""Fits under differential privacy through the public API: the ledger, the domain, and canaries."""

import json
import warnings
import zipfile

import numpy as np
import pandas as pd
import pytest

from genesis import SyntheticGenerator
from genesis.datasets import PATIENT_DISCRETE_COLUMNS, patient_table
from genesis.errors import ConfigError, IgnoredSettingWarning, PrivacyWarning

DP = {"differential_privacy": {"epsilon": 1.0, "delta": 1e-5}}
CANARY_ZIP = "99999"
CANARY_COST = 9_876_543


@pytest.fixture(scope="module")
def patients() -> pd.DataFrame:
    return patient_table(4000, random_state=3).drop(columns="patient_id")


def with_canary(table: pd.DataFrame) -> pd.DataFrame:
    table = table.copy()
    table.loc[11, "zip_code"] = CANARY_ZIP
    table.loc[11, "annual_cost"] = CANARY_COST
    return table


def fit_quietly(model: SyntheticGenerator, table: pd.DataFrame, **options) -> SyntheticGenerator:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PrivacyWarning)
        return model.fit(table, list(PATIENT_DISCRETE_COLUMNS), **options)


def test_auto_picks_mst_under_dp(patients):
    model = fit_quietly(SyntheticGenerator(privacy=DP, random_state=0), patients)

    assert model.method_ == "mst"


def test_privacy_spent_within_budget(patients):
    model = fit_quietly(SyntheticGenerator(privacy=DP, random_state=0), patients)

    epsilon, delta = model.privacy_spent

    assert 0 < epsilon <= 1.0
    assert delta == 1e-5
    assert len(model.privacy_spent.events) > 5


def test_release_record_carries_ledger(patients):
    model = fit_quietly(SyntheticGenerator(privacy=DP, random_state=0), patients)

    record = model.generate(n_samples=100).attrs["genesis"]

    assert record["privacy"]["ledger"]["spent"]["epsilon"] <= 1.0
    assert record["privacy"]["config"]["differential_privacy"]["epsilon"] == 1.0
    assert record["privacy"]["noise"] == "reproducible (seeded)"
    assert set(record["privacy"]["domain_sources"].values()) <= {"dp", "public"}


def test_output_contract_under_dp(patients):
    model = fit_quietly(SyntheticGenerator(privacy=DP, random_state=1), patients)

    synthetic = model.generate(n_samples=777)

    assert len(synthetic) == 777
    assert list(synthetic.columns) == list(patients.columns)
    assert synthetic.dtypes.equals(patients.dtypes)
    assert set(synthetic["condition"]) <= set(patients["condition"])


def test_same_seed_same_dp_fit(patients):
    first = fit_quietly(SyntheticGenerator(privacy=DP, random_state=4), patients)
    second = fit_quietly(SyntheticGenerator(privacy=DP, random_state=4), patients)

    pd.testing.assert_frame_equal(first.generate(n_samples=300), second.generate(n_samples=300))


def test_ledger_saved_and_loaded(patients, tmp_path):
    model = fit_quietly(SyntheticGenerator(privacy=DP, random_state=0), patients)

    loaded = SyntheticGenerator.load(model.save(tmp_path / "dp.genesis"))

    assert loaded.privacy_spent.epsilon == pytest.approx(model.privacy_spent.epsilon)
    assert len(loaded.privacy_spent.events) == len(model.privacy_spent.events)


def test_public_domain_costs_nothing_for_its_columns(patients):
    public = {"gender": {"categories": ["F", "M"]}, "age": {"lower": 0, "upper": 100}}

    model = fit_quietly(SyntheticGenerator(privacy=DP, random_state=0), patients, public_domain=public)

    domain_events = [e.measured for e in model.privacy_spent.events if "column" in e.measured]
    assert not any("'gender'" in text or "'age'" in text for text in domain_events)
    assert model.domain_["age"].upper == 100
    assert model.domain_["gender"].source == "public"


def test_delta_too_large_raises(patients):
    privacy = {"differential_privacy": {"epsilon": 1.0, "delta": 0.01}}

    with pytest.raises(ConfigError, match="delta"):
        SyntheticGenerator(privacy=privacy).fit(patients)


def test_unit_column_caps_rows(patients):
    table = patients.assign(patient_nbr=np.arange(len(patients)) // 2)
    privacy = {**DP, "unit_column": "patient_nbr"}

    model = fit_quietly(SyntheticGenerator(privacy=privacy, random_state=0, holdout=0), table)

    assert model.n_training_rows_ == len(patients) // 2
    assert model.schema_["patient_nbr"].kind.value == "identifier"


def test_canary_never_released(patients, tmp_path):
    """Twenty fits at epsilon 1: the unique ZIP code and the extreme cost never reach any output."""
    table = with_canary(patients)

    for seed in range(20):
        model = fit_quietly(SyntheticGenerator(privacy=DP, random_state=seed), table)
        synthetic = model.generate(n_samples=2000)
        path = model.save(tmp_path / f"model-{seed}.genesis")

        assert CANARY_ZIP not in model.domain_["zip_code"].categories
        assert model.domain_["annual_cost"].upper < CANARY_COST
        assert CANARY_ZIP not in set(synthetic["zip_code"])
        assert synthetic["annual_cost"].max() < CANARY_COST
        assert_not_in_model_file(path)


def assert_not_in_model_file(path):
    with zipfile.ZipFile(path) as archive:
        manifest = archive.read("manifest.json").decode()
        arrays = [np.load(archive.open(name), allow_pickle=False)
                  for name in archive.namelist() if name.endswith(".npy")]

    assert CANARY_ZIP not in manifest
    assert str(CANARY_COST) not in manifest
    assert json.loads(manifest)["domain"]
    for array in arrays:
        assert array.dtype.kind in "biuf"
        assert not np.any(np.isclose(array.astype(float), CANARY_COST))


def test_rows_per_unit_sets_sensitivity(patients):
    table = patients.assign(patient_nbr=np.arange(len(patients)) // 3)
    privacy = {**DP, "unit_column": "patient_nbr", "max_rows_per_unit": 2}

    model = fit_quietly(SyntheticGenerator(privacy=privacy, random_state=0, holdout=0), table)
    gaussian = [e for e in model.privacy_spent.events if e.mechanism == "discrete_gaussian"]

    assert model.ledger_.max_rows_per_unit == 2
    assert gaussian
    assert all(event.sensitivity == 2 for event in gaussian)


TUTORIAL_PRIVACY = {
    "differential_privacy": {"epsilon": 1.0, "delta": 1e-5},
    "k_anonymity": {"k": 5, "quasi_identifiers": ["age", "gender", "zip_code"]},
    "suppress_outliers": True,
    "min_category_count": 10,
}


def test_tutorial_privacy_settings(tmp_path):
    table = patient_table(10_000, random_state=42).drop(columns="patient_id")
    model = SyntheticGenerator(method="auto", privacy=TUTORIAL_PRIVACY, random_state=0)

    fit_quietly(model, table)
    synthetic = model.generate(n_samples=10_000)
    record = synthetic.attrs["genesis"]["k_anonymity"]
    classes = synthetic.groupby(["age", "gender", "zip_code"]).size()

    assert len(synthetic) == 10_000
    assert classes.min() >= 5
    assert record["smallest_class"] == classes.min()
    assert record["suppressed_share"] <= 0.01
    assert record["levels"]["zip_code"]["name"] == "ZIP3"
    assert set(synthetic["zip_code"]) <= {"100**", "902**", "606**", "303**", "770**"}
    assert model.generalization_.k == 5
    assert model.privacy_spent.epsilon <= 1.0


def test_k_anonymity_without_dp():
    table = patient_table(3000, random_state=42).drop(columns="patient_id")
    privacy = {"k_anonymity": {"k": 10, "quasi_identifiers": ["age", "gender", "zip_code"]}}
    model = SyntheticGenerator(method="gaussian_copula", privacy=privacy, random_state=0)

    model.fit(table, list(PATIENT_DISCRETE_COLUMNS))
    synthetic = model.generate(n_samples=2000)

    assert len(synthetic) == 2000
    assert synthetic.groupby(["age", "gender", "zip_code"]).size().min() >= 10
    assert synthetic.attrs["genesis"]["k_anonymity"]["levels"]["age"]["name"] == model.generalization_.levels[
        "age"]["name"]
    assert synthetic["age"].str.fullmatch(r"\d+|\d+-\d+|90\+|\*").all()


def test_unknown_quasi_identifier_raises(patients):
    privacy = {"k_anonymity": {"k": 5, "quasi_identifiers": ["age", "postcode"]}}

    with pytest.raises(ConfigError, match=r"\['postcode'\]"):
        SyntheticGenerator(method="gaussian_copula", privacy=privacy).fit(patients)


def test_auto_drops_settings_of_other_methods(patients):
    model = SyntheticGenerator(method="auto", privacy=DP, config={"epochs": 300}, random_state=0)

    with pytest.warns(IgnoredSettingWarning, match=r"\['epochs'\]"):
        fit_quietly(model, patients)
