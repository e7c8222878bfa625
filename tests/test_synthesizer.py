import importlib.util
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from genesis import SyntheticGenerator
from genesis.datasets import PATIENT_DISCRETE_COLUMNS, patient_table
from genesis.errors import (
    ConfigError,
    IdentifierColumnWarning,
    InvalidDataError,
    NotFittedError,
    NotSupportedError,
    PrivacyWarning,
)

METHOD = "gaussian_copula"


@pytest.fixture(scope="module")
def patients() -> pd.DataFrame:
    return patient_table(2000, random_state=1).drop(columns="patient_id")


@pytest.fixture(scope="module")
def fitted(patients) -> SyntheticGenerator:
    return SyntheticGenerator(method=METHOD, random_state=3).fit(patients, list(PATIENT_DISCRETE_COLUMNS))


def test_generate_returns_exact_rows_and_columns(fitted, patients):
    synthetic = fitted.generate(n_samples=1234)

    assert len(synthetic) == 1234
    assert list(synthetic.columns) == list(patients.columns)
    assert synthetic.dtypes.equals(patients.dtypes)


def test_generate_defaults_to_training_rows(fitted, patients):
    assert len(fitted.generate()) == fitted.n_training_rows_
    assert fitted.n_training_rows_ == len(patients) - fitted.holdout_["rows"]


def test_values_stay_in_domain(fitted, patients):
    synthetic = fitted.generate(n_samples=3000)

    for name in PATIENT_DISCRETE_COLUMNS:
        assert set(synthetic[name]) <= set(patients[name])
    for name in ("age", "blood_pressure_systolic", "annual_cost"):
        assert synthetic[name].min() >= patients[name].min()
        assert synthetic[name].max() <= patients[name].max()


def test_release_record_attached(fitted):
    record = fitted.generate(n_samples=10).attrs["genesis"]

    assert record["generator"]["method"] == METHOD
    assert record["rows"] == {"training": 1600, "generated": 10, "outliers_suppressed": 0}
    assert record["holdout"]["rows"] == 400
    assert record["random_state"] == 3
    assert record["privacy"] is None
    assert [c["name"] for c in record["schema"]["columns"]][0] == "age"


def test_same_seed_same_output(patients):
    first = SyntheticGenerator(method=METHOD, random_state=11).fit(patients, list(PATIENT_DISCRETE_COLUMNS))
    second = SyntheticGenerator(method=METHOD, random_state=11).fit(patients, list(PATIENT_DISCRETE_COLUMNS))

    pd.testing.assert_frame_equal(first.generate(n_samples=500), second.generate(n_samples=500))


def test_successive_generate_calls_differ(fitted):
    assert not fitted.generate(n_samples=200).equals(fitted.generate(n_samples=200))


def test_missing_rates_are_learned():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=2000), "c": rng.choice(["a", "b"], 2000).astype(object)})
    frame.loc[rng.random(2000) < 0.2, "x"] = np.nan
    frame.loc[rng.random(2000) < 0.1, "c"] = np.nan

    synthetic = SyntheticGenerator(method=METHOD, random_state=0).fit(frame).generate(n_samples=4000)

    assert abs(synthetic["x"].isna().mean() - 0.2) < 0.04
    assert abs(synthetic["c"].isna().mean() - 0.1) < 0.03


def test_identifier_column_gets_surrogates():
    table = patient_table(300, random_state=2)

    with pytest.warns(IdentifierColumnWarning, match="'patient_id'"):
        model = SyntheticGenerator(method=METHOD, random_state=0).fit(table, list(PATIENT_DISCRETE_COLUMNS))
    synthetic = model.generate(n_samples=50)

    assert synthetic["patient_id"].str.fullmatch(r"P\d{6}").all()
    assert synthetic["patient_id"].is_unique


@pytest.mark.parametrize("n_rows", [1, 2])
def test_tiny_tables_give_valid_output(n_rows):
    frame = pd.DataFrame({"age": [30, 41][:n_rows], "sex": ["F", "M"][:n_rows]})

    synthetic = SyntheticGenerator(method=METHOD, random_state=0).fit(frame).generate(n_samples=5)

    assert len(synthetic) == 5
    assert set(synthetic["sex"]) <= {"F", "M"}


def test_only_identifier_columns_raise():
    frame = pd.DataFrame({"patient_id": [f"P{i:03d}" for i in range(20)]})

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IdentifierColumnWarning)
        with pytest.raises(InvalidDataError, match="nothing to model"):
            SyntheticGenerator(method=METHOD).fit(frame)


def test_dp_with_non_dp_method_raises(patients):
    privacy = {"differential_privacy": {"epsilon": 1.0, "delta": 1e-5}}

    with pytest.raises(NotSupportedError, match="'gaussian_copula' cannot train under differential privacy"):
        SyntheticGenerator(method=METHOD, privacy=privacy).fit(patients)


