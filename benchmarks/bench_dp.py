"""Benchmark genesis's differentially private generators against smartnoise-synth 1.0.8 in one run.

Every DP method runs at the same (epsilon, delta). For each dataset, seed and
method one fresh process (see `dp_runner.py`) fits, samples as many rows as
the real table has, and reports wall-clock and CPU fit seconds, peak RSS and,
for genesis, the privacy its ledger spent. This process then scores each
synthetic table against the real one with `marginals.marginal_tvd` and with
Cramér's V of chosen column pairs, so every tool is scored by the same code.

Bounds of numeric columns and categories of discrete columns are read from
the real table and given to every tool as public metadata, except in the
`genesis-mst-dp-bounds` run, which learns them under DP from its own budget.

Environments: genesis runs in the interpreter that runs this script, from a
copy of this repository's `src/` taken when the run starts. smartnoise-synth
runs in `benchmarks/.venvs/smartnoise`, created on first use (torch 2.13.0
CPU first, then smartnoise-synth 1.0.8) and reused afterwards.

    python benchmarks/bench_dp.py --quick        # checks the harness on 2,000 rows per table
    python benchmarks/bench_dp.py                # the full run, see README.md for times
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

BENCH_DIR = Path(__file__).resolve().parent
REPO_SRC = BENCH_DIR.parent / "src"
sys.path.insert(0, str(REPO_SRC))

import bench_report  # noqa: E402
import dp_report  # noqa: E402
import marginals  # noqa: E402
import peer_venvs  # noqa: E402
from fit_runner import read_table  # noqa: E402

logger = logging.getLogger("bench_dp")

EPSILON = 1.0
DELTA = 1e-5
ADULT_CSV = Path("/work/shared/datasets/adult.csv")
QUICK_ROWS = 2_000
# The patient table's own default seed is 42, so fresh draws use seeds far from it.
FRESH_DRAW_SEED_OFFSET = 1_000
# BinTransformer's own default bin count in smartnoise-synth 1.0.8, which is
# what its `continuous_columns` hint would build.
SMARTNOISE_BINS = 10

# torch 2.13.0 goes in first because its CPU wheel is on local disk.
# smartnoise-synth 1.0.8 requires opacus 0.14.0, which requires torch>=1.3
# without a pin, so pip would otherwise pull a CUDA build of several GB.
SMARTNOISE_VENV = "smartnoise"
SMARTNOISE_REQUIREMENTS = ("torch==2.13.0", "smartnoise-synth==1.0.8")


@dataclass(frozen=True)
class Dataset:
    """A real table to benchmark on."""

    name: str
    load: Callable[[], pd.DataFrame]
    discrete_columns: Callable[[pd.DataFrame], list[str]]
    association_pairs: tuple[tuple[str, str], ...]
    """Column pairs whose Cramér's V is compared between the real and each synthetic table."""
    genesis_column_kinds: dict[str, str] = field(default_factory=dict)
    """`column_kinds` passed to every genesis fit on this table."""
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
    "patients": Dataset("patients", _load_patients, _patient_discrete,
                        association_pairs=(("gender", "zip_code"), ("condition", "treatment")),
                        fresh_draw=_fresh_patients),
    # Under DP genesis infers column kinds from dtype and name alone, and the
    # name "education-num" matches its identifier pattern (a trailing "num"),
    # so without this override the column is dropped and replaced by counters.
    "adult": Dataset("adult", lambda: pd.read_csv(ADULT_CSV), _text_columns,
                     association_pairs=(("sex", "relationship"), ("race", "native-country")),
                     genesis_column_kinds={"education-num": "integer"}),
}


@dataclass(frozen=True)
class Method:
    """A way to produce a synthetic table: a fit in a child process, or a reference computed here."""

    name: str
    tool: str
    """"genesis", "smartnoise", or "reference" for baselines computed in this process."""
    model: str
    public_bounds: bool = True
    """Whether the fit receives the public bounds and categories; False learns them under DP."""


METHODS = {
    "genesis-mst": Method("genesis-mst", "genesis", "mst"),
    "genesis-mst-dp-bounds": Method("genesis-mst-dp-bounds", "genesis", "mst", public_bounds=False),
    "genesis-dp-ctgan": Method("genesis-dp-ctgan", "genesis", "ctgan"),
    "smartnoise-mst": Method("smartnoise-mst", "smartnoise", "mst"),
    "smartnoise-aim": Method("smartnoise-aim", "smartnoise", "aim"),
    "independent-marginals": Method("independent-marginals", "reference", "independent"),
    "fresh-draw": Method("fresh-draw", "reference", "fresh_draw"),
}

