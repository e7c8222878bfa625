import itertools
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genesis.datasets import patient_table
from genesis.domain import ColumnDomain, Domain
from genesis.errors import ConfigError, InvalidDataError
from genesis.privacy.generalization import Hierarchy, Level, categorical_hierarchy, suppression_level
from genesis.privacy.kanonymity import anonymize, choose_surplus_rows
from genesis.privacy.kanonymity_encoding import encode_column
from genesis.privacy.kanonymity_safe_harbor import resolve_quasi_identifiers, safe_harbor_kind
from genesis.privacy.kanonymity_search import Lattice, classify
from genesis.schema import ColumnKind

DATA = Path(__file__).resolve().parents[1] / "data"


def brute_force(frame, quasi_identifiers, k, max_suppression=0.0, hierarchies=None, safe_harbor=True,
                domain=None):
    """Evaluate every lattice node with pandas and return the best (levels, suppressed, loss), or None.

    Best means the least NCP (suppressed rows count 1 per cell), then the smaller sum of levels, then
    the lexicographically first level tuple.
    """
    resolved = resolve_quasi_identifiers(frame, quasi_identifiers, hierarchies or {}, domain, safe_harbor)
    written, cell_loss = {}, {}
    for qi in resolved:
        for level in range(qi.floor, qi.hierarchy.n_levels):
            written[qi.name, level] = qi.hierarchy.generalize(frame[qi.name], level)
            cell_loss[qi.name, level] = qi.hierarchy.cell_loss(frame[qi.name], level)
    limit = math.floor(round(max_suppression * len(frame), 9))
    n_cells = len(frame) * len(resolved)

    best = None
    for levels in itertools.product(*[range(qi.floor, qi.hierarchy.n_levels) for qi in resolved]):
        node = list(zip(quasi_identifiers, levels, strict=True))
        generalized = pd.DataFrame({name: written[name, level] for name, level in node}).assign(_row=1)
        sizes = generalized.groupby(list(quasi_identifiers), dropna=False)["_row"].transform("sum")
        suppressed = (sizes < k).to_numpy()
        if suppressed.sum() > limit:
            continue
        row_loss = sum(cell_loss[name, level] for name, level in node)
        loss = (row_loss[~suppressed].sum() + suppressed.sum() * len(resolved)) / n_cells
        key = (round(loss, 12), sum(levels), levels)
        if best is None or key < best[0]:
            best = (key, int(suppressed.sum()), loss)
    return None if best is None else (best[0][2], best[1], best[2])


def assert_matches_oracle(frame, quasi_identifiers, k, max_suppression=0.0, **options):
    expected = brute_force(frame, quasi_identifiers, k, max_suppression, **options)
    assert expected is not None

    output, result = anonymize(frame, quasi_identifiers, k, max_suppression=max_suppression, **options)

    chosen = tuple(result.levels[name]["level"] for name in quasi_identifiers)
    assert chosen == expected[0]
    assert result.suppressed == expected[1]
    assert result.information_loss == pytest.approx(expected[2], abs=1e-12)
    assert_k_anonymous(output, quasi_identifiers, k)
    return output, result


def assert_k_anonymous(output, quasi_identifiers, k):
    sizes = output.groupby(list(quasi_identifiers), dropna=False).size()
    assert sizes.min() >= k


def small_people(n=30, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "age": rng.integers(18, 95, n),
        "sex": rng.choice(["F", "M"], n).astype(object),
        "zip_code": rng.choice(["10001", "10002", "90210", "03601", "60601"], n).astype(object),
        "cost": rng.normal(1000, 100, n),
    })


# The search against a brute-force oracle


@pytest.mark.parametrize("k", [1, 2, 3, 5])
@pytest.mark.parametrize("max_suppression", [0.0, 0.1, 0.3])
def test_search_matches_oracle(k, max_suppression):
    assert_matches_oracle(small_people(), ["age", "sex", "zip_code"], k, max_suppression)


def test_search_matches_oracle_with_duplicates():
    frame = pd.concat([small_people(6, seed=1)] * 3, ignore_index=True)

    _, result = assert_matches_oracle(frame, ["age", "sex", "zip_code"], 3)

    assert result.levels["age"]["level"] == 0
    assert result.suppressed == 0


def test_search_matches_oracle_with_one_row():
    frame = small_people(1)

    _, result = assert_matches_oracle(frame, ["age", "sex", "zip_code"], 1)

    assert result.rows_out == 1
    assert result.smallest_class == 1


