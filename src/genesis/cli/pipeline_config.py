"""The configuration file of `genesis run`: a YAML mapping, checked completely before any stage runs.

Two checks happen up front. `load_config` checks keys and value types and
the privacy and generator settings (an unknown key lists the valid ones).
`check_columns` checks that every column the file names is in the input
table, reading only the table's header. Each error names the file, the key
and the fix, so a typo costs seconds instead of a failed run.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from genesis import holdout as holdouts
from genesis.compliance.frameworks import ComplianceFramework
from genesis.errors import ConfigError, GenesisError, invalid_value
from genesis.generators import generator_class
from genesis.privacy.config import (
    DIFFERENTIAL_PRIVACY_KEYS,
    K_ANONYMITY_KEYS,
    TOP_LEVEL_KEYS,
    PrivacyConfig,
)
from genesis.synthesizer import resolve_method

KEYS: dict[str, str] = {
    "input": "Table to synthesize, .csv or .parquet. A relative path is read from the config file's folder.",
    "input_source": "Where the input table comes from, e.g. a download page; printed when the input "
    "file is not found.",
    "output": "Folder for every output, created when missing. A relative path is read from the config "
    "file's folder.",
    "na_values": "CSV strings that mean missing, e.g. ['?']. Only empty fields are missing otherwise.",
    "text_columns": "Columns of a CSV input read as text even when every value is a number, e.g. ZIP or "
    "diagnosis codes, so that they keep their spelling and are modelled as categories.",
    "drop_columns": "Columns to leave out before fitting, e.g. direct identifiers such as record numbers.",
    "discrete_columns": "Columns to model as categories even when they hold numbers.",
    "quasi_identifiers": "Columns an attacker could link to other data; used for k-anonymity, the audit "
    "and the linkage attack.",
    "sensitive_columns": "Secrets for attribute inference in the audit and the attacks [default: every "
    "column that is not a quasi-identifier].",
    "target_column": "Column the quality report's utility models predict [default: chosen by the evaluator].",
    "method": "Generator: auto, mst, ctgan or gaussian_copula [default: auto, which is MST under "
    "differential privacy].",
    "privacy": "Privacy settings: a preset (low, medium, high, very_high) or a mapping with "
    "differential_privacy, k_anonymity, suppress_outliers, min_category_count, unit_column ...",
    "generator": "Settings of the method, e.g. {epochs: 300, batch_size: 500} for CTGAN.",
    "public_domain": "Column domains declared public, e.g. {age: {lower: 0, upper: 110}}; they cost no "
    "privacy budget.",
    "holdout": "Share of rows (units) kept out of training for the audit, from 0 to 0.5 [default: 0.2].",
    "rows": "Synthetic rows to generate [default: as many as the input].",
    "seed": "Integer seed for every random step [default: none, so DP noise comes from the OS's "
    "secure entropy].",
    "output_format": "csv or parquet, for the synthetic table [default: csv].",
    "framework": "Assessment framework(s): hipaa, gdpr or ccpa, or a list of them [default: hipaa].",
    "organization": "Organization named in the assessment.",
    "data_description": "Description of the data, printed in the assessment.",
    "purpose": "Purpose of the release, printed in the assessment.",
}
REQUIRED_KEYS = ("input", "output")
OUTPUT_FORMATS = ("csv", "parquet")


@dataclass(frozen=True)
class PipelineConfig:
    """A checked pipeline configuration; see `KEYS` for what each field sets."""

    output: Path
    input: Path | None = None
    input_source: str | None = None
    na_values: tuple[str, ...] = ()
    text_columns: tuple[str, ...] = ()
    drop_columns: tuple[str, ...] = ()
    discrete_columns: tuple[str, ...] = ()
    quasi_identifiers: tuple[str, ...] = ()
    sensitive_columns: tuple[str, ...] | None = None
    target_column: str | None = None
    method: str = "auto"
    privacy: Any = None
    generator: dict[str, Any] = field(default_factory=dict)
    public_domain: dict[str, Any] | None = None
    holdout: float = holdouts.DEFAULT_HOLDOUT
    rows: int | None = None
    seed: int | None = None
    output_format: str = "csv"
    frameworks: tuple[str, ...] = ("hipaa",)
    organization: str | None = None
    data_description: str | None = None
    purpose: str | None = None
    source: str = "pipeline settings"
    """Origin of the settings (the config file's path), named in error messages."""

    @property
    def privacy_config(self) -> PrivacyConfig | None:
        return PrivacyConfig.from_value(self.privacy)

    @property
    def resolved_method(self) -> str:
        config = self.privacy_config
        return resolve_method(self.method, config is not None and config.epsilon is not None)

    @property
    def unit_column(self) -> str | None:
        config = self.privacy_config
        return None if config is None else config.unit_column

    def to_dict(self) -> dict[str, Any]:
        """Return the settings as JSON values, for the audit trail."""
        values = {name: getattr(self, name) for name in self.__dataclass_fields__ if name != "source"}
        for name in ("input", "output"):
            values[name] = None if values[name] is None else str(values[name])
        return {name: list(value) if isinstance(value, tuple) else value for name, value in values.items()}


def load_config(path: Path) -> tuple[PipelineConfig, str]:
    """Read and check the YAML file at `path`; return the config and the file's SHA-256."""
    if not path.is_file():
        raise FileNotFoundError(f"Pipeline file {str(path)!r} not found. Check the path.")
    text = path.read_bytes()
    try:
        mapping = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(
            f"{path}: invalid YAML{where} ({getattr(error, 'problem', error)}). "
            "Fix the syntax; keys and values are written as 'key: value'."
        ) from None
    return config_from_mapping(mapping, source=str(path), base=path.parent), hashlib.sha256(text).hexdigest()


def config_from_mapping(
    mapping: Any, *, source: str, base: Path, require_input: bool = True
) -> PipelineConfig:
    """Check a pipeline mapping and return the config; relative paths are read from `base`."""
    if mapping is None:
        raise ConfigError(
            f"{source}: the file is empty. Add at least 'input: data.csv' and 'output: release/'. "
            f"Valid keys: {list(KEYS)}."
        )
    if not isinstance(mapping, Mapping):
        raise ConfigError(
            f"{source}: the file must hold a mapping of keys such as 'input: data.csv', not "
            f"{type(mapping).__name__}. Valid keys: {list(KEYS)}."
        )
    _check_keys(mapping, source)
    for key in REQUIRED_KEYS if require_input else ("output",):
        if mapping.get(key) in (None, ""):
            raise ConfigError(
                f"{source}: key {key!r} is missing. Add it, e.g. '{key}: "
                f"{'data.csv' if key == 'input' else 'release/'}'."
            )

    checker = _Checker(mapping, source)
    quasi = checker.names("quasi_identifiers")
    config = PipelineConfig(
        input=checker.path("input", base),
        input_source=checker.text("input_source"),
        output=checker.path("output", base),
        na_values=checker.names("na_values"),
        text_columns=checker.names("text_columns"),
        drop_columns=checker.names("drop_columns"),
        discrete_columns=checker.names("discrete_columns"),
        quasi_identifiers=quasi,
        sensitive_columns=checker.names("sensitive_columns") if "sensitive_columns" in mapping else None,
        target_column=checker.text("target_column"),
        method=checker.text("method") or "auto",
        privacy=_privacy_with_quasi_identifiers(mapping.get("privacy"), quasi, source),
        generator=checker.sub_mapping("generator") or {},
        public_domain=checker.sub_mapping("public_domain"),
        holdout=checker.holdout(),
        rows=checker.positive_integer("rows"),
        seed=checker.seed(),
        output_format=checker.choice("output_format", OUTPUT_FORMATS) or "csv",
        frameworks=checker.frameworks(),
        organization=checker.text("organization"),
        data_description=checker.text("data_description"),
        purpose=checker.text("purpose"),
        source=source,
    )
    _check_method(config)
    return config


def check_input(config: PipelineConfig) -> None:
    """Raise `ConfigError` naming the key 'input' (and `input_source`) when the input file is missing."""
    if config.input is None or config.input.is_file():
        return
    origin = f" The table comes from: {config.input_source}." if config.input_source else ""
    raise ConfigError(
        f"{config.source}: key 'input' names {str(config.input)!r}, which is not found.{origin} Set "
        "'input' to the table's path; a relative path is read from the config file's folder."
    )


def check_columns(config: PipelineConfig, columns: Sequence[str], table: str) -> None:
    """Raise `ConfigError` naming the key when the config names a column that `table` does not have."""
    available = [str(name) for name in columns]
    named: list[tuple[str, str]] = [
        (key, name)
        for key in ("text_columns", "drop_columns", "discrete_columns", "quasi_identifiers")
        for name in getattr(config, key)
    ]
    named += [("sensitive_columns", name) for name in config.sensitive_columns or ()]
    named += [("public_domain", name) for name in config.public_domain or {}]
    for key, name in (("target_column", config.target_column), ("privacy.unit_column", config.unit_column)):
        if name is not None:
            named.append((key, name))

    for key, name in named:
        if name not in available:
            raise ConfigError(
                f"{config.source}: key {key!r} names column {name!r}, which is not in {table}"
                f"{_suggestion(name, available)} Its columns are {available}."
            )
        if key not in ("drop_columns", "text_columns") and name in config.drop_columns:
            raise ConfigError(
                f"{config.source}: key {key!r} names column {name!r}, which drop_columns "
                "removes. Keep the column or remove it from one of the two keys."
            )


class _Checker:
    """Type checks of single keys; each error names the key, the value and an example."""

    def __init__(self, mapping: Mapping[str, Any], source: str) -> None:
        self.mapping = mapping
        self.source = source

    def fail(self, key: str, constraint: str, example: str) -> GenesisError:
        return ConfigError(
            f"{self.source}: "
            + invalid_value(f"key {key!r}", self.mapping[key], constraint, f"Write e.g. '{key}: {example}'.")
        )

    def names(self, key: str) -> tuple[str, ...]:
        value = self.mapping.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(item, str | int) for item in value):
            raise self.fail(key, "it must be a list of column names", "[age, gender]")
        return tuple(str(item) for item in value)

    def text(self, key: str) -> str | None:
        value = self.mapping.get(key)
        if value is not None and not isinstance(value, str):
            raise self.fail(key, "it must be text", "some text")
        return value

    def path(self, key: str, base: Path) -> Path | None:
        value = self.text(key)
        if value is None:
            return None
        path = Path(value).expanduser()
        return path if path.is_absolute() else base / path

    def sub_mapping(self, key: str) -> dict[str, Any] | None:
        value = self.mapping.get(key)
        if value is not None and not isinstance(value, Mapping):
            raise self.fail(key, "it must be a mapping", "{epochs: 300}")
        return None if value is None else dict(value)

    def positive_integer(self, key: str) -> int | None:
        value = self.mapping.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise self.fail(key, "it must be a positive integer", "10000")
        return value

    def seed(self) -> int | None:
        value = self.mapping.get("seed")
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise self.fail("seed", "it must be a non-negative integer or absent", "0")
        return value

    def holdout(self) -> float:
        if self.mapping.get("holdout") is None:
            return holdouts.DEFAULT_HOLDOUT
        try:
            return holdouts.check_holdout_share(self.mapping["holdout"])
        except ConfigError:
            raise self.fail(
                "holdout", f"it must be a share of rows from 0 to {holdouts.MAX_HOLDOUT}", "0.2"
            ) from None

    def choice(self, key: str, choices: Sequence[str]) -> str | None:
        value = self.mapping.get(key)
        if value is not None and value not in choices:
            raise self.fail(key, f"it must be one of {list(choices)}", choices[0])
        return value

    def frameworks(self) -> tuple[str, ...]:
        value = self.mapping.get("framework")
        if value is None:
            return ("hipaa",)
        values = value if isinstance(value, list) else [value]
        valid = [member.name.lower() for member in ComplianceFramework]
        try:
            return tuple(ComplianceFramework.parse(item).name.lower() for item in values)
        except ConfigError:
            unknown = next((str(item) for item in values if str(item).lower() not in valid), "")
            raise self.fail(
                "framework",
                f"it must be one of {valid} or a list of them{_suggestion(unknown, valid)}",
                "[hipaa, gdpr]",
            ) from None


