"""Generators by method name. Importing this package registers the built-in ones."""

from genesis.generators import ctgan, gaussian_copula, mst  # noqa: F401  (registration)
from genesis.generators.base import (
    Generator,
    ProgressCallback,
    available_methods,
    dp_methods,
    generator_class,
    register,
)

__all__ = ["Generator", "ProgressCallback", "available_methods", "dp_methods", "generator_class", "register"]
