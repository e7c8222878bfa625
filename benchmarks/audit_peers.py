"""Peer runners for `bench_audit.py`: anonymeter 1.1.0 and SDMetrics 0.32, each run in its own venv.

Run as ``python audit_peers.py anonymeter|sdmetrics SPEC.json``. The spec names
the CSV files of the training, control and synthetic tables and the columns
to use; the runner prints one JSON object with the risks, their intervals
and the wall-clock seconds of each evaluator.
"""

import json
import logging
import re
import sys
import time

import pandas as pd

# anonymeter tries up to 10 million predicates by default. On quasi-identifiers with few rare values it
# finds few, and a run took more than 6 minutes, so the benchmark stops after this many attempts.
MAX_ATTEMPTS = 100_000
# Rows SDMetrics' DCR metrics subsample to on large tables (training, holdout and synthetic alike).
SDMETRICS_ROWS = 2000


def read(spec, name):
    return pd.read_csv(spec[name], dtype={c: str for c in spec["categorical"]}, keep_default_na=False)


def run_anonymeter(spec):
    from anonymeter.evaluators import InferenceEvaluator, LinkabilityEvaluator, SinglingOutEvaluator

    train, control, synthetic = read(spec, "training"), read(spec, "control"), read(spec, "synthetic")
    qis, n = spec["quasi_identifiers"], spec["n_attacks"]
    rest = [c for c in train.columns if c not in qis]
    out = {}

    for mode in ("univariate", "multivariate"):
        counter = QueryCount()
        logging.getLogger("anonymeter").addHandler(counter)
        start = time.perf_counter()
        evaluator = SinglingOutEvaluator(ori=train[qis], syn=synthetic[qis], control=control[qis],
                                         n_attacks=n,
                                         n_cols=len(qis), seed=0, max_attempts=MAX_ATTEMPTS)
        evaluator.evaluate(mode=mode)
        risk = evaluator.risk()
        print(f"singling out {mode}: {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
        logging.getLogger("anonymeter").removeHandler(counter)
        out[f"singling_out_{mode}"] = {"value": risk.value, "ci": list(risk.ci), **rates(evaluator),
                                       "queries_generated": counter.generated if counter.generated is not None
                                       else n,
                                       "successful_queries": len(evaluator.queries()),
                                       "seconds": time.perf_counter() - start}

    if rest:  # with every column a quasi-identifier there is nothing to link to
        start = time.perf_counter()
        evaluator = LinkabilityEvaluator(ori=train, syn=synthetic, control=control, aux_cols=(qis, rest),
                                         n_attacks=n, n_neighbors=1)
        evaluator.evaluate(n_jobs=1)
        risk = evaluator.risk()
        out["linkability"] = {"value": risk.value, "ci": list(risk.ci), **rates(evaluator),
                              "seconds": time.perf_counter() - start}

    for secret in spec["secrets"]:
        start = time.perf_counter()
        aux = [c for c in train.columns if c != secret]
        evaluator = InferenceEvaluator(ori=train, syn=synthetic, control=control, aux_cols=aux, secret=secret,
                                       regression=secret not in spec["categorical"], n_attacks=n)
        evaluator.evaluate(n_jobs=1)
        risk = evaluator.risk()
        out[f"inference_{secret}"] = {"value": risk.value, "ci": list(risk.ci), **rates(evaluator),
                                      "seconds": time.perf_counter() - start}
    return out


def rates(evaluator):
    """Return the counts behind an anonymeter risk and the residual success before it is clipped to [0, 1]."""
    from anonymeter.stats.confidence import residual_success

    results = evaluator.results()
    counts = {"n_attacks": results.n_attacks_ori, "n_success": results.n_success,
              "n_control": results.n_control, "n_baseline": results.n_baseline}
    if results.control_rate is None:
        return counts
    residual = residual_success(results.attack_rate, results.control_rate)
    value, error = residual.value, residual.error
    return {**counts, "unclipped": [value, value - error, value + error]}


class QueryCount(logging.Handler):
    """Keep the number anonymeter gives in its warning 'could generate only N singling out queries'."""

    def __init__(self):
        super().__init__()
        self.generated = None

    def emit(self, record):
        found = re.search(r"generate only (\d+) singling out queries", record.getMessage())
        if found:
            self.generated = int(found.group(1))


def run_sdmetrics(spec):
    from sdmetrics.single_table import DCRBaselineProtection, DCROverfittingProtection

    train, control, synthetic = read(spec, "training"), read(spec, "control"), read(spec, "synthetic")
    metadata = {"columns": {c: {"sdtype": "categorical" if c in spec["categorical"] else "numerical"}
                            for c in train.columns}}
    start = time.perf_counter()
    overfitting = DCROverfittingProtection.compute_breakdown(train, synthetic, control, metadata, None,
                                                              num_rows_subsample=min(len(control),
                                                                                     SDMETRICS_ROWS))
    # SDMetrics builds the full cross join of each chunk pair in pandas, so beyond 20,000 rows the
    # baseline metric is run on subsamples too (its own num_rows_subsample option).
    subsample = None if len(train) <= 20_000 else SDMETRICS_ROWS
    baseline = DCRBaselineProtection.compute_breakdown(train, synthetic, metadata, None,
                                                       num_rows_subsample=subsample)
    return {"overfitting": overfitting, "baseline": baseline, "baseline_subsample": subsample,
            "seconds": time.perf_counter() - start}


if __name__ == "__main__":
    tool, path = sys.argv[1], sys.argv[2]
    with open(path) as handle:
        spec = json.load(handle)
    result = run_anonymeter(spec) if tool == "anonymeter" else run_sdmetrics(spec)
    print(json.dumps(result, default=float))
