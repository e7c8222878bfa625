"""Checks for optional dependencies that do not import them."""

from __future__ import annotations

import importlib.util
import sys


def torch_available() -> bool:
    """Whether PyTorch can be imported, checked without importing it (which takes seconds)."""
    if "torch" in sys.modules:
        return sys.modules["torch"] is not None
    try:
        return importlib.util.find_spec("torch") is not None
    except (ImportError, ValueError):
        return False
