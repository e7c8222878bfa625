"""The privacy settings of one fit: differential privacy, k-anonymity and the privacy unit.

`PrivacyConfig.from_value` turns what a user passes as `privacy` (None, a
preset name, a dict, or a `PrivacyConfig`) into a validated config. The dict
form is::

    {'differential_privacy': {'epsilon': 1.0, 'delta': 1e-5},
     'k_anonymity': {'k': 5, 'quasi_identifiers': ['age', 'gender', 'zip_code']},
     'suppress_outliers': True, 'min_category_count': 10}

plus the optional keys 'preset', 'quasi_identifiers' (with a preset),
'unit_column', 'max_rows_per_unit' and 'domain_share'. The table's size is
known only at fit, so delta is chosen or checked by `resolve_for_table`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field, replace
from typing import Any

from genesis.errors import ConfigError, PrivacyWarning, invalid_value

# Sensitivity level -> (epsilon, k).
PRESETS: dict[str, tuple[float, int]] = {
    "low": (10.0, 3),
    "medium": (5.0, 5),
    "high": (1.0, 5),
    "very_high": (0.5, 10),
}
TOP_LEVEL_KEYS = ("preset", "differential_privacy", "k_anonymity", "quasi_identifiers", "suppress_outliers",
                  "min_category_count", "domain_share", "unit_column", "max_rows_per_unit", "safe_harbor")
DIFFERENTIAL_PRIVACY_KEYS = ("epsilon", "delta")
K_ANONYMITY_KEYS = ("k", "quasi_identifiers", "max_suppression")

DEFAULT_DELTA = 1e-5
DEFAULT_DOMAIN_SHARE = 0.1
# Above this epsilon the guarantee bounds an attacker's gain only loosely, so `resolve_for_table` warns.
LARGE_EPSILON = 10.0


@dataclass(frozen=True, kw_only=True)
class PrivacyConfig:
    """Validated privacy settings; build with `from_value`, `preset` or keywords.

    Every field is checked when the config is built and a wrong value raises
    `ConfigError`. An instance with neither `epsilon` nor `k` requests no
    protection.
    """

    epsilon: float | None = None
    """Differential privacy budget for the whole fit; None means no differential privacy."""

    delta: float | None = None
    """DP failure probability, in [0, 1); None chooses 1e-5, or 1 / (10 n) when that is smaller, at fit."""

    k: int | None = None
    """k-anonymity: every combination of quasi-identifier values occurs in at least k output rows (>= 2)."""

    quasi_identifiers: tuple[str, ...] = ()
    """Columns an attacker could link to other data (e.g. age, gender, zip code); needed with k."""

    suppress_outliers: bool = False
    """Remove rows whose quasi-identifier combination stays rarer than k after generalization."""

    min_category_count: int | None = None
    """Categories with fewer rows than this are merged into an "other" category; None keeps all."""

    domain_share: float = DEFAULT_DOMAIN_SHARE
    """Share of the DP budget spent on discovering column domains (categories, bounds), in (0, 1)."""

    unit_column: str | None = None
    """Column naming the privacy unit (e.g. patient id); None makes each row its own unit."""

    max_rows_per_unit: int = 1
    """Rows kept per unit; extra rows of a unit are dropped at random before fitting.

    DP protects a whole unit only when its contribution is bounded: the
    sensitivity of every measurement is this number of rows. It must be 1
    when `unit_column` is None.
    """

    max_suppression: float = 0.01
    """Largest share of output rows that k-anonymity may suppress, in [0, 1)."""

    safe_harbor: bool = True
    """Never release quasi-identifiers recognised as ZIP codes, ages or dates finer than HIPAA Safe
    Harbor allows (ZIP3 with restricted prefixes as 000, ages top-coded at "90+", dates as years)."""

    preset_name: str | None = field(default=None)
    """Name of the preset the settings came from, if any ("low", "medium", "high", "very_high")."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "quasi_identifiers", _check_quasi_identifiers(self.quasi_identifiers))
        _check_differential_privacy(self.epsilon, self.delta)
        _check_k(self.k, self.quasi_identifiers)
        _check_flags(self.suppress_outliers, self.min_category_count, self.domain_share)
        _check_unit(self.unit_column, self.max_rows_per_unit)
        _check_anonymity_options(self.max_suppression, self.safe_harbor)
        if self.preset_name is not None and self.preset_name not in PRESETS:
            raise ConfigError(_preset_message(self.preset_name))

    # Building ---------------------------------------------------------------------------

    @classmethod
    def preset(cls, name: str, quasi_identifiers: Any = (), **settings: Any) -> PrivacyConfig:
        """Return the preset `name` ("low", "medium", "high" or "very_high") for these quasi-identifiers.

        Presets set epsilon and k: low 10.0 / 3, medium 5.0 / 5, high 1.0 / 5,
        very_high 0.5 / 10. `settings` sets any other field (e.g. delta).
        """
        if not isinstance(name, str) or name not in PRESETS:
            raise ConfigError(_preset_message(name))
        epsilon, k = PRESETS[name]
        return cls(epsilon=epsilon, k=k, quasi_identifiers=quasi_identifiers, preset_name=name, **settings)

    @classmethod
    def from_value(cls, value: Any) -> PrivacyConfig | None:
        """Return the config for a `privacy` argument, or None for no protection.

        Accepts None or an empty dict (no protection), a `PrivacyConfig`, a
        preset name, or the dict form of the module docstring. Unknown keys,
        at the top level or inside a section, raise `ConfigError` listing the
        valid keys.
        """
        if value is None or isinstance(value, PrivacyConfig):
            return value
        if isinstance(value, str):
            return cls.preset(value)
        if not isinstance(value, dict):
            raise ConfigError(invalid_value("privacy", value,
                                            "it must be None, a preset name, a dict or a PrivacyConfig",
                                            f"Use a dict with keys among {list(TOP_LEVEL_KEYS)}."))
        if not value:
            return None
        return cls(**_settings_from_dict(value))

    def resolve_for_table(self, n_units: int) -> PrivacyConfig:
        """Return this config with delta chosen or checked for a table of `n_units` privacy units.

        delta = None becomes min(1e-5, 1 / (10 n)). A delta of at least 1 / n
        raises `ConfigError`: a mechanism that publishes one random unit's
        rows in full is (0, 1/n)-DP, so such a delta allows that. A delta
        above 1 / (10 n) issues a `PrivacyWarning`, as does epsilon above 10.
        Raises `ConfigError` when k is set without quasi-identifiers.
        """
        if not (isinstance(n_units, int) and not isinstance(n_units, bool) and n_units >= 1):
            raise ConfigError(invalid_value("n_units", n_units, "it must be an integer >= 1",
                                            "Pass the number of privacy units in the table."))
        if self.k is not None and not self.quasi_identifiers:
            raise ConfigError(invalid_value(
                "quasi_identifiers", [],
                f"k-anonymity with k={self.k} needs the columns an attacker could link",
                f"Pass them, e.g. {{'preset': {self.preset_name or 'high'!r}, "
                "'quasi_identifiers': ['age', 'gender', 'zip_code']}."))
        if self.epsilon is None:
            return self

        if self.epsilon > LARGE_EPSILON:
            warnings.warn(f"epsilon={self.epsilon:g} is above {LARGE_EPSILON:g}: the differential privacy "
                          "guarantee bounds an attacker's gain only loosely at this level.",
                          PrivacyWarning, stacklevel=2)
        delta = self.delta if self.delta is not None else min(DEFAULT_DELTA, 1.0 / (10 * n_units))
        if delta >= 1.0 / n_units:
            raise ConfigError(invalid_value(
                "delta", delta,
                f"it must be below 1/n = {1.0 / n_units:.3g} for {n_units} privacy units (the "
                "training rows, or units with unit_column, after the holdout)",
                f"Use delta <= {1.0 / (10 * n_units):.3g} (1/(10 n)), or leave delta unset to choose it."))
        if delta > 1.0 / (10 * n_units):
            warnings.warn(f"delta={delta:g} is above 1/(10 n) = {1.0 / (10 * n_units):.3g} for a table of "
                          f"{n_units} units, so the chance that some unit's data is exposed is not small. "
                          "Use a smaller delta.", PrivacyWarning, stacklevel=2)
        return replace(self, delta=delta)

    def to_dict(self) -> dict[str, Any]:
        """Return the settings in the dict form `from_value` accepts, JSON-safe."""
        differential_privacy = None
        if self.epsilon is not None:
            differential_privacy = {"epsilon": self.epsilon, "delta": self.delta}
        k_anonymity = None
        if self.k is not None:
            k_anonymity = {"k": self.k, "quasi_identifiers": list(self.quasi_identifiers),
                           "max_suppression": self.max_suppression}
        return {
            "preset": self.preset_name,
            "differential_privacy": differential_privacy,
            "k_anonymity": k_anonymity,
            "suppress_outliers": self.suppress_outliers,
            "min_category_count": self.min_category_count,
            "domain_share": self.domain_share,
            "unit_column": self.unit_column,
            "max_rows_per_unit": self.max_rows_per_unit,
            "safe_harbor": self.safe_harbor,
        }


