"""The release record: what a synthetic table is, attached to the table itself.

Every frame `SyntheticGenerator.generate` returns carries the record in
``df.attrs["genesis"]``, and the command-line tool writes it next to the output
as ``<output>.genesis.json``. Audit, quality and assessment steps read it to
learn how the table was made. It holds only JSON values: never training rows,
never a DataFrame.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

RECORD_KEY = "genesis"
RECORD_VERSION = 1
SIDECAR_SUFFIX = ".genesis.json"


def build_record(
    *,
    method: str,
    config: dict[str, Any],
    schema: dict[str, Any],
    random_state: int | None,
    training_rows: int,
    generated_rows: int,
    privacy: dict[str, Any] | None,
    holdout: dict[str, Any] | None = None,
    training: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Return a new release record for one call of `generate`.

    `training` holds the settings the generator resolved when it trained
    (e.g. CTGAN's epochs for ``epochs="auto"``), next to the requested `config`.

    `holdout` is the entry of `genesis.holdout.holdout_entry`: an id into the
    in-memory registry and the holdout's size, never its rows.
    """
    from genesis import __version__

    return {
        "record_version": RECORD_VERSION,
        "genesis_version": __version__,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "generator": {"method": method, "config": config, "training": training or {}},
        "schema": schema,
        "random_state": random_state,
        "rows": {"training": training_rows, "generated": generated_rows},
        "privacy": privacy,
        "holdout": holdout,
    }


def attach(frame: pd.DataFrame, record: dict[str, Any]) -> pd.DataFrame:
    frame.attrs[RECORD_KEY] = record
    return frame


def record_of(frame: pd.DataFrame) -> dict[str, Any] | None:
    """Return the release record attached to `frame`, or None for a table from elsewhere."""
    return frame.attrs.get(RECORD_KEY)


def sidecar_path(output: Path) -> Path:
    return output.with_name(output.name + SIDECAR_SUFFIX)


def write_sidecar(output: Path, record: dict[str, Any]) -> Path:
    path = sidecar_path(output)
    path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def read_sidecar(output: Path) -> dict[str, Any] | None:
    path = sidecar_path(output)
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))
