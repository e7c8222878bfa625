"""Exceptions and warning classes raised by genesis.

Every exception is a `GenesisError` and also the built-in type that fits it
(`ValueError` for a wrong value, `TypeError` for a wrong type), so callers can
catch either. Messages follow one template: what is invalid, the value, the
constraint, then what to do (see `invalid_value`).
"""

from __future__ import annotations

from typing import Any


class GenesisError(Exception):
    """Base class of every error raised by genesis."""


class InvalidDataError(GenesisError, ValueError):
    """The input table cannot be modelled as it is (empty, inf values, mixed types ...)."""


class InvalidColumnTypeError(GenesisError, TypeError):
    """A column name or column content has a type genesis cannot handle."""


class ConfigError(GenesisError, ValueError):
    """A configuration key or value is invalid."""


class NotFittedError(GenesisError, RuntimeError):
    """A method that needs a fitted model was called before `fit`."""


class MissingDependencyError(GenesisError, ImportError):
    """An optional dependency is needed for the requested feature."""


class NotSupportedError(GenesisError, NotImplementedError):
    """A requested feature is not implemented in this version."""


class ModelFileError(GenesisError, ValueError):
    """A saved model file is not a genesis model, is damaged, or was altered."""


class ModelVersionError(ModelFileError):
    """A saved model was written by a newer, incompatible file format."""


class GenesisWarning(UserWarning):
    """Base class of every warning issued by genesis."""


class PrivacyWarning(GenesisWarning):
    """A setting or an input weakens privacy; the message explains how."""


class IdentifierColumnWarning(PrivacyWarning):
    """A column looks like a record identifier and is replaced by surrogate values."""


class IgnoredSettingWarning(GenesisWarning):
    """A setting does not apply to what was chosen and has no effect; the message names it."""


class DataWarning(GenesisWarning):
    """The input has a property that limits what the model can learn."""


class UtilityWarning(GenesisWarning):
    """The settings will cost quality of the synthetic data; the message says which and what helps."""


def invalid_value(what: str, value: Any, constraint: str, fix: str) -> str:
    """Build the standard error message: name, value, constraint, then the fix."""
    return f"{what} is {_short_repr(value)}, but {constraint}. {fix}"


def _short_repr(value: Any, limit: int = 80) -> str:
    text = repr(value)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text