def test_search_matches_oracle_with_constant_column():
    frame = small_people(20).assign(sex="F")

    _, result = assert_matches_oracle(frame, ["age", "sex", "zip_code"], 4, 0.1)

    assert result.levels["sex"]["level"] == 0


def test_search_matches_oracle_with_missing_values():
    frame = small_people(40, seed=3)
    frame.loc[[1, 2, 3, 4], "sex"] = None
    frame["age"] = frame["age"].astype(float)
    frame.loc[[5, 6], "age"] = np.nan

    assert_matches_oracle(frame, ["age", "sex", "zip_code"], 3, 0.05)


def test_tie_goes_to_fewer_levels_then_first_column():
    # Keeping a and suppressing b costs the same as the reverse: NCP 0.5 either way.
    frame = pd.DataFrame({
        "a": ["x", "x", "x", "y", "y", "y"],
        "b": ["u", "v", "v", "u", "u", "v"],
    })

    _, result = assert_matches_oracle(frame, ["a", "b"], 3)

    assert result.levels["a"]["level"] == 0
    assert result.levels["b"]["level"] == 1
    assert result.information_loss == pytest.approx(0.5)


def test_search_matches_oracle_with_user_tree():
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({
        "marital": rng.choice(["married", "divorced", "widowed", "never"], 60).astype(object),
        "age": rng.integers(20, 80, 60),
    })
    tree = {"married": ["partnered"], "divorced": ["single"], "widowed": ["single"], "never": ["single"]}

    _, result = assert_matches_oracle(frame, ["marital", "age"], 4, 0.05, hierarchies={"marital": tree})

    assert result.levels["marital"]["kind"] == "categorical"


def test_search_matches_oracle_on_diabetes_sample():
    frame = pd.read_csv(DATA / "diabetes_sample.csv", dtype=str, keep_default_na=False)

    for k in (2, 5):
        assert_matches_oracle(frame, ["age", "gender", "race", "payer_code"], k, 0.05)


def test_search_matches_oracle_on_adult_sample():
    frame = pd.read_csv(DATA / "adult_sample.csv", keep_default_na=False)
    quasi_identifiers = ["age", "sex", "race", "native-country", "marital-status"]

    for k in (2, 5):
        assert_matches_oracle(frame, quasi_identifiers, k, 0.05)


@settings(max_examples=20, deadline=None)
@given(
    ages=st.lists(st.integers(0, 99), min_size=1, max_size=25),
    data=st.data(),
    k=st.integers(1, 5),
    max_suppression=st.sampled_from([0.0, 0.1, 0.25, 0.5]),
)
def test_search_matches_oracle_on_random_tables(ages, data, k, max_suppression):
    n = len(ages)
    frame = pd.DataFrame({
        "age": ages,
        "sex": data.draw(st.lists(st.sampled_from(["F", "M"]), min_size=n, max_size=n)),
        "zip_code": data.draw(st.lists(st.sampled_from(["10001", "10002", "03601", "90210"]),
                                       min_size=n, max_size=n)),
    })
    if brute_force(frame, ["age", "sex", "zip_code"], k, max_suppression) is None:
        with pytest.raises(InvalidDataError):
            anonymize(frame, ["age", "sex", "zip_code"], k, max_suppression=max_suppression)
        return

    assert_matches_oracle(frame, ["age", "sex", "zip_code"], k, max_suppression)


@pytest.mark.parametrize("k", [2, 5, 20])
def test_classification_tags_every_node_correctly(k):
    frame = pd.read_csv(DATA / "adult_sample.csv", keep_default_na=False)
    resolved = resolve_quasi_identifiers(frame, ["age", "sex", "race", "marital-status"], {}, None, True)
    columns = [encode_column(frame[qi.name], qi.hierarchy) for qi in resolved]
    lattice = Lattice(columns, [qi.floor for qi in resolved], k, max_suppressed=10)

    classify(lattice)
    evaluated = len(lattice.cache)

    truth = np.array([lattice.evaluate(index).satisfies for index in range(lattice.size)])
    assert (lattice.status == np.where(truth, 1, -1)).all()
    assert evaluated < lattice.size


def test_search_prunes_nodes():
    frame = pd.read_csv(DATA / "adult_sample.csv", keep_default_na=False)

    _, result = anonymize(frame, ["age", "sex", "race", "native-country", "marital-status"], 5,
                          max_suppression=0.05)

    assert result.lattice_size == 80
    assert result.nodes_evaluated < result.lattice_size


