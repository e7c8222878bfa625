"""Render `bench_dp.py`'s runs as Markdown: one table per dataset, the ratios, and what did not run.

Medians are taken over the seeds that finished; every seed's value is listed
beside the median so that the spread stays visible.

    python benchmarks/dp_report.py benchmarks/out/dp/bench_dp.json
"""

from __future__ import annotations

import json
import statistics
import sys
from collections.abc import Iterable
from typing import Any

GENESIS_GOAL_TVD_2WAY = 0.12
"""genesis's target mean 2-way TVD on the patient table at epsilon = 1."""

GENESIS_GOAL_TIME_RATIO = 0.2
"""genesis's target fit time as a fraction of smartnoise AIM's on the same table."""


def one_line(record: dict[str, Any]) -> str:
    """Summarise one run for the progress log."""
    if record["status"] != "ok":
        return f"{record['status']}: {record.get('error', '').strip().splitlines()[0]}"
    parts = []
    if "fit_seconds" in record:
        parts.append(f"fit {record['fit_seconds']:.1f} s (CPU {record['fit_cpu_seconds']:.1f} s)")
    parts.append(f"TVD 1-way {record['tvd_1way']:.3f}, 2-way {record['tvd_2way']:.3f}")
    if "epsilon_spent" in record:
        parts.append(f"epsilon spent {record['epsilon_spent']:.4f}")
    return "; ".join(parts)