# Parsing the dict form -----------------------------------------------------------------

def _settings_from_dict(value: dict[str, Any]) -> dict[str, Any]:
    """Return PrivacyConfig keywords for the dict form; unknown or conflicting keys raise `ConfigError`."""
    _check_keys("privacy", value, TOP_LEVEL_KEYS)
    differential_privacy = _section(value, "differential_privacy", DIFFERENTIAL_PRIVACY_KEYS)
    k_anonymity = _section(value, "k_anonymity", K_ANONYMITY_KEYS)

    settings: dict[str, Any] = {key: value[key] for key in ("suppress_outliers", "min_category_count",
                                                             "domain_share", "unit_column",
                                                             "max_rows_per_unit", "safe_harbor")
                                if key in value}
    settings.update(differential_privacy)
    settings.update(k_anonymity)
    if "quasi_identifiers" in value:
        if "quasi_identifiers" in k_anonymity:
            both = ["quasi_identifiers", "k_anonymity.quasi_identifiers"]
            raise ConfigError(invalid_value("privacy keys", both,
                                            "the quasi-identifiers may be given only once",
                                            "Keep one of the two."))
        settings["quasi_identifiers"] = value["quasi_identifiers"]

    preset = value.get("preset")
    if preset is None:
        return settings
    if not isinstance(preset, str) or preset not in PRESETS:
        raise ConfigError(_preset_message(preset))
    for name, preset_value in zip(("epsilon", "k"), PRESETS[preset], strict=True):
        if settings.get(name, preset_value) != preset_value:
            raise ConfigError(invalid_value(
                name, settings[name], f"the preset {preset!r} sets {name}={preset_value}",
                f"Remove {name} to use the preset, or remove the preset to set {name} yourself."))
        settings[name] = preset_value
    settings["preset_name"] = preset
    return settings


