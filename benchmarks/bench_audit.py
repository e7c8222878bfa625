"""Benchmark `run_privacy_audit` against anonymeter 1.1.0 and SDMetrics 0.32 on the same inputs.

For each case the real table is split 80/20 into training and control
(holdout) rows. The synthetic table is either a fresh draw from the table's
generating process (patient table only) or a Gaussian copula fitted on the
training rows. genesis, anonymeter's three evaluators and SDMetrics' two DCR
metrics then run on the same three CSV files, each tool in its own process,
and the script prints one JSON line per case with risks, intervals, seconds
and genesis's peak memory (resident set size of its process).

    /work/venv/bin/python benchmarks/bench_audit.py --cases patient-10k-fresh patient-10k-copula
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from peer_venvs import ensure_venv  # noqa: E402

DATASETS = Path("/work/shared/datasets")
PATIENT_QIS = ["age", "gender", "zip_code"]
PEER_TIMEOUT = 1200
PATIENT_SECRETS = ["condition", "treatment", "annual_cost"]
PATIENT_COLUMNS = ["age", "gender", "zip_code", "condition", "treatment", "blood_pressure_systolic",
                   "annual_cost"]


def patient_case(n_rows: int, synthetic: str, qis: list[str] | None = None) -> dict:
    """Return the patient table; `synthetic` is "fresh" (a new draw), "copula" or "mst" (DP, epsilon 1)."""
    from genesis.datasets import patient_table

    real = patient_table(n_rows, random_state=42).drop(columns="patient_id")
    fresh = patient_table(n_rows, random_state=7).drop(columns="patient_id")
    return {"real": real, "fresh": fresh if synthetic == "fresh" else None, "method": synthetic,
            "qis": qis or PATIENT_QIS, "secrets": PATIENT_SECRETS,
            "categorical": ["gender", "zip_code", "condition", "treatment"]}


def csv_case(name: str, synthetic: str = "copula") -> dict:
    """Return Adult or the diabetes table; `synthetic` is "copula" or "disjoint" (real rows in no split)."""
    if name == "adult":
        real = pd.read_csv(DATASETS / "adult.csv", keep_default_na=False, skipinitialspace=True)
        qis = ["age", "sex", "race", "native-country", "marital-status"]
        secrets = ["income", "occupation"]
    else:
        real = pd.read_csv(DATASETS / "diabetic_data.csv", keep_default_na=False)
        real = real.drop(columns=["encounter_id", "patient_nbr"])
        qis = ["age", "gender", "race", "payer_code"]
        secrets = ["readmitted", "num_medications"]
    categorical = [c for c in real.columns if not pd.api.types.is_numeric_dtype(real[c])]
    if synthetic == "disjoint":
        # Real rows of the same population that neither training nor control holds: a "synthetic" table
        # that never saw a training row, so every risk is 0 by construction.
        order = np.random.default_rng(1).permutation(len(real))
        fresh, real = real.iloc[order[:len(real) * 2 // 5]], real.iloc[order[len(real) * 2 // 5:]]
        return {"real": real, "fresh": fresh, "qis": qis, "secrets": secrets, "categorical": categorical}
    return {"real": real, "fresh": None, "qis": qis, "secrets": secrets, "categorical": categorical}


CASES = {
    "patient-10k-fresh": lambda: patient_case(10_000, "fresh"),
    "patient-10k-copula": lambda: patient_case(10_000, "copula"),
    # Every column is a quasi-identifier, so singling out may use annual_cost's unique values.
    "patient-10k-fresh-allqi": lambda: patient_case(10_000, "fresh", qis=PATIENT_COLUMNS),
    "patient-10k-mst": lambda: patient_case(10_000, "mst"),
    "patient-50k-copula": lambda: patient_case(50_000, "copula"),
    "adult-copula": lambda: csv_case("adult"),
    "diabetes-copula": lambda: csv_case("diabetes"),
    "adult-disjoint": lambda: csv_case("adult", "disjoint"),
    "diabetes-disjoint": lambda: csv_case("diabetes", "disjoint"),
}


def write_inputs(case: dict, folder: Path, n_attacks: int) -> Path:
    """Split the real table, make the synthetic one, and write the three CSVs and the spec."""
    from genesis import SyntheticGenerator

    real = case["real"]
    rng = np.random.default_rng(0)
    is_control = np.zeros(len(real), dtype=bool)
    is_control[rng.choice(len(real), len(real) // 5, replace=False)] = True
    training, control = real[~is_control], real[is_control]
    synthetic = case["fresh"]
    if synthetic is None:
        method = case.get("method", "copula")
        model = (SyntheticGenerator(method="mst", privacy={"differential_privacy": {"epsilon": 1.0}},
                                    random_state=0, holdout=0)
                 if method == "mst"
                 else SyntheticGenerator(method="gaussian_copula", random_state=0, holdout=0))
        synthetic = model.fit(training, case["categorical"]).generate(n_samples=len(training))
    spec = {"quasi_identifiers": case["qis"], "secrets": case["secrets"], "categorical": case["categorical"],
            "n_attacks": n_attacks}
    for name, frame in (("training", training), ("control", control), ("synthetic", synthetic)):
        path = folder / f"{name}.csv"
        frame.to_csv(path, index=False)
        spec[name] = str(path)
    spec_path = folder / "spec.json"
    spec_path.write_text(json.dumps(spec))
    return spec_path


def run_genesis(spec_path: Path) -> dict:
    """Run the audit on the CSVs (in this process) and return risks, seconds and peak memory."""
    from genesis import run_privacy_audit

    spec = json.loads(spec_path.read_text())
    read = {name: pd.read_csv(spec[name], dtype={c: str for c in spec["categorical"]}, keep_default_na=False)
            for name in ("training", "control", "synthetic")}
    start = time.perf_counter()
    report = run_privacy_audit(read["training"], read["synthetic"], holdout_data=read["control"],
                               quasi_identifiers=spec["quasi_identifiers"], sensitive_columns=spec["secrets"],
                               n_attacks=spec["n_attacks"], random_state=0)
    seconds = time.perf_counter() - start
    metrics = {name: {"value": m.value, "ci": [m.ci_low, m.ci_high], "n": m.n, "details": m.details}
               for name, m in report.metrics.items()}
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "peak_rss_mib": peak_mib, "verdict": report.verdict, "metrics": metrics}


def run_peer(tool: str, spec_path: Path) -> dict:
    python = ensure_venv(HERE / ".venvs", tool, HERE / "logs")
    start = time.perf_counter()
    try:
        completed = subprocess.run([str(python), str(HERE / "audit_peers.py"), tool, str(spec_path)],
                                   capture_output=True, text=True, check=False, timeout=PEER_TIMEOUT)
    except subprocess.TimeoutExpired:
        return {"error": f"did not finish in {PEER_TIMEOUT} s"}
    if completed.returncode != 0:
        return {"error": completed.stderr[-2000:]}
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    result["process_seconds"] = time.perf_counter() - start
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=["patient-10k-fresh", "patient-10k-copula"],
                        choices=sorted(CASES))
    parser.add_argument("--n-attacks", type=int, default=2000)
    parser.add_argument("--peers", nargs="*", default=["anonymeter", "sdmetrics"])
    parser.add_argument("--genesis-only-spec", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.genesis_only_spec:
        print(json.dumps(run_genesis(Path(args.genesis_only_spec)), default=float))
        return

    for name in args.cases:
        with tempfile.TemporaryDirectory() as folder:
            spec_path = write_inputs(CASES[name](), Path(folder), args.n_attacks)
            completed = subprocess.run([sys.executable, __file__, "--genesis-only-spec", str(spec_path)],
                                       capture_output=True, text=True, check=True)
            result = {"case": name, "n_attacks": args.n_attacks,
                      "genesis": json.loads(completed.stdout.strip().splitlines()[-1])}
            for tool in args.peers:
                result[tool] = run_peer(tool, spec_path)
        print(json.dumps(result, default=float), flush=True)


if __name__ == "__main__":
    main()
