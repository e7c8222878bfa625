"""The interface every generator implements, and the registry of methods by name.

A generator learns from a canonical frame (see `genesis.schema.Schema.to_canonical`)
and a `Domain`, and samples canonical rows. It never sees identifier columns,
user dtypes or privacy post-processing; the `SyntheticGenerator` facade does
those. Its fitted state is plain JSON plus named numpy arrays, so that a saved
model loads without running code.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from genesis.domain import Domain
from genesis.errors import ConfigError, invalid_value

ProgressCallback = Callable[[int, int], None]
"""Called as ``progress(done, total)`` while a generator trains (e.g. epochs)."""

_REGISTRY: dict[str, type[Generator]] = {}


class Generator(abc.ABC):
    """A synthesizer of canonical rows.

    Subclasses set `name` and `default_config`, and implement `fit`, `sample`,
    `get_state` and `from_state`. The config is a flat dict of JSON values;
    unknown keys are rejected when the generator is built.

    Privacy contract (for differential privacy): `fit` may read the domain
    freely, but every other statistic it reads from `data` (mixture modes,
    category frequencies, correlations) must go through `ledger` when one is
    given. A generator that cannot do so raises `NotSupportedError` when a
    ledger is passed.
    """

    name: ClassVar[str]
    default_config: ClassVar[dict[str, Any]] = {}
    supports_dp: ClassVar[bool] = False
    """Whether `fit` accepts a privacy ledger and routes every read of the data through it."""

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        self.config = self.validate_config(config or {})
        self.domain_: Domain | None = None

    def training_summary(self) -> dict[str, Any]:
        """Return the settings resolved during `fit` (JSON values), for the release record; {} by default."""
        return {}

    def check_private_fit(self, max_rows_per_unit: int) -> None:
        """Raise before any privacy budget is spent if this generator cannot train under these DP settings.

        `max_rows_per_unit` is the number of rows one privacy unit may
        contribute. The default accepts every setting.
        """
        return None

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        """Merge `config` into the defaults, rejecting unknown keys."""
        unknown = sorted(set(config) - set(cls.default_config))
        if unknown:
            raise ConfigError(
                invalid_value(f"config keys for method {cls.name!r}", unknown,
                              f"the valid keys are {sorted(cls.default_config)}",
                              "Remove or correct the unknown keys.")
            )
        return {**cls.default_config, **config}

    @abc.abstractmethod
    def fit(
        self,
        data: pd.DataFrame,
        domain: Domain,
        ledger: Any | None,
        rng: np.random.Generator,
        progress: ProgressCallback | None = None,
    ) -> Generator:
        """Learn from a canonical frame whose columns are `domain.names`; return self."""

    @abc.abstractmethod
    def sample(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        """Return `n` canonical rows with the columns `domain.names`."""

    @abc.abstractmethod
    def get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Return the fitted state as (JSON-safe dict, named numeric arrays)."""

    @classmethod
    @abc.abstractmethod
    def from_state(
        cls, config: dict[str, Any], state: dict[str, Any], arrays: dict[str, np.ndarray]
    ) -> Generator:
        """Rebuild a fitted generator from `get_state`'s output."""


def register(cls: type[Generator]) -> type[Generator]:
    """Add a generator class to the registry under its `name`."""
    _REGISTRY[cls.name] = cls
    return cls


def generator_class(name: str) -> type[Generator]:
    """Return the registered generator class for a method name."""
    if name not in _REGISTRY:
        raise ConfigError(
            invalid_value("method", name, f"it must be one of {available_methods()}",
                          "Choose one of the listed methods.")
        )
    return _REGISTRY[name]


def available_methods() -> list[str]:
    return sorted(_REGISTRY) + ["auto"]


def dp_methods() -> list[str]:
    """Return the methods that can train under differential privacy."""
    return sorted(name for name, cls in _REGISTRY.items() if cls.supports_dp)
