"""QualityEvaluator on tables with known outcomes: itself, a shuffled copy, noise, a generalized release."""

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from genesis import QualityEvaluator, QualityReport, SyntheticGenerator
from genesis.datasets import PATIENT_DISCRETE_COLUMNS, patient_table
from genesis.errors import ConfigError, InvalidDataError
from genesis.evaluation import quality_models
from genesis.evaluation.quality_report import QualityReport as ReportClass

SHARED_DATASETS = Path(__file__).resolve().parents[3] / "shared" / "datasets"


@pytest.fixture(scope="module")
def patients() -> pd.DataFrame:
    return patient_table(2_000, random_state=3).drop(columns="patient_id")


@pytest.fixture(scope="module")
def self_report(patients) -> QualityReport:
    return QualityEvaluator(patients, patients.copy(), random_state=0).evaluate(target_column="condition")


def shuffled_copy(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Permute every column independently: same marginals, no dependence between columns."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({name: frame[name].to_numpy()[rng.permutation(len(frame))] for name in frame.columns})


def uniform_noise(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Draw numbers uniformly over ten times the real range and categories uniformly from unseen labels."""
    rng = np.random.default_rng(seed)
    noise = {}
    for name in frame.columns:
        if pd.api.types.is_numeric_dtype(frame[name]):
            low, high = frame[name].min(), frame[name].max()
            noise[name] = rng.uniform(low, low + 10 * (high - low), len(frame))
        else:
            noise[name] = rng.choice([f"noise-{i}" for i in range(5)], len(frame))
    return pd.DataFrame(noise)


def test_self_comparison_scores_one(self_report):
    assert self_report.fidelity_score == pytest.approx(1.0)
    assert self_report.column_shapes_score == pytest.approx(1.0)
    assert self_report.correlation_score == pytest.approx(1.0)
    assert self_report.correlation_score_all_pairs == pytest.approx(1.0)
    assert self_report.utility_score == pytest.approx(1.0)
    assert self_report.overall_score == pytest.approx(1.0)


def test_self_comparison_detection_near_half(self_report):
    assert abs(self_report.detection_auc - 0.5) < 0.05


def test_shuffled_copy_keeps_shapes_loses_trends(patients):
    report = QualityEvaluator(patients, shuffled_copy(patients, 1), random_state=0).evaluate(
        target_column="condition"
    )

    assert report.fidelity_score == pytest.approx(1.0)
    assert report.correlation_score < 0.85
    assert report.correlation_score < report.fidelity_score - 0.1
    assert report.utility_score < 0.6
    assert report.detection_auc > 0.7


def test_uniform_noise_scores_low(patients):
    report = QualityEvaluator(patients, uniform_noise(patients, 2), random_state=0).evaluate(
        target_column="condition"
    )

    assert report.fidelity_score < 0.2
    assert report.correlation_score < 0.6
    assert report.utility_score < 0.3
    assert report.overall_score < 0.4
    assert report.detection_auc > 0.95


def test_scores_are_floats_in_unit_interval(patients):
    report = QualityEvaluator(patients, shuffled_copy(patients, 4), random_state=0).evaluate()

    for name in ("overall_score", "fidelity_score", "correlation_score", "utility_score", "detection_auc"):
        value = getattr(report, name)
        assert isinstance(value, float), name
        assert 0.0 <= value <= 1.0, name
    assert f"{report.overall_score:.1%}".endswith("%")


def test_default_targets_are_named(patients):
    report = QualityEvaluator(patients, patients.copy(), random_state=0, max_utility_targets=2).evaluate()

    targets = [entry["target"] for entry in report.utility["targets"]]
    assert len(targets) == 2
    assert "strongest mean real trend" in report.utility["target_chosen_by"]
    assert report.utility_score == pytest.approx(1.0)


def test_numeric_target_uses_regression(patients):
    report = QualityEvaluator(patients, patients.copy(), random_state=0).evaluate(target_column="annual_cost")

    entry = report.utility["targets"][0]
    assert entry["task"] == "regression"
    assert entry["score_real"] > 0.5


def test_same_seed_same_report(patients):
    synthetic = shuffled_copy(patients, 5)

    first = QualityEvaluator(patients, synthetic, random_state=7).evaluate(target_column="condition")
    second = QualityEvaluator(patients, synthetic, random_state=7).evaluate(target_column="condition")

    assert first.to_dict() == second.to_dict()


def test_to_dict_is_json_safe(self_report):
    text = json.dumps(self_report.to_dict())

    assert '"fidelity_score"' in text
    assert set(self_report.to_dict()["column_scores"]) == set(self_report.column_scores)


def test_pair_metrics_follow_column_kinds(self_report):
    metrics = {tuple(pair["columns"]): pair["metric"] for pair in self_report.pair_scores}

    assert metrics[("blood_pressure_systolic", "annual_cost")] == "CorrelationSimilarity"
    assert metrics[("age", "condition")] == "ContingencySimilarity"
    assert metrics[("condition", "treatment")] == "ContingencySimilarity"
    assert len(metrics) == 21


def test_missing_share_difference_lowers_score(patients):
    synthetic = patients.copy()
    synthetic["blood_pressure_systolic"] = synthetic["blood_pressure_systolic"].astype(float)
    synthetic.loc[: len(synthetic) // 5 - 1, "blood_pressure_systolic"] = np.nan

    report = QualityEvaluator(patients, synthetic, random_state=0).evaluate(target_column="condition")

    entry = report.column_scores["blood_pressure_systolic"]
    assert entry["missing_share_real"] == 0.0
    assert entry["missing_share_synthetic"] == pytest.approx(0.2)
    assert entry["score"] == pytest.approx(entry["shape_score"] * 0.8)


@pytest.mark.parametrize("target", [None, "condition"])
def test_empty_numeric_column_scores_zero(patients, target):
    synthetic = patients.copy()
    synthetic["annual_cost"] = np.nan

    report = QualityEvaluator(patients, synthetic, random_state=0).evaluate(target_column=target)

    assert report.column_scores["annual_cost"]["score"] == 0.0
    assert 0.0 <= report.utility_score <= 1.0
    assert not math.isnan(report.detection_auc)


def test_unlearnable_target_not_measured(patients):
    report = QualityEvaluator(patients, patients.copy(), random_state=0).evaluate(target_column="gender")

    entry = report.utility["targets"][0]
    assert entry["utility"] is None
    assert entry["score_real"] < entry["baseline"] + quality_models.MIN_SIGNAL_GAIN * (1 - entry["baseline"])
    assert 0.0 <= report.utility_score <= 1.0
    assert not report.utility_measured
    assert report.overall_score == pytest.approx(np.mean([report.fidelity_score, report.correlation_score]))
    assert any("'gender': left out" in text for text in report.warnings)
    assert "not measured: no target with signal" in str(report)
    assert report.to_dict()["utility_measured"] is False


def test_unlearnable_targets_left_out_of_mean(patients):
    report = QualityEvaluator(patients, shuffled_copy(patients, 1), random_state=0,
                              max_utility_targets=7).evaluate()

    utilities = {entry["target"]: entry["utility"] for entry in report.utility["targets"]}
    measured = [value for value in utilities.values() if value is not None]
    assert utilities["gender"] is None
    assert len(measured) >= 2
    assert report.utility_score == pytest.approx(np.mean(measured))


def test_tiny_synthetic_table_scores_zero_utility(patients):
    report = QualityEvaluator(patients, patients.head(5), random_state=0).evaluate(target_column="condition")

    assert report.utility_score == 0.0
    assert any("fewer than the 100 a model needs" in text for text in report.warnings)


def test_chance_score_by_hand():
    test_y = np.array([0, 0, 1, 1])
    train_y = np.array([0, 0, 0, 1])

    # Majority class 0: macro F1 (2/3 + 0) / 2. Guessing at shares q = (3/4, 1/4)
    # against p = (1/2, 1/2): F1 = 2pq / (p + q) = 0.6 and 1/3, mean 7/15.
    assert quality_models._chance_score("classification", train_y, test_y) == pytest.approx(7 / 15)
    assert quality_models._chance_score("regression", np.array([1.0, 3.0]), np.array([1.0, 3.0])) == 0.0


def test_holdout_is_the_utility_test_set(patients):
    holdout = patient_table(500, random_state=4).drop(columns="patient_id")

    with_holdout = QualityEvaluator(patients, patients.copy(), holdout_data=holdout, random_state=0).evaluate(
        target_column="condition"
    )
    without = QualityEvaluator(patients, patients.copy(), random_state=0).evaluate(target_column="condition")

    assert with_holdout.utility["holdout_used"] is True
    assert with_holdout.utility["targets"][0]["test_rows"] == 500
    assert not any("No holdout" in text for text in with_holdout.warnings)
    assert without.utility["holdout_used"] is False
    assert any("No holdout" in text for text in without.warnings)


def test_identifier_columns_are_skipped():
    real = patient_table(300, random_state=1)

    report = QualityEvaluator(real, real.copy(), random_state=0).evaluate(target_column="condition")

    assert "patient_id" not in report.column_scores
    assert "distinct" in report.skipped_columns["patient_id"]


def test_unknown_target_is_rejected(patients):
    evaluator = QualityEvaluator(patients, patients.copy())

    with pytest.raises(ConfigError, match="target_column is 'diagnosis'"):
        evaluator.evaluate(target_column="diagnosis")


def test_invalid_inputs_are_rejected(patients):
    with pytest.raises(InvalidDataError, match="synthetic_data is 'list'"):
        QualityEvaluator(patients, []).evaluate()
    with pytest.raises(InvalidDataError, match="real_data has no rows"):
        QualityEvaluator(patients.iloc[:0], patients).evaluate()
    with pytest.raises(ConfigError, match="k is 0"):
        QualityEvaluator(patients, patients, k=0).evaluate()
    with pytest.raises(ConfigError, match="random_state is -1"):
        QualityEvaluator(patients, patients, random_state=-1).evaluate()
    with pytest.raises(InvalidDataError, match="share no column"):
        QualityEvaluator(patients[["age"]], patients[["gender"]]).evaluate()


def test_text_and_html_name_the_scores(self_report):
    text = str(self_report)
    page = self_report._repr_html_()

    assert "Statistical fidelity:     100.0%" in text
    assert "tested on held-out real rows the generator saw" in text
    assert "<table>" in page
    assert "Detection AUC" in page


def test_report_class_is_exported():
    assert QualityReport is ReportClass


@pytest.mark.slow
def test_generalized_release_compared_at_its_levels():
    data = patient_table(3_000, random_state=8).drop(columns="patient_id")
    generator = SyntheticGenerator(
        method="gaussian_copula",
        random_state=0,
        privacy={"k_anonymity": {"k": 5, "quasi_identifiers": ["age", "gender", "zip_code"]}},
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        generator.fit(data, discrete_columns=list(PATIENT_DISCRETE_COLUMNS))
    synthetic = generator.generate(n_samples=2_000)

    report = QualityEvaluator(data, synthetic, random_state=0).evaluate(target_column="condition")

    assert set(report.generalized_columns) == {"age", "gender", "zip_code"}
    assert report.column_scores["age"]["kind"] == "categorical"
    assert report.column_scores["age"]["score"] > 0.9
    assert report.column_scores["zip_code"]["score"] > 0.9
    assert report.utility["holdout_used"] is True
    assert report.utility["holdout_source"] == "kept in memory by SyntheticGenerator.fit"
    assert report.k == 5
    assert not math.isnan(report.overall_score)


def test_every_column_kind_with_missing_values(mixed_table):
    synthetic = mixed_table.sample(frac=1.0, random_state=1).reset_index(drop=True)

    report = QualityEvaluator(mixed_table, synthetic, k=2, random_state=0).evaluate(
        target_column="blood_type"
    )

    kinds = {name: entry["kind"] for name, entry in report.column_scores.items()}
    assert kinds["admitted"] == "datetime"
    assert kinds["visits"] == "numeric"
    assert kinds["smoker"] == "categorical"
    assert report.column_scores["weight"]["missing_share_real"] == pytest.approx(1 / 40)
    assert report.fidelity_score == pytest.approx(1.0)
    assert "Column distributions" in report.figures_svg()


@pytest.mark.datasets
@pytest.mark.slow
def test_adult_against_shuffled_copy():
    path = SHARED_DATASETS / "adult.csv"
    if not path.is_file():
        pytest.skip(f"shared dataset adult.csv not found at {path}")
    real = pd.read_csv(path, keep_default_na=False)

    report = QualityEvaluator(real, shuffled_copy(real, 3), random_state=0).evaluate(target_column="income")

    assert report.fidelity_score == pytest.approx(1.0)
    assert report.correlation_score < 0.8
    assert report.utility["targets"][0]["task"] == "classification"
    assert report.utility_score < 0.7
