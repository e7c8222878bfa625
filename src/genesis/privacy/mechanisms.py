"""Differentially private mechanisms; each charges the ledger before it draws noise.

INTERFACE SKELETON: the bodies are written by the accounting work; the
signatures below are the contract other modules code against.
"""

from __future__ import annotations

import numpy as np

from genesis.privacy.ledger import PrivacyLedger
from genesis.privacy.noise import NoiseSource


def sigma_for_rho(rho: float, sensitivity: float = 1.0) -> float:
    """Return the Gaussian sigma that makes one release rho-zCDP: sensitivity / sqrt(2 rho)."""
    raise NotImplementedError


def noisy_counts(
    counts: np.ndarray,
    sigma: float,
    ledger: PrivacyLedger,
    measured: str,
    noise: NoiseSource,
    sensitivity: float = 1.0,
) -> np.ndarray:
    """Charge a discrete Gaussian event, then return int64 `counts` plus discrete Gaussian noise.

    `counts` must already be filled out to the full domain (every cell, also
    the empty ones), because releasing only the cells that occur leaks which
    values exist.
    """
    raise NotImplementedError


def exponential_mechanism(
    scores: np.ndarray,
    epsilon: float,
    sensitivity: float,
    ledger: PrivacyLedger,
    measured: str,
    noise: NoiseSource,
) -> int:
    """Charge an epsilon-DP event, then return an index drawn with probability ~ exp(eps * score / (2 sens))."""
    raise NotImplementedError


def dp_quantiles(
    values: np.ndarray,
    quantiles: np.ndarray,
    candidates: np.ndarray,
    epsilon: float,
    ledger: PrivacyLedger,
    measured: str,
    noise: NoiseSource,
) -> np.ndarray:
    """Charge the ledger, then return one candidate per quantile (exponential mechanism, Smith 2011)."""
    raise NotImplementedError