# Safe Harbor floors


def test_safe_harbor_floors_zip_code_at_zip3():
    frame = small_people(40)

    output, result = anonymize(frame, ["zip_code"], 1)

    assert result.levels["zip_code"]["level"] == 1
    assert result.levels["zip_code"]["floor"] == 1
    assert set(output["zip_code"]) <= {"100**", "902**", "000**", "606**"}
    assert "000**" in set(output["zip_code"])


def test_safe_harbor_off_releases_five_digits():
    frame = small_people(40)

    output, result = anonymize(frame, ["zip_code"], 1, safe_harbor=False)

    assert result.levels["zip_code"]["level"] == 0
    assert output["zip_code"].tolist() == frame["zip_code"].tolist()


def test_ages_top_coded_even_without_safe_harbor():
    frame = pd.DataFrame({"age": [50, 91, 99, 102]})

    output, _ = anonymize(frame, ["age"], 1, safe_harbor=False)

    assert output["age"].tolist() == ["50", "90+", "90+", "90+"]


def test_safe_harbor_floors_dates_at_year():
    frame = pd.DataFrame({"admitted": pd.to_datetime(["2019-03-14", "2019-07-01", "2020-01-02"])})

    on, on_result = anonymize(frame, ["admitted"], 1)
    off, off_result = anonymize(frame, ["admitted"], 1, safe_harbor=False)

    assert on["admitted"].tolist() == ["2019", "2019", "2020"]
    assert on_result.levels["admitted"]["name"] == "year"
    assert off["admitted"].tolist() == ["2019-03-14", "2019-07-01", "2020-01-02"]
    assert off_result.levels["admitted"]["level"] == 0


def test_birth_dates_top_coded_at_age_90():
    today = pd.Timestamp.today()
    old = today - pd.DateOffset(years=95)
    frame = pd.DataFrame({"birth_date": [old, today - pd.DateOffset(years=40)]})

    output, result = anonymize(frame, ["birth_date"], 1)

    assert output["birth_date"].iloc[0] == f"{today.year - 90} or earlier"
    assert result.levels["birth_date"]["details"]["top_code_year"] == today.year - 90


def test_hierarchy_without_floor_on_zip_column_raises():
    frame = small_people(10)

    with pytest.raises(ConfigError, match="declares no safe_harbor_floor"):
        anonymize(frame, ["zip_code"], 1, hierarchies={"zip_code": categorical_hierarchy()})


def test_hierarchy_without_floor_allowed_without_safe_harbor():
    frame = small_people(10)

    output, _ = anonymize(frame, ["zip_code"], 1, hierarchies={"zip_code": categorical_hierarchy()},
                          safe_harbor=False)

    assert output["zip_code"].tolist() == frame["zip_code"].tolist()


def test_scanned_age_column_with_invalid_values_raises():
    # The identifier scan takes this for ages (9 of 10 values plausible), but -1 is no age in years.
    frame = pd.DataFrame({"Age": [-1, 30, 40, 50, 60, 70, 80, 91, 95, 115] * 3})

    with pytest.raises(ConfigError, match="looks like an age column.*safe_harbor=False"):
        anonymize(frame, ["Age"], 3)


def test_scanned_column_is_plain_without_safe_harbor():
    frame = pd.DataFrame({"Age": [-1, 30, 40, 50, 60, 70, 80, 91, 95, 115] * 3})

    output, result = anonymize(frame, ["Age"], 3, safe_harbor=False, domain={"Age": (-10, 120)})

    assert result.levels["Age"]["kind"] == "numeric"
    assert_k_anonymous(output, ["Age"], 3)


def test_age_in_months_not_read_as_years():
    frame = pd.DataFrame({"age_months": [5, 10, 20, 40] * 3})

    with pytest.raises(ConfigError, match="looks like an age column"):
        anonymize(frame, ["age_months"], 3)


@pytest.mark.parametrize(("column", "values", "kind"), [
    ("zip_code", ["10001", "02134-1234"], "zip_code"),
    ("postal", [10001, 2134], "zip_code"),
    ("patientAge", [34, 71], "age"),
    ("age", ["[70-80)", "[90-100)"], "age"),
    ("visit", ["2019-03-14", "2020-01-01"], "date"),
    ("stage", [1, 2], None),
    ("Age", [-1, 30, 40, 50, 60, 70, 80, 91, 95, 115], "age"),
    ("zip_code", ["ABC"], None),
    ("age", [34, 200], None),
    ("gender", ["F", "M"], None),
])
def test_safe_harbor_kind_recognition(column, values, kind):
    assert safe_harbor_kind(pd.Series(values, name=column)) == kind


