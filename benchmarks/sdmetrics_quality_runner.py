"""Score one real/synthetic pair with SDMetrics 0.32 in its own venv; print JSON.

Started by `bench_quality.py` as
``<sdmetrics venv python> sdmetrics_quality_runner.py JOB.json``; the job names
the two CSVs and the column kinds. It reports SDMetrics' single-table
QualityReport (Column Shapes, and Column Pair Trends with its default
thresholds |rho| > 0.5 and Cramér's V > 0.3) with its wall-clock time, and
the Column Pair Trends property again with both thresholds at 0 (all pairs).
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from quality_tables import read_table, sdmetrics_metadata


def main(job_path: str) -> None:
    job = json.loads(Path(job_path).read_text())
    kinds = job["kinds"]
    real = read_table(Path(job["real"]), kinds)
    synthetic = read_table(Path(job["synthetic"]), kinds)
    metadata = sdmetrics_metadata(kinds)
    np.random.seed(job["seed"])  # ContingencySimilarity subsamples 50,000 rows with numpy's global generator

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from sdmetrics.reports.single_table import QualityReport
        from sdmetrics.reports.single_table._properties import ColumnPairTrends

        start = time.perf_counter()
        report = QualityReport()
        report.generate(real, synthetic, metadata, verbose=False)
        seconds = time.perf_counter() - start
        properties = report.get_properties().set_index("Property")["Score"]

        all_pairs = ColumnPairTrends()
        all_pairs_score = all_pairs.get_score(real, synthetic, metadata)

    import sdmetrics

    print(  # noqa: T201
        json.dumps(
            {
                "sdmetrics_version": sdmetrics.__version__,
                "seconds": seconds,
                "column_shapes": float(properties["Column Shapes"]),
                "column_pair_trends": float(properties["Column Pair Trends"]),
                "column_pair_trends_all_pairs": float(all_pairs_score),
                "overall": float(report.get_score()),
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