UNIFORM_SUFFIX = "+uniform-in-bin"
"""Suffix of the rows that score smartnoise's samples with values drawn inside their bins."""


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", default="patients,adult",
                        help=f"comma-separated datasets, from {sorted(DATASETS)} (default: both)")
    parser.add_argument("--seeds", default="0,1,2",
                        help="comma-separated integer seeds for genesis and the references (default: 0,1,2)")
    parser.add_argument("--smartnoise-seeds", default="0",
                        help="comma-separated integer seeds for smartnoise-synth (default: 0)")
    parser.add_argument("--methods", default=",".join(METHODS),
                        help=f"comma-separated methods, from {list(METHODS)} (default: all)")
    parser.add_argument("--threads", type=int, choices=(1, 2), default=1,
                        help="BLAS, OpenMP, XLA and torch threads in every fit process (default: 1)")
    parser.add_argument("--quick", action="store_true",
                        help=f"fit on the first {QUICK_ROWS} rows of each table, to check the harness")
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "out" / "dp",
                        help="folder for the JSON, Markdown, logs and synthetic CSVs "
                             "(default: benchmarks/out/dp)")
    parser.add_argument("--timeout-minutes", type=float, default=60.0,
                        help="wall-clock limit for one fit and sample, in minutes (default: 60)")
    args = parser.parse_args(argv)

    args.datasets = _split_choices(parser, "--datasets", args.datasets, DATASETS)
    args.methods = _split_choices(parser, "--methods", args.methods, METHODS)
    args.seeds = _split_seeds(parser, "--seeds", args.seeds)
    args.smartnoise_seeds = _split_seeds(parser, "--smartnoise-seeds", args.smartnoise_seeds)
    return args


def _split_choices(parser: argparse.ArgumentParser, option: str, value: str, known: dict) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        parser.error(f"{option} is {value!r}, but each name must be one of {list(known)}.")
    return names


def _split_seeds(parser: argparse.ArgumentParser, option: str, value: str) -> list[int]:
    try:
        return [int(seed) for seed in value.split(",")]
    except ValueError:
        parser.error(f"{option} is {value!r}, but it must be comma-separated integers such as 0,1,2.")


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


def public_domain(real: pd.DataFrame, discrete: list[str]) -> dict[str, dict[str, Any]]:
    """Return the bounds and categories of the real table, in genesis's `public_domain` format.

    They come from the private data itself. The benchmark treats them as
    public so that no tool spends budget on them and the comparison is of the
    models alone. A real release would take them from outside the data.
    """
    domain: dict[str, dict[str, Any]] = {}
    for name in real.columns:
        if name in discrete:
            domain[name] = {"categories": sorted(real[name].dropna().unique().tolist())}
        else:
            domain[name] = {"lower": float(real[name].min()), "upper": float(real[name].max())}
    return domain


def snapshot_source(out: Path) -> Path:
    """Copy genesis's `src/` into `out`, so that edits made during a long run leave the run unchanged."""
    snapshot = out / "genesis-src"
    shutil.rmtree(snapshot, ignore_errors=True)
    shutil.copytree(REPO_SRC, snapshot, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    return snapshot


def child_environment(tool: str, threads: int, genesis_src: Path) -> dict[str, str]:
    """Return the environment of a fit process: thread limits, and genesis's src only where genesis runs."""
    env = dict(os.environ)
    for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "LOKY_MAX_CPU_COUNT"):
        env[variable] = str(threads)
    # smartnoise-synth's MST and AIM estimate marginals with mbi, which runs on
    # jax; XLA otherwise starts a thread pool as large as the machine.
    env["XLA_FLAGS"] = f"--xla_cpu_multi_thread_eigen={'true' if threads > 1 else 'false'} " \
                       f"intra_op_parallelism_threads={threads}"
    env.pop("PYTHONPATH", None)
    if tool == "genesis":
        env["PYTHONPATH"] = str(genesis_src)
    env["PYTHONNOUSERSITE"] = "1"
    return env