# target_rows


def test_target_rows_exact_count():
    frame = patient_table(2000, random_state=1).drop(columns="patient_id")

    output, result = anonymize(frame, ["age", "gender", "zip_code"], 5, target_rows=1500, rng=7)

    assert len(output) == 1500
    assert result.rows_out == 1500
    assert result.surplus_dropped == 2000 - result.suppressed - 1500
    assert result.smallest_class >= 5
    assert_k_anonymous(output, ["age", "gender", "zip_code"], 5)


def test_target_rows_same_seed_same_rows():
    frame = patient_table(500, random_state=1).drop(columns="patient_id")

    first, _ = anonymize(frame, ["age", "gender", "zip_code"], 5, target_rows=400, rng=3)
    second, _ = anonymize(frame, ["age", "gender", "zip_code"], 5, target_rows=400, rng=3)
    other, _ = anonymize(frame, ["age", "gender", "zip_code"], 5, target_rows=400, rng=4)

    assert first.index.tolist() == second.index.tolist()
    assert first.index.tolist() != other.index.tolist()


def test_target_rows_above_kept_rows_raises():
    frame = pd.DataFrame({"sex": ["F"] * 29 + ["M"]})

    with pytest.raises(InvalidDataError, match="29 rows remain, fewer than target_rows=30"):
        anonymize(frame, ["sex"], 5, max_suppression=0.1, target_rows=30)


def test_target_rows_beyond_droppable_surplus_raises():
    frame = pd.DataFrame({"sex": ["F"] * 3 + ["M"] * 3})

    with pytest.raises(InvalidDataError, match="only 0 can go"):
        anonymize(frame, ["sex"], 3, target_rows=5)


def test_surplus_rows_come_only_from_classes_above_k():
    class_ids = np.array([0] * 3 + [1] * 10 + [2] * 4)

    for seed in range(20):
        dropped = choose_surplus_rows(class_ids, 3, 8, seed)
        remaining = np.bincount(np.delete(class_ids, dropped), minlength=3)
        assert remaining.sum() == 9
        assert remaining.min() >= 3


# Errors and arguments


def test_unreachable_k_raises_with_fix():
    frame = small_people(4)

    with pytest.raises(InvalidDataError, match="meets k=5.*leaves 4 of 4 rows.*larger max_suppression"):
        anonymize(frame, ["age", "sex"], 5)


def test_single_row_cannot_meet_k_two():
    with pytest.raises(InvalidDataError, match="meets k=2"):
        anonymize(small_people(1), ["age"], 2)


@pytest.mark.parametrize(("options", "message"), [
    ({"k": 0}, "k is 0"),
    ({"k": 2.5}, "k is 2.5"),
    ({"k": 2, "max_suppression": 1.0}, "max_suppression is 1.0"),
    ({"k": 2, "target_rows": 0}, "target_rows is 0"),
    ({"k": 2, "target_rows": 31}, "target_rows is 31"),
    ({"k": 2, "hierarchies": {"cost": categorical_hierarchy()}}, "keys must be quasi-identifiers"),
    ({"k": 2, "rng": -1}, "rng is -1"),
])
def test_invalid_argument_raises(options, message):
    with pytest.raises(ConfigError, match=message):
        anonymize(small_people(30), ["age", "sex"], **options)


def test_missing_quasi_identifier_raises():
    with pytest.raises(ConfigError, match="no columns \\['height'\\]"):
        anonymize(small_people(), ["age", "height"], 2)


def test_quasi_identifiers_as_string_raises():
    with pytest.raises(ConfigError, match="non-empty list"):
        anonymize(small_people(), "age", 2)


def test_empty_frame_raises():
    with pytest.raises(InvalidDataError, match="no rows"):
        anonymize(small_people().iloc[:0], ["age"], 2)


def test_numeric_without_domain_raises():
    with pytest.raises(ConfigError, match="no domain bounds"):
        anonymize(small_people(), ["cost"], 2)


def test_numeric_with_domain_bands():
    frame = small_people(50)

    output, result = anonymize(frame, ["cost"], 5, domain={"cost": (0, 2000)})

    assert result.levels["cost"]["name"].endswith("bands")
    assert output["cost"].str.startswith("[").all()
    assert_k_anonymous(output, ["cost"], 5)


