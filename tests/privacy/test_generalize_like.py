import json

import numpy as np
import pandas as pd
import pytest

from genesis.datasets import patient_table
from genesis.errors import ConfigError
from genesis.privacy.generalization import categorical_hierarchy, numeric_hierarchy
from genesis.privacy.kanonymity import anonymize, generalize_like

QIS = ["age", "gender", "zip_code"]


def patients(n=600, seed=3):
    return patient_table(n, random_state=seed).drop(columns=["patient_id"])


def anonymized_record(frame, quasi_identifiers, k, **options):
    _, result = anonymize(frame, quasi_identifiers, k, **options)
    return json.loads(json.dumps(result.to_dict()))


@pytest.mark.parametrize("k", [1, 5, 40])
def test_same_table_matches_anonymize_output(k):
    frame = patients()
    output, result = anonymize(frame, QIS, k, max_suppression=0.05)

    rebuilt = generalize_like(frame, result.to_dict())

    for name in QIS:
        assert rebuilt.loc[output.index, name].tolist() == output[name].tolist()
        assert rebuilt[name].dtype == output[name].dtype


def test_other_table_written_in_same_format():
    record = anonymized_record(patients(seed=1), QIS, 10)
    other = patients(n=300, seed=2)

    rebuilt = generalize_like(other, {"k_anonymity": record})

    zip_level = record["levels"]["zip_code"]["name"]
    assert zip_level in ("ZIP3", "ZIP area (first digit)", "suppressed")
    if zip_level == "ZIP3":
        assert rebuilt["zip_code"].str.fullmatch(r"\d{3}\*\*").all()
    assert len(rebuilt) == len(other)
    assert rebuilt.index.equals(other.index)


def test_age_band_level_rebuilt():
    frame = pd.DataFrame({"age": [3, 54, 57, 91, 99], "x": range(5)})
    record = {"levels": {"age": {"level": 1, "name": "5-year bands", "format": "50-54, 90+", "kind": "age",
                                 "details": {"lower": 0.0, "upper": 100.0, "top_code": "90+"}}}}

    rebuilt = generalize_like(frame, record)

    assert rebuilt["age"].tolist() == ["0-4", "50-54", "55-59", "90+", "90+"]
    assert rebuilt["x"].tolist() == list(range(5))


def test_numeric_bands_clip_real_values_to_bounds():
    frame = pd.DataFrame({"cost": [-50.0, 100.0, 1999.0, 5000.0]})
    _, result = anonymize(pd.DataFrame({"cost": np.linspace(0, 2000, 200)}), ["cost"], 30,
                          domain={"cost": (0, 2000)})
    record = result.to_dict()

    rebuilt = generalize_like(frame, record)

    assert rebuilt["cost"].str.startswith("[").all()
    assert rebuilt["cost"].iloc[0] == rebuilt["cost"].iloc[1]
    assert rebuilt["cost"].iloc[3].endswith("2000]")


def test_caller_cut_points_rebuilt():
    hierarchy = numeric_hierarchy(cut_points=[[0, 10, 100, 1000], [0, 100, 1000]])
    frame = pd.DataFrame({"cost": np.r_[np.full(20, 5.0), np.full(20, 50.0), np.full(20, 500.0)]})
    output, result = anonymize(frame, ["cost"], 5, hierarchies={"cost": hierarchy})

    rebuilt = generalize_like(frame, json.loads(json.dumps(result.to_dict())))

    assert rebuilt["cost"].tolist() == output["cost"].tolist()


def test_missing_values_stay_missing():
    frame = pd.DataFrame({"gender": ["F", None, "M"] * 10})
    record = anonymized_record(frame, ["gender"], 2)

    rebuilt = generalize_like(frame, record)

    assert rebuilt["gender"].isna().sum() == 10


def test_dates_rebuilt_at_year():
    stamps = pd.Series(pd.date_range("2018-01-01", periods=60, freq="13D"))
    frame = pd.DataFrame({"admitted": stamps})
    output, result = anonymize(frame, ["admitted"], 3)

    rebuilt = generalize_like(frame, result.to_dict())

    assert rebuilt.loc[output.index, "admitted"].tolist() == output["admitted"].tolist()
    assert rebuilt["admitted"].str.fullmatch(r"\d{4}").all()


def test_categorical_tree_needs_hierarchy():
    tree = {"A": "vowel", "E": "vowel", "B": "consonant", "C": "consonant"}
    frame = pd.DataFrame({"letter": list("AEBC") * 5})
    output, result = anonymize(frame, ["letter"], 10, hierarchies={"letter": tree})
    record = result.to_dict()
    assert record["levels"]["letter"]["name"] == "level 1"

    with pytest.raises(ConfigError, match="hierarchies="):
        generalize_like(frame, record)
    rebuilt = generalize_like(frame, record, hierarchies={"letter": categorical_hierarchy(tree)})

    assert rebuilt["letter"].tolist() == output["letter"].tolist()


def test_record_without_levels_raises():
    with pytest.raises(ConfigError, match="contains no k-anonymity generalization levels"):
        generalize_like(patients(), {"rows": {}})


def test_column_absent_from_frame_raises():
    record = anonymized_record(patients(), QIS, 5)

    with pytest.raises(ConfigError, match="no columns \\['zip_code'\\]"):
        generalize_like(patients().drop(columns=["zip_code"]), record)


def test_unknown_level_name_raises():
    record = {"levels": {"age": {"name": "7 decades", "kind": "age", "details": {}}}}

    with pytest.raises(ConfigError, match="7 decades"):
        generalize_like(patients(), record)


def test_custom_zip3_list_needs_hierarchy():
    record = anonymized_record(patients(), QIS, 5)
    record["levels"]["zip_code"]["details"]["restricted_zip3"]["version"] = "caller"

    with pytest.raises(ConfigError, match="restricted ZIP3 list"):
        generalize_like(patients(), record)


def test_input_frame_unchanged():
    frame = patients()
    before = frame.copy()

    generalize_like(frame, anonymized_record(frame, QIS, 5))

    pd.testing.assert_frame_equal(frame, before)
