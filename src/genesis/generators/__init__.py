"""Generators by method name. Importing this package registers the built-in ones."""

import importlib

from genesis.generators.base import (
    Generator,
    ProgressCallback,
    available_methods,
    generator_class,
    register,
)

# TODO: import both modules directly once they are in the tree.
for _module in ("gaussian_copula", "ctgan"):
    try:
        importlib.import_module(f"genesis.generators.{_module}")
    except ModuleNotFoundError as _error:
        if _error.name != f"genesis.generators.{_module}":
            raise

__all__ = ["Generator", "ProgressCallback", "available_methods", "generator_class", "register"]
