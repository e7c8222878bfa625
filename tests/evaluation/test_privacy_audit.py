import json
import math

import numpy as np
import pandas as pd
import pytest

from genesis import SyntheticGenerator, run_privacy_audit
from genesis.datasets import patient_table
from genesis.errors import ConfigError, InvalidDataError
from genesis.evaluation.audit_inputs import remove_rows
from genesis.evaluation.privacy_report import DEFAULT_THRESHOLDS, judge
from genesis.evaluation.stats import MetricResult
from genesis.holdout import lookup_holdout

QIS = ["age", "gender", "zip_code"]
SECRETS = ["condition", "treatment", "annual_cost"]
RISKS = ("membership_risk", "attribute_risk", "singling_out_risk", "linkability_risk")


@pytest.fixture(scope="module")
def real():
    return patient_table(10_000, random_state=42).drop(columns="patient_id")


@pytest.fixture(scope="module")
def record(real):
    """The release record of a fit with the default holdout, whose rows stay in memory."""
    model = SyntheticGenerator(method="gaussian_copula", random_state=0).fit(real)
    synthetic = model.generate(n_samples=10)
    assert lookup_holdout(synthetic) is not None
    return model, synthetic.attrs["genesis"]


def released(frame, record):
    frame = frame.copy()
    frame.attrs["genesis"] = record[1]
    return frame


def training_rows(real, record):
    holdout = lookup_holdout(released(real.iloc[:1], record))
    return remove_rows(real, holdout)


def audit(real, synthetic, **options):
    options = {"sensitive_columns": SECRETS, "quasi_identifiers": QIS, "random_state": 3, **options}
    return run_privacy_audit(real, synthetic, **options)


def test_fresh_draw_passes_with_default_holdout(real, record):
    fresh = released(patient_table(10_000, random_state=7).drop(columns="patient_id"), record)

    report = audit(real, fresh)

    assert report.verdict == "pass"
    assert report.is_safe
    assert report.holdout_used
    for name in RISKS:
        assert getattr(report, name) < 0.05, name
    assert report.dcr_score > 0.9


def test_copy_of_training_rows_fails(real, record):
    copy = released(training_rows(real, record), record)

    report = audit(real, copy)

    assert not report.is_safe
    assert report.verdict == "fail"
    assert report.membership_risk > 0.95
    assert report.attribute_risk > 0.95
    assert report.linkability_risk > 0.8
    assert report.dcr_score < 0.05
    assert report.singling_out_risk > 0.95
    assert report.metrics["exact_copies"].value > 0.95
    assert report.exact_copies == len(copy)
    assert report.overall_score == 0.0


def test_singling_out_orders_copy_half_and_fresh(real, record):
    training = training_rows(real, record)
    fresh = released(patient_table(10_000, random_state=7).drop(columns="patient_id"), record)
    half = released(pd.concat([training.iloc[:4000], fresh.iloc[:4000]], ignore_index=True), record)

    copied = audit(real, released(training, record)).metrics["singling_out"]
    halved = audit(real, half).metrics["singling_out"]
    new = audit(real, fresh).metrics["singling_out"]

    assert copied.details["attack_rate"] == 1.0
    assert new.value < halved.value < copied.ci_low
    assert halved.details["attack_rate"] > halved.details["control_rate"]
    assert new.n > 200


def test_sdmetrics_dcr_figures_separate_copy_and_fresh(real, record):
    # DCROverfittingProtection and DCRBaselineProtection, computed as SDMetrics computes them.
    fresh = released(patient_table(10_000, random_state=7).drop(columns="patient_id"), record)
    copy = released(training_rows(real, record), record)

    new = audit(real, fresh).metrics["dcr"].details
    copied = audit(real, copy).metrics["dcr"].details

    assert new["overfitting_protection"] > 0.9
    assert copied["overfitting_protection"] < 0.8
    assert 0.0 < new["baseline_protection"] < 0.5
    assert copied["baseline_protection"] == 0.0
    assert new["median_distance_random_to_training"] > new["median_distance_synthetic_to_training"]


