"""Create and reuse one virtual environment per peer tool under `benchmarks/.venvs/`.

Peer tools pin versions of torch, pandas and scikit-learn that conflict with
each other and with genesis, so each gets its own venv. A venv is reused when
its marker file lists exactly the requirements asked for; otherwise the
missing requirements are installed into it again (pip skips what is present).
"""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

logger = logging.getLogger(__name__)

# Installed one at a time and in this order: torch==2.13.0 first, because the
# CPU wheel of that exact version is on local disk, and a peer tool that asks
# for torch without a pin would otherwise pull a CUDA build of several GB.
PEER_REQUIREMENTS: dict[str, tuple[str, ...]] = {
    "sdv-ctgan": ("torch==2.13.0", "ctgan==0.12.1"),
    "anonymeter": ("anonymeter==1.1.0",),
    "sdmetrics": ("sdmetrics==0.32.0",),
}

MARKER_NAME = ".bench-requirements"


def venv_python(root: Path, name: str) -> Path:
    """Return the interpreter path of the venv `name` under `root` (it may not exist yet)."""
    return root / name / "bin" / "python"


def ensure_venv(root: Path, name: str, log_dir: Path) -> Path:
    """Create the venv `name` under `root` unless a complete one exists; return its python.

    pip's output goes to `log_dir/venv-<name>.log`. Raises `RuntimeError`
    naming the requirement and the log when an install fails.
    """
    if name not in PEER_REQUIREMENTS:
        raise ValueError(f"No requirements are defined for peer venv {name!r}; "
                         f"known venvs are {sorted(PEER_REQUIREMENTS)}.")
    requirements = PEER_REQUIREMENTS[name]
    venv_dir = root / name
    python = venv_python(root, name)
    marker = venv_dir / MARKER_NAME
    expected = "\n".join(requirements) + "\n"

    if python.exists() and marker.exists() and marker.read_text() == expected:
        logger.info("Reusing venv %s", venv_dir)
        return python

    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"venv-{name}.log"
    if not python.exists():
        logger.info("Creating venv %s", venv_dir)
        _run_logged([sys.executable, "-m", "venv", str(venv_dir)], log_path)
    for requirement in requirements:
        logger.info("Installing %s into %s (log: %s)", requirement, venv_dir, log_path)
        _run_logged([str(python), "-m", "pip", "install", requirement], log_path)

    marker.write_text(expected)
    return python


def _run_logged(command: list[str], log_path: Path) -> None:
    with log_path.open("a") as log:
        log.write(f"$ {' '.join(command)}\n")
        log.flush()
        completed = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"Command failed with exit code {completed.returncode}: {' '.join(command)}. "
                           f"See {log_path} for pip's output.")
