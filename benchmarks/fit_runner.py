"""Fit one generator, sample from it and time both, inside a fresh process.

`bench_ctgan.py` starts this script once per run, with the interpreter of the
tool under test (genesis's environment or a peer tool's venv), so that the
peak memory of a fit is that of a process that did nothing else. It reads a
job file and writes a result file, both JSON:

    python fit_runner.py JOB.json RESULT.json

It depends only on the standard library, numpy, pandas and the tool under
test, because it runs inside the peer tools' venvs too.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def read_table(path: str, discrete_columns: list[str]) -> pd.DataFrame:
    """Read a benchmark CSV with discrete columns as text and only empty fields as missing.

    pandas' default missing-value markers include "None" and "NA", which are
    real categories here (the patient table's treatment "None"), so they are
    turned off.
    """
    return pd.read_csv(
        path,
        dtype={name: str for name in discrete_columns},
        keep_default_na=False,
        na_values=[""],
    )


def genesis_fitter():
    """Import genesis and return a function that fits its public facade on a job."""
    from genesis import SyntheticGenerator

    def fit(job: dict[str, Any], data: pd.DataFrame):
        generator = SyntheticGenerator(method=job["method"], config=job["config"], random_state=job["seed"])
        generator.fit(data, discrete_columns=job["discrete_columns"])
        return lambda n: generator.generate(n_samples=n)

    return fit


def sdv_ctgan_fitter():
    """Import SDV's `ctgan` package and return a function that fits it on a job."""
    from ctgan import CTGAN

    def fit(job: dict[str, Any], data: pd.DataFrame):
        model = CTGAN(**job["config"])
        model.set_random_state(job["seed"])
        model.fit(data, discrete_columns=job["discrete_columns"])
        return model.sample

    return fit


# Each returns the fit function after importing its tool, so that import time
# is not counted as fit time.
FITTERS = {"genesis": genesis_fitter, "sdv": sdv_ctgan_fitter}


def peak_rss_mib() -> float:
    """Return this process's peak resident set size so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """Return the user plus system CPU time this process has used so far, in seconds."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def library_versions(tool: str) -> dict[str, str]:
    """Return the versions of the libraries that the run used, as importable here."""
    versions = {"python": sys.version.split()[0], "numpy": np.__version__, "pandas": pd.__version__}
    modules = ["torch", "genesis"] if tool == "genesis" else ["torch", "ctgan"]
    for module in modules:
        if module in sys.modules:
            versions[module] = getattr(sys.modules[module], "__version__", "unknown")
    return versions


def run(job: dict[str, Any]) -> dict[str, Any]:
    """Fit, time, sample and write the synthetic table; return the measurements."""
    if job["method"] == "ctgan":
        # Imported before the clock starts for both tools, because genesis may
        # import torch lazily inside fit.
        import torch

        if job["tool"] == "sdv":
            # SDV's CTGAN has no thread option, so the count is set on torch
            # here; genesis gets the same count through its `torch_threads` config.
            torch.set_num_threads(job["threads"])

    fit = FITTERS[job["tool"]]()
    data = read_table(job["data_csv"], job["discrete_columns"])
    rss_before_fit = peak_rss_mib()

    start, cpu_start = time.perf_counter(), cpu_seconds()
    sample = fit(job, data)
    fit_seconds = time.perf_counter() - start
    fit_cpu_seconds = cpu_seconds() - cpu_start
    rss_after_fit = peak_rss_mib()

    start = time.perf_counter()
    synthetic = sample(job["n_samples"])
    sample_seconds = time.perf_counter() - start

    synthetic.to_csv(job["synthetic_csv"], index=False)
    torch_threads = sys.modules["torch"].get_num_threads() if "torch" in sys.modules else None
    return {
        "fit_seconds": fit_seconds,
        "fit_cpu_seconds": fit_cpu_seconds,
        "sample_seconds": sample_seconds,
        "sample_rows_per_second": len(synthetic) / sample_seconds if sample_seconds > 0 else None,
        "n_synthetic_rows": len(synthetic),
        "peak_rss_before_fit_mib": rss_before_fit,
        "peak_rss_fit_mib": rss_after_fit,
        "peak_rss_total_mib": peak_rss_mib(),
        "torch_threads_after_fit": torch_threads,
        "versions": library_versions(job["tool"]),
        "genesis_file": getattr(sys.modules.get("genesis"), "__file__", None),
    }


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        sys.stderr.write("usage: fit_runner.py JOB.json RESULT.json\n")
        return 2
    job = json.loads(Path(argv[1]).read_text())

    result = run(job)

    Path(argv[2]).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
