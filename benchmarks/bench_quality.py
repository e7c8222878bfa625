"""Compare genesis's QualityEvaluator with SDMetrics 0.32's QualityReport on the same tables.

For each dataset the script makes two synthetic tables: a genesis
`gaussian_copula` fit (default settings, one seed) and an "independent
marginals" copy (every column permuted on its own, so shapes are exact and
pair trends are lost). It writes each real/synthetic pair to CSV, and both
tools read those CSVs with the same rules (`quality_tables.read_table`), so
they score identical values with identical column types.

Reported per pair:

- genesis's `column_shapes_score` and `fidelity_score` against SDMetrics'
  Column Shapes;
- genesis's `correlation_score` (pairs with a real trend) against SDMetrics'
  Column Pair Trends at its QualityReport defaults;
- genesis's `correlation_score_all_pairs` against Column Pair Trends with
  both thresholds at 0;
- wall-clock seconds of a whole genesis `evaluate()` (shapes, pairs,
  utility, detection) and of genesis's shapes and pairs alone, against
  SDMetrics' QualityReport.generate (shapes and pairs only).

SDMetrics runs in `benchmarks/.venvs/sdmetrics` (sdmetrics==0.32.0), created
on first use and reused afterwards.

    python benchmarks/bench_quality.py                       # patients, adult, diabetes
    python benchmarks/bench_quality.py --datasets patients   # one table
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent / "src"))

import bench_report  # noqa: E402
import peer_venvs  # noqa: E402
from quality_tables import read_table  # noqa: E402

from genesis import QualityEvaluator, SyntheticGenerator  # noqa: E402
from genesis.datasets import PATIENT_DISCRETE_COLUMNS, patient_table  # noqa: E402
from genesis.evaluation.quality_columns import column_result, prepare_column  # noqa: E402
from genesis.evaluation.quality_pairs import pair_results  # noqa: E402

logger = logging.getLogger("bench_quality")

SHARED = Path("/work/shared/datasets")
TEST_DATA = BENCH_DIR.parent / "tests" / "data"
SDMETRICS_VENV = "sdmetrics"
SDMETRICS_REQUIREMENTS = ("sdmetrics==0.32.0",)
AGREEMENT_TOLERANCE = 0.02


@dataclass(frozen=True)
class Dataset:
    name: str
    load: Callable[[], pd.DataFrame]
    discrete_columns: tuple[str, ...]


def _read_csv(path: Path, drop: tuple[str, ...] = ()) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=False).drop(columns=list(drop))


def _adult() -> pd.DataFrame:
    path = SHARED / "adult.csv"
    return _read_csv(path if path.is_file() else TEST_DATA / "adult_sample.csv")


def _diabetes() -> pd.DataFrame:
    path = SHARED / "diabetic_data.csv"
    return _read_csv(
        path if path.is_file() else TEST_DATA / "diabetes_sample.csv", drop=("encounter_id", "patient_nbr")
    )


DATASETS = {
    "patients": Dataset(
        "patients", lambda: patient_table().drop(columns="patient_id"), tuple(PATIENT_DISCRETE_COLUMNS)
    ),
    "adult": Dataset("adult", _adult, ()),
    "diabetes": Dataset(
        "diabetes", _diabetes, ("admission_type_id", "discharge_disposition_id", "admission_source_id")
    ),
}


def synthesize(dataset: Dataset, real: pd.DataFrame, seed: int) -> dict[str, pd.DataFrame]:
    """Return the two synthetic tables of one dataset, keyed by method name."""
    generator = SyntheticGenerator(method="gaussian_copula", random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        generator.fit(real, discrete_columns=list(dataset.discrete_columns))
    copula = generator.generate(n_samples=len(real))

    rng = np.random.default_rng(seed)
    marginals = pd.DataFrame(
        {name: real[name].to_numpy()[rng.permutation(len(real))] for name in real.columns}
    )
    return {"genesis-gaussian-copula": copula, "independent-marginals": marginals}


def kinds_of(frame: pd.DataFrame, discrete: tuple[str, ...]) -> dict[str, str]:
    """Return each column's kind: numbers unless listed as discrete, text otherwise."""
    return {
        name: "numeric"
        if pd.api.types.is_numeric_dtype(frame[name]) and name not in discrete
        else "categorical"
        for name in frame.columns
    }


