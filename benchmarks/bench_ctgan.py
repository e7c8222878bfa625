"""Benchmark genesis's generators against SDV's `ctgan` 0.12.1 in one run.

For each dataset, method and seed this script starts one fresh process (see
`fit_runner.py`) that fits, samples as many rows as the real table has, and
reports wall-clock fit seconds, CPU seconds, peak RSS and sampling speed.
The parent process then scores each synthetic table with
`marginals.marginal_tvd` against the real table, so every tool is scored by
the same code under the same pandas.

Environments: genesis runs in the interpreter that runs this script, from a
copy of this repository's `src/` taken when the run starts and put on
PYTHONPATH. So the benchmark measures the working tree as it was then. That
interpreter needs genesis's dependencies and torch, as `/work/venv` has. SDV's `ctgan` runs in
its own venv, `benchmarks/.venvs/sdv-ctgan`, which this script creates on
first use and reuses afterwards.

    python benchmarks/bench_ctgan.py --quick           # checks the harness, about a minute
    python benchmarks/bench_ctgan.py --threads 1       # the full run, see README.md for times
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

BENCH_DIR = Path(__file__).resolve().parent
REPO_SRC = BENCH_DIR.parent / "src"
sys.path.insert(0, str(REPO_SRC))

import bench_report  # noqa: E402
import marginals  # noqa: E402
import peer_venvs  # noqa: E402
from fit_runner import read_table  # noqa: E402

logger = logging.getLogger("bench_ctgan")

ADULT_CSV = Path("/work/shared/datasets/adult.csv")
BATCH_SIZE = 500
QUICK_EPOCHS = 1
QUICK_ROWS = 2_000
# The patient table's own default seed is 42, so fresh draws use seeds far from it.
FRESH_DRAW_SEED_OFFSET = 1_000


@dataclass(frozen=True)
class Dataset:
    """A real table to benchmark on, and how long the CTGANs train on it."""

    name: str
    load: Callable[[], pd.DataFrame]
    discrete_columns: Callable[[pd.DataFrame], list[str]]
    epochs: int
    """CTGAN epochs for both tools on this table."""
    fresh_draw: Callable[[int], pd.DataFrame] | None = None
    """Draws a new table from the process that made the real one, given a seed; None when unknown."""


def _load_patients() -> pd.DataFrame:
    from genesis.datasets import patient_table

    return patient_table().drop(columns="patient_id")


def _fresh_patients(seed: int) -> pd.DataFrame:
    from genesis.datasets import patient_table

    return patient_table(random_state=FRESH_DRAW_SEED_OFFSET + seed).drop(columns="patient_id")


def _patient_discrete(_: pd.DataFrame) -> list[str]:
    from genesis.datasets import PATIENT_DISCRETE_COLUMNS

    return list(PATIENT_DISCRETE_COLUMNS)


def _text_columns(data: pd.DataFrame) -> list[str]:
    return [name for name in data.columns if not pd.api.types.is_numeric_dtype(data[name].dtype)]


DATASETS = {
    "patients": Dataset("patients", _load_patients, _patient_discrete, epochs=300,
                        fresh_draw=_fresh_patients),
    # 100 epochs rather than 300 keep one SDV fit on Adult's 32,561 rows near
    # 7 minutes on one thread, at 4.2 s per epoch measured on a 2-core AMD EPYC.
    # Both tools get the same count.
    "adult": Dataset("adult", lambda: pd.read_csv(ADULT_CSV), _text_columns, epochs=100),
}


@dataclass(frozen=True)
class Method:
    """A way to produce a synthetic table: a fit in a child process, or a reference computed here."""

    name: str
    tool: str
    """"genesis", "sdv", or "reference" for baselines computed in this process."""
    model: str
    venv: str | None = None


METHODS = {
    "genesis-ctgan": Method("genesis-ctgan", "genesis", "ctgan"),
    "sdv-ctgan": Method("sdv-ctgan", "sdv", "ctgan", venv="sdv-ctgan"),
    "genesis-gaussian-copula": Method("genesis-gaussian-copula", "genesis", "gaussian_copula"),
    "independent-marginals": Method("independent-marginals", "reference", "independent"),
    "fresh-draw": Method("fresh-draw", "reference", "fresh_draw"),
}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", default="patients,adult",
                        help=f"comma-separated datasets, from {sorted(DATASETS)} (default: both)")
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated integer seeds (default: 0,1,2)")
    parser.add_argument("--methods", default=",".join(METHODS),
                        help=f"comma-separated methods, from {list(METHODS)} (default: all)")
    parser.add_argument("--threads", type=int, choices=(1, 2), default=1,
                        help="torch (and BLAS) threads in every fit process (default: 1)")
    parser.add_argument("--quick", action="store_true",
                        help=f"train {QUICK_EPOCHS} epoch on the first {QUICK_ROWS} rows of each "
                             "table, to check the harness")
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "out",
                        help="folder for the JSON, Markdown, logs and synthetic CSVs "
                             "(default: benchmarks/out)")
    parser.add_argument("--timeout-minutes", type=float, default=90.0,
                        help="wall-clock limit for one fit and sample, in minutes (default: 90)")
    args = parser.parse_args(argv)

    args.datasets = _split_choices(parser, "--datasets", args.datasets, DATASETS)
    args.methods = _split_choices(parser, "--methods", args.methods, METHODS)
    try:
        args.seeds = [int(seed) for seed in args.seeds.split(",")]
    except ValueError:
        parser.error(f"--seeds is {args.seeds!r}, but it must be comma-separated integers such as 0,1,2.")
    return args


def _split_choices(parser: argparse.ArgumentParser, option: str, value: str, known: dict) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        parser.error(f"{option} is {value!r}, but each name must be one of {list(known)}.")
    return names


def prepare_real_table(dataset: Dataset, quick: bool, data_dir: Path) -> tuple[Path, pd.DataFrame, list[str]]:
    """Write the real table to CSV and read it back, so that every tool and the scorer see the same values."""
    data = dataset.load()
    if quick:
        data = data.head(QUICK_ROWS)
    discrete = dataset.discrete_columns(data)

    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / f"{dataset.name}.csv"
    data.to_csv(path, index=False)
    return path, read_table(str(path), discrete), discrete


def method_config(method: Method, epochs: int, threads: int) -> dict[str, Any]:
    """Return the generator config for a method, with the same epochs and batch size for both CTGANs."""
    if method.model == "ctgan" and method.tool == "genesis":
        return {"epochs": epochs, "batch_size": BATCH_SIZE, "torch_threads": threads}
    if method.model == "ctgan":
        return {"epochs": epochs, "batch_size": BATCH_SIZE}
    return {}


def snapshot_source(out: Path) -> Path:
    """Copy genesis's `src/` into `out`, so that edits made during a long run leave the run unchanged."""
    snapshot = out / "genesis-src"
    shutil.rmtree(snapshot, ignore_errors=True)
    shutil.copytree(REPO_SRC, snapshot, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    return snapshot


def child_environment(method: Method, threads: int, genesis_src: Path) -> dict[str, str]:
    """Return the environment of a fit process: thread limits, and genesis's src only where genesis runs."""
    env = dict(os.environ)
    # LOKY_MAX_CPU_COUNT caps joblib: SDV's DataTransformer.transform runs
    # joblib.Parallel(n_jobs=-1), whose worker processes would otherwise use
    # every core and escape this process's CPU and RSS accounting.
    for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "LOKY_MAX_CPU_COUNT"):
        env[variable] = str(threads)
    env.pop("PYTHONPATH", None)
    if method.tool == "genesis":
        env["PYTHONPATH"] = str(genesis_src)
    env["PYTHONNOUSERSITE"] = "1"
    return env