def _median(values: Iterable[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return statistics.median(present) if present else None


def _format(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _per_seed(runs: list[dict[str, Any]], key: str, spec: str) -> str:
    return ", ".join(f"{run['seed']}: {_format(run.get(key), spec)}" for run in runs)


def group_runs(runs: list[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Group the finished runs by (dataset, method), keeping the order they ran in."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for run in runs:
        if run["status"] == "ok":
            groups.setdefault((run["dataset"], run["method"]), []).append(run)
    return groups


def dataset_table(document: dict[str, Any], dataset: str) -> list[str]:
    """Return one dataset's table: medians over seeds, with every seed's fit time and 2-way TVD."""
    pairs = list(document["settings"]["real_cramers_v"].get(dataset, {}))
    pair_headers = "".join(f" | Cramér's V {pair.replace('~', ' / ')} (median)" for pair in pairs)
    lines = [
        "| method | seeds | fit s (median) | fit s per seed | fit CPU s (median) | peak RSS of fit, MiB "
        "| epsilon spent (ledger, max) | 1-way TVD (median) | 2-way TVD (median) | 2-way TVD per seed"
        + pair_headers + " |",
        "|---" * (10 + len(pairs)) + "|",
    ]
    real_v = document["settings"]["real_cramers_v"].get(dataset, {})
    lines.append("| real table | - | - | - | - | - | - | 0 | 0 | -"
                 + "".join(f" | {real_v[pair]:.3f}" for pair in pairs) + " |")
    for (name, method), runs in group_runs(document["runs"]).items():
        if name != dataset:
            continue
        fitted = "fit_seconds" in runs[0]
        derived = " (same fits)" if "derived_from" in runs[0] else ""
        spent = [run["epsilon_spent"] for run in runs if "epsilon_spent" in run]
        pair_cells = "".join(
            f" | {_format(_median(run['cramers_v'][pair] for run in runs), '.3f')}" for pair in pairs)
        lines.append(
            f"| {method}{derived} | {', '.join(str(run['seed']) for run in runs)} "
            f"| {_format(_median(r.get('fit_seconds') for r in runs), '.1f')} "
            f"| {_per_seed(runs, 'fit_seconds', '.1f') if fitted else '-'} "
            f"| {_format(_median(r.get('fit_cpu_seconds') for r in runs), '.1f')} "
            f"| {_format(_median(r.get('peak_rss_fit_mib') for r in runs), '.0f')} "
            f"| {_format(max(spent) if spent else None, '.4f')} "
            f"| {_format(_median(r['tvd_1way'] for r in runs), '.3f')} "
            f"| {_format(_median(r['tvd_2way'] for r in runs), '.3f')} "
            f"| {_per_seed(runs, 'tvd_2way', '.3f')}{pair_cells} |"
        )
    return lines


def _median_of(groups: dict, dataset: str, method: str, key: str) -> float | None:
    return _median(run.get(key) for run in groups.get((dataset, method), []))


def ratio_lines(document: dict[str, Any]) -> list[str]:
    """Return genesis MST against smartnoise-synth per dataset, and the cost of learning bounds under DP."""
    groups = group_runs(document["runs"])
    lines = [
        "| dataset | genesis MST fit s / smartnoise AIM fit s | genesis MST fit s / smartnoise MST fit s "
        "| genesis MST fit CPU s / smartnoise AIM fit CPU s "
        "| 2-way TVD genesis MST / smartnoise AIM / smartnoise MST "
        "| 2-way TVD genesis MST, DP bounds / public bounds |",
        "|---|---|---|---|---|---|",
    ]
    for dataset in document["settings"]["datasets"]:
        ours = _median_of(groups, dataset, "genesis-mst", "fit_seconds")
        aim = _median_of(groups, dataset, "smartnoise-aim", "fit_seconds")
        mst = _median_of(groups, dataset, "smartnoise-mst", "fit_seconds")
        our_cpu = _median_of(groups, dataset, "genesis-mst", "fit_cpu_seconds")
        aim_cpu = _median_of(groups, dataset, "smartnoise-aim", "fit_cpu_seconds")
        tvds = [_median_of(groups, dataset, method, "tvd_2way")
                for method in ("genesis-mst", "smartnoise-aim", "smartnoise-mst")]
        learned = _median_of(groups, dataset, "genesis-mst-dp-bounds", "tvd_2way")
        lines.append(
            f"| {dataset} | {_ratio(ours, aim)} | {_ratio(ours, mst)} | {_ratio(our_cpu, aim_cpu)} "
            f"| {' / '.join(_format(value, '.3f') for value in tvds)} "
            f"| {_format(learned, '.3f')} / {_format(tvds[0], '.3f')} |"
        )
    return lines


def _ratio(numerator: float | None, denominator: float | None) -> str:
    if numerator is None or not denominator:
        return "-"
    return f"{numerator / denominator:.3f}"


def goal_lines(document: dict[str, Any]) -> list[str]:
    """Return whether genesis MST met its goal on the patient table, from this run's numbers."""
    groups = group_runs(document["runs"])
    tvd = _median_of(groups, "patients", "genesis-mst", "tvd_2way")
    ours = _median_of(groups, "patients", "genesis-mst", "fit_seconds")
    aim = _median_of(groups, "patients", "smartnoise-aim", "fit_seconds")
    if tvd is None or ours is None or aim is None:
        return ["- Goal check: not computed, because this run lacks genesis MST or smartnoise AIM "
                "on patients."]
    ratio = ours / aim
    return [
        f"- Goal 2-way TVD <= {GENESIS_GOAL_TVD_2WAY} on patients: genesis MST (public bounds) median "
        f"{tvd:.3f}, {'met' if tvd <= GENESIS_GOAL_TVD_2WAY else 'NOT met'}.",
        f"- Goal fit time <= {GENESIS_GOAL_TIME_RATIO:g} x smartnoise AIM's: median {ours:.1f} s / "
        f"{aim:.1f} s = {ratio:.3f}, {'met' if ratio <= GENESIS_GOAL_TIME_RATIO else 'NOT met'}.",
    ]


def failures(document: dict[str, Any]) -> list[str]:
    """Return one bullet per run that did not finish, with the first and last lines of its error."""
    lines = []
    for run in document["runs"]:
        if run["status"] != "ok":
            error = run.get("error", "").strip().splitlines()
            lines.append(f"- {run['run_id']}: {run['status']}: {error[0] if error else ''}")
            lines.extend(f"  `{line.strip()}`" for line in error[-3:] if error[1:])
    return lines


def machine_lines(document: dict[str, Any]) -> list[str]:
    """Return the machine, the genesis source and each environment's library versions, as bullets."""
    machine = document["machine"]
    lines = [
        f"- CPU: {machine['cpu_model']}, {machine['logical_cores']} logical cores, "
        f"{machine['ram_gib']} GiB RAM",
    ]
    for tool in ("genesis", "smartnoise"):
        versions = next((run["versions"] for run in document["runs"]
                         if run["tool"] == tool and "versions" in run), None)
        if versions:
            listed = ", ".join(f"{name} {version}" for name, version in versions.items())
            lines.append(f"- {tool} environment: {listed}")
    source = document.get("genesis_source", {})
    if source:
        changed = source["uncommitted_files"]
        detail = ", no uncommitted changes"
        if changed:
            detail = f" plus uncommitted changes to {', '.join(changed)}"
        lines.append(f"- genesis source: commit {source['commit'][:12]}{detail}")
    loads = [run[key][0] for run in document["runs"] for key in ("load_average_before", "load_average_after")]
    if loads:
        lines.append(f"- 1-minute load average around the runs: {min(loads):.2f} to {max(loads):.2f} "
                     f"on {machine['logical_cores']} cores (above the thread count means other "
                     "processes shared the CPUs)")
    return lines


def render_markdown(document: dict[str, Any]) -> str:
    """Render the whole report: command, date, machine, one table per dataset, ratios and failures."""
    settings = document["settings"]
    lines = [
        f"## DP benchmark at epsilon = {settings['epsilon']:g}, delta = {settings['delta']:g}",
        "",
        f"- Command: `{document['command']}`",
        f"- Started {document['started']}, finished {document.get('finished', 'not yet (partial results)')}",
        f"- Seeds: genesis and references {settings['seeds']}, "
        f"smartnoise-synth {settings['smartnoise_seeds']}; "
        f"{settings['threads']} thread(s) per fit; smartnoise bins per numeric column "
        f"{settings['smartnoise_bins']}"
        + ("; QUICK MODE (harness check only, numbers are not comparable)" if settings["quick"] else ""),
        *machine_lines(document),
    ]
    for dataset in settings["datasets"]:
        rows = settings["n_rows"].get(dataset)
        lines += ["", f"### {dataset} ({rows:,} rows)" if rows else f"### {dataset}", "",
                  *dataset_table(document, dataset)]
    lines += ["", "### genesis MST relative to smartnoise-synth (medians)", "", *ratio_lines(document), "",
              *goal_lines(document)]
    failed = failures(document)
    if failed:
        lines += ["", "### Runs without results (failed, timed out or not available)", "", *failed]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    """Re-render a `bench_dp.json` as Markdown on standard output."""
    if len(argv) != 1:
        sys.stderr.write("usage: dp_report.py BENCH_DP.json\n")
        return 2
    with open(argv[0]) as source:
        document = json.load(source)
    sys.stdout.write(render_markdown(document))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
