"""Turn the JSON lines of `bench_audit.py` into the Markdown tables of `RESULTS.md`.

For every risk both tools estimate, a row gives genesis's value and 95%
interval, anonymeter's, whether genesis's value lies inside anonymeter's
interval, and the two interval widths before clipping to [0, 1] (both tools
clip at 0, so an estimate below 0 would otherwise look narrower). A second table puts the DCR figures
beside SDMetrics', and a third the seconds.

    python benchmarks/audit_table.py results.jsonl [more.jsonl ...]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(paths: list[str]) -> None:
    runs = [json.loads(line) for path in paths for line in Path(path).read_text().splitlines() if line.strip()]
    print("| case | attacks | risk | genesis [95% CI] | anonymeter [95% CI] | inside | unclipped width genesis / "
          "anonymeter |")
    print("|---|---:|---|---|---|---|---|")
    for run in runs:
        for name, ours, theirs in risk_pairs(run):
            inside = theirs["ci"][0] - 1e-9 <= ours["value"] <= theirs["ci"][1] + 1e-9
            print(f"| {run['case']} | {run['n_attacks']} | {name} | {interval(ours)} | {interval(theirs)} | "
                  f"{'yes' if inside else 'no'} | {width(ours)} / {width(theirs)} |")

    print()
    print("| case | genesis overfitting / SDMetrics DCROverfittingProtection | genesis baseline / SDMetrics "
          "DCRBaselineProtection |")
    print("|---|---|---|")
    for run in runs:
        details = run["genesis"]["metrics"]["dcr"]["details"]
        peer = run.get("sdmetrics", {})
        if "error" in peer or not peer:
            continue
        print(f"| {run['case']} | {details['overfitting_protection']:.3f} / {peer['overfitting']['score']:.3f} | "
              f"{details['baseline_protection']:.3f} / {peer['baseline']['score']:.3f} |")

    print()
    print("| case | attacks | genesis whole audit (s) | anonymeter three evaluators (s) | ratio | genesis peak RSS (MiB) |")
    print("|---|---:|---:|---:|---:|---:|")
    for run in runs:
        peer = run.get("anonymeter", {})
        peer_seconds = sum(value["seconds"] for value in peer.values() if isinstance(value, dict))
        ours = run["genesis"]["seconds"]
        ratio = f"{peer_seconds / ours:.1f}x" if peer_seconds else "n/a"
        print(f"| {run['case']} | {run['n_attacks']} | {ours:.1f} | {peer_seconds:.1f} | {ratio} | "
              f"{run['genesis']['peak_rss_mib']:.0f} |")


def risk_pairs(run: dict):
    """Yield (name, genesis metric, anonymeter metric) for each risk both tools estimate."""
    ours, theirs = run["genesis"]["metrics"], run.get("anonymeter", {})
    if not theirs or "error" in theirs:
        return
    kinds = ours["singling_out"]["details"]["kinds"]
    for kind in ("univariate", "multivariate"):
        peer = theirs[f"singling_out_{kind}"]
        counts = (f"{kinds[kind]['n']} predicates / {peer.get('queries_generated', '?')} of {run['n_attacks']} queries "
                  f"built")
        yield f"singling out, {kind} ({counts})", kinds[kind], peer
    if "linkability" in theirs:
        yield "linkability", ours["linkability"], theirs["linkability"]
    for secret, metric in ours["attribute"]["details"]["all"].items():
        yield f"inference, {secret}", metric, theirs[f"inference_{secret}"]


def interval(metric: dict) -> str:
    return f"{metric['value']:.3f} [{metric['ci'][0]:.3f}, {metric['ci'][1]:.3f}]"


def width(metric: dict) -> str:
    """Return the interval's width before clipping, or "n/a" when the tool did not report it."""
    if "unclipped" in metric:
        low, high = metric["unclipped"][1:]
    elif "unclipped" in metric.get("details", {}):
        low, high = metric["details"]["unclipped"][1:]
    else:
        return "n/a"
    return f"{high - low:.3f}"


if __name__ == "__main__":
    main(sys.argv[1:])