def run_in_child(job: dict[str, Any], python: Path, env: dict[str, str], run_dir: Path,
                 timeout_seconds: float) -> dict[str, Any]:
    """Run `dp_runner.py` on one job in a fresh process; return its measurements or the failure."""
    run_id = job["run_id"]
    job_path = run_dir / f"{run_id}.job.json"
    result_path = run_dir / f"{run_id}.result.json"
    log_path = run_dir / f"{run_id}.log"
    run_dir.mkdir(parents=True, exist_ok=True)
    job_path.write_text(json.dumps(job, indent=2))
    result_path.unlink(missing_ok=True)
    command = [str(python), str(BENCH_DIR / "dp_runner.py"), str(job_path), str(result_path)]

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
    return json.loads(result_path.read_text())


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


def cramers_v(first: pd.Series, second: pd.Series) -> float:
    """Return Cramér's V of two discrete columns: sqrt(chi2 / (n * (min(r, c) - 1))), without bias correction.

    0 means no association and 1 a deterministic one.
    """
    table = pd.crosstab(first.astype(str), second.astype(str)).to_numpy(dtype=float)
    n = table.sum()
    smaller_side = min(table.shape) - 1
    if n == 0 or smaller_side == 0:
        return 0.0

    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / n
    chi2 = float(((table - expected) ** 2 / expected).sum())
    return float(np.sqrt(chi2 / (n * smaller_side)))


