import json

import numpy as np
import pandas as pd
import pytest

from genesis.errors import ConfigError, InvalidDataError
from genesis.privacy.generalization import (
    ZIP_CODE_COUNT,
    Hierarchy,
    Level,
    age_bracket_hierarchy,
    age_hierarchy,
    as_hierarchy,
    categorical_hierarchy,
    date_hierarchy,
    load_restricted_zip3,
    numeric_hierarchy,
    suppression_level,
    zip_hierarchy,
)

RESTRICTED = ["036", "059", "063", "102", "203", "556", "692", "790", "821",
              "823", "830", "831", "878", "879", "884", "890", "893"]


def written(hierarchy, values, level):
    return hierarchy.generalize(pd.Series(values, name="column"), level).tolist()


# ZIP codes


def test_restricted_list_ships_with_provenance():
    restricted = load_restricted_zip3()

    assert sorted(restricted.prefixes) == RESTRICTED
    assert restricted.census_year == 2000
    assert restricted.version == "1"
    assert "hhs.gov" in restricted.source


@pytest.mark.parametrize("prefix", RESTRICTED)
def test_restricted_prefix_written_as_000(prefix):
    hierarchy = zip_hierarchy()
    codes = [f"{prefix}01", f"{prefix}99"]

    assert written(hierarchy, codes, 1) == ["000**", "000**"]
    assert written(hierarchy, codes, 2) == ["000**", "000**"]


def test_zip_levels():
    hierarchy = zip_hierarchy()
    codes = ["10001", "90210", "02134"]

    assert written(hierarchy, codes, 0) == ["10001", "90210", "02134"]
    assert written(hierarchy, codes, 1) == ["100**", "902**", "021**"]
    assert written(hierarchy, codes, 2) == ["1****", "9****", "0****"]
    assert written(hierarchy, codes, 3) == ["*", "*", "*"]
    assert hierarchy.safe_harbor_floor == 1


def test_zip_integers_get_leading_zeros():
    hierarchy = zip_hierarchy()

    assert written(hierarchy, [2134, 10001], 0) == ["02134", "10001"]
    assert written(hierarchy, [2134], 1) == ["021**"]


def test_zip_plus_four_cut_to_five_digits():
    assert written(zip_hierarchy(), ["10001-1234", "100011234"], 0) == ["10001", "10001"]


@pytest.mark.parametrize("value", ["1000", "10001-12", "ABCDE", "  "])
def test_invalid_zip_code_raises(value):
    with pytest.raises(InvalidDataError, match="ZIP code"):
        written(zip_hierarchy(), [value], 1)


def test_zip_ncp_counts_all_codes():
    hierarchy = zip_hierarchy()
    values = pd.Series(["10001", "03601", "20001"])
    pooled = (100 * len(RESTRICTED) - 1) / (ZIP_CODE_COUNT - 1)
    # Area 2 has one restricted prefix (203), so 99 open prefixes.
    area_two = (100 * 99 - 1) / (ZIP_CODE_COUNT - 1)

    assert hierarchy.cell_loss(values, 0).tolist() == [0, 0, 0]
    assert hierarchy.cell_loss(values, 1) == pytest.approx([99 / 99_999, pooled, 99 / 99_999])
    assert hierarchy.cell_loss(values, 2)[1:] == pytest.approx([pooled, area_two])
    assert hierarchy.cell_loss(values, 3).tolist() == [1, 1, 1]


def test_restricted_list_from_prefixes():
    hierarchy = zip_hierarchy(restricted_zip3=["100"])

    assert written(hierarchy, ["10001", "03601"], 1) == ["000**", "036**"]
    assert hierarchy.details["restricted_zip3"] == {"version": "caller", "census_year": None}


def test_restricted_list_from_file(tmp_path):
    path = tmp_path / "zip3.json"
    path.write_text(json.dumps({"prefixes": ["902"], "version": "2020.1", "census_year": 2020,
                                "source": "test"}))

    hierarchy = zip_hierarchy(restricted_zip3=path)

    assert written(hierarchy, ["90210", "03601"], 1) == ["000**", "036**"]
    assert hierarchy.details["restricted_zip3"] == {"version": "2020.1", "census_year": 2020}


def test_restricted_file_without_fields_raises(tmp_path):
    path = tmp_path / "zip3.json"
    path.write_text(json.dumps({"prefixes": ["902"]}))

    with pytest.raises(ConfigError, match="lacks the fields"):
        zip_hierarchy(restricted_zip3=path)


