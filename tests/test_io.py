import pandas as pd
import pytest

from genesis.errors import InvalidDataError
from genesis.io import read_table, write_table


def write_csv(tmp_path, text: str):
    path = tmp_path / "table.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_keeps_leading_zeros(tmp_path):
    path = write_csv(tmp_path, "zip,age\n02134,40\n10001,51\n")

    frame = read_table(path)

    assert frame["zip"].tolist() == ["02134", "10001"]
    assert frame["age"].dtype == "int64"


def test_csv_empty_field_is_missing_but_codes_stay_text(tmp_path):
    path = write_csv(tmp_path, "a1c,count\nNone,1\n?,\n>7,3\n")

    frame = read_table(path)

    assert frame["a1c"].tolist() == ["None", "?", ">7"]
    assert str(frame["count"].dtype) == "Int64"
    assert frame["count"].isna().sum() == 1


def test_csv_na_values_option(tmp_path):
    path = write_csv(tmp_path, "race,age\n?,40\nAsian,51\n")

    frame = read_table(path, na_values=["?"])

    assert frame["race"].isna().tolist() == [True, False]


def test_csv_iso_dates_become_datetimes(tmp_path):
    path = write_csv(tmp_path, "seen\n2016-04-29T18:38:08Z\n2016-04-30T08:00:00Z\n")

    frame = read_table(path)

    assert str(frame["seen"].dt.tz) == "UTC"


def test_csv_decimal_numbers_are_floats(tmp_path):
    path = write_csv(tmp_path, "bmi\n30.5\n27\n")

    assert read_table(path)["bmi"].dtype == "float64"


def test_icd_codes_stay_text(tmp_path):
    path = write_csv(tmp_path, "diag\n250.83\nV57\n428\n")

    assert read_table(path)["diag"].tolist() == ["250.83", "V57", "428"]


def test_parquet_round_trip(tmp_path):
    frame = pd.DataFrame({"zip": ["02134", "10001"], "visits": pd.array([1, None], dtype="Int64")})
    path = tmp_path / "t.parquet"

    write_table(frame, path)

    pd.testing.assert_frame_equal(read_table(path), frame)


def test_unknown_extension_raises(tmp_path):
    path = tmp_path / "table.xlsx"
    path.write_text("x")

    with pytest.raises(InvalidDataError, match="'.xlsx'"):
        read_table(path)


def test_missing_file_raises(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        read_table(tmp_path / "absent.csv")
