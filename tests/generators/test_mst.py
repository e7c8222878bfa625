"""Tests of the MST generator: output contract, privacy ledger, state, quality and errors."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest

from genesis.datasets import PATIENT_DISCRETE_COLUMNS, patient_table
from genesis.domain import ColumnDomain, Domain
from genesis.errors import ConfigError, InvalidDataError, ModelFileError, NotFittedError
from genesis.generators.base import generator_class
from genesis.generators.mst import MSTGenerator
from genesis.generators.mst_budget import plan_budget, plan_for_rho
from genesis.generators.mst_estimation import Forest, Measurement, TreeModel, fit_tree_model
from genesis.generators.mst_selection import Compression, pair_weight, select_tree
from genesis.privacy.ledger import PrivacyBudgetError, PrivacyEvent, PrivacyLedger
from genesis.privacy.mechanisms import sigma_for_rho
from genesis.privacy.noise import NoiseSource
from genesis.schema import ColumnKind, infer


def make_ledger(epsilon: float = 1.0, seed: int = 0) -> PrivacyLedger:
    ledger = PrivacyLedger(epsilon=epsilon, delta=1e-5)
    ledger.noise = NoiseSource.from_random_state(seed)
    return ledger


def fit_table(frame: pd.DataFrame, epsilon: float = 1.0, config: dict | None = None, seed: int = 0,
              ledger: PrivacyLedger | None = None, **infer_options):
    """Infer, canonicalize and fit; return the canonical frame, domain, generator and ledger."""
    schema = infer(frame, **infer_options)
    canonical = schema.to_canonical(frame)
    domain = Domain.from_data(canonical, schema)
    ledger = ledger if ledger is not None else make_ledger(epsilon, seed)
    generator = MSTGenerator(config).fit(canonical, domain, ledger, np.random.default_rng(seed))
    return canonical, domain, generator, ledger


def patients(n: int = 2000) -> pd.DataFrame:
    return patient_table(n, random_state=3).drop(columns="patient_id")


def fit_patients(epsilon: float = 1.0, config: dict | None = None, seed: int = 0, n: int = 2000):
    return fit_table(patients(n), epsilon, config, seed, discrete_columns=list(PATIENT_DISCRETE_COLUMNS))


def linked_table(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    """A category that fixes a second one, and a number whose range depends on the first."""
    rng = np.random.default_rng(seed)
    group = rng.choice(np.array(["a", "b", "c", "d"], dtype=object), n)
    mirror = np.array([{"a": "w", "b": "x", "c": "y", "d": "z"}[g] for g in group], dtype=object)
    offset = np.array([{"a": 0.0, "b": 30.0, "c": 60.0, "d": 90.0}[g] for g in group])
    value = offset + rng.uniform(0.0, 10.0, n)
    noise = rng.choice(np.array(["p", "q"], dtype=object), n)
    return pd.DataFrame({"group": group, "mirror": mirror, "value": value, "noise": noise})


# --- Output contract ---------------------------------------------------------------------------


def test_registered_by_name():
    assert generator_class("mst") is MSTGenerator


def test_sample_row_count(mixed_table):
    *_, generator, _ = fit_table(mixed_table)
    assert len(generator.sample(123, np.random.default_rng(1))) == 123


def test_sample_zero_rows(mixed_table):
    _, domain, generator, _ = fit_table(mixed_table)
    output = generator.sample(0, np.random.default_rng(1))
    assert len(output) == 0
    assert list(output.columns) == domain.names


def test_sample_columns_in_domain_order(mixed_table):
    _, domain, generator, _ = fit_table(mixed_table)
    assert list(generator.sample(10, np.random.default_rng(1)).columns) == domain.names


def test_sample_canonical_dtypes(mixed_table):
    _, domain, generator, _ = fit_table(mixed_table)
    output = generator.sample(50, np.random.default_rng(1))
    for column in domain.columns:
        expected = object if column.is_discrete else np.float64
        assert output[column.name].dtype == expected, column.name


def test_sample_values_in_domain(mixed_table):
    _, domain, generator, _ = fit_table(mixed_table)
    output = generator.sample(3000, np.random.default_rng(1))
    for column in domain.columns:
        values = output[column.name].dropna()
        if column.is_discrete:
            assert set(values) <= set(column.categories), column.name
        else:
            assert values.min() >= column.lower, column.name
            assert values.max() <= column.upper + 1, column.name


def test_integer_columns_integral(mixed_table):
    _, domain, generator, _ = fit_table(mixed_table)
    output = generator.sample(2000, np.random.default_rng(1))
    for column in domain.columns:
        if column.kind is ColumnKind.INTEGER:
            values = output[column.name].dropna().to_numpy()
            np.testing.assert_array_equal(values, np.round(values), err_msg=column.name)
            assert values.max() <= column.upper, column.name


def test_missing_values_only_in_nullable(mixed_table):
    _, domain, generator, _ = fit_table(mixed_table, epsilon=10.0)
    output = generator.sample(4000, np.random.default_rng(1))
    for column in domain.columns:
        if not column.nullable:
            assert not output[column.name].isna().any(), column.name


def test_missing_rate_learned():
    rng = np.random.default_rng(0)
    values = rng.normal(50.0, 10.0, 4000)
    values[rng.random(4000) < 0.3] = np.nan
    frame = pd.DataFrame({"x": values, "c": rng.choice(np.array(["u", "v"], dtype=object), 4000)})

    *_, generator, _ = fit_table(frame, epsilon=5.0)
    output = generator.sample(20000, np.random.default_rng(1))

    assert abs(output["x"].isna().mean() - 0.3) < 0.03


def test_numeric_values_not_bin_midpoints():
    frame = linked_table()
    *_, generator, _ = fit_table(frame, config={"n_bins": 8, "pair_bins": 4})

    values = generator.sample(2000, np.random.default_rng(1))["value"]

    assert values.nunique() > 1000


def test_datetime_and_boolean_columns():
    rng = np.random.default_rng(0)
    stamps = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 365, 1000), unit="D")
    frame = pd.DataFrame({"when": stamps, "flag": rng.random(1000) < 0.3})
    canonical, domain, generator, _ = fit_table(frame, epsilon=5.0)

    output = generator.sample(500, np.random.default_rng(1))

    assert output["when"].between(domain["when"].lower, domain["when"].upper + 1).all()
    assert set(output["flag"]) <= {True, False}


def test_constant_column_not_measured():
    frame = pd.DataFrame({"x": np.arange(200.0), "same": np.array(["k"] * 200, dtype=object)})
    *_, generator, ledger = fit_table(frame)

    output = generator.sample(100, np.random.default_rng(1))

    assert (output["same"] == "k").all()
    assert not any("same" in event.measured for event in ledger.events)


def test_single_column_table():
    frame = pd.DataFrame({"c": np.array(["a"] * 300 + ["b"] * 100, dtype=object)})
    *_, generator, ledger = fit_table(frame, epsilon=5.0)

    output = generator.sample(4000, np.random.default_rng(1))

    assert [event.mechanism for event in ledger.events] == ["discrete_gaussian"]
    assert abs((output["c"] == "a").mean() - 0.75) < 0.05


def test_all_missing_column_stays_missing():
    frame = pd.DataFrame({"x": np.arange(100.0), "empty": np.full(100, np.nan)})
    schema = infer(frame)
    canonical = schema.to_canonical(frame)
    domain = Domain((Domain.from_data(canonical, schema)["x"],
                     ColumnDomain("empty", ColumnKind.FLOAT, nullable=True)))

    generator = MSTGenerator().fit(canonical, domain, make_ledger(), np.random.default_rng(0))

    assert generator.sample(50, np.random.default_rng(1))["empty"].isna().all()


# --- Randomness --------------------------------------------------------------------------------


def test_same_seeds_same_output():
    outputs = []
    for _ in range(2):
        *_, generator, _ = fit_patients(seed=4)
        outputs.append(generator.sample(300, np.random.default_rng(9)))
    pd.testing.assert_frame_equal(outputs[0], outputs[1])


def test_noise_seed_changes_model():
    *_, first, _ = fit_patients(seed=4)
    *_, second, _ = fit_patients(seed=5)
    rows = first.sample(300, np.random.default_rng(9))
    assert not rows.equals(second.sample(300, np.random.default_rng(9)))


def test_sample_seed_changes_rows():
    *_, generator, _ = fit_patients()
    first = generator.sample(300, np.random.default_rng(1))
    second = generator.sample(300, np.random.default_rng(2))
    assert not first.equals(second)


# --- Privacy ledger ----------------------------------------------------------------------------


def test_ledger_within_budget():
    *_, ledger = fit_patients()
    spent_epsilon, _ = ledger.spent()
    assert spent_epsilon <= 1.0 * (1 + 1e-9)
    assert spent_epsilon > 0.99


def test_events_itemized():
    _, domain, generator, ledger = fit_patients()
    n = len(domain.columns)
    mechanisms = [event.mechanism for event in ledger.events]

    assert mechanisms.count("discrete_gaussian") == n + (n - 1)
    assert mechanisms.count("exponential") == n - 1
    for name in domain.names:
        assert f"noisy 1-way marginal of {name!r}" in " ".join(e.measured for e in ledger.events)
    for a, b in generator.fitted_.model.forest.edges:
        pair = (domain.names[a], domain.names[b])
        assert any(event.measured.startswith(f"noisy 2-way marginal of {pair!r}") for event in ledger.events)


def test_events_name_no_values():
    frame = patients()
    *_, ledger = fit_patients()
    values = {str(v) for name in PATIENT_DISCRETE_COLUMNS for v in frame[name].unique()} - {"None"}
    for event in ledger.events:
        words = set(event.measured.replace("'", " ").replace(",", " ").replace("(", " ").split())
        assert not words & values, event.measured


def test_uses_only_remaining_budget():
    ledger = make_ledger()
    rho = 0.1 * ledger.rho_budget()
    ledger.charge(PrivacyEvent(mechanism="discrete_gaussian", measured="domain discovery",
                               sigma=sigma_for_rho(rho), sensitivity=1.0))
    *_, full = fit_patients()
    *_, shared = fit_table(patients(), ledger=ledger, discrete_columns=list(PATIENT_DISCRETE_COLUMNS))

    assert shared.spent()[0] <= 1.0 * (1 + 1e-9)
    assert shared.events[0].measured == "domain discovery"
    assert shared.events[1].sigma > full.events[0].sigma


def test_rows_per_unit_scale_sensitivity():
    ledger = make_ledger()
    ledger.max_rows_per_unit = 3
    *_, ledger = fit_table(linked_table(), ledger=ledger)

    assert {event.sensitivity for event in ledger.events if event.sensitivity is not None} == {3.0}
    assert ledger.spent()[0] <= 1.0 * (1 + 1e-9)


def test_bad_rows_per_unit_raises():
    ledger = make_ledger()
    ledger.max_rows_per_unit = 0

    with pytest.raises(ConfigError, match="ledger.max_rows_per_unit is 0"):
        fit_table(linked_table(), ledger=ledger)


def test_spent_budget_raises():
    ledger = make_ledger()
    ledger.charge(PrivacyEvent(mechanism="pure", measured="everything", epsilon=1.0))

    with pytest.raises(PrivacyBudgetError, match="no budget left for MST"):
        fit_table(patients(), ledger=ledger, discrete_columns=list(PATIENT_DISCRETE_COLUMNS))
    assert len(ledger.events) == 1


def test_fit_ignores_rng():
    frame = patients()
    schema = infer(frame, discrete_columns=list(PATIENT_DISCRETE_COLUMNS))
    canonical = schema.to_canonical(frame)
    domain = Domain.from_data(canonical, schema)

    fitted = [MSTGenerator().fit(canonical, domain, make_ledger(seed=1), np.random.default_rng(seed))
              for seed in (10, 11)]

    first, second = fitted[0].get_state()[1], fitted[1].get_state()[1]
    assert first.keys() == second.keys()
    for name in first:
        np.testing.assert_array_equal(first[name], second[name], err_msg=name)


def test_plan_spends_close_to_budget():
    ledger = make_ledger()
    plan = plan_budget(ledger, 7, (1 / 3, 1 / 3, 1 / 3), 1)

    total = ledger.epsilon_if(*plan.events(7))

    assert total <= 1.0
    assert total >= 0.999


def test_plan_shares_split_rho():
    plan = plan_for_rho(0.03, 4, (0.5, 0.25, 0.25), 1)

    assert plan.one_way_sigma == pytest.approx(sigma_for_rho(0.5 * 0.03 / 4))
    assert plan.two_way_sigma == pytest.approx(sigma_for_rho(0.25 * 0.03 / 3))
    assert plan.selection_epsilon == pytest.approx(np.sqrt(2 * 0.25 * 0.03 / 3))


def test_pair_weight_sensitivity_one():
    rng = np.random.default_rng(0)
    table = rng.integers(0, 20, (5, 4))
    marginal_a, marginal_b = rng.dirichlet(np.ones(5)), rng.dirichlet(np.ones(4))
    base = pair_weight(table, marginal_a, marginal_b, 200.0)

    for i, j in itertools.product(range(5), range(4)):
        added = table.copy()
        added[i, j] += 1
        assert abs(pair_weight(added, marginal_a, marginal_b, 200.0) - base) <= 1.0 + 1e-9


# --- State -------------------------------------------------------------------------------------


def test_state_round_trip_samples_identically():
    *_, generator, _ = fit_patients()
    state, arrays = generator.get_state()
    state = json.loads(json.dumps(state))

    restored = MSTGenerator.from_state(generator.config, state, arrays)

    pd.testing.assert_frame_equal(restored.sample(500, np.random.default_rng(3)),
                                  generator.sample(500, np.random.default_rng(3)))


def test_state_holds_probabilities():
    *_, generator, _ = fit_patients()
    _, arrays = generator.get_state()
    for name, array in arrays.items():
        if name.startswith(("node_", "edge_")):
            assert array.dtype == np.float64, name
            assert array.sum() == pytest.approx(1.0), name


def test_state_wrong_format_rejected():
    *_, generator, _ = fit_patients()
    state, arrays = generator.get_state()

    with pytest.raises(ModelFileError, match="the mst state format is 99"):
        MSTGenerator.from_state(generator.config, {**state, "format": 99}, arrays)


def test_state_missing_array_rejected():
    *_, generator, _ = fit_patients()
    state, arrays = generator.get_state()
    del arrays["edge_0"]

    with pytest.raises(ModelFileError, match="incomplete or inconsistent"):
        MSTGenerator.from_state(generator.config, state, arrays)


def test_state_wrong_shape_rejected():
    *_, generator, _ = fit_patients()
    state, arrays = generator.get_state()
    arrays["edge_0"] = arrays["edge_0"][:, :1]

    with pytest.raises(ModelFileError, match="does not match its domain"):
        MSTGenerator.from_state(generator.config, state, arrays)


# --- Quality -----------------------------------------------------------------------------------


def test_learns_strong_dependence():
    *_, generator, _ = fit_table(linked_table(), epsilon=10.0)
    output = generator.sample(5000, np.random.default_rng(1))

    expected = output["group"].map({"a": "w", "b": "x", "c": "y", "d": "z"})
    assert (output["mirror"] == expected).mean() > 0.95
    ranges = {"a": (0, 10), "b": (30, 40), "c": (60, 70), "d": (90, 100)}
    inside = [ranges[g][0] - 5 <= v <= ranges[g][1] + 5 for g, v in zip(output["group"], output["value"],
                                                                           strict=True)]
    assert np.mean(inside) > 0.9


def test_patient_tree_links_condition():
    _, domain, generator, _ = fit_patients(epsilon=10.0, n=5000)
    edges = {frozenset((domain.names[a], domain.names[b])) for a, b in generator.fitted_.model.forest.edges}

    assert frozenset(("condition", "treatment")) in edges
    linked = {name for edge in edges for name in edge if "condition" in edge or "treatment" in edge}
    assert {"annual_cost", "blood_pressure_systolic"} <= linked


def test_marginal_shares_close():
    frame = linked_table(n=5000)
    *_, generator, _ = fit_table(frame, epsilon=1.0)
    output = generator.sample(5000, np.random.default_rng(1))

    real = frame["group"].value_counts(normalize=True)
    synthetic = output["group"].value_counts(normalize=True).reindex(real.index, fill_value=0.0)
    assert 0.5 * np.abs(real - synthetic).sum() < 0.05


def test_max_cells_gives_forest():
    frame = linked_table()
    *_, generator, ledger = fit_table(frame, config={"max_cells": 4})

    assert len(generator.fitted_.model.forest.edges) < 3
    assert len(generator.sample(100, np.random.default_rng(1))) == 100
    assert ledger.spent()[0] <= 1.0 * (1 + 1e-9)


# --- Errors ------------------------------------------------------------------------------------


def test_without_ledger_raises():
    frame = patients(200)
    schema = infer(frame, discrete_columns=list(PATIENT_DISCRETE_COLUMNS))
    canonical = schema.to_canonical(frame)

    with pytest.raises(ConfigError, match="mst needs a privacy budget"):
        MSTGenerator().fit(canonical, Domain.from_data(canonical, schema), None, np.random.default_rng(0))


def test_ledger_without_noise_raises():
    frame = patients(200)
    schema = infer(frame, discrete_columns=list(PATIENT_DISCRETE_COLUMNS))
    canonical = schema.to_canonical(frame)

    with pytest.raises(ConfigError, match="no noise source"):
        MSTGenerator().fit(canonical, Domain.from_data(canonical, schema), PrivacyLedger(1.0, 1e-5),
                           np.random.default_rng(0))


def test_frame_domain_mismatch_raises():
    frame = patients(200)
    schema = infer(frame, discrete_columns=list(PATIENT_DISCRETE_COLUMNS))
    canonical = schema.to_canonical(frame)
    domain = Domain.from_data(canonical, schema)

    with pytest.raises(InvalidDataError, match="but the domain has"):
        MSTGenerator().fit(canonical.iloc[:, 1:], domain, make_ledger(), np.random.default_rng(0))


def test_sample_before_fit_raises():
    with pytest.raises(NotFittedError, match="Call fit before sample"):
        MSTGenerator().sample(5, np.random.default_rng(0))


def test_state_before_fit_raises():
    with pytest.raises(NotFittedError, match="Call fit before get_state"):
        MSTGenerator().get_state()


@pytest.mark.parametrize("n", [-1, 2.5, "10"])
def test_bad_sample_size_raises(n):
    *_, generator, _ = fit_patients(n=300)
    with pytest.raises(ConfigError, match="n is .*, but it must be a non-negative integer"):
        generator.sample(n, np.random.default_rng(0))


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"n_bins": 0}, "n_bins is 0, but it must be an integer from 1 to 1024"),
        ({"n_bins": 1025}, "n_bins is 1025, but it must be an integer from 1 to 1024"),
        ({"pair_bins": 2.0}, "pair_bins is 2.0, but it must be an integer"),
        ({"shares": [0.5, 0.5]}, "three positive numbers that sum to 1"),
        ({"shares": [0.5, 0.5, 0.5]}, "three positive numbers that sum to 1"),
        ({"shares": [1.0, 0.0, 0.0]}, "three positive numbers that sum to 1"),
        ({"max_cells": 0}, "max_cells is 0, but it must be a positive integer"),
        ({"iterations": True}, "iterations is True, but it must be a positive integer"),
        ({"epochs": 3}, "config keys for method 'mst'"),
    ],
)
def test_bad_config_raises(config, message):
    with pytest.raises(ConfigError, match=message):
        MSTGenerator(config)


# --- Parts: compression, selection, estimation -------------------------------------------------


def test_compression_merges_rare_codes():
    compression = Compression.from_noisy_counts(np.array([100, 5, 80, -3, 2]), sigma=10.0)

    np.testing.assert_array_equal(compression.mapping, [0, 2, 1, 2, 2])
    np.testing.assert_allclose(compression.weights, [1.0, 5 / 7, 1.0, 0.0, 2 / 7])


def test_compression_keeps_single_rare_code():
    compression = Compression.from_noisy_counts(np.array([100, 5, 80]), sigma=10.0)
    np.testing.assert_array_equal(compression.mapping, [0, 1, 2])


def test_compression_coarse_groups():
    noisy = np.array([50, 10, 40, 40, 1, 0, 0, 1])
    groups = np.array([0, 0, 1, 1, 2, 2, 3, 3])

    compression = Compression.from_noisy_counts(noisy, sigma=5.0, groups=groups)

    np.testing.assert_array_equal(compression.mapping, [0, 0, 1, 1, 2, 2, 2, 2])
    np.testing.assert_allclose(compression.weights[:4], [50 / 60, 10 / 60, 0.5, 0.5])
    np.testing.assert_allclose(compression.compress(noisy, axis=0), [60, 80, 2])


def test_compression_expand_follows_weights():
    compression = Compression(np.array([0, 0, 1]), np.array([0.25, 0.75, 1.0]))

    codes = compression.expand(np.array([0] * 8000 + [1] * 10), np.random.default_rng(0))

    assert abs((codes[:8000] == 1).mean() - 0.75) < 0.03
    assert (codes[8000:] == 2).all()


def test_compression_compress_two_axes():
    compression = Compression(np.array([1, 0, 1]), np.ones(3) / 2)
    table = np.arange(6).reshape(3, 2)

    np.testing.assert_array_equal(compression.compress(table, axis=0), [[2, 3], [4, 6]])


def test_select_tree_greedy_is_maximum_spanning_tree():
    rng = np.random.default_rng(0)
    weights = {(a, b): float(rng.random()) for a, b in itertools.combinations(range(5), 2)}

    edges = select_tree(weights, 5, lambda scores, measured: int(np.argmax(scores)))

    best = max((tree for tree in itertools.combinations(weights, 4) if _spans(tree, 5)),
               key=lambda tree: sum(weights[e] for e in tree))
    assert sorted(edges) == sorted(best)


def test_select_tree_without_candidates_is_forest():
    weights = {(0, 1): 5.0}

    edges = select_tree(weights, 3, lambda scores, measured: 0)

    assert edges == [(0, 1)]


def _spans(edges, n_nodes) -> bool:
    try:
        forest = Forest.build(tuple([2] * n_nodes), tuple(edges))
    except ValueError:
        return False
    return sum(parent < 0 for parent in forest.parents) == 1


def test_forest_rejects_cycle():
    with pytest.raises(ValueError, match="contain a cycle"):
        Forest.build((2, 2, 2), ((0, 1), (1, 2), (2, 0)))


def test_tree_fit_recovers_exact_marginals():
    rng = np.random.default_rng(0)
    forest = Forest.build((3, 4, 2), ((0, 1), (1, 2)))
    joint_01 = rng.dirichlet(np.ones(12)).reshape(3, 4)
    conditional_2 = rng.dirichlet(np.ones(2), size=4)
    joint_12 = joint_01.sum(axis=0)[:, None] * conditional_2
    n = 1000.0
    measurements = [
        Measurement((0,), n * joint_01.sum(axis=1), 1.0),
        Measurement((1,), n * joint_01.sum(axis=0), 1.0),
        Measurement((2,), n * joint_12.sum(axis=0), 1.0),
        Measurement((0, 1), n * joint_01, 1.0),
        Measurement((2, 1), n * joint_12.T, 1.0),
    ]

    model = fit_tree_model(forest, measurements, iterations=300)

    np.testing.assert_allclose(model.edge_marginals[0], joint_01, atol=2e-3)
    np.testing.assert_allclose(model.edge_marginals[1], joint_12, atol=2e-3)


def test_tree_fit_clips_negative_noise():
    forest = Forest.build((3,), ())
    model = fit_tree_model(forest, [Measurement((0,), np.array([500.0, -40.0, 500.0]), 20.0)])

    assert model.node_marginals[0].min() >= 0.0
    assert model.node_marginals[0][1] < 0.01


def test_tree_sample_follows_conditionals():
    forest = Forest.build((2, 2), ((0, 1),))
    joint = np.array([[0.5, 0.0], [0.1, 0.4]])
    model = TreeModel(forest, (joint.sum(axis=1), joint.sum(axis=0)), (joint,))

    codes = model.sample(20000, np.random.default_rng(0))

    counts = np.zeros((2, 2))
    np.add.at(counts, (codes[:, 0], codes[:, 1]), 1)
    np.testing.assert_allclose(counts / 20000, joint, atol=0.015)
    assert counts[0, 1] == 0
