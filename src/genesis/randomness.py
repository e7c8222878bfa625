"""The randomness contract: every random draw derives from `random_state`.

`random_state` is stored as given. An integer seeds a `numpy.random.SeedSequence`
from which each step spawns its own stream by a fixed key, so fitting and
each call of `generate` are reproducible and independent of one another; with
None the streams come from operating-system entropy. Nothing seeds a global
generator.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from genesis.errors import ConfigError, invalid_value

RandomState = int | np.random.Generator | None


def check_random_state(random_state: Any) -> RandomState:
    if random_state is None or isinstance(random_state, np.random.Generator):
        return random_state
    is_integer = isinstance(random_state, int | np.integer) and not isinstance(random_state, bool)
    if is_integer and random_state >= 0:
        return int(random_state)
    raise ConfigError(
        invalid_value("random_state", random_state, "it must be a non-negative integer, "
                      "a numpy.random.Generator or None", "Pass for example random_state=42.")
    )


def stream(random_state: RandomState, *key: int) -> np.random.Generator:
    """Return the generator for the step named by `key` (e.g. (0,) for fit, (1, k) for the k-th sample).

    A numpy Generator passed as `random_state` is used as it is, so its draws
    continue from its current state.
    """
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None:
        return np.random.default_rng()
    return np.random.default_rng(np.random.SeedSequence(random_state, spawn_key=key))
