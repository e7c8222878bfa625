"""The holdout: real rows kept out of training, so that privacy audits have a control group.

`SyntheticGenerator.fit` reserves a uniform random share of the rows (of the
privacy units, with `unit_column`) before it reads anything else from the
table, trains on the rest, and registers the reserved rows here. The release
record of every generated frame then carries ``"holdout": {"id", "rows",
"share", "unit_column", "in_memory"}``, and `run_privacy_audit` and the attacks
find the rows with `lookup_holdout`.

The rows stay in this process's memory only: they are never written to a
model file, a sidecar or ``DataFrame.attrs``. A model loaded from a file, or a
frame read back from CSV, therefore has no holdout in memory, and the audit
then reports labelled proxies. The registry keeps at most `MAX_HOLDOUTS`
frames and drops the oldest first; refitting a generator drops its previous
holdout.
"""

from __future__ import annotations

import math
import threading
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from genesis.errors import ConfigError, invalid_value
from genesis.privacy.units import unit_codes

DEFAULT_HOLDOUT = 0.2
"""Share of rows (or units) that `fit` reserves by default."""

MAX_HOLDOUT = 0.5
"""Largest share accepted: beyond it the model would train on less data than it is audited with."""

MIN_HOLDOUT_UNITS = 50
"""Smallest holdout, in rows (units), that `fit` reserves; smaller tables train on every row.

With 50 members against 50 non-members, a membership AUC near 0.5 has a
standard error of about 0.06 (Hanley and McNeil, Radiology 1982), so its 95%
interval spans about ±0.11: coarse, but it still tells a copy of the training
rows (AUC near 1) from a fresh draw. At the default share, tables of at least
250 rows get a holdout; audits of smaller ones report labelled proxies.
"""

MAX_HOLDOUTS = 8
"""Holdout frames kept at once in one process; registering another drops the oldest."""

_registry: OrderedDict[str, pd.DataFrame] = OrderedDict()
_lock = threading.Lock()


def register_holdout(frame: pd.DataFrame) -> str:
    """Keep `frame` in memory and return the id that finds it again."""
    if not isinstance(frame, pd.DataFrame):
        raise ConfigError(invalid_value("frame", type(frame).__name__, "it must be a pandas DataFrame",
                                        "Pass the holdout rows as a DataFrame."))
    holdout_id = uuid.uuid4().hex
    with _lock:
        _registry[holdout_id] = frame
        while len(_registry) > MAX_HOLDOUTS:
            _registry.popitem(last=False)
    return holdout_id


def release_holdout(holdout_id: str | None) -> None:
    """Forget the holdout registered under `holdout_id`; unknown ids are ignored."""
    if holdout_id is None:
        return
    with _lock:
        _registry.pop(holdout_id, None)


def lookup_holdout(synthetic: pd.DataFrame) -> pd.DataFrame | None:
    """Return the holdout rows of the fit that generated `synthetic`, or None.

    None when the frame has no release record, was generated without a
    holdout, or its holdout is no longer in memory (a loaded model, another
    process, or dropped from the registry).
    """
    record = synthetic.attrs.get("genesis") if isinstance(synthetic, pd.DataFrame) else None
    entry = record.get("holdout") if isinstance(record, Mapping) else None
    holdout_id = entry.get("id") if isinstance(entry, Mapping) else None
    if not isinstance(holdout_id, str):
        return None
    with _lock:
        return _registry.get(holdout_id)


def check_holdout_share(share: Any) -> float:
    """Return `share` as a float in [0, MAX_HOLDOUT], or raise `ConfigError`."""
    is_number = isinstance(share, int | float | np.integer | np.floating) and not isinstance(share, bool)
    if not is_number or not 0 <= share <= MAX_HOLDOUT or math.isnan(share):
        raise ConfigError(
            invalid_value("holdout", share, f"it must be a share of rows from 0 to {MAX_HOLDOUT}",
                          "Pass e.g. holdout=0.2, or holdout=0 to train on every row.")
        )
    return float(share)


def holdout_units(n_units: int, share: float) -> int:
    """Return how many of `n_units` rows (units) to reserve: `share` of them rounded down, or 0 below
    `MIN_HOLDOUT_UNITS`."""
    reserved = math.floor(share * n_units + 1e-9)
    return reserved if reserved >= MIN_HOLDOUT_UNITS else 0


def split_holdout(data: pd.DataFrame, share: float, unit_column: str | None, rng: np.random.Generator
                  ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Split `data` into (training rows, holdout rows or None), uniformly at random.

    The draw depends only on the number of rows (units) and `rng`, never on
    values, so under differential privacy it spends no budget: the DP fit
    sees only the training rows, and its guarantee covers them. With
    `unit_column`, every row of a reserved unit goes to the holdout and a
    missing unit value counts as a unit of its own. Both parts keep the input
    order and get a fresh index.
    """
    if unit_column is None:
        codes = np.arange(len(data))
    else:
        if unit_column not in data.columns:
            raise ConfigError(f"unit_column {unit_column!r} is not in the table. The table has columns "
                              f"{[str(c) for c in data.columns]}.")
        codes = unit_codes(data[unit_column])
    n_units = int(codes.max(initial=-1)) + 1

    reserved = holdout_units(n_units, share)
    if reserved == 0:
        return data, None
    chosen = np.zeros(n_units, dtype=bool)
    chosen[rng.choice(n_units, size=reserved, replace=False)] = True
    in_holdout = chosen[codes]
    return data.loc[~in_holdout].reset_index(drop=True), data.loc[in_holdout].reset_index(drop=True)


def holdout_entry(holdout_id: str | None, rows: int, share: float, unit_column: str | None) -> dict[str, Any]:
    """Build the release record's ``"holdout"`` entry; `holdout_id` None means not in memory."""
    return {"id": holdout_id, "rows": int(rows), "share": float(share), "unit_column": unit_column,
            "in_memory": holdout_id is not None}
