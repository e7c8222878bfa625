"""Where the randomness of DP noise comes from.

`NoiseSource.from_random_state(random_state)` returns one of two kinds of
source:

- reproducible (an integer seed or a `numpy.random.Generator`): the bits come
  from numpy's PCG64 generator, so the same seed gives the same noise. PCG64 is
  a statistical generator, not a cryptographic one: anyone who learns the seed
  or enough outputs can predict the noise and subtract it. Use it for tests
  and for experiments that must be repeated, never for a release.
- secure (None): the bits come from the operating system's cryptographically
  secure generator (`os.urandom`), so the noise cannot be predicted or
  replayed. This is the default of the facade.

Both kinds expose the same exact integer primitives (`integers`,
`random_bits`), on which the discrete Gaussian sampler is built, and float
primitives (`uniform`, `gumbel`, `normal`) for the mechanisms that are
floating-point by design (selection, DP-SGD).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from genesis.randomness import check_random_state

_TWO_POW_63 = np.uint64(2**63)
_MANTISSA_BITS = 53


class NoiseSource:
    """A source of random bits for DP mechanisms; build it with `from_random_state`."""

    def __init__(self, generator: np.random.Generator | None = None) -> None:
        self._generator = generator

    @classmethod
    def from_random_state(cls, random_state: Any) -> NoiseSource:
        """Return a reproducible source for a seed or Generator, a secure one for None.

        A numpy Generator is used as it is, so its draws continue from its
        current state. Raises `ConfigError` for any other value.
        """
        checked = check_random_state(random_state)
        if checked is None:
            return cls(None)
        if isinstance(checked, np.random.Generator):
            return cls(checked)
        return cls(np.random.default_rng(checked))

    @property
    def reproducible(self) -> bool:
        """True when the noise comes from a seeded numpy generator, False for operating-system entropy."""
        return self._generator is not None

    def __repr__(self) -> str:
        kind = "reproducible (numpy PCG64)" if self.reproducible else "secure (os.urandom)"
        return f"NoiseSource({kind})"

    # Exact integer primitives ---------------------------------------------------------

    def words(self, size: int) -> np.ndarray:
        """Return `size` independent uniform 64-bit words as uint64."""
        if self._generator is not None:
            return self._generator.integers(0, 2**64, size=size, dtype=np.uint64, endpoint=False)
        return np.frombuffer(os.urandom(8 * size), dtype=np.uint64).copy()

    def integers(self, high: np.ndarray | int, size: int | None = None) -> np.ndarray:
        """Return int64 integers drawn uniformly and exactly from [0, high), elementwise.

        `high` is an int64 array (or an int with `size`) of values in [1, 2**63).
        The secure path uses rejection sampling on 63-bit words, so no value
        is favoured by a modulo bias.
        """
        high_array = np.asarray(high, dtype=np.int64)
        if size is not None:
            high_array = np.broadcast_to(high_array, (size,))
        if high_array.size and int(high_array.min()) < 1:
            raise ValueError(f"integers needs every upper bound >= 1, got {int(high_array.min())}.")

        if self._generator is not None:
            return self._generator.integers(0, high_array, dtype=np.int64)

        bounds = high_array.ravel().astype(np.uint64)
        # Largest multiple of each bound that is at most 2**63: values at or
        # above it are redrawn, so `value % bound` is exactly uniform.
        limits = (_TWO_POW_63 // bounds) * bounds
        out = np.empty(bounds.size, dtype=np.int64)
        pending = np.arange(bounds.size)
        while pending.size:
            values = self.words(pending.size) >> np.uint64(1)
            accepted = values < limits[pending]
            out[pending[accepted]] = (values[accepted] % bounds[pending[accepted]]).astype(np.int64)
            pending = pending[~accepted]
        return out.reshape(high_array.shape)

    def random_bits(self, n_bits: int) -> int:
        """Return a Python int with `n_bits` uniform random bits (any size)."""
        n_words = max(1, -(-n_bits // 64))
        value = 0
        for word in self.words(n_words):
            value = (value << 64) | int(word)
        return value >> (64 * n_words - n_bits)

    def randbelow(self, high: int) -> int:
        """Return a Python int drawn uniformly and exactly from [0, high), for any `high` >= 1."""
        if high < 1:
            raise ValueError(f"randbelow needs high >= 1, got {high}.")
        n_bits = high.bit_length()
        while True:
            value = self.random_bits(n_bits)
            if value < high:
                return value

    # Floating-point primitives --------------------------------------------------------

    def uniform(self, size: int | tuple[int, ...]) -> np.ndarray:
        """Return float64 values uniform on the open interval (0, 1), on a grid of 2**-53."""
        shape = (size,) if isinstance(size, int) else tuple(size)
        count = int(np.prod(shape))
        mantissas = self.words(count) >> np.uint64(64 - _MANTISSA_BITS)
        # The half step keeps 0 out, so log(u) is always finite.
        return ((mantissas.astype(np.float64) + 0.5) * 2.0**-_MANTISSA_BITS).reshape(shape)

    def gumbel(self, size: int | tuple[int, ...]) -> np.ndarray:
        """Return standard Gumbel variates, -log(-log(u)) (floating point)."""
        return -np.log(-np.log(self.uniform(size)))

    def normal(self, size: int | tuple[int, ...], scale: float = 1.0) -> np.ndarray:
        """Return N(0, scale**2) variates by the Box-Muller transform (floating point).

        For DP-SGD, whose accounting treats the noise as a continuous
        Gaussian. The floating-point attack of Mironov (CCS 2012) targets
        Laplace noise on released values. This sampler has no exactness
        guarantee either, so counts use the discrete Gaussian instead.
        """
        shape = (size,) if isinstance(size, int) else tuple(size)
        count = int(np.prod(shape))
        half = -(-count // 2)
        radius = np.sqrt(-2.0 * np.log(self.uniform(half)))
        angle = 2.0 * np.pi * self.uniform(half)
        values = np.concatenate([radius * np.cos(angle), radius * np.sin(angle)])[:count]
        return (scale * values).reshape(shape)

    def seed(self) -> int:
        """Return a 63-bit integer to seed another generator (e.g. a torch.Generator) from this source.

        The seeded generator is only as unpredictable as its own algorithm:
        torch's and numpy's generators are not cryptographically secure, even
        when this source is.
        """
        return int(self.words(1)[0] >> np.uint64(1))