def test_half_copy_singling_out_above_fresh(real, record):
    training = training_rows(real, record)
    fresh = patient_table(10_000, random_state=8).drop(columns="patient_id")
    half = released(pd.concat([training.iloc[:4000], fresh.iloc[:4000]], ignore_index=True), record)

    metric = audit(real, half).metrics["singling_out"]

    assert metric.ci_low > 0.0
    assert metric.ci_high < 0.5


def test_singling_out_control_matches_fresh_attack(real, record):
    # The control is the chance a predicate has of isolating one training row when membership is random.
    fresh = released(patient_table(10_000, random_state=11).drop(columns="patient_id"), record)

    metric = audit(real, fresh).metrics["singling_out"]

    assert abs(metric.details["attack_rate"] - metric.details["control_rate"]) < 0.05
    assert metric.ci_high < DEFAULT_THRESHOLDS["singling_out"]


def test_singling_out_ignores_unique_continuous_values(real, record):
    # annual_cost has thousands of distinct values; as exact values they would isolate rows in any table.
    fresh = released(patient_table(10_000, random_state=7).drop(columns="patient_id"), record)

    metric = audit(real, fresh, quasi_identifiers=["annual_cost", "gender"]).metrics["singling_out"]

    assert metric.n > 0
    assert metric.ci_high < DEFAULT_THRESHOLDS["singling_out"]


def test_half_copy_lands_in_between(real, record):
    training = training_rows(real, record)
    fresh = patient_table(10_000, random_state=8).drop(columns="patient_id")
    half = released(pd.concat([training.iloc[:4000], fresh.iloc[:4000]], ignore_index=True), record)

    report = audit(real, half)

    assert 0.3 < report.membership_risk < 0.7
    assert 0.3 < report.dcr_score < 0.7
    assert 0.2 < report.attribute_risk < 0.8
    assert not report.is_safe


def test_without_holdout_every_risk_is_proxy(real):
    fresh = patient_table(10_000, random_state=7).drop(columns="patient_id")

    report = audit(real, fresh)

    assert not report.holdout_used
    assert report.verdict == "inconclusive"
    assert not report.is_safe
    assert all(report.metrics[name].proxy for name in ("dcr", "membership", "attribute", "linkability"))
    assert any("No holdout" in text for text in report.warnings)
    for name in RISKS:
        assert isinstance(getattr(report, name), float)


def test_dcr_proxy_sees_verbatim_copy():
    table = patient_table(3000, random_state=1).drop(columns="patient_id")
    fresh = patient_table(3000, random_state=2).drop(columns="patient_id")

    copied = run_privacy_audit(table, table.copy(), random_state=0)
    unseen = run_privacy_audit(table, fresh, random_state=0)

    assert copied.metrics["dcr"].proxy
    assert copied.dcr_score < 0.05
    assert unseen.dcr_score > 0.9


def test_holdout_data_argument_used(real, record):
    holdout = lookup_holdout(released(real.iloc[:1], record))
    fresh = patient_table(10_000, random_state=7).drop(columns="patient_id")

    report = audit(real, fresh, holdout_data=holdout)

    assert report.holdout_used
    assert report.settings["holdout_source"] == "argument"


def test_k_and_generalization_read_from_record(real):
    privacy = {"k_anonymity": {"k": 5, "quasi_identifiers": QIS}}
    model = SyntheticGenerator(method="gaussian_copula", privacy=privacy, random_state=1).fit(real)
    synthetic = model.generate(n_samples=5000)

    report = run_privacy_audit(real, synthetic, random_state=0)

    assert report.k == 5
    assert report.quasi_identifiers == tuple(QIS)
    assert report.k_anonymity_satisfied is True
    assert report.smallest_equivalence_class >= 5
    assert report.settings["generalized_like_release"] is True
    assert report.holdout_used


