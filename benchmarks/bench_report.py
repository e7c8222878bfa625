"""Describe the machine and render `bench_ctgan.py`'s runs as Markdown tables.

Medians are taken over the seeds that finished; every seed's value is listed
beside the median so that the spread stays visible.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
from collections.abc import Iterable
from typing import Any


def machine_info() -> dict[str, Any]:
    """Return the CPU model, core count, RAM and library versions of this interpreter."""
    info: dict[str, Any] = {
        "cpu_model": _cpuinfo_field("model name"),
        "logical_cores": os.cpu_count(),
        "ram_gib": _meminfo_gib("MemTotal"),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_average_at_start": os.getloadavg(),
    }
    for module in ("numpy", "pandas", "torch"):
        try:
            info[module] = __import__(module).__version__
        except ImportError:
            info[module] = "not installed"
    return info


def source_state(src: os.PathLike) -> dict[str, Any]:
    """Return the git commit of `src` and the files under it that differ from that commit.

    The benchmark runs genesis from a copy of the working tree, so
    uncommitted changes are part of what it measures.
    """
    def git(*args: str) -> str:
        completed = subprocess.run(["git", "-C", str(src), *args],
                                   capture_output=True, text=True, check=False)
        return completed.stdout.strip() if completed.returncode == 0 else ""

    changed = git("status", "--porcelain", "--", ".")
    return {"commit": git("rev-parse", "HEAD") or "unknown",
            "uncommitted_files": [line[3:] for line in changed.splitlines()]}


def _cpuinfo_field(field: str) -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                key, _, value = line.partition(":")
                if key.strip() == field:
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _meminfo_gib(field: str) -> float | None:
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith(field + ":"):
                    return round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return None


def one_line(record: dict[str, Any]) -> str:
    """Summarise one run for the progress log."""
    if record["status"] != "ok":
        return f"{record['status']}: {record.get('error', '').splitlines()[0]}"
    parts = []
    if "fit_seconds" in record:
        parts.append(f"fit {record['fit_seconds']:.1f} s, peak RSS {record['peak_rss_fit_mib']:.0f} MiB")
    parts.append(f"TVD 1-way {record['tvd_1way']:.3f}, 2-way {record['tvd_2way']:.3f}")
    return "; ".join(parts)


def _median(values: Iterable[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return statistics.median(present) if present else None


def _format(value: float | None, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def _per_seed(runs: list[dict[str, Any]], key: str, spec: str) -> str:
    return ", ".join(f"{run['seed']}: {_format(run.get(key), spec)}" for run in runs)


def group_runs(runs: list[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Group the finished runs by (dataset, method), keeping the order they ran in."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for run in runs:
        if run["status"] == "ok":
            groups.setdefault((run["dataset"], run["method"]), []).append(run)
    return groups


def results_table(document: dict[str, Any]) -> list[str]:
    """Return the per-method table: medians over seeds, with every seed's fit time and TVD."""
    threads = document["settings"]["threads"]
    epochs = document["settings"]["epochs"]
    lines = [
        "| dataset | method | torch threads | epochs | seeds | fit s (median) | fit s per seed "
        "| fit CPU s (median) | peak RSS of fit, MiB (median) | sample rows/s (median) "
        "| 1-way TVD (median) | 2-way TVD (median) | 1-way TVD per seed | 2-way TVD per seed |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (dataset, method), runs in group_runs(document["runs"]).items():
        fitted = "fit_seconds" in runs[0]
        lines.append(
            f"| {dataset} | {method} | {threads if fitted else '-'} "
            f"| {epochs.get(dataset) if 'ctgan' in method else '-'} | {len(runs)} "
            f"| {_format(_median(r.get('fit_seconds') for r in runs), '.1f')} "
            f"| {_per_seed(runs, 'fit_seconds', '.1f') if fitted else '-'} "
            f"| {_format(_median(r.get('fit_cpu_seconds') for r in runs), '.1f')} "
            f"| {_format(_median(r.get('peak_rss_fit_mib') for r in runs), '.0f')} "
            f"| {_format(_median(r.get('sample_rows_per_second') for r in runs), ',.0f')} "
            f"| {_format(_median(r['tvd_1way'] for r in runs), '.3f')} "
            f"| {_format(_median(r['tvd_2way'] for r in runs), '.3f')} "
            f"| {_per_seed(runs, 'tvd_1way', '.3f')} | {_per_seed(runs, 'tvd_2way', '.3f')} |"
        )
    return lines


def ratio_table(document: dict[str, Any]) -> list[str]:
    """Return genesis CTGAN against SDV CTGAN per dataset: fit-time ratio and TVD side by side."""
    groups = group_runs(document["runs"])
    lines = [
        "| dataset | torch threads | genesis fit s / SDV fit s (medians) | per seed "
        "| genesis fit CPU s / SDV fit CPU s (medians) | 1-way TVD genesis / SDV | 2-way TVD genesis / SDV |",
        "|---|---|---|---|---|---|---|",
    ]
    for dataset in document["settings"]["datasets"]:
        ours = groups.get((dataset, "genesis-ctgan"), [])
        theirs = groups.get((dataset, "sdv-ctgan"), [])
        if not ours or not theirs:
            continue
        their_fit = {run["seed"]: run["fit_seconds"] for run in theirs}
        per_seed = ", ".join(f"{run['seed']}: {run['fit_seconds'] / their_fit[run['seed']]:.2f}"
                             for run in ours if run["seed"] in their_fit)
        ratio = _median_ratio(ours, theirs, "fit_seconds")
        cpu_ratio = _median_ratio(ours, theirs, "fit_cpu_seconds")
        lines.append(
            f"| {dataset} | {document['settings']['threads']} | {ratio:.2f} | {per_seed or 'n/a'} "
            f"| {cpu_ratio:.2f} "
            f"| {_median(r['tvd_1way'] for r in ours):.3f} / {_median(r['tvd_1way'] for r in theirs):.3f} "
            f"| {_median(r['tvd_2way'] for r in ours):.3f} / {_median(r['tvd_2way'] for r in theirs):.3f} |"
        )
    return lines


def _median_ratio(ours: list[dict[str, Any]], theirs: list[dict[str, Any]], key: str) -> float:
    return _median(run[key] for run in ours) / _median(run[key] for run in theirs)


def failures(document: dict[str, Any]) -> list[str]:
    """Return one bullet per run that did not finish, with the first lines of its error."""
    lines = []
    for run in document["runs"]:
        if run["status"] != "ok":
            error = run.get("error", "").strip().splitlines()
            lines.append(f"- {run['run_id']}: {run['status']}: {error[0] if error else ''}")
            lines.extend(f"  `{line.strip()}`" for line in error[-3:] if error[1:])
    return lines


def machine_lines(document: dict[str, Any]) -> list[str]:
    """Return the machine and the library versions of each environment, as bullets."""
    machine = document["machine"]
    lines = [
        f"- CPU: {machine['cpu_model']}, {machine['logical_cores']} logical cores, "
        f"{machine['ram_gib']} GiB RAM",
        f"- genesis environment: Python {machine['python']}, torch {machine['torch']}, "
        f"numpy {machine['numpy']}, pandas {machine['pandas']}",
    ]
    source = document.get("genesis_source", {})
    if source:
        changed = source["uncommitted_files"]
        detail = ", no uncommitted changes"
        if changed:
            detail = f" plus uncommitted changes to {', '.join(changed)}"
        lines.append(f"- genesis source: commit {source['commit'][:12]}{detail}")
    sdv_versions = next((run["versions"] for run in document["runs"]
                         if run["tool"] == "sdv" and run["status"] == "ok"), None)
    if sdv_versions:
        listed = ", ".join(f"{name} {version}" for name, version in sdv_versions.items())
        lines.append(f"- SDV venv: {listed}")
    loads = [run["load_average_before"][0] for run in document["runs"]]
    loads += [run["load_average_after"][0] for run in document["runs"]]
    if loads:
        lines.append(f"- 1-minute load average around the runs: {min(loads):.2f} to {max(loads):.2f} "
                     f"(a load above the torch thread count means other processes shared the CPUs)")
    return lines


def render_markdown(document: dict[str, Any]) -> str:
    """Render the whole report: command, date, machine, results, ratios and failures."""
    settings = document["settings"]
    lines = [
        "## CTGAN benchmark: genesis against SDV ctgan 0.12.1",
        "",
        f"- Command: `{document['command']}`",
        f"- Started {document['started']}, finished {document.get('finished', 'not yet (partial results)')}",
        f"- Seeds {settings['seeds']}, batch size {settings['batch_size']}, epochs {settings['epochs']}"
        + (", QUICK MODE (harness check only, numbers are not comparable)" if settings["quick"] else ""),
        *machine_lines(document),
        "",
        *results_table(document),
        "",
        "### genesis CTGAN relative to SDV CTGAN",
        "",
        *ratio_table(document),
    ]
    failed = failures(document)
    if failed:
        lines += ["", "### Runs that did not finish", "", *failed]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    """Re-render a `bench_ctgan.json` as Markdown on standard output."""
    if len(argv) != 1:
        sys.stderr.write("usage: bench_report.py BENCH_CTGAN.json\n")
        return 2
    with open(argv[0]) as source:
        document = json.load(source)
    sys.stdout.write(render_markdown(document))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
