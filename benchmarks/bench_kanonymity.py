"""Time the k-anonymity search on the diabetes and Adult tables, and compare its loss with the naive one.

For each table, configuration and k, `genesis.privacy.kanonymity.anonymize`
runs `--repeats` times in this process. The table reports the median
wall-clock seconds of the whole call: choosing hierarchies, encoding each
column at every level, the lattice search, suppression and writing the
output. It also reports the chosen levels, the suppressed rows, the smallest
class, the nodes evaluated out of the lattice, and the NCP of the chosen node
beside the NCP of the naive full-domain generalization. The naive one is the
lowest uniform level (one level index for every column, raised to its Safe
Harbor floor and capped at its top) that meets k with no row suppressed.

The real tables stand in for synthetic output of the same shape. Missing
values coded as "?" stay text, as `keep_default_na=False` reads them.

    python benchmarks/bench_kanonymity.py                  # writes benchmarks/out/kanonymity/
    python benchmarks/bench_kanonymity.py --repeats 1      # a quicker check
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_report import machine_info, source_state  # noqa: E402

from genesis.privacy.generalization import categorical_hierarchy  # noqa: E402
from genesis.privacy.kanonymity import anonymize  # noqa: E402

logger = logging.getLogger("bench_kanonymity")

DATASETS = Path("/work/shared/datasets")
K_VALUES = (5, 10)
MAX_SUPPRESSION = 0.01

MARITAL_TREE = {
    "Married-civ-spouse": "Married", "Married-AF-spouse": "Married", "Married-spouse-absent": "Married",
    "Never-married": "Never married",
    "Divorced": "Previously married", "Separated": "Previously married", "Widowed": "Previously married",
}
RACE_TREE = {"White": "White", "Black": "Other than white", "Asian-Pac-Islander": "Other than white",
             "Amer-Indian-Eskimo": "Other than white", "Other": "Other than white"}

TREE_LEVEL_NAMES = {"marital-status": "married / never / previously", "race": "white / other",
                    "native-country": "US / other / unknown"}

CONFIGURATIONS = {
    "diabetes": {"file": "diabetic_data.csv", "quasi_identifiers": ["age", "gender", "race", "payer_code"],
                 "trees": {}},
    "adult": {"file": "adult.csv",
              "quasi_identifiers": ["age", "sex", "race", "native-country", "marital-status"], "trees": {}},
    "adult, with trees": {"file": "adult.csv",
                          "quasi_identifiers": ["age", "sex", "race", "native-country", "marital-status"],
                          "trees": {"marital-status": MARITAL_TREE, "race": RACE_TREE,
                                    "native-country": None}},
}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3, help="runs per table and k; the median is reported")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "kanonymity",
                        help="folder for bench_kanonymity.json and bench_kanonymity.md")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    runs = []
    for label, config in CONFIGURATIONS.items():
        frame = pd.read_csv(DATASETS / config["file"], keep_default_na=False)
        hierarchies = _hierarchies(frame, config["trees"])
        for k in K_VALUES:
            runs.append(_run(label, frame, config["quasi_identifiers"], k, hierarchies, args.repeats))
            logger.info("%s k=%d: %.3f s, levels %s", label, k, runs[-1]["seconds"], runs[-1]["levels"])

    report = {"date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "machine": machine_info(),
              "source": source_state(ROOT / "src"), "command": "python benchmarks/bench_kanonymity.py "
              + " ".join(argv), "max_suppression": MAX_SUPPRESSION, "repeats": args.repeats, "runs": runs}
    (args.out / "bench_kanonymity.json").write_text(json.dumps(report, indent=2))
    (args.out / "bench_kanonymity.md").write_text(render(report))
    logger.info("wrote %s", args.out)
    return 0


def _hierarchies(frame: pd.DataFrame, trees: dict[str, Any]) -> dict[str, Any]:
    """Build the caller's trees; None builds "United-States" / "Other country" / "?" for native-country."""
    hierarchies = {}
    for column, tree in trees.items():
        if tree is None:
            tree = {value: value if value in ("United-States", "?") else "Other country"
                    for value in frame[column].unique()}
        hierarchies[column] = categorical_hierarchy(tree, level_names=[TREE_LEVEL_NAMES[column]])
    return hierarchies


def _run(label: str, frame: pd.DataFrame, quasi_identifiers: list[str], k: int, hierarchies: dict[str, Any],
         repeats: int) -> dict[str, Any]:
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        _, result = anonymize(frame, quasi_identifiers, k, hierarchies=hierarchies,
                              max_suppression=MAX_SUPPRESSION)
        seconds.append(time.perf_counter() - start)
    record = result.to_dict()
    return {
        "table": label,
        "rows": len(frame),
        "k": k,
        "seconds": statistics.median(seconds),
        "seconds_each": seconds,
        "levels": {name: f"{entry['level']} ({entry['name']})" for name, entry in record["levels"].items()},
        "suppressed": record["suppressed"],
        "suppressed_share": record["suppressed_share"],
        "smallest_class": record["smallest_class"],
        "n_classes": record["n_classes"],
        "nodes_evaluated": record["nodes_evaluated"],
        "lattice_size": record["lattice_size"],
        "ncp": record["information_loss"],
        "naive_ncp": record["naive_information_loss"],
        "naive_levels": record["naive_levels"],
    }


def render(report: dict[str, Any]) -> str:
    """Return the runs as a Markdown table, with the command, date and machine above it."""
    machine = report["machine"]
    lines = [
        f"Command: `{report['command'].strip()}` (max_suppression={report['max_suppression']}, median of "
        f"{report['repeats']} runs). Date: {report['date']}. Commit: {report['source']['commit'][:12]}.",
        f"Machine: {machine['cpu_model']}, {machine['logical_cores']} logical cores, "
        f"{machine['ram_gib']} GiB RAM; Python {machine['python']}, numpy {machine['numpy']}, "
        f"pandas {machine['pandas']}.",
        "",
        "| table | rows | k | seconds | chosen levels | suppressed | smallest class | nodes evaluated | NCP "
        "| naive NCP (levels) |",
        "|---|---:|---:|---:|---|---:|---:|---:|---:|---|",
    ]
    for run in report["runs"]:
        levels = ", ".join(f"{name} {text}" for name, text in run["levels"].items())
        naive = "none" if run["naive_ncp"] is None else (
            f"{run['naive_ncp']:.3f} ({', '.join(str(v) for v in run['naive_levels'].values())})")
        lines.append(
            f"| {run['table']} | {run['rows']:,} | {run['k']} | {run['seconds']:.2f} | {levels} "
            f"| {run['suppressed']:,} ({run['suppressed_share']:.2%}) | {run['smallest_class']} "
            f"| {run['nodes_evaluated']} of {run['lattice_size']} | {run['ncp']:.3f} | {naive} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