def test_domain_object_gives_bounds():
    frame = small_people(50)
    domain = Domain((ColumnDomain("cost", ColumnKind.FLOAT, lower=0.0, upper=2000.0),
                     ColumnDomain("age", ColumnKind.INTEGER, lower=0.0, upper=100.0)))

    _, result = anonymize(frame, ["cost", "age"], 5, domain=domain)

    assert result.levels["cost"]["details"] == {"lower": 0.0, "upper": 2000.0}
    assert result.levels["age"]["details"]["upper"] == 100.0


def test_rng_generator_accepted():
    frame = patient_table(500, random_state=1).drop(columns="patient_id")

    output, _ = anonymize(frame, ["age", "gender", "zip_code"], 5, target_rows=400,
                          rng=np.random.default_rng(3))

    assert len(output) == 400


def test_level_that_splits_a_group_raises():
    def first_letter(values):
        return values.str[:1].to_numpy(dtype=object)

    def zeros(values):
        return np.zeros(len(values))

    splitting = Hierarchy("custom", (
        Level("first letter", "a", first_letter, zeros),
        Level("exact", "abc", lambda v: v.to_numpy(dtype=object), zeros),
        suppression_level(),
    ))
    frame = pd.DataFrame({"code": ["ab", "ac", "ab"]})

    with pytest.raises(ConfigError, match="splits values"):
        anonymize(frame, ["code"], 1, hierarchies={"code": splitting})


# Output and result


def test_output_keeps_other_columns_and_index():
    frame = small_people(40).set_index(pd.Index(range(100, 140)))

    output, result = anonymize(frame, ["age", "sex", "zip_code"], 2, max_suppression=0.2)

    assert output.index.isin(frame.index).all()
    assert output.index.is_monotonic_increasing
    pd.testing.assert_series_equal(output["cost"], frame.loc[output.index, "cost"])
    assert len(output) == result.rows_out == result.rows_in - result.suppressed


def test_output_keeps_non_string_column_labels():
    frame = pd.DataFrame({0: ["F", "M", "F", "M"], 1: [1.0, 2.0, 3.0, 4.0]})

    output, result = anonymize(frame, [0], 2)

    assert list(output.columns) == [0, 1]
    assert output[0].tolist() == ["F", "M", "F", "M"]
    assert result.levels[0]["level"] == 0


def test_output_follows_frame_string_dtype():
    frame = small_people(20).astype({"sex": object, "zip_code": object})
    string_frame = frame.astype({"sex": "str", "zip_code": "str"})

    object_output, _ = anonymize(frame, ["age", "sex", "zip_code"], 1)
    string_output, _ = anonymize(string_frame, ["age", "sex", "zip_code"], 1)

    assert object_output["age"].dtype == object
    assert string_output["age"].dtype == string_frame["sex"].dtype


def test_result_to_dict_is_json_safe():
    _, result = anonymize(small_people(30), ["age", "sex", "zip_code"], 2, max_suppression=0.2)

    record = json.loads(json.dumps(result.to_dict()))

    assert record["k"] == 2
    assert record["levels"]["zip_code"]["format"] == "100**, restricted prefixes as 000**"
    assert record["levels"]["zip_code"]["details"]["restricted_zip3"]["census_year"] == 2000
    assert record["nodes_evaluated"] <= record["lattice_size"]


def test_naive_uniform_generalization_reported():
    frame = small_people(40)

    _, result = anonymize(frame, ["age", "sex", "zip_code"], 3, max_suppression=0.1)

    # One uniform level u, raised to each floor (ZIP3 is level 1) and capped at each top level.
    floors, tops = {"age": 0, "sex": 0, "zip_code": 1}, {"age": 4, "sex": 1, "zip_code": 3}
    uniform = [{name: min(max(u, floors[name]), tops[name]) for name in floors} for u in range(5)]
    assert result.naive_levels in uniform
    assert result.naive_information_loss >= result.information_loss


def test_patient_table_tutorial_configuration():
    frame = patient_table().drop(columns="patient_id")

    output, result = anonymize(frame, ["age", "gender", "zip_code"], 5)

    # The search keeps 5-year age bands, exact gender and ZIP3 (suppressing 52 of 10,000 rows).
    assert result.smallest_class >= 5
    assert result.suppressed_share <= 0.01
    assert result.levels["age"]["level"] <= 1
    assert result.levels["zip_code"]["level"] == 1
    assert output["zip_code"].str.fullmatch(r"\d{3}\*\*").all()
    assert_k_anonymous(output, ["age", "gender", "zip_code"], 5)
