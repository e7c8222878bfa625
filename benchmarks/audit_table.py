"""Turn the JSON lines of `bench_audit.py` into the Markdown tables of `RESULTS.md`.

For every risk both tools estimate, a row gives genesis's value and 95%
interval, anonymeter's, and whether genesis's value lies inside anonymeter's
interval. It also gives the two interval widths before clipping to [0, 1]:
both tools clip at 0, so an estimate below 0 would otherwise look narrower. Further
tables give anonymeter's singling-out risk over the queries it built, the DCR
figures beside SDMetrics', and the seconds.

    python benchmarks/audit_table.py results.jsonl [more.jsonl ...]
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

Z = 1.959964


def main(paths: list[str]) -> None:
    runs = [json.loads(line) for path in paths for line in Path(path).read_text().splitlines()
            if line.strip()]
    table(["case", "attacks", "risk", "genesis [95% CI]", "anonymeter [95% CI]", "inside",
           "unclipped width genesis / anonymeter"],
          [[run["case"], run["n_attacks"], name, interval(ours), interval(theirs), inside(ours, theirs),
            f"{width(ours)} / {width(theirs)}"]
           for run in runs for name, ours, theirs in risk_pairs(run)])

    print("anonymeter's singling-out risk divides by the queries requested; over the queries it built:\n")
    rows = []
    for run in runs:
        for kind in ("univariate", "multivariate"):
            peer = run.get("anonymeter", {}).get(f"singling_out_{kind}")
            if peer and "queries_generated" in peer:
                built = peer["queries_generated"]
                rows.append([run["case"], run["n_attacks"], kind, built,
                             f"{peer['n_success']} / {peer['n_control']:.1f}",
                             per_built_query(peer["n_success"], peer["n_control"], built)])
    table(["case", "attacks", "kind", "built", "successes (training / control)",
           "risk [95% CI] per built query"], rows)

    rows = []
    for run in runs:
        details, peer = run["genesis"]["metrics"]["dcr"]["details"], run.get("sdmetrics", {})
        if peer and "error" not in peer:
            overfitting = f"{details['overfitting_protection']:.3f} / {peer['overfitting']['score']:.3f}"
            baseline = f"{details['baseline_protection']:.3f} / {peer['baseline']['score']:.3f}"
            rows.append([run["case"], overfitting, baseline])
    table(["case", "overfitting protection genesis / SDMetrics", "baseline protection genesis / SDMetrics"],
          rows)

    rows = []
    for run in runs:
        peer = run.get("anonymeter", {})
        peer_seconds = sum(value["seconds"] for value in peer.values() if isinstance(value, dict))
        ours = run["genesis"]["seconds"]
        rows.append([run["case"], run["n_attacks"], f"{ours:.1f}", f"{peer_seconds:.1f}",
                     f"{peer_seconds / ours:.1f}x" if peer_seconds else "n/a",
                     f"{run['genesis']['peak_rss_mib']:.0f}"])
    table(["case", "attacks", "genesis whole audit (s)", "anonymeter three evaluators (s)", "ratio",
           "genesis peak RSS (MiB)"], rows)


def table(header: list[str], rows: list[list]) -> None:
    """Print a Markdown table; a column whose first cell is a number is right-aligned."""
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---:" if rows and isinstance(rows[0][i], int | float) else "---"
                         for i in range(len(header))) + "|")
    for row in rows:
        print("| " + " | ".join(str(cell) for cell in row) + " |")
    print()


def risk_pairs(run: dict):
    """Yield (name, genesis metric, anonymeter metric) for each risk both tools estimate."""
    ours, theirs = run["genesis"]["metrics"], run.get("anonymeter", {})
    if not theirs or "error" in theirs:
        return
    kinds = ours["singling_out"]["details"]["kinds"]
    for kind in ("univariate", "multivariate"):
        peer = theirs[f"singling_out_{kind}"]
        built = peer.get("queries_generated", "?")
        counts = f"{kinds[kind]['n']} predicates / {built} of {run['n_attacks']} queries built"
        yield f"singling out, {kind} ({counts})", kinds[kind], peer
    if "linkability" in theirs:
        yield "linkability", ours["linkability"], theirs["linkability"]
    for secret, metric in ours["attribute"]["details"]["all"].items():
        yield f"inference, {secret}", metric, theirs[f"inference_{secret}"]


def per_built_query(successes: float, control: float, built: int) -> str:
    """Return anonymeter's residual risk with n = queries built: Wilson rates, delta-method error, clipped."""
    if built == 0:
        return "no query"

    def wilson(count: float) -> tuple[float, float]:
        centre = (count + Z * Z / 2) / (built + Z * Z)
        error = Z / (built + Z * Z) * math.sqrt(count * (built - count) / built + Z * Z / 4)
        return centre, error

    (attack, attack_error), (chance, chance_error) = wilson(successes), wilson(control)
    risk = (attack - chance) / (1 - chance)
    error = math.hypot(attack_error / (1 - chance), chance_error * (attack - 1) / (1 - chance) ** 2)
    low, high = (min(1.0, max(0.0, value)) for value in (risk - error, risk + error))
    return f"{min(1.0, max(0.0, risk)):.3f} [{low:.3f}, {high:.3f}]"


def interval(metric: dict) -> str:
    if metric["value"] is None:
        return "no predicate"
    return f"{metric['value']:.3f} [{metric['ci'][0]:.3f}, {metric['ci'][1]:.3f}]"


def inside(ours: dict, theirs: dict) -> str:
    if ours["value"] is None:
        return "n/a"
    return "yes" if theirs["ci"][0] - 1e-9 <= ours["value"] <= theirs["ci"][1] + 1e-9 else "no"


def width(metric: dict) -> str:
    """Return the interval's width before clipping, or "n/a" when the tool did not report it."""
    unclipped = metric.get("unclipped") or metric.get("details", {}).get("unclipped")
    if not unclipped:
        return "n/a"
    return f"{unclipped[2] - unclipped[1]:.3f}"


if __name__ == "__main__":
    main(sys.argv[1:])
