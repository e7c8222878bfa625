import json
import warnings
import zipfile

import numpy as np
import pandas as pd
import pytest

from genesis import SyntheticGenerator, holdout
from genesis.datasets import PATIENT_DISCRETE_COLUMNS, patient_table
from genesis.errors import ConfigError
from genesis.holdout import (
    MIN_HOLDOUT_UNITS,
    holdout_units,
    lookup_holdout,
    register_holdout,
    release_holdout,
    split_holdout,
)

METHOD = "gaussian_copula"


@pytest.fixture(scope="module")
def patients() -> pd.DataFrame:
    return patient_table(1000, random_state=11).drop(columns=["patient_id"])


def fit(data, **options):
    return SyntheticGenerator(method=METHOD, random_state=4, **options).fit(
        data, list(PATIENT_DISCRETE_COLUMNS)
    )


def row_keys(frame):
    return set(map(tuple, frame.astype(str).to_numpy()))


def test_fit_reserves_default_share(patients):
    model = fit(patients)

    assert model.holdout_["rows"] == 200
    assert model.holdout_["share"] == 0.2
    assert model.n_training_rows_ == 800


def test_generated_frame_finds_holdout(patients):
    model = fit(patients)

    found = lookup_holdout(model.generate(n_samples=50))

    assert found is not None
    assert len(found) == 200
    assert list(found.columns) == list(patients.columns)
    assert row_keys(found) <= row_keys(patients)


def test_holdout_and_training_rows_are_disjoint():
    data = pd.DataFrame({"row": np.arange(400), "value": np.arange(400) % 7})

    training, reserved = split_holdout(data, 0.25, None, np.random.default_rng(0))

    assert len(reserved) == 100
    assert len(training) == 300
    assert set(training["row"]).isdisjoint(reserved["row"])
    assert set(training["row"]) | set(reserved["row"]) == set(range(400))


def test_split_by_unit_keeps_units_whole():
    data = pd.DataFrame({"patient": np.repeat(np.arange(300), 3), "visit": np.tile([1, 2, 3], 300)})

    training, reserved = split_holdout(data, 0.2, "patient", np.random.default_rng(1))

    assert reserved["patient"].nunique() == 60
    assert len(reserved) == 180
    assert set(training["patient"]).isdisjoint(reserved["patient"])


def test_split_same_seed_same_rows(patients):
    first = fit(patients)
    second = fit(patients)

    held_first = lookup_holdout(first.generate(n_samples=5))
    held_second = lookup_holdout(second.generate(n_samples=5))

    pd.testing.assert_frame_equal(held_first, held_second)


def test_zero_turns_holdout_off(patients):
    model = fit(patients, holdout=0)
    synthetic = model.generate(n_samples=20)

    assert model.holdout_ is None
    assert model.n_training_rows_ == len(patients)
    assert synthetic.attrs["genesis"]["holdout"] is None
    assert lookup_holdout(synthetic) is None


def test_small_table_trains_on_every_row(patients):
    small = patients.iloc[:200]

    model = fit(small)

    assert model.holdout_ is None
    assert model.n_training_rows_ == 200


@pytest.mark.parametrize(("units", "share", "expected"), [
    (1000, 0.2, 200), (250, 0.2, 50), (249, 0.2, 0), (10, 0.5, 0), (1000, 0.0, 0),
])
def test_holdout_units_rule(units, share, expected):
    assert holdout_units(units, share) == expected
    assert expected == 0 or expected >= MIN_HOLDOUT_UNITS


@pytest.mark.parametrize("share", [-0.1, 0.6, "0.2", True, float("nan")])
def test_invalid_share_raises(patients, share):
    with pytest.raises(ConfigError, match="holdout"):
        fit(patients, holdout=share)


def test_holdout_never_saved(patients, tmp_path):
    model = fit(patients)
    held = lookup_holdout(model.generate(n_samples=5))
    path = model.save(tmp_path / "model.genesis")

    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        blob = b"".join(archive.read(name) for name in archive.namelist())

    assert manifest["holdout"] == {"rows": 200, "share": 0.2, "unit_column": None}
    assert model.holdout_["id"].encode() not in blob
    costs = held["annual_cost"].astype(str).unique()[:20]
    assert not any(f'"{cost}"'.encode() in blob for cost in costs if len(cost) >= 4)


def test_loaded_model_has_no_holdout_in_memory(patients, tmp_path):
    model = fit(patients)
    path = model.save(tmp_path / "model.genesis")

    loaded = SyntheticGenerator.load(path)
    entry = loaded.generate(n_samples=5).attrs["genesis"]["holdout"]

    assert entry["in_memory"] is False
    assert entry["id"] is None
    assert entry["rows"] == 200
    assert loaded.holdout == 0.2


def test_refit_releases_previous_holdout(patients):
    model = fit(patients)
    old = model.generate(n_samples=5)

    model.fit(patients, list(PATIENT_DISCRETE_COLUMNS))

    assert lookup_holdout(old) is None
    assert lookup_holdout(model.generate(n_samples=5)) is not None


def test_registry_drops_oldest_beyond_limit():
    frames = [pd.DataFrame({"x": [i]}) for i in range(holdout.MAX_HOLDOUTS + 1)]
    ids = [register_holdout(frame) for frame in frames]

    found = []
    for holdout_id in ids:
        tagged = pd.DataFrame({"x": [0]})
        tagged.attrs["genesis"] = {"holdout": {"id": holdout_id}}
        found.append(lookup_holdout(tagged))

    assert found[0] is None
    assert found[-1] is frames[-1]
    for holdout_id in ids:
        release_holdout(holdout_id)


def test_lookup_without_record_is_none():
    assert lookup_holdout(pd.DataFrame({"x": [1]})) is None


def test_record_is_json_safe(patients):
    synthetic = fit(patients).generate(n_samples=5)

    text = json.dumps(synthetic.attrs["genesis"])

    assert "holdout" in json.loads(text)


def test_dp_fit_sees_only_training_rows(patients):
    privacy = {"differential_privacy": {"epsilon": 5.0, "delta": 1e-5}}
    public = {"age": {"lower": 0, "upper": 100}, "blood_pressure_systolic": {"lower": 80, "upper": 200},
              "annual_cost": {"lower": 0, "upper": 20000}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = SyntheticGenerator(method="mst", privacy=privacy, random_state=2,
                                   config={"iterations": 50}).fit(patients, public_domain=public)

    assert model.n_training_rows_ == 800
    assert model.holdout_["rows"] == 200
