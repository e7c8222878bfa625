"""Saving and loading fitted models without pickle.

A model file is a zip archive holding ``manifest.json`` (format version,
genesis version, method, config, schema, domain, the generator's JSON state
and a SHA-256 digest of every member) and one ``.npy`` file per array.
Arrays are read with ``allow_pickle=False`` and JSON is parsed as data, so
loading a file runs none of its content as code. A member whose digest does
not match, an unexpected member, or a pickle file is rejected.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from genesis.domain import Domain
from genesis.errors import ConfigError, ModelFileError, ModelVersionError
from genesis.generators import generator_class
from genesis.holdout import DEFAULT_HOLDOUT, holdout_entry
from genesis.privacy.config import PrivacyConfig
from genesis.privacy.ledger import PrivacyLedger
from genesis.schema import Schema

if TYPE_CHECKING:
    from genesis.synthesizer import SyntheticGenerator

FORMAT_NAME = "genesis-model"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MAX_MEMBER_BYTES = 4 * 1024**3
"""Largest uncompressed member accepted, so a crafted archive cannot exhaust memory."""

_PICKLE_MAGIC = (b"\x80", b"(")


def save_model(model: SyntheticGenerator, path: Path) -> Path:
    """Write `model` to `path` and return the path."""
    state, arrays = model.generator_.get_state()
    members: dict[str, bytes] = {f"arrays/{i:04d}.npy": _npy_bytes(a) for i, a in enumerate(arrays.values())}
    array_files = {name: f"arrays/{i:04d}.npy" for i, name in enumerate(arrays)}

    manifest = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "genesis_version": _genesis_version(),
        "method": model.method_,
        "config": model.generator_.config,
        "random_state": model.random_state if isinstance(model.random_state, int) else None,
        "n_training_rows": model.n_training_rows_,
        "max_categories": model.max_categories,
        "identifiers": model.identifiers,
        "schema": model.schema_.to_dict(),
        "domain": model.domain_.to_dict(),
        "generator_state": state,
        "privacy": model.privacy_config_.to_dict() if model.privacy_config_ is not None else None,
        "ledger": model.ledger_.to_dict() if model.ledger_ is not None else None,
        "output_bounds": {name: list(bounds) for name, bounds in model.output_bounds_.items()},
        "outliers_removed": model.n_outliers_removed_,
        "holdout_share": model.holdout,
        "holdout": _holdout_facts(model),
        "arrays": array_files,
        "digests": {name: _sha256(data) for name, data in members.items()},
    }

    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST, json.dumps(manifest, sort_keys=True))
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def load_model(path: Path) -> SyntheticGenerator:
    """Read a model written by `save_model`."""
    from genesis.synthesizer import SyntheticGenerator

    manifest, members = _read_archive(path)
    _check_format(manifest, path)
    arrays = {name: _load_npy(members[file], file, path) for name, file in manifest["arrays"].items()}

    try:
        generator_type = generator_class(manifest["method"])
        generator = generator_type.from_state(manifest["config"], manifest["generator_state"], arrays)
        schema = Schema.from_dict(manifest["schema"])
        domain = Domain.from_dict(manifest["domain"])
        privacy = PrivacyConfig.from_value(manifest.get("privacy"))
        ledger = PrivacyLedger.from_dict(manifest["ledger"]) if manifest.get("ledger") else None
    except (KeyError, TypeError, ValueError, ConfigError) as error:
        raise ModelFileError(f"{path} is not a valid genesis model: {error}. Re-save the model.") from error

    model = SyntheticGenerator(
        method=manifest["method"],
        privacy=privacy,
        config=manifest["config"],
        random_state=manifest["random_state"],
        max_categories=manifest["max_categories"],
        identifiers=manifest["identifiers"],
        holdout=manifest.get("holdout_share", DEFAULT_HOLDOUT),
    )
    model._restore(manifest["method"], schema, domain, generator, manifest["n_training_rows"],
                   privacy, ledger, _holdout_not_in_memory(manifest.get("holdout")))
    model.output_bounds_ = {name: (float(low), float(high))
                            for name, (low, high) in manifest.get("output_bounds", {}).items()}
    model.n_outliers_removed_ = int(manifest.get("outliers_removed", 0))
    return model


def _holdout_facts(model: SyntheticGenerator) -> dict[str, Any] | None:
    """Return the holdout's size and share for the manifest: never its rows, and no registry id."""
    if model.holdout_ is None:
        return None
    return {key: model.holdout_[key] for key in ("rows", "share", "unit_column")}