def _check_keys(mapping: Mapping[Any, Any], source: str) -> None:
    for key in mapping:
        if key not in KEYS:
            raise ConfigError(
                f"{source}: unknown key {key!r}{_suggestion(str(key), list(KEYS))} Valid keys: {list(KEYS)}."
            )


def _privacy_with_quasi_identifiers(privacy: Any, quasi: tuple[str, ...], source: str) -> Any:
    """Return the privacy setting with the top-level quasi-identifiers filled in, checked by the library."""
    if isinstance(privacy, str) and quasi:
        privacy = {"preset": privacy}
    if isinstance(privacy, Mapping):
        privacy = dict(privacy)
        section = privacy.get("k_anonymity")
        own = privacy.get("quasi_identifiers") or (
            section.get("quasi_identifiers") if isinstance(section, Mapping) else None
        )
        if own is not None and quasi and list(own) != list(quasi):
            raise ConfigError(
                f"{source}: key 'privacy' names quasi-identifiers {list(own)}, but key "
                f"'quasi_identifiers' names {list(quasi)}. Give them once, in "
                "'quasi_identifiers'."
            )
        if own is None and quasi:
            privacy["quasi_identifiers"] = list(quasi)

    try:
        PrivacyConfig.from_value(privacy)
    except ConfigError as error:
        raise ConfigError(f"{source}: key 'privacy': {error}{_privacy_key_suggestion(privacy)}") from None
    return privacy


