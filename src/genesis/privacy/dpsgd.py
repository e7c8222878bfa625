"""DP-SGD building blocks: Poisson sampling, per-example clipping and Gaussian noise.

Abadi et al., "Deep Learning with Differential Privacy", CCS 2016. One step
of DP-SGD releases

    g = (sum_i clip(grad_i, C) + N(0, (sigma * C)^2 I)) / B

where each unit enters the batch independently with probability q (Poisson
sampling), clip(v, C) = v * min(1, C / ||v||) bounds one unit's influence on
the sum by C in L2 norm (the whole gradient of all parameters is one vector),
and B = q * n is the expected batch size, a constant that does not depend on
which units were drawn. The accountant charges each step as a Poisson
subsampled Gaussian with noise multiplier sigma and rate q
(`PrivacyEvent(mechanism="subsampled_gaussian")`).

The noise here is floating-point Gaussian noise from torch, not the exact
integer sampler used for counts; `docs/privacy.md` names this limit.
This module imports torch at the top and is imported only by DP-CTGAN.
"""

from __future__ import annotations

import secrets

import numpy as np
import torch

from genesis.privacy.noise import NoiseSource


def poisson_batch(n_units: int, sampling_rate: float, rng: np.random.Generator) -> np.ndarray:
    """Return the indices of the units drawn, each independently with probability `sampling_rate`.

    The batch size varies from step to step; it can be 0, and the step must
    still release its noisy gradient then.
    """
    return np.flatnonzero(rng.random(n_units) < sampling_rate)


def noise_generator(noise: NoiseSource | None) -> torch.Generator:
    """Return the torch generator for gradient noise.

    Seeded from the ledger's noise source when that is reproducible (a fit
    with `random_state`), otherwise from the operating system's secure
    entropy, so that the noise cannot be predicted from a seed.
    """
    if noise is not None and noise.reproducible:
        seed = int(noise.random_bits(63))
    else:
        seed = secrets.randbits(63)
    return torch.Generator().manual_seed(seed)


def clip_factors(squared_norms: torch.Tensor, clip_norm: float) -> torch.Tensor:
    """Return min(1, C / ||g_i||) per example, the factor that clips each gradient to norm C."""
    return (clip_norm / (squared_norms.sqrt() + 1e-12)).clamp(max=1.0)


def add_noise(
    clipped_sum: dict[str, torch.Tensor],
    clip_norm: float,
    noise_multiplier: float,
    expected_batch_size: float,
    generator: torch.Generator,
) -> dict[str, torch.Tensor]:
    """Return the privatized mean gradient from the sum of clipped per-example gradients.

    Parameters
    ----------
    clipped_sum:
        Parameter name -> sum over the batch of the clipped per-example gradients.
    clip_norm:
        C, the largest L2 norm of one unit's gradient over all parameters.
    noise_multiplier:
        sigma: the noise standard deviation is sigma * C per coordinate.
    expected_batch_size:
        B = sampling rate * number of units; the divisor of the sum.
    generator:
        Source of the Gaussian noise (see `noise_generator`).
    """
    privatized = {}
    for name, total in clipped_sum.items():
        if noise_multiplier > 0:
            noise = torch.normal(0.0, noise_multiplier * clip_norm, size=total.shape, generator=generator)
            total = total + noise
        privatized[name] = total / expected_batch_size
    return privatized
