import warnings

import numpy as np
import pandas as pd
import pytest

from genesis.errors import (
    ConfigError,
    IdentifierColumnWarning,
    InvalidColumnTypeError,
    InvalidDataError,
)
from genesis.schema import ColumnKind, Schema, infer


def kinds(schema: Schema) -> dict[str, ColumnKind]:
    return {column.name: column.kind for column in schema.columns}


def round_trip(frame: pd.DataFrame, **options: object) -> pd.DataFrame:
    schema = infer(frame, **options)
    canonical = schema.to_canonical(frame)
    return schema.from_canonical(canonical, np.random.default_rng(0))


def test_infer_kinds_of_mixed_table(mixed_table):
    schema = infer(mixed_table, discrete_columns=["zip"])

    assert kinds(schema) == {
        "age": ColumnKind.INTEGER,
        "weight": ColumnKind.FLOAT,
        "visits": ColumnKind.INTEGER,
        "smoker": ColumnKind.BOOLEAN,
        "zip": ColumnKind.CATEGORICAL,
        "blood_type": ColumnKind.CATEGORICAL,
        "admitted": ColumnKind.DATETIME,
    }


def test_round_trip_keeps_values_and_dtypes(mixed_table):
    restored = round_trip(mixed_table, discrete_columns=["zip"])

    pd.testing.assert_frame_equal(restored, mixed_table)


def test_round_trip_keeps_leading_zeros(mixed_table):
    restored = round_trip(mixed_table)

    assert set(restored["zip"]) <= {"02134", "02139", "10001"}
    assert restored["zip"].dtype == mixed_table["zip"].dtype


def test_nullable_integer_stays_int64(mixed_table):
    restored = round_trip(mixed_table)

    assert str(restored["visits"].dtype) == "Int64"
    assert restored["visits"].isna().sum() == mixed_table["visits"].isna().sum()


def test_timezone_is_kept(mixed_table):
    schema = infer(mixed_table)
    restored = round_trip(mixed_table)

    assert schema["admitted"].timezone == "Europe/Berlin"
    assert str(restored["admitted"].dt.tz) == "Europe/Berlin"


def test_float_decimals_recorded(mixed_table):
    assert infer(mixed_table)["weight"].decimals == 1


def test_integral_floats_are_integers():
    frame = pd.DataFrame({"income": [11.0, 12.0, np.nan, 15.0] * 5})

    schema = infer(frame)

    assert schema["income"].kind is ColumnKind.INTEGER
    assert schema["income"].dtype == "float64"


def test_discrete_numbers_are_categorical():
    frame = pd.DataFrame({"code": [1, 2, 3, 1] * 5})

    schema = infer(frame, discrete_columns=["code"])
    restored = round_trip(frame, discrete_columns=["code"])

    assert schema["code"].kind is ColumnKind.CATEGORICAL
    pd.testing.assert_frame_equal(restored, frame)


def test_all_null_columns_round_trip():
    frame = pd.DataFrame({"empty_number": [np.nan] * 4, "empty_text": pd.Series([None] * 4, dtype=object),
                          "x": [1, 2, 3, 4]})

    restored = round_trip(frame)

    assert restored["empty_number"].isna().all()
    assert restored["empty_text"].isna().all()


def test_object_booleans_are_boolean():
    frame = pd.DataFrame({"flag": pd.Series([True, False, None, True], dtype=object)})

    assert infer(frame)["flag"].kind is ColumnKind.BOOLEAN


def test_boolean_dtype_round_trip():
    frame = pd.DataFrame({"flag": pd.array([True, False, None, True], dtype="boolean")})

    pd.testing.assert_frame_equal(round_trip(frame), frame)


def test_string_dtype_round_trip():
    frame = pd.DataFrame({"city": pd.array(["Oslo", None, "Lima", "Oslo"], dtype="string")})

    pd.testing.assert_frame_equal(round_trip(frame), frame)


def test_category_dtype_round_trip():
    frame = pd.DataFrame({"grade": pd.Categorical(["a", "b", "a", "c"])})

    pd.testing.assert_frame_equal(round_trip(frame), frame)


def test_naive_datetime_resolution():
    frame = pd.DataFrame({"seen": pd.to_datetime(["2021-03-01 10:15:00", "2021-03-02 11:20:00"] * 3)})

    schema = infer(frame)

    assert schema["seen"].resolution == "minute"
    pd.testing.assert_frame_equal(round_trip(frame), frame)


