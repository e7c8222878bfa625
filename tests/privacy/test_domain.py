import warnings

import numpy as np
import pandas as pd
import pytest

from genesis.errors import ConfigError, InvalidDataError, PrivacyWarning
from genesis.privacy.domain import (
    clean_for_dp,
    discover_domain,
    parse_public_domain,
    public_domain_from_data,
    range_edges,
    restrict_to_domain,
)
from genesis.privacy.ledger import PrivacyLedger
from genesis.privacy.noise import NoiseSource
from genesis.privacy.units import cap_rows_per_unit
from genesis.schema import ColumnKind, infer


def make_ledger(epsilon=1.0, seed=0):
    ledger = PrivacyLedger(epsilon=epsilon, delta=1e-5)
    ledger.noise = NoiseSource.from_random_state(seed)
    return ledger


def table_with_canary(n=5000, seed=0):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "city": rng.choice(["Oslo", "Lima", "Pune"], n).astype(object),
        "age": rng.integers(20, 80, n),
        "income": rng.normal(50_000, 8_000, n),
    })
    frame.loc[17, "city"] = "Canaryville"
    frame.loc[17, "income"] = 9.9e9
    return frame


def discover(frame, ledger, public=None, min_count=None, quietly=True):
    schema = infer(frame, private=True)
    canonical = clean_for_dp(schema.to_canonical(frame))
    with warnings.catch_warnings():
        if quietly:
            warnings.simplefilter("ignore", PrivacyWarning)
        return discover_domain(canonical, schema, parse_public_domain(public, schema), ledger, 0.1, min_count)


def test_rare_category_is_not_released():
    domain = discover(table_with_canary(), make_ledger())

    assert set(domain["city"].categories) == {"Oslo", "Lima", "Pune"}
    assert domain["city"].source == "dp"


def test_extreme_value_does_not_set_bounds():
    domain = discover(table_with_canary(), make_ledger())

    assert domain["income"].upper < 100_000
    assert domain["income"].lower > 0


def test_integer_bounds_near_quantiles():
    domain = discover(table_with_canary(), make_ledger())

    assert 11 <= domain["age"].lower <= 20
    assert 79 <= domain["age"].upper <= 91
    assert domain["age"].lower == int(domain["age"].lower)


def test_dropped_category_warns():
    with pytest.warns(PrivacyWarning, match="'city': 1 category fell"):
        discover(table_with_canary(), make_ledger(), quietly=False)


def test_ledger_itemizes_without_values():
    ledger = make_ledger()

    discover(table_with_canary(), ledger)
    texts = [event.measured for event in ledger.events]

    assert any("'city'" in text for text in texts)
    assert any("range bins" in text for text in texts)
    assert not any("Canaryville" in text or "Oslo" in text for text in texts)


def test_domain_share_stays_within_budget():
    ledger = make_ledger(epsilon=1.0)

    discover(table_with_canary(), ledger)

    assert ledger.spent()[0] <= 1.0


def test_histogram_counts_are_stored():
    domain = discover(table_with_canary(), make_ledger())

    income = domain["income"]
    assert len(income.counts) == income.histogram_binner().n_bins + int(income.nullable)
    # Negative noisy counts are clipped to zero, which biases the total upward a little.
    assert sum(income.counts) == pytest.approx(5000, rel=0.15)


def test_min_category_count_drops_noisy_counts():
    frame = table_with_canary()
    frame.loc[:39, "city"] = "Bergen"

    domain = discover(frame, make_ledger(epsilon=5.0), min_count=100)

    assert "Bergen" not in domain["city"].categories


def test_public_columns_cost_nothing():
    ledger = make_ledger()
    public = {"city": {"categories": ["Oslo", "Lima", "Pune", "Rome"]}, "age": {"lower": 0, "upper": 110},
              "income": {"lower": 0, "upper": 200_000}}

    domain = discover(table_with_canary(), ledger, public=public)

    assert ledger.events == []
    assert domain["city"].categories == ("Oslo", "Lima", "Pune", "Rome")
    assert domain["age"].upper == 110


