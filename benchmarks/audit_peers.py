"""Peer runners for `bench_audit.py`: anonymeter 1.1.0 and SDMetrics 0.32, each run in its own venv.

Run as ``python audit_peers.py anonymeter|sdmetrics SPEC.json``. The spec names
the CSV files of the training, control and synthetic tables and the columns
to use; the runner prints one JSON object with the risks, their intervals
and the wall-clock seconds of each evaluator.
"""

import json
import sys
import time

import pandas as pd

# anonymeter tries up to 10 million predicates by default. On quasi-identifiers with few rare values it
# finds few, and a run took more than 6 minutes, so the benchmark stops after this many attempts.
MAX_ATTEMPTS = 100_000


def read(spec, name):
    return pd.read_csv(spec[name], dtype={c: str for c in spec["categorical"]}, keep_default_na=False)


def run_anonymeter(spec):
    from anonymeter.evaluators import InferenceEvaluator, LinkabilityEvaluator, SinglingOutEvaluator

    train, control, synthetic = read(spec, "training"), read(spec, "control"), read(spec, "synthetic")
    qis, n = spec["quasi_identifiers"], spec["n_attacks"]
    rest = [c for c in train.columns if c not in qis]
    out = {}

    for mode in ("univariate", "multivariate"):
        start = time.perf_counter()
        evaluator = SinglingOutEvaluator(ori=train[qis], syn=synthetic[qis], control=control[qis], n_attacks=n,
                                         n_cols=len(qis), seed=0, max_attempts=MAX_ATTEMPTS)
        evaluator.evaluate(mode=mode)
        risk = evaluator.risk()
        print(f"singling out {mode}: {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
        out[f"singling_out_{mode}"] = {"value": risk.value, "ci": list(risk.ci),
                                       "queries": len(evaluator.queries()), "seconds": time.perf_counter() - start}

    start = time.perf_counter()
    evaluator = LinkabilityEvaluator(ori=train, syn=synthetic, control=control, aux_cols=(qis, rest), n_attacks=n,
                                     n_neighbors=1)
    evaluator.evaluate(n_jobs=1)
    risk = evaluator.risk()
    out["linkability"] = {"value": risk.value, "ci": list(risk.ci), "seconds": time.perf_counter() - start}

    for secret in spec["secrets"]:
        start = time.perf_counter()
        aux = [c for c in train.columns if c != secret]
        evaluator = InferenceEvaluator(ori=train, syn=synthetic, control=control, aux_cols=aux, secret=secret,
                                       regression=secret not in spec["categorical"], n_attacks=n)
        evaluator.evaluate(n_jobs=1)
        risk = evaluator.risk()
        out[f"inference_{secret}"] = {"value": risk.value, "ci": list(risk.ci), "seconds": time.perf_counter() - start}
    return out


def run_sdmetrics(spec):
    from sdmetrics.single_table import DCRBaselineProtection, DCROverfittingProtection

    train, control, synthetic = read(spec, "training"), read(spec, "control"), read(spec, "synthetic")
    metadata = {"columns": {c: {"sdtype": "categorical" if c in spec["categorical"] else "numerical"}
                            for c in train.columns}}
    start = time.perf_counter()
    overfitting = DCROverfittingProtection.compute_breakdown(train, synthetic, control, metadata, None,
                                                              num_rows_subsample=len(control))
    baseline = DCRBaselineProtection.compute_breakdown(train, synthetic, metadata, None)
    return {"overfitting": overfitting, "baseline": baseline, "seconds": time.perf_counter() - start}


if __name__ == "__main__":
    tool, path = sys.argv[1], sys.argv[2]
    with open(path) as handle:
        spec = json.load(handle)
    result = run_anonymeter(spec) if tool == "anonymeter" else run_sdmetrics(spec)
    print(json.dumps(result, default=float))