def test_prefixed_id_column_is_identifier():
    frame = pd.DataFrame({"patient_id": [f"P{i:06d}" for i in range(1, 21)], "age": range(20)})

    with pytest.warns(IdentifierColumnWarning, match="'patient_id'"):
        schema = infer(frame)
    restored = round_trip_quiet(frame)

    assert schema["patient_id"].kind is ColumnKind.IDENTIFIER
    assert restored["patient_id"].str.fullmatch(r"P\d{6}").all()
    assert restored["patient_id"].is_unique


def test_integer_id_column_is_identifier():
    frame = pd.DataFrame({"encounter_id": np.arange(1000, 1020), "age": [30, 40] * 10})

    with pytest.warns(IdentifierColumnWarning):
        schema = infer(frame)

    assert schema["encounter_id"].kind is ColumnKind.IDENTIFIER


def test_unique_integers_without_id_name_are_modelled():
    frame = pd.DataFrame({"cost": np.arange(1000, 1020)})

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        schema = infer(frame)

    assert schema["cost"].kind is ColumnKind.INTEGER


def test_identifier_error_mode():
    frame = pd.DataFrame({"patient_id": [f"P{i:03d}" for i in range(20)]})

    with pytest.raises(InvalidDataError, match="'patient_id'"):
        infer(frame, identifiers="error")


def test_identifier_can_be_modelled_when_declared():
    frame = pd.DataFrame({"patient_id": [f"P{i:03d}" for i in range(20)]})

    schema = infer(frame, column_kinds={"patient_id": "categorical"})

    assert schema["patient_id"].kind is ColumnKind.CATEGORICAL


def round_trip_quiet(frame: pd.DataFrame) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IdentifierColumnWarning)
        return round_trip(frame)


def test_empty_table_raises():
    with pytest.raises(InvalidDataError, match="no rows"):
        infer(pd.DataFrame({"a": pd.Series([], dtype=float)}))


def test_table_without_columns_raises():
    with pytest.raises(InvalidDataError, match="no columns"):
        infer(pd.DataFrame())


def test_duplicate_column_names_raise():
    frame = pd.DataFrame([[1, 2]], columns=["a", "a"])

    with pytest.raises(InvalidDataError, match="'a'"):
        infer(frame)


def test_non_string_column_names_raise():
    with pytest.raises(InvalidColumnTypeError, match="must be strings"):
        infer(pd.DataFrame({0: [1, 2]}))


def test_too_many_categories_raise():
    frame = pd.DataFrame({"code": [f"c{i}" for i in range(30)] * 2})

    with pytest.raises(InvalidDataError, match=r"'code' has 30 distinct values.*max_categories=10"):
        infer(frame, max_categories=10)


def test_mixed_types_raise():
    frame = pd.DataFrame({"value": pd.Series([1, "a", 2.5], dtype=object)})

    with pytest.raises(InvalidDataError, match=r"'value' mixes value types: 1 \(number\), 'a' \(text\)"):
        infer(frame)


def test_infinite_values_raise():
    frame = pd.DataFrame({"dose": [1.0, np.inf, 2.0]})

    with pytest.raises(InvalidDataError, match=r"'dose' has 1 infinite values \(first at row 1"):
        infer(frame)


def test_unknown_discrete_column_raises():
    with pytest.raises(ConfigError, match=r"\['nope'\]"):
        infer(pd.DataFrame({"a": [1]}), discrete_columns=["nope"])


def test_discrete_columns_as_string_raises():
    with pytest.raises(ConfigError, match="list of names"):
        infer(pd.DataFrame({"a": [1]}), discrete_columns="a")


def test_unsupported_values_raise():
    frame = pd.DataFrame({"items": pd.Series([[1], [2]], dtype=object)})

    with pytest.raises(InvalidColumnTypeError, match="'items'"):
        infer(frame)


def test_schema_dict_round_trip(mixed_table):
    schema = infer(mixed_table)

    assert Schema.from_dict(schema.to_dict()) == schema


@pytest.mark.parametrize(("name", "kind"), [("education-num", ColumnKind.INTEGER),
                                             ("visit_no", ColumnKind.INTEGER),
                                             ("patient_nbr", ColumnKind.IDENTIFIER),
                                             ("encounter_id", ColumnKind.IDENTIFIER)])
def test_private_inference_marks_ids_by_strong_names(name, kind):
    frame = pd.DataFrame({name: [3, 9, 13, 9]})

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IdentifierColumnWarning)
        schema = infer(frame, private=True)

    assert schema[name].kind is kind
