import numpy as np

from genesis.evaluation.singling_out_null import design_effects, row_keys


def _predicates_on_distinct_rows(n_predicates: int, copies: int):
    """Real rows with one code column; predicate i matches exactly rows with code i (two of them)."""
    real = np.repeat(np.arange(n_predicates), 2)[:, None]
    rng = np.random.default_rng(0)
    real = real[rng.permutation(len(real))]
    values = np.repeat(np.arange(n_predicates), copies)[:, None]
    return real, np.zeros(len(values), dtype=np.int64), row_keys(values)


def test_predicates_on_disjoint_rows_have_no_design_effect():
    real, set_ids, keys = _predicates_on_distinct_rows(400, copies=1)

    (effect,) = design_effects([(0,)], set_ids, keys, real, n_training=len(real) // 2,
                               subsets=[np.ones(len(keys), dtype=bool)], rng=np.random.default_rng(1))

    assert 1.0 <= effect < 1.3


def test_fourfold_predicates_design_effect_four():
    # Four copies of one predicate succeed or fail together: the count varies 16x, independent trials 4x.
    real, set_ids, keys = _predicates_on_distinct_rows(400, copies=4)

    (effect,) = design_effects([(0,)], set_ids, keys, real, n_training=len(real) // 2,
                               subsets=[np.ones(len(keys), dtype=bool)], rng=np.random.default_rng(1))

    assert 3.0 < effect < 5.0


def test_design_effect_of_an_empty_subset_is_one():
    real, set_ids, keys = _predicates_on_distinct_rows(50, copies=1)

    effects = design_effects([(0,)], set_ids, keys, real, n_training=50,
                             subsets=[np.zeros(len(keys), dtype=bool), np.ones(len(keys), dtype=bool)],
                             rng=np.random.default_rng(1))

    assert effects[0] == 1.0
    assert effects[1] >= 1.0