def _holdout_not_in_memory(facts: dict[str, Any] | None) -> dict[str, Any] | None:
    """Return the release-record entry of a loaded model, whose holdout rows stayed in the fitting process."""
    if not facts:
        return None
    return holdout_entry(None, facts["rows"], facts["share"], facts.get("unit_column"))


def _read_archive(path: Path) -> tuple[dict[str, Any], dict[str, bytes]]:
    if not path.is_file():
        raise FileNotFoundError(f"Model file {str(path)!r} not found. Check the path.")
    with path.open("rb") as handle:
        head = handle.read(2)
    if not zipfile.is_zipfile(path):
        hint = ""
        if head[:1] in _PICKLE_MAGIC:
            hint = " It looks like a pickle file; genesis never loads pickles, because they can run code."
        raise ModelFileError(f"{path} is not a genesis model file (not a zip archive).{hint}")

    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        too_large = [i.filename for i in infos if i.file_size > MAX_MEMBER_BYTES]
        if too_large:
            raise ModelFileError(f"{path} has members larger than {MAX_MEMBER_BYTES} bytes: {too_large}.")
        if MANIFEST not in archive.namelist():
            raise ModelFileError(f"{path} has no {MANIFEST}, so it is not a genesis model file.")
        members = {info.filename: archive.read(info) for info in infos}

    try:
        manifest = json.loads(members.pop(MANIFEST).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelFileError(f"{path} has a damaged {MANIFEST}: {error}.") from error
    if not isinstance(manifest, dict):
        raise ModelFileError(f"{path} has a damaged {MANIFEST}: expected a JSON object.")
    _check_digests(manifest, members, path)
    return manifest, members


def _check_format(manifest: dict[str, Any], path: Path) -> None:
    if manifest.get("format") != FORMAT_NAME:
        raise ModelFileError(f"{path} is not a genesis model file (format {manifest.get('format')!r}).")
    version = manifest.get("format_version")
    if not isinstance(version, int):
        raise ModelFileError(f"{path} has an invalid format_version {version!r}.")
    if version > FORMAT_VERSION:
        raise ModelVersionError(
            f"{path} uses model format version {version}, written by genesis "
            f"{manifest.get('genesis_version')}, but this genesis ({_genesis_version()}) reads versions "
            f"up to {FORMAT_VERSION}. Upgrade genesis-synth to load it."
        )


def _check_digests(manifest: dict[str, Any], members: dict[str, bytes], path: Path) -> None:
    digests = manifest.get("digests")
    if not isinstance(digests, dict):
        raise ModelFileError(f"{path} has no member digests in {MANIFEST}; it was altered or damaged.")
    if set(digests) != set(members):
        extra = sorted(set(members) - set(digests))
        missing = sorted(set(digests) - set(members))
        raise ModelFileError(
            f"{path} was altered: unexpected members {extra}, missing members {missing}. "
            "Use the file as written by SyntheticGenerator.save."
        )
    changed = sorted(name for name, data in members.items() if _sha256(data) != digests[name])
    if changed:
        raise ModelFileError(
            f"{path} was altered or damaged: the content of {changed} does not match its SHA-256 "
            "digest. Use the file as written by SyntheticGenerator.save."
        )


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def _load_npy(data: bytes, name: str, path: Path) -> np.ndarray:
    try:
        return np.load(io.BytesIO(data), allow_pickle=False)
    except ValueError as error:
        raise ModelFileError(f"{path}: member {name} is not a plain numeric array ({error}).") from error


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _genesis_version() -> str:
    from genesis import __version__

    return __version__