def run_in_child(job: dict[str, Any], python: Path, env: dict[str, str], run_dir: Path,
                 timeout_seconds: float) -> dict[str, Any]:
    """Run `fit_runner.py` on one job in a fresh process; return its measurements or the failure."""
    run_id = job["run_id"]
    job_path = run_dir / f"{run_id}.job.json"
    result_path = run_dir / f"{run_id}.result.json"
    log_path = run_dir / f"{run_id}.log"
    run_dir.mkdir(parents=True, exist_ok=True)
    job_path.write_text(json.dumps(job, indent=2))
    result_path.unlink(missing_ok=True)
    command = [str(python), str(BENCH_DIR / "fit_runner.py"), str(job_path), str(result_path)]

    try:
        with log_path.open("w") as log:
            completed = subprocess.run(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                                       timeout=timeout_seconds, check=False)
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "error": f"no result after {timeout_seconds:.0f} s; log: {log_path}"}

    if completed.returncode != 0 or not result_path.exists():
        tail = log_path.read_text().strip().splitlines()[-15:]
        return {"status": "failed", "error": f"exit code {completed.returncode}; log: {log_path}\n"
                                             + "\n".join(tail)}
    return {"status": "ok", **json.loads(result_path.read_text())}


def reference_table(method: Method, dataset: Dataset, real: pd.DataFrame, seed: int) -> pd.DataFrame | None:
    """Return a reference synthetic table, or None when the dataset has no such reference."""
    if method.model == "independent":
        # Each column resampled with replacement on its own: exact 1-way
        # marginals up to sampling noise, and no dependence between columns.
        rng = np.random.default_rng(seed)
        columns = {name: rng.choice(real[name].to_numpy(), size=len(real)) for name in real.columns}
        return pd.DataFrame(columns)
    if dataset.fresh_draw is None:
        return None
    return dataset.fresh_draw(seed).head(len(real))


