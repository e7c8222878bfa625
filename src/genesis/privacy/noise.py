"""Where the randomness of DP noise comes from.

INTERFACE SKELETON: written by the accounting work.

`NoiseSource.from_random_state(random_state)`: with a seed or numpy
Generator, noise is reproducible (for tests); with None, it comes from the
operating system's entropy (a cryptographically secure source).
"""

from __future__ import annotations

from typing import Any


class NoiseSource:
    """A source of random bits for DP mechanisms."""

    @classmethod
    def from_random_state(cls, random_state: Any) -> NoiseSource:
        raise NotImplementedError

    @property
    def reproducible(self) -> bool:
        raise NotImplementedError
