"""Tests of the marginal oracle: a contract suite every back end inherits, checked against pandas.

`OracleContract` contains the tests; a back end subclasses it and implements
`make_oracle`. Each test compares the oracle's tables with `naive_counts`, a
row-by-row pandas GROUP BY that codes values with plain comparisons against
the domain's cut points, over the named tables in `CASES`.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from genesis.domain import ColumnDomain, Domain
from genesis.errors import ConfigError, InvalidDataError
from genesis.marginals import Discretizer, MarginalOracle, NumpyOracle, cap_rows_per_unit
from genesis.schema import ColumnKind
from genesis.transforms.binning import Binner

N_BINS = 4


# --- A naive oracle ------------------------------------------------------------------------------


def naive_code(value, column: ColumnDomain, n_bins: int) -> int:
    """Code one value by the rules of the discretization, without numpy vector code."""
    n_values = len(column.categories) if column.is_discrete else _naive_bin_count(column, n_bins)
    if pd.isna(value):
        return n_values
    if column.is_discrete:
        return column.categories.index(value) if value in column.categories else n_values

    edges = Binner.uniform(column.lower, column.upper, n_bins, column.kind is ColumnKind.INTEGER).edges
    code = sum(1 for edge in edges[1:-1] if edge <= value)
    return min(code, n_values - 1)


def _naive_bin_count(column: ColumnDomain, n_bins: int) -> int:
    if column.lower is None:
        return 0
    return Binner.uniform(column.lower, column.upper, n_bins, column.kind is ColumnKind.INTEGER).n_bins


def naive_counts(frame: pd.DataFrame, domain: Domain, column_set: tuple[str, ...], n_bins: int) -> np.ndarray:
    """Count rows per code combination with a pandas groupby, then fill a dense zero table."""
    shape = []
    codes = {}
    for name in column_set:
        column = domain[name]
        codes[name] = [naive_code(value, column, n_bins) for value in frame[name]]
        n_values = len(column.categories) if column.is_discrete else _naive_bin_count(column, n_bins)
        shape.append(n_values + int(column.nullable))

    table = np.zeros(shape, dtype=np.int64)
    if not column_set:
        return np.array(len(frame), dtype=np.int64)
    if len(frame) == 0:
        return table
    grouped = pd.DataFrame(codes).groupby(list(column_set)).size()
    for key, count in grouped.items():
        key = key if isinstance(key, tuple) else (key,)
        table[key] = count
    return table


# --- Named cases ---------------------------------------------------------------------------------


def _categorical(name, categories, nullable=False):
    return ColumnDomain(name, ColumnKind.CATEGORICAL, categories=tuple(categories), nullable=nullable)


def _numeric(name, lower, upper, kind=ColumnKind.FLOAT, nullable=False):
    return ColumnDomain(name, kind, lower=lower, upper=upper, nullable=nullable)


def case_one_row():
    frame = pd.DataFrame({"c": np.array(["b"], dtype=object), "x": [2.5]})
    return frame, Domain((_categorical("c", "abc"), _numeric("x", 0.0, 10.0)))


def case_duplicates():
    frame = pd.DataFrame({"c": np.array(["a"] * 7, dtype=object), "x": [3.0] * 7, "n": [5.0] * 7})
    domain = Domain((_categorical("c", "ab"), _numeric("x", 0.0, 4.0),
                     _numeric("n", 0.0, 9.0, ColumnKind.INTEGER)))
    return frame, domain


def case_missing_values():
    frame = pd.DataFrame({
        "c": np.array(["a", np.nan, "b", np.nan, "a"], dtype=object),
        "x": [1.0, np.nan, 9.0, np.nan, np.nan],
        "n": [0.0, 3.0, np.nan, 7.0, 7.0],
    })
    domain = Domain((_categorical("c", "ab", nullable=True), _numeric("x", 0.0, 10.0, nullable=True),
                     _numeric("n", 0.0, 7.0, ColumnKind.INTEGER, nullable=True)))
    return frame, domain


def case_empty_cells():
    frame = pd.DataFrame({"c": np.array(["a", "a", "d"], dtype=object), "x": [0.0, 0.5, 0.1]})
    return frame, Domain((_categorical("c", "abcd"), _numeric("x", 0.0, 100.0)))


def case_single_value_column():
    frame = pd.DataFrame({"c": np.array(["only"] * 4, dtype=object), "x": [5.0] * 4,
                          "y": [1.0, 2.0, 3.0, 4.0]})
    domain = Domain((_categorical("c", ["only"]), _numeric("x", 5.0, 5.0), _numeric("y", 1.0, 4.0)))
    return frame, domain


def case_outside_bounds():
    frame = pd.DataFrame({"x": [-50.0, 0.0, 10.0, 99.0, 1e9], "n": [-3.0, 0.0, 12.0, 13.0, 40.0]})
    domain = Domain((_numeric("x", 0.0, 10.0), _numeric("n", 0.0, 12.0, ColumnKind.INTEGER)))
    return frame, domain


def case_bin_edges():
    """Values on every edge of 4 bins over [0, 8]: an edge value belongs to the bin above it."""
    frame = pd.DataFrame({"x": [0.0, 2.0, 4.0, 6.0, 8.0, 1.999, 7.999]})
    return frame, Domain((_numeric("x", 0.0, 8.0),))


def case_unknown_category():
    frame = pd.DataFrame({"c": np.array(["a", "rare", "b", np.nan], dtype=object)})
    return frame, Domain((_categorical("c", "ab", nullable=True),))


def case_datetime():
    stamps = pd.to_datetime(["2020-01-01", "2020-06-30", "2021-12-31", None])
    ns = stamps.as_unit("ns").asi8.astype(float)
    ns[3] = np.nan
    frame = pd.DataFrame({"t": ns, "b": np.array([True, False, True, True], dtype=object)})
    domain = Domain((
        ColumnDomain("t", ColumnKind.DATETIME, lower=float(np.nanmin(ns)), upper=float(np.nanmax(ns)),
                     nullable=True),
        ColumnDomain("b", ColumnKind.BOOLEAN, categories=(False, True)),
    ))
    return frame, domain


def case_zero_rows():
    frame = pd.DataFrame({"c": np.array([], dtype=object), "x": np.array([], dtype=float)})
    return frame, Domain((_categorical("c", "ab"), _numeric("x", 0.0, 1.0, nullable=True)))


def case_all_missing_column():
    frame = pd.DataFrame({"x": [np.nan, np.nan], "c": np.array(["a", "b"], dtype=object)})
    domain = Domain((ColumnDomain("x", ColumnKind.FLOAT, nullable=True), _categorical("c", "ab")))
    return frame, domain


def case_random_mixed():
    rng = np.random.default_rng(3)
    n = 500
    frame = pd.DataFrame({
        "c": rng.choice(np.array(["a", "b", "c", np.nan], dtype=object), n),
        "x": np.where(rng.random(n) < 0.1, np.nan, rng.normal(5.0, 3.0, n)),
        "n": rng.integers(0, 20, n).astype(float),
        "g": rng.choice(np.array(["u", "v"], dtype=object), n),
    })
    domain = Domain((_categorical("c", "abc", nullable=True), _numeric("x", 0.0, 10.0, nullable=True),
                     _numeric("n", 0.0, 19.0, ColumnKind.INTEGER), _categorical("g", "uv")))
    return frame, domain


CASES = {
    "one_row": case_one_row,
    "duplicates": case_duplicates,
    "missing_values": case_missing_values,
    "empty_cells": case_empty_cells,
    "single_value_column": case_single_value_column,
    "outside_bounds": case_outside_bounds,
    "bin_edges": case_bin_edges,
    "unknown_category": case_unknown_category,
    "datetime": case_datetime,
    "zero_rows": case_zero_rows,
    "all_missing_column": case_all_missing_column,
    "random_mixed": case_random_mixed,
}


def column_sets(names: list[str]) -> list[tuple[str, ...]]:
    """Every column set of up to 3 columns, in both orders for pairs, and the empty set."""
    sets = [()]
    sets += [(name,) for name in names]
    sets += list(itertools.permutations(names, 2))
    sets += list(itertools.combinations(names, 3))
    return sets


# --- The contract suite --------------------------------------------------------------------------


class OracleContract:
    """Tests that any `MarginalOracle` back end must pass; subclasses implement `make_oracle`."""

    def make_oracle(self, frame: pd.DataFrame, discretizer: Discretizer, **options) -> MarginalOracle:
        raise NotImplementedError

    @pytest.mark.parametrize("case", sorted(CASES))
    def test_matches_naive_groupby(self, case):
        frame, domain = CASES[case]()
        oracle = self.make_oracle(frame, Discretizer.from_domain(domain, N_BINS))
        sets = column_sets(domain.names)

        tables = oracle.counts(sets)

        assert list(tables) == sets
        for column_set in sets:
            expected = naive_counts(frame, domain, column_set, N_BINS)
            np.testing.assert_array_equal(tables[column_set], expected, err_msg=f"{case} {column_set}")

    @pytest.mark.parametrize("case", sorted(CASES))
    def test_tables_dense_int64(self, case):
        frame, domain = CASES[case]()
        oracle = self.make_oracle(frame, Discretizer.from_domain(domain, N_BINS))

        for column_set, table in oracle.counts(column_sets(domain.names)).items():
            assert table.dtype == np.int64, column_set
            assert table.shape == oracle.shape(column_set), column_set
            assert int(table.sum()) == len(frame), column_set

    def test_empty_cells_are_zero(self):
        frame, domain = case_empty_cells()
        oracle = self.make_oracle(frame, Discretizer.from_domain(domain, N_BINS))

        table = oracle.counts([("c",)])[("c",)]

        np.testing.assert_array_equal(table, [2, 0, 0, 1])

    def test_missing_has_last_code(self):
        frame, domain = case_missing_values()
        oracle = self.make_oracle(frame, Discretizer.from_domain(domain, N_BINS))

        tables = oracle.counts([("c",), ("x",)])

        np.testing.assert_array_equal(tables[("c",)], [2, 1, 2])
        np.testing.assert_array_equal(tables[("x",)], [1, 0, 0, 1, 3])

    def test_edge_value_in_upper_bin(self):
        frame, domain = case_bin_edges()
        oracle = self.make_oracle(frame, Discretizer.from_domain(domain, N_BINS))

        np.testing.assert_array_equal(oracle.counts([("x",)])[("x",)], [2, 1, 1, 3])

    def test_outside_bounds_clipped(self):
        frame, domain = case_outside_bounds()
        oracle = self.make_oracle(frame, Discretizer.from_domain(domain, N_BINS))

        tables = oracle.counts([("x",), ("n",)])

        np.testing.assert_array_equal(tables[("x",)], [2, 0, 0, 3])
        np.testing.assert_array_equal(tables[("n",)], [2, 0, 0, 3])

    def test_integer_bins_hold_integers(self):
        frame = pd.DataFrame({"n": np.arange(0.0, 10.0)})
        domain = Domain((_numeric("n", 0.0, 9.0, ColumnKind.INTEGER),))
        oracle = self.make_oracle(frame, Discretizer.from_domain(domain, 5))

        np.testing.assert_array_equal(oracle.counts([("n",)])[("n",)], [2, 2, 2, 2, 2])

    def test_few_integers_few_bins(self):
        frame = pd.DataFrame({"n": [1.0, 2.0, 2.0, 3.0]})
        domain = Domain((_numeric("n", 1.0, 3.0, ColumnKind.INTEGER),))
        oracle = self.make_oracle(frame, Discretizer.from_domain(domain, 32))

        np.testing.assert_array_equal(oracle.counts([("n",)])[("n",)], [1, 2, 1])

    def test_axis_order_follows_request(self):
        frame, domain = case_random_mixed()
        oracle = self.make_oracle(frame, Discretizer.from_domain(domain, N_BINS))

        tables = oracle.counts([("c", "g"), ("g", "c")])

        np.testing.assert_array_equal(tables[("g", "c")], tables[("c", "g")].T)

    def test_empty_set_counts_rows(self):
        frame, domain = case_random_mixed()
        oracle = self.make_oracle(frame, Discretizer.from_domain(domain, N_BINS))

        total = oracle.counts([()])[()]

        assert total.shape == ()
        assert int(total) == 500

    def test_unknown_column_rejected(self):
        frame, domain = case_one_row()
        oracle = self.make_oracle(frame, Discretizer.from_domain(domain, N_BINS))

        with pytest.raises(ConfigError, match=r"the columns is \['nope'\], but the oracle has only"):
            oracle.counts([("c", "nope")])

    def test_repeated_column_rejected(self):
        frame, domain = case_one_row()
        oracle = self.make_oracle(frame, Discretizer.from_domain(domain, N_BINS))

        with pytest.raises(ConfigError, match="a column may appear only once"):
            oracle.counts([("c", "c")])

    def test_bare_string_rejected(self):
        frame, domain = case_one_row()
        oracle = self.make_oracle(frame, Discretizer.from_domain(domain, N_BINS))

        with pytest.raises(ConfigError, match=r"Wrap a single column in a tuple: \('c',\)"):
            oracle.counts(["c"])

    def test_max_cells_rejects_before_counting(self):
        frame, domain = case_random_mixed()
        oracle = self.make_oracle(frame, Discretizer.from_domain(domain, N_BINS), max_cells=10)

        with pytest.raises(ConfigError, match=r"the number of cells .* is 20, but the oracle builds at most"):
            oracle.counts([("c",), ("c", "x")])

    def test_unknown_category_not_nullable_raises(self):
        frame = pd.DataFrame({"c": np.array(["a", "z"], dtype=object)})
        domain = Domain((_categorical("c", "ab"),))

        with pytest.raises(InvalidDataError, match="not in the column's domain"):
            self.make_oracle(frame, Discretizer.from_domain(domain, N_BINS)).counts([("c",)])

    def test_missing_not_nullable_raises(self):
        frame = pd.DataFrame({"x": [1.0, np.nan]})
        domain = Domain((_numeric("x", 0.0, 2.0),))

        with pytest.raises(InvalidDataError, match="has 1 missing values, but its domain has none"):
            self.make_oracle(frame, Discretizer.from_domain(domain, N_BINS)).counts([("x",)])

    def test_rows_per_unit_capped(self):
        frame, domain = case_random_mixed()
        units = np.repeat(np.arange(100), 5)
        oracle = self.make_oracle(frame, Discretizer.from_domain(domain, N_BINS), unit_ids=units,
                                  max_rows_per_unit=2, rng=np.random.default_rng(0))

        assert int(oracle.counts([()])[()]) == 200
        assert oracle.rows_per_unit == 2

    def test_capping_reproducible(self):
        frame, domain = case_random_mixed()
        units = np.repeat(np.arange(50), 10)
        discretizer = Discretizer.from_domain(domain, N_BINS)

        tables = [
            self.make_oracle(frame, discretizer, unit_ids=units, max_rows_per_unit=3,
                             rng=np.random.default_rng(seed)).counts([("c", "x")])[("c", "x")]
            for seed in (5, 5, 6)
        ]

        np.testing.assert_array_equal(tables[0], tables[1])
        assert not np.array_equal(tables[0], tables[2])


class TestNumpyOracle(OracleContract):
    def make_oracle(self, frame, discretizer, **options):
        return NumpyOracle(frame, discretizer, **options)


# --- Capping and discretization ------------------------------------------------------------------


def test_cap_keeps_at_most_max_rows():
    units = np.array([1, 1, 1, 2, 3, 3, 3, 3], dtype=object)

    keep = cap_rows_per_unit(units, 2, np.random.default_rng(0))

    kept = pd.Series(units[keep]).value_counts().to_dict()
    assert kept == {1: 2, 2: 1, 3: 2}


def test_cap_keeps_rows_without_unit():
    units = np.array([None, None, 1, 1, np.nan], dtype=object)

    keep = cap_rows_per_unit(units, 1, np.random.default_rng(0))

    assert keep[[0, 1, 4]].all()
    assert int(keep[[2, 3]].sum()) == 1


def test_cap_choice_uniform():
    units = np.zeros(4, dtype=object)
    chosen = [int(np.flatnonzero(cap_rows_per_unit(units, 1, np.random.default_rng(seed)))[0])
              for seed in range(400)]

    shares = np.bincount(chosen, minlength=4) / 400

    assert np.all(np.abs(shares - 0.25) < 0.08)


def test_unit_ids_without_limit_rejected():
    frame, domain = case_one_row()

    with pytest.raises(ConfigError, match="unit_ids and max_rows_per_unit must be given together"):
        NumpyOracle(frame, Discretizer.from_domain(domain, N_BINS), unit_ids=["u"])


@pytest.mark.parametrize("limit", [0, -1, 1.5, True])
def test_bad_row_limit_rejected(limit):
    frame, domain = case_one_row()

    with pytest.raises(ConfigError, match="max_rows_per_unit is .*, but it must be a positive integer"):
        NumpyOracle(frame, Discretizer.from_domain(domain, N_BINS), unit_ids=["u"],
                    max_rows_per_unit=limit, rng=np.random.default_rng(0))


def test_unit_ids_length_checked():
    frame, domain = case_one_row()

    with pytest.raises(ConfigError, match="the length of unit_ids is 2, but the table has 1 rows"):
        NumpyOracle(frame, Discretizer.from_domain(domain, N_BINS), unit_ids=["u", "v"],
                    max_rows_per_unit=1, rng=np.random.default_rng(0))


def test_capping_needs_rng():
    frame, domain = case_one_row()

    with pytest.raises(ConfigError, match="rng is None"):
        NumpyOracle(frame, Discretizer.from_domain(domain, N_BINS), unit_ids=["u"], max_rows_per_unit=1)


def test_missing_column_in_frame_rejected():
    frame, domain = case_one_row()

    with pytest.raises(InvalidDataError, match=r"has no columns \['x'\]"):
        NumpyOracle(frame[["c"]], Discretizer.from_domain(domain, N_BINS))


def test_bin_count_per_column():
    _, domain = case_random_mixed()

    discretizer = Discretizer.from_domain(domain, {"x": 3, "n": 5})

    assert discretizer.shape == {"c": 4, "x": 4, "n": 5, "g": 2}


def test_bin_count_missing_for_numeric_rejected():
    _, domain = case_random_mixed()

    with pytest.raises(ConfigError, match="the bin count of numeric column 'n' is None"):
        Discretizer.from_domain(domain, {"x": 3})


@pytest.mark.parametrize("n_bins", [0, 2.5, "8", False])
def test_bad_bin_count_rejected(n_bins):
    _, domain = case_one_row()

    with pytest.raises(ConfigError, match="it must be a positive integer"):
        Discretizer.from_domain(domain, n_bins)


def test_decode_inside_bin_uniformly():
    column = _numeric("x", 0.0, 8.0)
    codes = Discretizer.from_domain(Domain((column,)), 4)["x"]

    values = codes.decode(np.full(4000, 1), np.random.default_rng(0))

    assert values.min() >= 2.0
    assert values.max() < 4.0
    assert abs(values.mean() - 3.0) < 0.05
    assert np.unique(values).size > 3000


def test_decode_integer_bins_to_integers():
    column = _numeric("n", 0.0, 9.0, ColumnKind.INTEGER)
    codes = Discretizer.from_domain(Domain((column,)), 5)["n"]

    values = codes.decode(np.full(1000, 2), np.random.default_rng(0))

    assert set(np.unique(values)) == {4.0, 5.0}


def test_decode_missing_code_to_nan():
    frame, domain = case_missing_values()
    discretizer = Discretizer.from_domain(domain, N_BINS)

    numbers = discretizer["x"].decode(np.array([4, 0]), np.random.default_rng(0))
    labels = discretizer["c"].decode(np.array([2, 1]), np.random.default_rng(0))

    assert np.isnan(numbers[0])
    assert not np.isnan(numbers[1])
    assert pd.isna(labels[0])
    assert labels[1] == "b"


def test_encode_decode_round_trip_codes():
    frame, domain = case_random_mixed()
    discretizer = Discretizer.from_domain(domain, N_BINS)
    codes = discretizer.encode(frame)

    decoded = pd.DataFrame({
        column.column.name: column.decode(codes[:, i], np.random.default_rng(i))
        for i, column in enumerate(discretizer.columns)
    })

    np.testing.assert_array_equal(discretizer.encode(decoded), codes)


def test_all_missing_column_has_one_code():
    frame, domain = case_all_missing_column()

    discretizer = Discretizer.from_domain(domain, N_BINS)

    assert discretizer.shape["x"] == 1
    assert math.isnan(discretizer["x"].decode(np.array([0]), np.random.default_rng(0))[0])