def _section(value: dict[str, Any], name: str, keys: tuple[str, ...]) -> dict[str, Any]:
    section = value.get(name)
    if section is None:
        return {}
    if not isinstance(section, dict):
        raise ConfigError(invalid_value(name, section, "it must be a dict or None",
                                        f"Use a dict with keys among {list(keys)}."))
    _check_keys(name, section, keys)
    return dict(section)


def _check_keys(name: str, section: dict[str, Any], keys: tuple[str, ...]) -> None:
    unknown = sorted(str(key) for key in set(section) - set(keys))
    if unknown:
        raise ConfigError(invalid_value(f"{name} keys", unknown, f"the valid keys are {list(keys)}",
                                        "Remove or correct the unknown keys."))


# Field checks ---------------------------------------------------------------------------

def _is_real(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_quasi_identifiers(value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise ConfigError(invalid_value("quasi_identifiers", value, "it must be a list of column names",
                                        "Pass for example ['age', 'gender', 'zip_code']."))
    names = tuple(value)
    if not all(isinstance(name, str) and name for name in names):
        raise ConfigError(invalid_value("quasi_identifiers", value,
                                        "every entry must be a non-empty column name",
                                        "Pass the column names as strings."))
    if len(set(names)) != len(names):
        raise ConfigError(invalid_value("quasi_identifiers", value, "a column may appear only once",
                                        "Remove the repeated names."))
    return names


def _check_differential_privacy(epsilon: Any, delta: Any) -> None:
    if epsilon is not None and not (_is_real(epsilon) and math.isfinite(epsilon) and epsilon > 0):
        raise ConfigError(invalid_value("epsilon", epsilon, "it must be a positive finite number",
                                        "Use for example epsilon=1.0; smaller is more private."))
    if delta is None:
        return
    if not (_is_real(delta) and 0 <= delta < 1):
        raise ConfigError(invalid_value("delta", delta, "it must be a number in [0, 1)",
                                        "Use for example delta=1e-5, or leave it unset to choose it at fit."))
    if epsilon is None:
        raise ConfigError(invalid_value("delta", delta, "it needs epsilon, as it belongs to differential "
                                        "privacy", "Set epsilon as well, or remove delta."))


def _check_k(k: Any, quasi_identifiers: tuple[str, ...]) -> None:
    if k is not None and not (_is_integer(k) and k >= 2):
        raise ConfigError(invalid_value("k", k, "it must be an integer >= 2",
                                        "Use for example k=5: each record then hides among at least 5."))
    if k is None and quasi_identifiers:
        raise ConfigError(invalid_value("quasi_identifiers", list(quasi_identifiers),
                                        "they are used only with k",
                                        "Set k, or remove the quasi-identifiers."))


def _check_flags(suppress_outliers: Any, min_category_count: Any, domain_share: Any) -> None:
    if not isinstance(suppress_outliers, bool):
        raise ConfigError(invalid_value("suppress_outliers", suppress_outliers, "it must be True or False",
                                        "Pass a bool."))
    if min_category_count is not None and not (_is_integer(min_category_count) and min_category_count >= 0):
        raise ConfigError(invalid_value("min_category_count", min_category_count,
                                        "it must be an integer >= 0 or None", "Use for example 10."))
    if not (_is_real(domain_share) and 0 < domain_share < 1):
        raise ConfigError(invalid_value("domain_share", domain_share, "it must be a number in (0, 1)",
                                        "Use for example 0.1, a tenth of the budget."))


def _check_anonymity_options(max_suppression: Any, safe_harbor: Any) -> None:
    if not (_is_real(max_suppression) and 0 <= max_suppression < 1):
        raise ConfigError(invalid_value("max_suppression", max_suppression, "it must be a number in [0, 1)",
                                        "Use for example 0.01, at most 1% of rows suppressed."))
    if not isinstance(safe_harbor, bool):
        raise ConfigError(invalid_value("safe_harbor", safe_harbor, "it must be True or False",
                                        "Pass a bool."))


def _check_unit(unit_column: Any, max_rows_per_unit: Any) -> None:
    if unit_column is not None and not (isinstance(unit_column, str) and unit_column):
        raise ConfigError(invalid_value("unit_column", unit_column, "it must be a column name or None",
                                        "Pass the name of the column that identifies a patient."))
    if not (_is_integer(max_rows_per_unit) and max_rows_per_unit >= 1):
        raise ConfigError(invalid_value("max_rows_per_unit", max_rows_per_unit, "it must be an integer >= 1",
                                        "Use for example 1, or the number of visits to keep per patient."))
    if unit_column is None and max_rows_per_unit != 1:
        raise ConfigError(invalid_value("max_rows_per_unit", max_rows_per_unit,
                                        "it must be 1 when each row is its own unit (unit_column is None)",
                                        "Set unit_column, or remove max_rows_per_unit."))


def _preset_message(name: Any) -> str:
    return invalid_value("preset", name, f"it must be one of {list(PRESETS)}",
                         "Use a preset name, or a dict with 'differential_privacy' and 'k_anonymity'.")
