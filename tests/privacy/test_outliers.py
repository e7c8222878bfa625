import warnings

import numpy as np
import pandas as pd
import pytest

from genesis import SyntheticGenerator
from genesis.datasets import PATIENT_DISCRETE_COLUMNS, patient_table
from genesis.domain import ColumnDomain, Domain
from genesis.errors import PrivacyWarning
from genesis.privacy.outliers import domain_tail_bounds, real_outlier_mask, synthetic_outlier_mask
from genesis.schema import ColumnKind, infer


def test_real_outlier_mask_flags_tails():
    frame = pd.DataFrame({"cost": np.arange(1000.0), "group": ["a"] * 1000})
    schema = infer(frame)

    mask = real_outlier_mask(schema.to_canonical(frame), schema)

    assert mask.sum() == 9
    assert mask[0]
    assert mask[-1]
    assert not mask[500]


def test_missing_values_are_not_outliers():
    frame = pd.DataFrame({"x": [np.nan] * 5 + list(np.arange(995.0))})
    schema = infer(frame)

    mask = real_outlier_mask(schema.to_canonical(frame), schema)

    assert not mask[:5].any()


def test_domain_tail_bounds_from_histogram():
    counts = (0.0, 1.0, 500.0, 500.0, 1.0, 0.0)
    column = ColumnDomain("x", ColumnKind.FLOAT, lower=0.0, upper=6.0, counts=counts)

    bounds = domain_tail_bounds(Domain((column,)))

    assert bounds == {"x": (2.0, 4.0)}


def test_synthetic_mask_uses_bounds():
    frame = pd.DataFrame({"x": [0.5, 2.0, np.nan, 9.0]})

    mask = synthetic_outlier_mask(frame, {"x": (1.0, 5.0)})

    assert mask.tolist() == [True, False, False, True]


def test_suppress_outliers_without_dp_reports_removed_rows():
    table = patient_table(2000, random_state=8).drop(columns="patient_id")
    model = SyntheticGenerator(method="gaussian_copula", privacy={"suppress_outliers": True}, random_state=0)

    model.fit(table, list(PATIENT_DISCRETE_COLUMNS))
    synthetic = model.generate(n_samples=500)
    record = synthetic.attrs["genesis"]

    assert 0 < model.n_outliers_removed_ <= 0.03 * len(table)
    assert record["privacy"]["outliers_removed_from_training"] == model.n_outliers_removed_
    assert synthetic["annual_cost"].max() < table["annual_cost"].max()


def test_suppress_outliers_under_dp_keeps_row_count(tmp_path):
    table = patient_table(4000, random_state=8).drop(columns="patient_id")
    privacy = {"differential_privacy": {"epsilon": 1.0, "delta": 1e-5}, "suppress_outliers": True}
    model = SyntheticGenerator(privacy=privacy, random_state=0)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PrivacyWarning)
        model.fit(table, list(PATIENT_DISCRETE_COLUMNS))
    synthetic = model.generate(n_samples=1000)
    loaded = SyntheticGenerator.load(model.save(tmp_path / "m.genesis"))

    assert len(synthetic) == 1000
    assert model.n_outliers_removed_ == 0
    assert model.output_bounds_
    assert synthetic.attrs["genesis"]["rows"]["outliers_suppressed"] > 0
    low, high = model.output_bounds_["annual_cost"]
    assert synthetic["annual_cost"].between(low, high).all()
    assert loaded.output_bounds_ == model.output_bounds_


@pytest.mark.parametrize("n_rows", [1, 2])
def test_suppress_outliers_on_tiny_tables(n_rows):
    frame = pd.DataFrame({"age": [30, 41][:n_rows], "sex": ["F", "M"][:n_rows]})

    model = SyntheticGenerator(method="gaussian_copula", privacy={"suppress_outliers": True}, random_state=0)
    synthetic = model.fit(frame).generate(n_samples=4)

    assert len(synthetic) == 4