def test_restricted_prefix_must_have_three_digits():
    with pytest.raises(ConfigError, match="three digits"):
        zip_hierarchy(restricted_zip3=["36"])


# Ages


@pytest.mark.parametrize("level", [0, 1, 2, 3])
def test_age_top_code_at_every_level(level):
    assert written(age_hierarchy(), [90, 95, 120, 90.5], level) == ["90+"] * 4


def test_age_levels():
    hierarchy = age_hierarchy()
    ages = [54, 89, 0, 17]

    assert written(hierarchy, ages, 0) == ["54", "89", "0", "17"]
    assert written(hierarchy, ages, 1) == ["50-54", "85-89", "0-4", "15-19"]
    assert written(hierarchy, ages, 2) == ["50-59", "80-89", "0-9", "10-19"]
    assert written(hierarchy, ages, 3) == ["40-59", "80-89", "0-19", "0-19"]
    assert written(hierarchy, ages, 4) == ["*"] * 4
    assert hierarchy.describe(1) == {"level": 1, "name": "5-year bands", "format": "50-54, 90+"}
    assert hierarchy.describe(3)["format"] == "40-59, 90+"


def test_age_fractions_kept_exact_and_banded():
    assert written(age_hierarchy(), [54.5], 0) == ["54.5"]
    assert written(age_hierarchy(), [54.5], 1) == ["50-54"]


def test_age_ncp_is_band_width_over_domain_width():
    hierarchy = age_hierarchy(lower=0, upper=100)
    ages = pd.Series([54, 85, 95])

    assert hierarchy.cell_loss(ages, 0) == pytest.approx([0, 0, 0.1])
    assert hierarchy.cell_loss(ages, 1) == pytest.approx([0.05, 0.05, 0.1])
    # The 20-year band of 85 stops at 89: [80, 90) is 10 years wide.
    assert hierarchy.cell_loss(ages, 3) == pytest.approx([0.2, 0.1, 0.1])


def test_negative_age_raises():
    with pytest.raises(InvalidDataError, match="at least 0"):
        written(age_hierarchy(), [-1], 0)


def test_age_bands_must_nest():
    with pytest.raises(ConfigError, match="multiple"):
        age_hierarchy(band_widths=(5, 8))


@pytest.mark.parametrize("level", [0, 1])
def test_age_bracket_90_is_top_coded(level):
    assert written(age_bracket_hierarchy(), ["[90-100)", "[95-100)"], level) == ["90+", "90+"]


def test_age_bracket_levels():
    hierarchy = age_bracket_hierarchy()
    brackets = ["[70-80)", "[80-90)", "[0-10)"]

    assert written(hierarchy, brackets, 0) == ["[70-80)", "[80-90)", "[0-10)"]
    assert written(hierarchy, brackets, 1) == ["[60-80)", "[80-90)", "[0-20)"]
    assert written(hierarchy, brackets, 2) == ["*"] * 3
    assert hierarchy.describe(1)["format"] == "[60-80), 90+"


def test_age_bracket_ncp():
    hierarchy = age_bracket_hierarchy(lower=0, upper=100)
    brackets = pd.Series(["[70-80)", "[90-100)"])

    assert hierarchy.cell_loss(brackets, 0) == pytest.approx([0.1, 0.1])
    assert hierarchy.cell_loss(brackets, 1) == pytest.approx([0.2, 0.1])


@pytest.mark.parametrize(("bracket", "message"), [
    ("[85-95)", "contain 90"),
    ("70-80", "bracket such as"),
    ("[80-70)", "start must be below"),
])
def test_invalid_age_bracket_raises(bracket, message):
    with pytest.raises(InvalidDataError, match=message):
        written(age_bracket_hierarchy(), [bracket], 0)


def test_age_bracket_wider_than_band_raises():
    with pytest.raises(InvalidDataError, match="fit in one 20-year band"):
        written(age_bracket_hierarchy(), ["[10-30)"], 1)


# Dates


def test_date_levels_from_datetimes():
    hierarchy = date_hierarchy(lower="2000-01-01", upper="2020-12-31")
    stamps = pd.to_datetime(["2019-03-14 10:30", "2020-02-29 00:00"])

    assert written(hierarchy, stamps, 0) == ["2019-03-14", "2020-02-29"]
    assert written(hierarchy, stamps, 1) == ["2019-03", "2020-02"]
    assert written(hierarchy, stamps, 2) == ["2019", "2020"]
    assert written(hierarchy, stamps, 3) == ["*", "*"]
    assert hierarchy.safe_harbor_floor == 2