def test_k_not_met_reported(real):
    fresh = patient_table(2000, random_state=9).drop(columns="patient_id")

    report = audit(real, fresh, k=5)

    assert report.k_anonymity_satisfied is False
    assert report.smallest_equivalence_class < 5
    assert report.verdict == "fail"


def test_nan_never_reads_as_safe():
    metric = MetricResult(name="membership", value=math.nan, ci_low=math.nan, ci_high=math.nan, n=100,
                          baseline=0.5, method="m", holdout_used=True)

    judged = judge(metric, 0.15)

    assert judged.passed is None


def test_report_is_json_safe_without_real_rows(real, record):
    fresh = released(patient_table(3000, random_state=7).drop(columns="patient_id"), record)

    report = audit(real, fresh, n_attacks=300)
    text = json.dumps(report.to_dict())

    assert "Metformin" not in text
    assert str(real["annual_cost"].max()) not in text
    assert "membership" in str(report)
    assert "<table>" in report._repr_html_()


def test_thresholds_configurable(real, record):
    fresh = released(patient_table(10_000, random_state=7).drop(columns="patient_id"), record)

    report = audit(real, fresh, thresholds={"membership": 0.0}, n_attacks=300)

    assert report.thresholds["membership"] == 0.0
    assert report.thresholds["attribute"] == DEFAULT_THRESHOLDS["attribute"]
    assert report.metrics["membership"].passed is not True


@pytest.mark.parametrize(("options", "message"), [
    ({"thresholds": {"unknown": 0.1}}, "thresholds key"),
    ({"thresholds": {"membership": 2}}, "thresholds"),
    ({"n_attacks": 0}, "n_attacks"),
    ({"tolerance": -1}, "tolerance"),
    ({"k": 0}, "k is"),
])
def test_invalid_settings_raise(real, options, message):
    with pytest.raises(ConfigError, match=message):
        run_privacy_audit(real, real.iloc[:100], **options)


def test_sensitive_column_must_exist(real):
    with pytest.raises(ConfigError, match="sensitive_columns"):
        run_privacy_audit(real, real.iloc[:100], sensitive_columns=["nope"])


def test_same_seed_same_report(real, record):
    fresh = released(patient_table(3000, random_state=7).drop(columns="patient_id"), record)

    first = audit(real, fresh, n_attacks=300).to_dict()
    second = audit(real, fresh, n_attacks=300).to_dict()

    assert first["metrics"] == second["metrics"]


def test_remove_rows_takes_one_copy_per_holdout_row():
    real = pd.DataFrame({"x": [1, 1, 2, 3]})
    holdout = pd.DataFrame({"x": [1, 3]})

    training = remove_rows(real, holdout)

    assert sorted(training["x"]) == [1, 2]


def test_scores_are_floats_in_unit_interval(real, record):
    fresh = released(patient_table(3000, random_state=7).drop(columns="patient_id"), record)

    report = audit(real, fresh, n_attacks=300)

    for name in ("overall_score", "dcr_score", *RISKS):
        value = getattr(report, name)
        assert isinstance(value, float)
        assert 0.0 <= value <= 1.0
    assert np.isfinite([m.value for m in report.metrics.values()]).all()


def test_synthetic_copying_holdout_rows_cannot_pass(real, record):
    # The whole real table as "synthetic" contains the holdout rows, which a model that never saw them
    # cannot produce. Every holdout-calibrated risk then looks like a fresh draw's.
    leaked = released(real.sample(frac=1, random_state=4).reset_index(drop=True), record)

    report = audit(real, leaked)

    assert report.metrics["exact_copies"].details["holdout_copied"] is True
    assert report.verdict != "pass"
    assert any("equal a holdout row" in warning for warning in report.warnings)


def test_fresh_draw_does_not_copy_holdout_rows(real, record):
    fresh = released(patient_table(10_000, random_state=7).drop(columns="patient_id"), record)

    details = audit(real, fresh).metrics["exact_copies"].details

    assert details["holdout_copied"] is False
    assert details["share_copying_holdout"] < 0.01