def score(real: pd.DataFrame, synthetic_csv: Path, discrete: list[str]) -> dict[str, Any]:
    """Score a synthetic CSV against the real table; report missing columns as a failure."""
    synthetic = read_table(str(synthetic_csv), discrete)
    missing = [name for name in real.columns if name not in synthetic.columns]
    if missing:
        return {"status": "failed", "error": f"synthetic table lacks columns {missing}"}
    return marginals.marginal_tvd(real, synthetic[list(real.columns)])


def run_one(method: Method, dataset: Dataset, seed: int, context: dict[str, Any]) -> dict[str, Any] | None:
    """Produce and score one synthetic table; return the run record, or None when it does not apply."""
    real, discrete, threads = context["real"], context["discrete"], context["threads"]
    out = context["out"]
    run_id = f"{dataset.name}__{method.name}__seed{seed}__t{threads}"
    synthetic_csv = out / "synthetic" / f"{run_id}.csv"
    synthetic_csv.parent.mkdir(parents=True, exist_ok=True)
    record: dict[str, Any] = {
        "run_id": run_id, "dataset": dataset.name, "method": method.name, "tool": method.tool,
        "seed": seed, "threads": threads, "n_real_rows": len(real),
        "load_average_before": os.getloadavg(),
    }

    if method.tool == "reference":
        start = time.perf_counter()
        table = reference_table(method, dataset, real, seed)
        if table is None:
            return None
        table.to_csv(synthetic_csv, index=False)
        record.update(status="ok", make_seconds=time.perf_counter() - start)
    else:
        config = method_config(method, context["epochs"], threads)
        job = {"run_id": run_id, "tool": method.tool, "method": method.model, "config": config,
               "seed": seed, "threads": threads, "data_csv": str(context["data_csv"]),
               "discrete_columns": discrete, "n_samples": len(real), "synthetic_csv": str(synthetic_csv)}
        python = context["pythons"][method.tool]
        record.update(config=config)
        env = child_environment(method, threads, context["genesis_src"])
        record.update(run_in_child(job, python, env, out / "runs", context["timeout_seconds"]))

    record["load_average_after"] = os.getloadavg()
    if record["status"] == "ok":
        record.update(score(real, synthetic_csv, discrete))
    return record


def interpreters(methods: list[Method], out: Path) -> dict[str, Path]:
    """Return the python to run each tool with, creating peer venvs that are missing."""
    pythons = {"genesis": Path(sys.executable)}
    for method in methods:
        if method.venv is not None and method.tool not in pythons:
            pythons[method.tool] = peer_venvs.ensure_venv(BENCH_DIR / ".venvs", method.venv, out / "logs")
    return pythons


def save(document: dict[str, Any], out: Path) -> None:
    """Write the JSON of all runs so far and its Markdown rendering."""
    (out / "bench_ctgan.json").write_text(json.dumps(document, indent=2, default=str))
    (out / "bench_ctgan.md").write_text(bench_report.render_markdown(document))


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    args = parse_args(argv)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    methods = [METHODS[name] for name in args.methods]
    document = {
        "command": shlex.join([Path(sys.executable).name, *sys.argv]),
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "settings": {"datasets": args.datasets, "methods": args.methods, "seeds": args.seeds,
                     "threads": args.threads, "quick": args.quick, "batch_size": BATCH_SIZE,
                     "epochs": {}},
        "machine": bench_report.machine_info(),
        "genesis_source": bench_report.source_state(REPO_SRC),
        "runs": [],
    }

    pythons = interpreters(methods, out)
    genesis_src = snapshot_source(out)
    for name in args.datasets:
        dataset = DATASETS[name]
        epochs = QUICK_EPOCHS if args.quick else dataset.epochs
        document["settings"]["epochs"][name] = epochs
        data_csv, real, discrete = prepare_real_table(dataset, args.quick, out / "data")
        context = {"real": real, "discrete": discrete, "threads": args.threads, "epochs": epochs,
                   "data_csv": data_csv, "out": out, "pythons": pythons, "genesis_src": genesis_src,
                   "timeout_seconds": args.timeout_minutes * 60}

        # Seed by seed rather than method by method, so that a run cut short
        # still has genesis and SDV fits with the same seeds to compare.
        for seed in args.seeds:
            for method in methods:
                logger.info("Running %s on %s, seed %d", method.name, name, seed)
                record = run_one(method, dataset, seed, context)
                if record is None:
                    continue
                logger.info("  %s", bench_report.one_line(record))
                document["runs"].append(record)
                save(document, out)

    document["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    save(document, out)
    logger.info("Wrote %s and %s", out / "bench_ctgan.json", out / "bench_ctgan.md")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