def test_date_levels_from_iso_text():
    hierarchy = date_hierarchy(lower="2000-01-01", upper="2020-12-31")

    assert written(hierarchy, ["2019-03-14", "2019-03-14T23:59:00"], 1) == ["2019-03", "2019-03"]


def test_date_ncp_counts_days():
    hierarchy = date_hierarchy(lower="2020-01-01", upper="2021-01-01")
    stamps = pd.Series(pd.to_datetime(["2020-02-10"]))

    assert hierarchy.cell_loss(stamps, 0) == pytest.approx([1 / 366])
    assert hierarchy.cell_loss(stamps, 1) == pytest.approx([29 / 366])
    assert hierarchy.cell_loss(stamps, 2) == pytest.approx([1.0])


def test_date_top_code_for_ages_over_89():
    hierarchy = date_hierarchy(lower="1900-01-01", upper="2020-01-01", top_code_year=1935)
    births = pd.to_datetime(["1930-05-01", "1935-12-31", "1936-01-01"])

    for level in (0, 1, 2):
        assert written(hierarchy, births, level)[:2] == ["1935 or earlier", "1935 or earlier"]
    assert written(hierarchy, births, 2)[2] == "1936"
    assert hierarchy.cell_loss(pd.Series(births), 0)[0] == pytest.approx(36 / 120, abs=1e-3)


def test_dates_with_time_zone_keep_local_day():
    hierarchy = date_hierarchy(lower=0, upper=2e18)
    stamps = pd.Series(pd.to_datetime(["2019-03-14 23:30"]).tz_localize("America/New_York"))

    assert written(hierarchy, stamps, 0) == ["2019-03-14"]


def test_invalid_date_text_raises():
    with pytest.raises(InvalidDataError, match="ISO 8601"):
        written(date_hierarchy(lower=0, upper=1e18), ["14/03/2019"], 0)


# Other numbers


def test_numeric_bands_from_bounds():
    hierarchy = numeric_hierarchy(0, 100, band_counts=(4, 2))
    values = [30, 100, 0, 12.5]

    assert written(hierarchy, values, 0) == ["30", "100", "0", "12.5"]
    assert written(hierarchy, values, 1) == ["[25, 50)", "[75, 100]", "[0, 25)", "[0, 25)"]
    assert written(hierarchy, values, 2) == ["[0, 50)", "[50, 100]", "[0, 50)", "[0, 50)"]
    assert hierarchy.cell_loss(pd.Series(values), 1) == pytest.approx([0.25] * 4)
    assert hierarchy.cell_loss(pd.Series(values), 2) == pytest.approx([0.5] * 4)


def test_numeric_cut_points():
    hierarchy = numeric_hierarchy(cut_points=[[0, 18, 65, 120], [0, 65, 120]])

    assert written(hierarchy, [30, 70], 1) == ["[18, 65)", "[65, 120]"]
    assert written(hierarchy, [30, 70], 2) == ["[0, 65)", "[65, 120]"]


def test_numeric_cut_points_must_nest():
    with pytest.raises(ConfigError, match="edges of the finer level"):
        numeric_hierarchy(cut_points=[[0, 18, 65, 120], [0, 50, 120]])


def test_numeric_hierarchy_needs_bounds():
    with pytest.raises(ConfigError, match="lower and upper bounds"):
        numeric_hierarchy()


def test_numeric_value_outside_bounds_raises():
    with pytest.raises(InvalidDataError, match="domain bounds"):
        written(numeric_hierarchy(0, 100), [101], 1)


# Categories


def test_categorical_default_is_exact_then_suppressed():
    hierarchy = categorical_hierarchy()

    assert written(hierarchy, ["F", "M"], 0) == ["F", "M"]
    assert written(hierarchy, ["F", "M"], 1) == ["*", "*"]
    assert hierarchy.safe_harbor_floor is None


MARITAL = {
    "Married-civ-spouse": ["Married", "Partnered"],
    "Married-AF-spouse": ["Married", "Partnered"],
    "Never-married": ["Never married", "Single"],
    "Divorced": ["Previously married", "Single"],
    "Widowed": ["Previously married", "Single"],
}