def run_pair(
    dataset: Dataset,
    method: str,
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    sdmetrics_python: Path,
    out: Path,
    seed: int,
) -> dict:
    """Score one pair with both tools and return the row of the results table."""
    folder = out / dataset.name / method
    folder.mkdir(parents=True, exist_ok=True)
    real_path, synthetic_path = folder / "real.csv", folder / "synthetic.csv"
    real.to_csv(real_path, index=False)
    synthetic.to_csv(synthetic_path, index=False)

    kinds = kinds_of(real, dataset.discrete_columns)
    real_read = read_table(real_path, kinds)
    synthetic_read = read_table(synthetic_path, kinds)
    categorical = [name for name, kind in kinds.items() if kind == "categorical"]

    start = time.perf_counter()
    report = QualityEvaluator(
        real_read, synthetic_read, discrete_columns=categorical, random_state=seed
    ).evaluate()
    genesis_seconds = time.perf_counter() - start
    start = time.perf_counter()
    report.figures_svg()
    figure_seconds = time.perf_counter() - start
    shapes_and_pairs_seconds = time_shapes_and_pairs(real_read, synthetic_read, report.column_scores)

    scored = {name: kinds[name] for name in report.column_scores}
    job = folder / "sdmetrics_job.json"
    job.write_text(
        json.dumps({"real": str(real_path), "synthetic": str(synthetic_path), "kinds": scored, "seed": seed})
    )
    completed = subprocess.run(
        [str(sdmetrics_python), str(BENCH_DIR / "sdmetrics_quality_runner.py"), str(job)],
        capture_output=True,
        text=True,
        check=True,
        cwd=BENCH_DIR,
    )
    peer = json.loads(completed.stdout.strip().splitlines()[-1])

    return {
        "dataset": dataset.name,
        "method": method,
        "rows": len(real),
        "columns": len(scored),
        "skipped": report.skipped_columns,
        "genesis": {
            "column_shapes": report.column_shapes_score,
            "fidelity": report.fidelity_score,
            "pair_trends": report.correlation_score,
            "pair_trends_all": report.correlation_score_all_pairs,
            "correlation_basis": report.correlation_basis,
            "utility": report.utility_score,
            "utility_targets": [entry["target"] for entry in report.utility["targets"]],
            "detection_auc": report.detection_auc,
            "overall": report.overall_score,
            "seconds": genesis_seconds,
            "figure_seconds": figure_seconds,
            "shapes_and_pairs_seconds": shapes_and_pairs_seconds,
        },
        "sdmetrics": peer,
    }


def time_shapes_and_pairs(real: pd.DataFrame, synthetic: pd.DataFrame, column_scores: dict) -> float:
    """Return genesis's seconds for what SDMetrics' QualityReport computes: column shapes and pair trends."""
    start = time.perf_counter()
    columns = [
        prepare_column(name, entry["kind"], real[name], synthetic[name])
        for name, entry in column_scores.items()
    ]
    for column in columns:
        column_result(column)
    pair_results(columns)
    return time.perf_counter() - start


def render(rows: list[dict]) -> str:
    lines = [
        "| table | synthetic | rows x cols | shapes genesis / SDMetrics "
        "| pair trends (real trend) genesis / SDMetrics "
        "| pair trends (all pairs) genesis / SDMetrics | genesis fidelity | utility | detection AUC "
        "| seconds genesis all / genesis shapes+pairs / SDMetrics |",
        "|---|---|---|---|---|---|---:|---:|---:|---|",
    ]
    for row in rows:
        ours, theirs = row["genesis"], row["sdmetrics"]
        lines.append(
            f"| {row['dataset']} | {row['method']} | {row['rows']:,} x {row['columns']} "
            f"| {ours['column_shapes']:.4f} / {theirs['column_shapes']:.4f} "
            f"| {ours['pair_trends']:.4f} / {theirs['column_pair_trends']:.4f} "
            f"| {ours['pair_trends_all']:.4f} / {theirs['column_pair_trends_all_pairs']:.4f} "
            f"| {ours['fidelity']:.4f} | {ours['utility']:.3f} | {ours['detection_auc']:.3f} "
            f"| {ours['seconds']:.1f} / {ours['shapes_and_pairs_seconds']:.1f} / {theirs['seconds']:.1f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--datasets",
        default="patients,adult,diabetes",
        help="comma-separated names from: " + ", ".join(DATASETS),
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the generator, the shuffles and the evaluator"
    )
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "out" / "quality", help="output folder")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    peer_venvs.PEER_REQUIREMENTS[SDMETRICS_VENV] = SDMETRICS_REQUIREMENTS
    sdmetrics_python = peer_venvs.ensure_venv(BENCH_DIR / ".venvs", SDMETRICS_VENV, args.out / "logs")

    document = {"machine": bench_report.machine_info(), "rows": []}
    for name in args.datasets.split(","):
        dataset = DATASETS[name]
        real = dataset.load()
        logger.info("%s: %d rows x %d columns; fitting gaussian_copula", name, *real.shape)
        for method, synthetic in synthesize(dataset, real, args.seed).items():
            logger.info("%s / %s: scoring", name, method)
            document["rows"].append(
                run_pair(dataset, method, real, synthetic, sdmetrics_python, args.out, args.seed)
            )
            (args.out / "bench_quality.json").write_text(json.dumps(document, indent=2, default=str))

    document["machine"]["load_average_at_end"] = os.getloadavg()
    (args.out / "bench_quality.json").write_text(json.dumps(document, indent=2, default=str))
    table = render(document["rows"])
    (args.out / "bench_quality.md").write_text(table + "\n")
    print(table)  # noqa: T201
    worst = max(
        abs(row["genesis"][ours] - row["sdmetrics"][theirs])
        for row in document["rows"]
        for ours, theirs in (
            ("column_shapes", "column_shapes"),
            ("pair_trends", "column_pair_trends"),
            ("pair_trends_all", "column_pair_trends_all_pairs"),
        )
    )
    print(f"largest difference from SDMetrics: {worst:.4f} (tolerance {AGREEMENT_TOLERANCE})")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
