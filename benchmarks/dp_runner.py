"""Fit one differentially private synthesizer, sample from it and time both, in a fresh process.

`bench_dp.py` starts this script once per run, with the interpreter of the
tool under test: genesis's environment, or the smartnoise-synth venv. It reads
a job file and writes a result file, both JSON:

    python dp_runner.py JOB.json RESULT.json

It depends only on the standard library, numpy, pandas, `fit_runner.py` and
the tool under test, because it also runs inside the smartnoise-synth venv.
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from fit_runner import cpu_seconds, peak_rss_mib, read_table


class MethodNotAvailable(Exception):
    """The tool under test rejected the method itself, e.g. genesis raising NotSupportedError."""


def fit_genesis(job: dict[str, Any], data: pd.DataFrame) -> tuple[Any, dict[str, Any]]:
    """Fit genesis's `SyntheticGenerator` under DP; return a sampler and the privacy it spent."""
    from genesis import SyntheticGenerator
    from genesis.errors import NotSupportedError

    generator = SyntheticGenerator(
        method=job["model"],
        privacy={"differential_privacy": {"epsilon": job["epsilon"], "delta": job["delta"]}},
        config=job["config"],
        random_state=job["seed"],
    )
    try:
        generator.fit(data, discrete_columns=job["discrete_columns"], column_kinds=job["column_kinds"],
                      public_domain=job["public_domain"])
    except NotSupportedError as error:
        raise MethodNotAvailable(str(error)) from error

    spent = generator.privacy_spent
    facts = {"epsilon_spent": spent.epsilon, "delta_spent": spent.delta,
             "n_ledger_events": len(spent.events)}
    return (lambda n: generator.generate(n_samples=n)), facts


def fit_smartnoise(job: dict[str, Any], data: pd.DataFrame) -> tuple[Any, dict[str, Any]]:
    """Fit smartnoise-synth's MST or AIM with public numeric bounds; return a sampler and facts.

    Each numeric column gets a `BinTransformer` with the public bounds, so its
    preprocessing spends no budget (`preprocessor_eps=0.0` would raise if a
    transformer still needed epsilon). Discrete columns get smartnoise's own
    `LabelTransformer`, which reads the categories from the data without noise,
    as every tool in this benchmark is given them as public.
    """
    from snsynth import Synthesizer
    from snsynth.transform import BinTransformer

    # smartnoise-synth 1.0.8 takes no seed: MST's and AIM's noise and sampling
    # draw from numpy's global generator, so seeding it is the only way to
    # repeat a run. This process runs nothing else.
    np.random.seed(job["seed"])
    bins = job["smartnoise_bins"]
    constraints = {
        name: BinTransformer(bins=bins, lower=bounds["lower"], upper=bounds["upper"])
        for name, bounds in job["public_domain"].items()
        if "lower" in bounds
    }
    synthesizer = Synthesizer.create(job["model"], epsilon=job["epsilon"], delta=job["delta"])
    synthesizer.fit(data, transformer=constraints, categorical_columns=job["discrete_columns"],
                    preprocessor_eps=0.0)

    # snsynth subtracts any preprocessing spend from `epsilon`; an unchanged
    # value shows that the bounds cost nothing.
    facts = {"epsilon_left_for_training": synthesizer.epsilon}
    return synthesizer.sample, facts


FITTERS = {"genesis": fit_genesis, "smartnoise": fit_smartnoise}


def uniform_within_bins(synthetic: pd.DataFrame, job: dict[str, Any]) -> pd.DataFrame:
    """Replace each numeric bin midpoint by a uniform draw inside its bin.

    smartnoise's `BinTransformer` decodes every value to the midpoint of its
    bin. Drawing inside the bin instead is post-processing of the DP output,
    so it costs no budget. It separates the quality of the model from that of
    the decoding.
    """
    rng = np.random.default_rng(job["seed"])
    redrawn = synthetic.copy()
    for name, bounds in job["public_domain"].items():
        if "lower" not in bounds:
            continue
        width = (bounds["upper"] - bounds["lower"]) / job["smartnoise_bins"]
        midpoints = pd.to_numeric(redrawn[name], errors="coerce").to_numpy(dtype=float)
        jitter = rng.uniform(-width / 2, width / 2, size=len(midpoints))
        redrawn[name] = np.clip(midpoints + jitter, bounds["lower"], bounds["upper"])
    return redrawn


def library_versions(tool: str) -> dict[str, str]:
    """Return the installed versions of the libraries that the tool runs on."""
    versions = {"python": sys.version.split()[0], "numpy": np.__version__, "pandas": pd.__version__}
    if tool == "genesis":
        modules = {"genesis": "genesis", "torch": "torch"}
    else:
        modules = {"smartnoise-synth": "snsynth", "mbi": "mbi", "jax": "jax", "torch": "torch",
                   "opacus": "opacus"}
    for label, module in modules.items():
        try:
            versions[label] = _distribution_version(label, module)
        except ImportError:
            versions[label] = "not installed"
    return versions


def _distribution_version(distribution: str, module: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(distribution if distribution != "genesis" else "genesis-synth")
    except metadata.PackageNotFoundError:
        return getattr(__import__(module), "__version__", "unknown")


def run(job: dict[str, Any]) -> dict[str, Any]:
    """Fit, time, sample and write the synthetic table; return the measurements."""
    fit = FITTERS[job["tool"]]
    data = read_table(job["data_csv"], job["discrete_columns"])
    rss_before_fit = peak_rss_mib()

    start, cpu_start = time.perf_counter(), cpu_seconds()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            sample, facts = fit(job, data)
        except MethodNotAvailable as error:
            return {"status": "not_available", "error": str(error), "versions": library_versions(job["tool"])}
    fit_seconds = time.perf_counter() - start
    fit_cpu_seconds = cpu_seconds() - cpu_start
    rss_after_fit = peak_rss_mib()

    start = time.perf_counter()
    synthetic = pd.DataFrame(sample(job["n_samples"]))
    sample_seconds = time.perf_counter() - start

    synthetic.to_csv(job["synthetic_csv"], index=False)
    if job.get("uniform_within_bins_csv"):
        uniform_within_bins(synthetic, job).to_csv(job["uniform_within_bins_csv"], index=False)
    return {
        "status": "ok",
        "fit_seconds": fit_seconds,
        "fit_cpu_seconds": fit_cpu_seconds,
        "sample_seconds": sample_seconds,
        "n_synthetic_rows": len(synthetic),
        "peak_rss_before_fit_mib": rss_before_fit,
        "peak_rss_fit_mib": rss_after_fit,
        **facts,
        "fit_warnings": sorted({f"{w.category.__name__}: {w.message}" for w in caught}),
        "versions": library_versions(job["tool"]),
    }


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        sys.stderr.write("usage: dp_runner.py JOB.json RESULT.json\n")
        return 2
    job = json.loads(Path(argv[1]).read_text())

    result = run(job)

    Path(argv[2]).write_text(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