def test_categorical_tree_levels_and_ncp():
    hierarchy = categorical_hierarchy(MARITAL, level_names=["marital group", "partnered"])
    values = pd.Series(["Married-civ-spouse", "Never-married", "Widowed"])

    assert written(hierarchy, values, 1) == ["Married", "Never married", "Previously married"]
    assert written(hierarchy, values, 2) == ["Partnered", "Single", "Single"]
    assert written(hierarchy, values, 3) == ["*"] * 3
    # Five leaves: "Married" covers 2, "Never married" 1, "Single" 3.
    assert hierarchy.cell_loss(values, 1) == pytest.approx([1 / 4, 0, 1 / 4])
    assert hierarchy.cell_loss(values, 2) == pytest.approx([1 / 4, 2 / 4, 2 / 4])
    assert hierarchy.describe(1)["name"] == "marital group"


def test_categorical_tree_as_list_of_mappings():
    chained = categorical_hierarchy([
        {leaf: parents[0] for leaf, parents in MARITAL.items()},
        {"Married": "Partnered", "Never married": "Single", "Previously married": "Single"},
    ])
    values = pd.Series(list(MARITAL))

    for level in range(4):
        assert written(chained, values, level) == written(categorical_hierarchy(MARITAL), values, level)


def test_categorical_tree_top_star_is_suppression():
    hierarchy = categorical_hierarchy({"a": ["x", "*"], "b": ["x", "*"]})

    assert hierarchy.n_levels == 3
    assert hierarchy.levels[-1].suppresses


def test_categorical_value_outside_tree_raises():
    with pytest.raises(ConfigError, match="no leaves"):
        written(categorical_hierarchy(MARITAL), ["Separated"], 1)


def test_categorical_tree_with_uneven_depth_raises():
    with pytest.raises(ConfigError, match="same number of ancestors"):
        categorical_hierarchy({"a": ["x", "y"], "b": ["x"]})


def test_chained_tree_with_missing_parent_raises():
    with pytest.raises(ConfigError, match="no parent for 'x'"):
        categorical_hierarchy([{"a": "x"}, {"y": "z"}])


def test_as_hierarchy_builds_tree_from_mapping():
    hierarchy = as_hierarchy({"a": "x", "b": "x"}, "column")

    assert written(hierarchy, ["a", "b"], 1) == ["x", "x"]


def test_as_hierarchy_rejects_other_types():
    with pytest.raises(ConfigError, match="hierarchies\\['column'\\]"):
        as_hierarchy(5, "column")


# Every hierarchy


def test_missing_values_stay_missing_below_suppression():
    hierarchy = age_hierarchy()
    ages = pd.Series([54, None, 95])

    assert written(hierarchy, ages, 1) == ["50-54", None, "90+"]
    assert written(hierarchy, ages, 4) == ["*", "*", "*"]
    assert hierarchy.cell_loss(ages, 1)[1] == 0
    assert hierarchy.cell_loss(ages, 4)[1] == 1


def test_generalize_keeps_index_and_name():
    ages = pd.Series([54, 95], index=[10, 20], name="age")

    result = age_hierarchy().generalize(ages, 1)

    assert result.index.tolist() == [10, 20]
    assert result.name == "age"


def test_level_without_functions_raises():
    with pytest.raises(ConfigError, match="no generalize or loss function"):
        Level("bands", "[a, b)")


def test_suppression_must_be_last():
    with pytest.raises(ConfigError, match="must be the coarsest"):
        Hierarchy("custom", (suppression_level(), Level("x", "x", lambda v: v, lambda v: np.zeros(len(v)))))


def test_floor_must_be_a_level():
    with pytest.raises(ConfigError, match="safe_harbor_floor"):
        Hierarchy("custom", (suppression_level(),), safe_harbor_floor=3)


def test_level_with_loss_above_one_raises():
    bad = Hierarchy("custom", (Level("x", "x", lambda v: v.astype(str), lambda v: np.full(len(v), 2.0)),))

    with pytest.raises(ConfigError, match="must lie in \\[0, 1\\]"):
        bad.generalize(pd.Series(["a"]), 0)


def test_level_with_wrong_length_raises():
    bad = Hierarchy("custom", (Level("x", "x", lambda v: ["a"], lambda v: np.zeros(len(v))),))

    with pytest.raises(ConfigError, match="one of each per value"):
        bad.generalize(pd.Series(["a", "b"]), 0)
