import json
import pickle
import zipfile

import numpy as np
import pandas as pd
import pytest

from genesis import SyntheticGenerator
from genesis.datasets import PATIENT_DISCRETE_COLUMNS, patient_table
from genesis.errors import ModelFileError, ModelVersionError


@pytest.fixture(scope="module")
def model() -> SyntheticGenerator:
    data = patient_table(1000, random_state=5).drop(columns="patient_id")
    return SyntheticGenerator(method="gaussian_copula", random_state=9).fit(
        data, list(PATIENT_DISCRETE_COLUMNS)
    )


def rewrite_member(source, target, name, transform):
    with zipfile.ZipFile(source) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    members[name] = transform(members[name])
    with zipfile.ZipFile(target, "w") as archive:
        for member, data in members.items():
            archive.writestr(member, data)


def test_save_load_gives_identical_samples(model, tmp_path):
    path = model.save(tmp_path / "model.pkl")
    fresh = SyntheticGenerator(method="gaussian_copula", random_state=9)
    fresh.fit(patient_table(1000, random_state=5).drop(columns="patient_id"), list(PATIENT_DISCRETE_COLUMNS))

    loaded = SyntheticGenerator.load(path)

    pd.testing.assert_frame_equal(loaded.generate(n_samples=300), fresh.generate(n_samples=300))


def test_saved_file_is_zip_without_pickle(model, tmp_path):
    path = model.save(tmp_path / "model.genesis")

    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))

    assert "manifest.json" in names
    assert all(name == "manifest.json" or name.endswith(".npy") for name in names)
    assert manifest["format_version"] == 1
    assert manifest["method"] == "gaussian_copula"


def test_pickle_file_is_rejected(tmp_path):
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps({"not": "a model"}))

    with pytest.raises(ModelFileError, match="pickle"):
        SyntheticGenerator.load(path)


def test_altered_array_is_rejected(model, tmp_path):
    path = model.save(tmp_path / "model.genesis")
    with zipfile.ZipFile(path) as archive:
        array_name = next(n for n in archive.namelist() if n.endswith(".npy"))
    altered = tmp_path / "altered.genesis"

    rewrite_member(path, altered, array_name, lambda data: data[:-8] + np.zeros(1).tobytes())

    with pytest.raises(ModelFileError, match="SHA-256"):
        SyntheticGenerator.load(altered)


def test_extra_member_is_rejected(model, tmp_path):
    path = model.save(tmp_path / "model.genesis")
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("payload.pkl", pickle.dumps(1))

    with pytest.raises(ModelFileError, match="payload.pkl"):
        SyntheticGenerator.load(path)


def test_newer_format_version_is_rejected(model, tmp_path):
    path = model.save(tmp_path / "model.genesis")
    newer = tmp_path / "newer.genesis"

    def bump(data: bytes) -> bytes:
        manifest = json.loads(data)
        manifest["format_version"] = 99
        return json.dumps(manifest).encode()

    rewrite_member(path, newer, "manifest.json", bump)

    with pytest.raises(ModelVersionError, match="version 99"):
        SyntheticGenerator.load(newer)


def test_missing_model_file_raises(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        SyntheticGenerator.load(tmp_path / "absent.genesis")


def test_text_file_is_rejected(tmp_path):
    path = tmp_path / "model.json"
    path.write_text("{}")

    with pytest.raises(ModelFileError, match="not a genesis model"):
        SyntheticGenerator.load(path)