def score(real: pd.DataFrame, synthetic_csv: Path, discrete: list[str],
          pairs: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """Score a synthetic CSV against the real table: TVDs and Cramér's V of each pair."""
    synthetic = read_table(str(synthetic_csv), discrete)
    missing = [name for name in real.columns if name not in synthetic.columns]
    if missing:
        return {"status": "failed", "error": f"synthetic table lacks columns {missing}"}

    scores: dict[str, Any] = marginals.marginal_tvd(real, synthetic[list(real.columns)])
    scores["cramers_v"] = {f"{a}~{b}": cramers_v(synthetic[a], synthetic[b]) for a, b in pairs}
    return scores


def job_for(method: Method, dataset: Dataset, seed: int, run_id: str,
            context: dict[str, Any]) -> dict[str, Any]:
    """Return the job file contents of one fit."""
    out = context["out"]
    job = {
        "run_id": run_id, "tool": method.tool, "model": method.model, "seed": seed,
        "epsilon": EPSILON, "delta": DELTA,
        "data_csv": str(context["data_csv"]), "discrete_columns": context["discrete"],
        "public_domain": context["public_domain"] if method.public_bounds else None,
        "n_samples": len(context["real"]),
        "synthetic_csv": str(out / "synthetic" / f"{run_id}.csv"),
    }
    if method.tool == "genesis":
        job["column_kinds"] = dataset.genesis_column_kinds
        job["config"] = {"torch_threads": context["threads"]} if method.model == "ctgan" else {}
    else:
        job["smartnoise_bins"] = SMARTNOISE_BINS
        job["uniform_within_bins_csv"] = str(out / "synthetic" / f"{run_id}{UNIFORM_SUFFIX}.csv")
    return job


def run_one(method: Method, dataset: Dataset, seed: int, context: dict[str, Any]) -> list[dict[str, Any]]:
    """Produce and score the synthetic tables of one run; return its records (none when it does not apply)."""
    real, out = context["real"], context["out"]
    run_id = f"{dataset.name}__{method.name}__seed{seed}"
    (out / "synthetic").mkdir(parents=True, exist_ok=True)
    record: dict[str, Any] = {
        "run_id": run_id, "dataset": dataset.name, "method": method.name, "tool": method.tool,
        "seed": seed, "n_real_rows": len(real), "load_average_before": os.getloadavg(),
    }

    if method.tool == "reference":
        start = time.perf_counter()
        table = reference_table(method, dataset, real, seed)
        if table is None:
            return []
        synthetic_csv = out / "synthetic" / f"{run_id}.csv"
        table.to_csv(synthetic_csv, index=False)
        record.update(status="ok", make_seconds=time.perf_counter() - start)
        job: dict[str, Any] = {"synthetic_csv": str(synthetic_csv)}
    else:
        job = job_for(method, dataset, seed, run_id, context)
        env = child_environment(method.tool, context["threads"], context["genesis_src"])
        record["job"] = {key: value for key, value in job.items() if key != "public_domain"}
        record.update(run_in_child(job, context["pythons"][method.tool], env, out / "runs",
                                   context["timeout_seconds"]))
    record["load_average_after"] = os.getloadavg()

    if record["status"] != "ok":
        return [record]
    record.update(score(real, Path(job["synthetic_csv"]), context["discrete"], dataset.association_pairs))
    records = [record]
    if job.get("uniform_within_bins_csv"):
        redrawn = {**record, "method": method.name + UNIFORM_SUFFIX, "run_id": run_id + UNIFORM_SUFFIX,
                   "derived_from": run_id}
        redrawn.update(score(real, Path(job["uniform_within_bins_csv"]), context["discrete"],
                             dataset.association_pairs))
        records.append(redrawn)
    return records


def interpreters(methods: list[Method], out: Path) -> dict[str, Path]:
    """Return the python to run each tool with, creating the smartnoise-synth venv when it is missing."""
    pythons = {"genesis": Path(sys.executable)}
    if any(method.tool == "smartnoise" for method in methods):
        # peer_venvs keeps one table of requirements per venv; this benchmark
        # registers its own entry there and reuses the create-or-reuse logic.
        peer_venvs.PEER_REQUIREMENTS[SMARTNOISE_VENV] = SMARTNOISE_REQUIREMENTS
        pythons["smartnoise"] = peer_venvs.ensure_venv(BENCH_DIR / ".venvs", SMARTNOISE_VENV, out / "logs")
    return pythons


def save(document: dict[str, Any], out: Path) -> None:
    """Write the JSON of all runs so far and its Markdown rendering."""
    (out / "bench_dp.json").write_text(json.dumps(document, indent=2, default=str))
    (out / "bench_dp.md").write_text(dp_report.render_markdown(document))


def seeds_for(method: Method, args: argparse.Namespace) -> list[int]:
    return args.smartnoise_seeds if method.tool == "smartnoise" else args.seeds


def new_document(args: argparse.Namespace) -> dict[str, Any]:
    """Return the run's JSON document before any run: command, settings, machine and source state."""
    return {
        "command": shlex.join([Path(sys.executable).name, *sys.argv]),
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "settings": {"datasets": args.datasets, "methods": args.methods, "seeds": args.seeds,
                     "smartnoise_seeds": args.smartnoise_seeds, "threads": args.threads,
                     "quick": args.quick, "epsilon": EPSILON, "delta": DELTA,
                     "smartnoise_bins": SMARTNOISE_BINS, "n_rows": {}, "real_cramers_v": {},
                     "public_domain": {}},
        "machine": bench_report.machine_info(),
        "genesis_source": bench_report.source_state(REPO_SRC),
        "runs": [],
    }


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    args = parse_args(argv)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    methods = [METHODS[name] for name in args.methods]
    document = new_document(args)

    pythons = interpreters(methods, out)
    genesis_src = snapshot_source(out)
    for name in args.datasets:
        dataset = DATASETS[name]
        data_csv, real, discrete = prepare_real_table(dataset, args.quick, out / "data")
        document["settings"]["n_rows"][name] = len(real)
        document["settings"]["real_cramers_v"][name] = {
            f"{a}~{b}": cramers_v(real[a], real[b]) for a, b in dataset.association_pairs}
        domain = public_domain(real, discrete)
        document["settings"]["public_domain"][name] = domain
        context = {"real": real, "discrete": discrete, "threads": args.threads, "data_csv": data_csv,
                   "public_domain": domain, "out": out, "pythons": pythons,
                   "genesis_src": genesis_src, "timeout_seconds": args.timeout_minutes * 60}

        # Seeds in the outer loop, so that a change in the machine's load
        # during the run spreads over all methods instead of hitting one.
        for seed in sorted(set(args.seeds) | set(args.smartnoise_seeds)):
            for method in methods:
                if seed not in seeds_for(method, args):
                    continue
                logger.info("Running %s on %s, seed %d", method.name, name, seed)
                for record in run_one(method, dataset, seed, context):
                    logger.info("  %s: %s", record["method"], dp_report.one_line(record))
                    document["runs"].append(record)
                save(document, out)

    document["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    save(document, out)
    logger.info("Wrote %s and %s", out / "bench_dp.json", out / "bench_dp.md")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