def test_columns_missing_from_one_table_are_named(real, record):
    fresh = patient_table(10_000, random_state=7).drop(columns=["patient_id", "blood_pressure_systolic"])

    report = audit(real, released(fresh, record))

    assert any("['blood_pressure_systolic'] of real_data" in warning for warning in report.warnings)


def test_numbers_against_text_are_named(real):
    holdout = real.iloc[8000:]
    fresh = patient_table(2000, random_state=7).drop(columns="patient_id")
    fresh["age"] = (fresh["age"] // 5 * 5).astype(str) + "-" + (fresh["age"] // 5 * 5 + 4).astype(str)

    report = audit(real.iloc[:8000], fresh, holdout_data=holdout)

    assert any("['age'] are numbers in one table and text in the other" in warning
               for warning in report.warnings)


def test_real_identifiers_counted_without_record(real):
    with_ids = patient_table(10_000, random_state=42)
    fresh = patient_table(2000, random_state=7)
    fresh["patient_id"] = with_ids["patient_id"].sample(2000, random_state=0).to_numpy()

    report = audit(with_ids.iloc[:8000], fresh, holdout_data=with_ids.iloc[8000:])

    assert any("2000 of 2000 synthetic values in identifier column 'patient_id'" in warning
               for warning in report.warnings)


def test_empty_sensitive_columns_raise(real):
    with pytest.raises(ConfigError, match="sensitive_columns"):
        audit(real.iloc[:8000], real.iloc[:100], holdout_data=real.iloc[8000:], sensitive_columns=[])


def test_duplicate_column_names_raise(real):
    doubled = pd.concat([real.iloc[:100], real.iloc[:100, :1]], axis=1)

    with pytest.raises(InvalidDataError, match="more than one column named \\['age'\\]"):
        audit(real, doubled)


def test_undecided_metric_is_explained(real, record):
    fresh = released(patient_table(10_000, random_state=7).drop(columns="patient_id"), record)

    report = audit(real, fresh, n_attacks=60)

    assert report.verdict == "inconclusive"
    undecided = [warning for warning in report.warnings if warning.startswith("Undecided:")]
    assert undecided
    assert "raise n_attacks" in undecided[0]
    assert "undecided" in str(report)


def test_singling_out_kind_without_predicates_has_no_value(real, record):
    copula = released(record[0].generate(n_samples=8000), record)

    kinds = audit(real, copula).metrics["singling_out"].details["kinds"]

    empty = [kind for kind, summary in kinds.items() if summary["n"] == 0]
    assert all(kinds[kind]["value"] is None and kinds[kind]["ci"] is None for kind in empty)
    assert all(summary["value"] is not None for summary in kinds.values() if summary["n"] > 0)


def test_generalized_release_has_no_kind_warning(real):
    privacy = {"k_anonymity": {"k": 5, "quasi_identifiers": QIS}}
    model = SyntheticGenerator(method="gaussian_copula", privacy=privacy, random_state=0).fit(real)
    synthetic = model.generate(n_samples=2000)

    report = audit(real, synthetic)

    assert not any("numbers in one table and text" in warning for warning in report.warnings)


def test_dcr_interval_widens_for_crowded_rows(real, record):
    # 8,000 synthetic rows made of 20 real rows repeated: whether those 20 are training rows is one draw.
    crowded = released(real.sample(20, random_state=1).sample(8000, replace=True, random_state=2)
                       .reset_index(drop=True), record)
    fresh = released(patient_table(10_000, random_state=7).drop(columns="patient_id"), record)

    crowded_dcr = audit(real, crowded).metrics["dcr"]
    fresh_dcr = audit(real, fresh).metrics["dcr"]

    assert crowded_dcr.details["design_effect"] > 50
    assert fresh_dcr.details["design_effect"] < 3
    assert crowded_dcr.ci_high - crowded_dcr.ci_low > fresh_dcr.ci_high - fresh_dcr.ci_low
