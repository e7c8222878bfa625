"""Privacy protections: configuration, differential privacy, k-anonymity.

This release fits models without privacy protections. A `privacy` argument
naming a protection is rejected with `NotSupportedError` rather than ignored,
because a silently ignored privacy setting would let a user release data they
believe to be protected.
"""

from __future__ import annotations

from typing import Any

from genesis.errors import ConfigError, NotSupportedError, invalid_value

PRIVACY_KEYS = ("differential_privacy", "k_anonymity", "suppress_outliers", "min_category_count")
PRESETS = ("low", "medium", "high", "very_high")


def check_privacy_argument(privacy: Any) -> None:
    """Accept only "no privacy protections" (None or an empty dict) in this release.

    Raises
    ------
    ConfigError
        For a value that is not a dict or a preset name, or an unknown key.
    NotSupportedError
        For any protection that is not implemented yet, naming it.
    """
    if privacy is None or privacy == {}:
        return
    if isinstance(privacy, str):
        if privacy not in PRESETS:
            raise ConfigError(
                invalid_value("privacy", privacy, f"a preset name must be one of {list(PRESETS)}",
                              "Use a preset name or a dict of privacy settings.")
            )
        raise NotSupportedError(
            f"The privacy preset {privacy!r} needs differential privacy and k-anonymity, which this "
            "version of genesis does not implement yet. Pass privacy=None to fit without privacy "
            "protections, and do not release the output as de-identified."
        )
    if not isinstance(privacy, dict):
        raise ConfigError(
            invalid_value("privacy", privacy, "it must be None, a preset name or a dict",
                          f"Use a dict with keys among {list(PRIVACY_KEYS)}.")
        )

    unknown = sorted(set(privacy) - set(PRIVACY_KEYS))
    if unknown:
        raise ConfigError(
            invalid_value("privacy keys", unknown, f"the valid keys are {list(PRIVACY_KEYS)}",
                          "Remove or correct the unknown keys.")
        )
    requested = sorted(key for key, value in privacy.items() if value not in (None, False))
    if requested:
        raise NotSupportedError(
            f"privacy settings {requested} are not implemented in this version of genesis. "
            "Pass privacy=None to fit without privacy protections, and do not release the output "
            "as de-identified."
        )