def test_unknown_privacy_key_raises(patients):
    with pytest.raises(ConfigError, match="epsilon"):
        SyntheticGenerator(method=METHOD, privacy={"epsilon": 1}).fit(patients)


def test_unknown_method_raises(patients):
    with pytest.raises(ConfigError, match="'gan'"):
        SyntheticGenerator(method="gan").fit(patients)


def test_unknown_config_key_raises(patients):
    with pytest.raises(ConfigError, match=r"\['epoch'\]"):
        SyntheticGenerator(method=METHOD, config={"epoch": 3}).fit(patients)


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_invalid_n_samples_raises(fitted, bad):
    with pytest.raises(ConfigError, match="n_samples"):
        fitted.generate(n_samples=bad)


def test_invalid_random_state_raises(patients):
    with pytest.raises(ConfigError, match="random_state"):
        SyntheticGenerator(method=METHOD, random_state="seed").fit(patients)


def test_generate_before_fit_raises():
    with pytest.raises(NotFittedError, match="fit"):
        SyntheticGenerator().generate(n_samples=5)


def test_core_imports_without_torch():
    code = (
        "import sys\n"
        "class BlockTorch:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'torch' or name.startswith('torch.'):\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, BlockTorch())\n"
        "import genesis\n"
        "from genesis.synthesizer import resolve_method\n"
        "print(resolve_method('auto'))\n"
        "from genesis.generators import generator_class\n"
        "try:\n"
        "    generator_class('ctgan')({}).fit(None, None, None, None)\n"
        "except ImportError as error:\n"
        "    print(type(error).__name__, error)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    lines = result.stdout.splitlines()
    assert lines[0] == "gaussian_copula"
    assert lines[1].startswith("MissingDependencyError")
    assert "genesis-synth[pytorch]" in lines[1]


METHOD_CONFIGS = [
    pytest.param("gaussian_copula", {}, id="gaussian_copula"),
    pytest.param("ctgan", {"epochs": 2, "batch_size": 20, "pac": 2}, id="ctgan",
                 marks=pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="needs torch")),
]


@pytest.mark.parametrize(("method", "config"), METHOD_CONFIGS)
def test_every_dtype_survives_a_generator(mixed_table, method, config):
    table = mixed_table.assign(constant=7, empty=np.nan)

    model = SyntheticGenerator(method=method, config=config, random_state=0)
    model.fit(table, discrete_columns=["zip"])
    synthetic = model.generate(n_samples=60)

    assert synthetic.dtypes.equals(table.dtypes)
    assert (synthetic["constant"] == 7).all()
    assert synthetic["empty"].isna().all()
    assert set(synthetic["zip"]) <= {"02134", "02139", "10001"}
    assert synthetic["age"].between(table["age"].min(), table["age"].max()).all()
    assert str(synthetic["admitted"].dt.tz) == "Europe/Berlin"


@pytest.mark.parametrize(("method", "config"), METHOD_CONFIGS)
def test_reproducible_after_save_and_load(mixed_table, method, config, tmp_path):
    first = SyntheticGenerator(method=method, config=config, random_state=5).fit(mixed_table)
    second = SyntheticGenerator(method=method, config=config, random_state=5).fit(mixed_table)
    expected = first.generate(n_samples=50)

    loaded = SyntheticGenerator.load(first.save(tmp_path / "model.pkl"))

    pd.testing.assert_frame_equal(second.generate(n_samples=50), expected)
    pd.testing.assert_frame_equal(loaded.generate(n_samples=50), expected)


def identifier_table() -> pd.DataFrame:
    table = patient_table(300, random_state=6).drop(columns="patient_id")
    rng = np.random.default_rng(0)
    table["email"] = [f"person{i % 40}@example.org" for i in range(len(table))]
    table["phone"] = [f"617-555-{rng.integers(0, 10):01d}{i % 7:03d}" for i in range(len(table))]
    return table


def test_direct_identifiers_warn():
    with pytest.warns(PrivacyWarning, match=r"'email' \(F: "):
        model = SyntheticGenerator(method=METHOD, random_state=0)
        model.fit(identifier_table(), list(PATIENT_DISCRETE_COLUMNS))


def test_direct_identifiers_drop():
    table = identifier_table()
    model = SyntheticGenerator(method=METHOD, random_state=0, direct_identifiers="drop")

    with pytest.warns(PrivacyWarning, match="Leaving out direct identifier columns"):
        model.fit(table, list(PATIENT_DISCRETE_COLUMNS))
    synthetic = model.generate(n_samples=20)

    assert "email" not in synthetic.columns
    assert "phone" not in synthetic.columns
    assert synthetic.attrs["genesis"]["dropped_identifier_columns"] == ["email", "phone"]


def test_direct_identifiers_invalid_option(patients):
    with pytest.raises(ConfigError, match="direct_identifiers"):
        SyntheticGenerator(method=METHOD, direct_identifiers="remove").fit(patients)