def _privacy_key_suggestion(privacy: Any) -> str:
    """Return " Did you mean ...?" for the first unknown key of the privacy mapping close to a valid one."""
    if not isinstance(privacy, Mapping):
        return ""
    sections = {"differential_privacy": DIFFERENTIAL_PRIVACY_KEYS, "k_anonymity": K_ANONYMITY_KEYS}
    keys = [(str(key), TOP_LEVEL_KEYS) for key in privacy]
    keys += [
        (str(key), valid)
        for section, valid in sections.items()
        if isinstance(privacy.get(section), Mapping)
        for key in privacy[section]
    ]
    for key, valid in keys:
        close = difflib.get_close_matches(key, valid, n=1)
        if key not in valid and close:
            return f" Did you mean {close[0]!r} for {key!r}?"
    return ""


def _check_method(config: PipelineConfig) -> None:
    """Check the method, that it can train under the privacy settings, and its generator settings."""
    try:
        method = config.resolved_method
        if config.method != "auto":
            generator_class(method).validate_config(config.generator)
    except ConfigError as error:
        key = "generator" if "config keys" in str(error) else "method"
        raise ConfigError(f"{config.source}: key {key!r}: {error}") from None
    except GenesisError as error:
        raise ConfigError(f"{config.source}: key 'method': {error}") from None


def _suggestion(name: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, choices, n=1)
    return f". Did you mean {close[0]!r}?" if close else "."