def test_booleans_have_public_domain():
    frame = pd.DataFrame({"flag": [True, False] * 2000, "x": np.arange(4000.0)})

    domain = discover(frame, make_ledger())

    assert domain["flag"].categories == (False, True)
    assert domain["flag"].source == "public"


def test_too_few_values_for_range_raises():
    frame = pd.DataFrame({"x": np.arange(50.0)})

    with pytest.raises(InvalidDataError, match="'x' has too few values to find its range"):
        discover(frame, make_ledger())


def test_no_surviving_category_raises():
    frame = pd.DataFrame({"code": [f"c{i}" for i in range(200)], "x": np.arange(200.0)})

    with pytest.raises(InvalidDataError, match="'code': no category is frequent enough"):
        discover(frame, make_ledger(epsilon=0.5))


def test_int64_columns_are_not_nullable():
    domain = discover(table_with_canary(), make_ledger())

    assert domain["age"].nullable is False
    assert domain["income"].nullable is True


def test_infinite_values_become_missing():
    frame = pd.DataFrame({"x": [1.0, np.inf, -np.inf, 2.0]})

    cleaned = clean_for_dp(frame)

    assert cleaned["x"].isna().tolist() == [False, True, True, False]


def test_restrict_clips_and_masks():
    frame = table_with_canary()
    schema = infer(frame, private=True)
    canonical = schema.to_canonical(frame)
    domain = discover(frame, make_ledger())

    restricted = restrict_to_domain(canonical, domain)

    assert pd.isna(restricted.loc[17, "city"])
    assert restricted["income"].max() <= domain["income"].upper


def test_range_edges_are_fixed():
    assert np.array_equal(range_edges(ColumnKind.FLOAT), range_edges(ColumnKind.FLOAT))
    assert 0.0 in range_edges(ColumnKind.INTEGER)
    assert np.all(np.diff(range_edges(ColumnKind.INTEGER)) > 0)
    assert pd.Timestamp(int(range_edges(ColumnKind.DATETIME)[0])) == pd.Timestamp("1900-01-01")


@pytest.mark.parametrize(
    ("public", "message"),
    [
        ({"nope": {"categories": ["a"]}}, "'nope', which is not in the table"),
        ({"city": {"categories": []}}, "non-empty list of categories"),
        ({"age": {"lower": 0}}, "needs both 'lower' and 'upper'"),
        ({"age": {"lower": 10, "upper": 1}}, "lower must not exceed upper"),
        ({"age": {"lower": 0, "upper": 9, "step": 1}}, r"\['step'\]"),
    ],
)
def test_public_domain_errors(public, message):
    schema = infer(table_with_canary(), private=True)

    with pytest.raises(ConfigError, match=message):
        parse_public_domain(public, schema)


def test_non_private_min_category_count():
    frame = table_with_canary()
    schema = infer(frame)

    with pytest.warns(PrivacyWarning):
        domain = public_domain_from_data(schema.to_canonical(frame), schema, {}, min_category_count=2)

    assert "Canaryville" not in domain["city"].categories


def test_cap_rows_per_unit_keeps_at_most_m():
    frame = pd.DataFrame({"patient": [1, 1, 1, 2, 3, 3, np.nan, np.nan], "x": range(8)})

    capped, n_units = cap_rows_per_unit(frame, "patient", 2, np.random.default_rng(0))

    assert n_units == 5
    assert capped["patient"].value_counts().max() <= 2
    assert len(capped) == 7
    assert capped["x"].is_monotonic_increasing


def test_cap_rows_unknown_column():
    with pytest.raises(ConfigError, match="'who'"):
        cap_rows_per_unit(pd.DataFrame({"x": [1]}), "who", 1, np.random.default_rng(0))
