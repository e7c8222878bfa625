"""CTGAN: a conditional GAN for mixed-type tables, written for genesis in PyTorch.

Xu, Skoularidou, Cuesta-Infante and Veeramachaneni, "Modeling Tabular Data
using Conditional GAN", NeurIPS 2019. The parts, and where they live:

- mode-specific normalization of numeric and datetime columns (section 4.2):
  `genesis.transforms.mode_normalization`; one-hot blocks for categorical and
  boolean columns, a [present, missing] block for each nullable numeric column
  and a missing category for each nullable categorical column:
  `ctgan_encoding`;
- the conditional vector and training-by-sampling (section 4.3):
  `ctgan_conditions`;
- the residual generator with tanh and gumbel-softmax outputs, the PacGAN
  critic, the WGAN-GP gradient penalty and the generator's cross-entropy on
  the conditioned column (sections 4.3-4.4): `ctgan_networks`;
- the training loop (Algorithm 1) and sampling: `ctgan_training`;
- config checks, the batch size used and ``epochs="auto"``: `ctgan_config`.

This module imports no torch at import time, so genesis works without the
pytorch extra; building or loading a CTGAN model then raises
`MissingDependencyError`.

Choices beyond the paper, and why
---------------------------------
Measured on the 10,000-row patient table (`genesis.datasets.patient_table`,
patient_id dropped), batch size 500, torch 2.13 with 1 thread on the 2-core
AMD EPYC development machine, scored with `benchmarks/marginals.marginal_tvd`
on 10,000 sampled rows; fidelity numbers are 1-way / 2-way mean TVD. Fit
times were noisy because other benchmarks shared the two cores. A training
step took 14 to 15 ms when the other core was idle, so the 6,000 steps of
300 epochs take an estimated 90 s; with both cores loaded (load average 4.5)
a 300-epoch fit took 147 s of wall time and 96 s of CPU time.

- The generator kept as the model is an exponential moving average of its
  weights (`ema_decay`, default 0.995; Yazici et al., ICLR 2019). With the
  last weights, 300 epochs gave 0.100 / 0.184 (seed 0), worse on 2-way TVD
  than drawing each column independently (0.136), because the GAN circles
  around its equilibrium and the last iterate lands anywhere on that circle
  (e.g. 40 % women against 53 %). Over seeds 0, 1 and 2 at 300 epochs,
  decay 0.99 gave 0.047 / 0.119, 0.040 / 0.108 and 0.042 / 0.106, and decay
  0.995 gave 0.044 / 0.113, 0.037 / 0.104 and 0.039 / 0.100, the same to
  three decimals with and without the ramp of
  `ctgan_training.WeightAverage`. At 100 epochs (seed 0): decay 0.99
  0.042 / 0.113, 0.999 0.080 / 0.192, none 0.096 / 0.178.
- Not adopted, each worse or no better at 100 epochs (seed 0): learning
  rates 1e-3 (0.151 / 0.257), straight-through gumbel softmax (0.113 /
  0.193), a fresh batch for the generator step as in Algorithm 1 (0.111 /
  0.194, and slower), recomputing the batch-normalization statistics of the
  average after training (0.043 / 0.115 against 0.042 / 0.113 without).
  Three critic steps per generator step helped without the average (0.083 /
  0.162) but took 1.4 times as long.
- Batch normalization samples with its running statistics (evaluation mode):
  0.100 / 0.184 against 0.128 / 0.200 with batch statistics (seed 0, no
  average), and a row then does not depend on the rest of its batch.
- The generator step reuses the noise, conditions and generator output of
  the last critic step (see `ctgan_training.Trainer.step`), which saves a
  fifth of the work of a step.
- The one-hot condition enters each layer as an embedding lookup, the same
  function as the paper's concatenation at a fraction of the cost on tables
  with many categories (see `ctgan_networks`).
- Numeric columns with at most `max_modes` distinct values get one mode per
  value instead of a fitted mixture (see `ModeNormalizer.fit`).
- Only the generator is needed to sample, so `get_state` stores only its
  weights.
- ``epochs="auto"`` (the default) is 300 epochs for tables up to about
  10,000 rows, and fewer for larger or wider tables (see `resolve_epochs`).
  The 101,766-row diabetes table (2,558 encoded columns) then trains 7
  epochs: the fit took 654 s and sampling 101,766 rows 15 s with both cores
  loaded. The 32,561-row Adult table trains 93 epochs: 253 s and 0.6 s.
- `torch_threads` defaults to 1: on the development machine torch with 2
  threads ran about 10 times slower than with 1 thread whenever another
  process used the cores. The setting is process-global in torch, so it is
  set for the duration of `fit` and `sample` only and restored afterwards.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from genesis._optional import torch_available
from genesis.domain import Domain
from genesis.errors import (
    ConfigError,
    IgnoredSettingWarning,
    InvalidDataError,
    MissingDependencyError,
    NotFittedError,
    NotSupportedError,
    invalid_value,
)
from genesis.generators.base import Generator, ProgressCallback, register
from genesis.generators.ctgan_conditions import ConditionSampler
from genesis.generators.ctgan_config import (
    effective_batch_size,
    estimate_step_work,
    resolve_epochs,
    validate_values,
)
from genesis.generators.ctgan_encoding import TableEncoder
from genesis.transforms.mode_normalization import DEFAULT_WEIGHT_THRESHOLD, ModeNormalizer

logger = logging.getLogger(__name__)

PRETRAIN_MAX_ROWS = 20_000
"""Largest surrogate table for DP pretraining; more rows only make its epochs longer."""

INSTALL_HINT = 'Install the extra with: pip install "genesis-synth[pytorch]"'


@register
class CTGANGenerator(Generator):
    """Conditional tabular GAN (Xu et al., 2019) with mode-specific normalization.

    Config keys
    -----------
    epochs:
        Passes over the table, or "auto" (see `resolve_epochs`). An integer is
        honoured exactly. One epoch is max(1, rows // batch_size) generator
        steps, whatever `discriminator_steps` is.
    batch_size:
        Rows per optimizer step. For a table with fewer rows it is lowered to
        the row count, but not below 2, because rows are drawn with
        replacement anyway. It is then rounded down to a multiple of `pac`,
        and an INFO log message gives the value used.
    generator_lr, discriminator_lr:
        Adam learning rates.
    generator_decay, discriminator_decay:
        Adam weight decay (L2 penalty).
    embedding_dim:
        Size of the generator's noise input z.
    ema_decay:
        Decay of the moving average of generator weights that is kept as the
        model (see `ctgan_training.WeightAverage`); 0 keeps the last weights.
    generator_dim, discriminator_dim:
        Widths of the generator's residual layers and of the critic's layers.
    pac:
        Rows per critic input (PacGAN); `batch_size` must be at least `pac`.
    discriminator_steps:
        Critic updates per generator update.
    log_frequency:
        Draw training conditions with weight log(1 + count) instead of count.
    max_modes:
        Largest number of mixture modes per numeric column.
    torch_threads:
        torch threads during fit and sample (see the module docstring).
    max_grad_norm:
        Under differential privacy only: the L2 norm to which each real row's
        critic gradient is clipped (DP-SGD's C).
    dp_pretrain_epochs:
        Under differential privacy only: epochs of training on a table drawn
        from the noisy 1-way counts (free post-processing, see
        `ctgan_dp.surrogate_table`) before DP-SGD on the real rows; 0 skips it.
    verbose:
        Log the losses of each epoch at INFO level.
    """

    name = "ctgan"
    supports_dp = True
    default_config: dict[str, Any] = {
        "epochs": "auto",
        "batch_size": 500,
        "generator_lr": 2e-4,
        "discriminator_lr": 2e-4,
        "generator_decay": 1e-6,
        "discriminator_decay": 1e-6,
        "embedding_dim": 128,
        "ema_decay": 0.995,
        "generator_dim": [256, 256],
        "discriminator_dim": [256, 256],
        "pac": 10,
        "discriminator_steps": 1,
        "log_frequency": True,
        "max_modes": 10,
        "torch_threads": 1,
        "max_grad_norm": 1.0,
        "dp_pretrain_epochs": 50,
        "verbose": False,
    }

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        _require_torch()
        super().__init__(config)
        validate_values(self.config)

        self.encoder_: TableEncoder | None = None
        self.sampler_: ConditionSampler | None = None
        self.network_: Any = None
        self.batch_size_: int | None = None
        self.training_: dict[str, Any] = {}

    # ------------------------------------------------------------------ fit

    def training_summary(self) -> dict[str, Any]:
        """Return the epochs, batch size and pac used, and the DP-SGD schedule under DP."""
        return dict(self.training_)

    def check_private_fit(self, max_rows_per_unit: int) -> None:
        """Raise `NotSupportedError` for more than one row per privacy unit (see `_check_rows_per_unit`)."""
        _check_rows_per_unit(max_rows_per_unit)

    def fit(
        self,
        data: pd.DataFrame,
        domain: Domain,
        ledger: Any | None,
        rng: np.random.Generator,
        progress: ProgressCallback | None = None,
    ) -> CTGANGenerator:
        """Learn the table; return self.

        With a privacy ledger, training is DP-CTGAN (see `_fit_private`).

        Raises
        ------
        NotSupportedError
            Under differential privacy with more than one row per privacy unit.
        InvalidDataError
            When `data` does not have the columns `domain.names`.
        """
        torch = _import_torch()
        from genesis.generators import ctgan_training

        _validate_frame(data, domain)
        if ledger is not None:
            return self._fit_private(data, domain, ledger, rng, progress)

        encoder, matrix, sampler = self._read_private_statistics(data, domain, rng)
        plan = self._plan(len(data), encoder.width, sampler.n_categories if sampler is not None else 0)

        with _torch_session(torch, self.config["torch_threads"], rng):
            network = ctgan_training.train(plan, encoder, matrix, sampler, rng, progress)
        training = {"epochs": plan.epochs, "batch_size": plan.batch_size, "pac": plan.pac,
                    "generator_steps": plan.epochs * plan.steps_per_epoch}
        return self._store(domain, encoder, sampler, network, plan.batch_size, training)

    def _fit_private(
        self,
        data: pd.DataFrame,
        domain: Domain,
        ledger: Any,
        rng: np.random.Generator,
        progress: ProgressCallback | None,
    ) -> CTGANGenerator:
        """Fit under differential privacy: statistics from noisy counts, DP-SGD on the critic.

        See `ctgan_dp` (what is read, the step policy) and `ctgan_dp_training`
        (the loop). The whole DP-SGD run is charged to the ledger before the
        first step.
        """
        torch = _import_torch()
        from genesis.generators import ctgan_dp, ctgan_dp_training

        _check_private_config(self.config, ledger)
        encoder, sampler, counts = ctgan_dp.dp_statistics(data, domain, ledger, self.config["max_modes"],
                                                          self.config["log_frequency"], rng)
        n_conditions = sampler.n_categories if sampler is not None else 0
        plan = self._plan(len(data), encoder.width, n_conditions, pac=1, log_epochs=False)
        steps = ctgan_dp.plan_dp_steps(ledger, self.config["epochs"], plan.batch_size, len(data),
                                       plan.steps_per_epoch, plan.discriminator_steps, plan.epochs)
        plan = dataclasses.replace(plan, epochs=steps.epochs)
        ledger.charge(ctgan_dp.training_event(steps, self.config["max_grad_norm"]))

        surrogate = ctgan_dp.surrogate_table(domain, counts, min(len(data), PRETRAIN_MAX_ROWS), rng)
        with _torch_session(torch, self.config["torch_threads"], rng):
            trainer = ctgan_dp_training.DPTrainer(plan, encoder, sampler, rng,
                                                  clip_norm=self.config["max_grad_norm"], noise=ledger.noise)
            # Pretraining reads only the surrogate, which is post-processing of noisy counts: no cost.
            trainer.use_data(*encoder.encode(surrogate, rng),
                             sampling_rate=min(1.0, plan.batch_size / len(surrogate)), noise_multiplier=0.0)
            ctgan_dp_training.train(trainer, self.config["dp_pretrain_epochs"])

            trainer.use_data(*encoder.encode(data, rng), sampling_rate=steps.sampling_rate,
                             noise_multiplier=steps.noise_multiplier)
            network = ctgan_dp_training.train(trainer, plan.epochs, progress)
        self.noise_multiplier_ = steps.noise_multiplier
        training = {"epochs": plan.epochs, "batch_size": plan.batch_size, "pac": 1,
                    "generator_steps": plan.epochs * plan.steps_per_epoch,
                    "dp_sgd": {"critic_steps": steps.critic_steps, "sampling_rate": steps.sampling_rate,
                               "noise_multiplier": steps.noise_multiplier,
                               "max_grad_norm": self.config["max_grad_norm"],
                               "pretrain_epochs": self.config["dp_pretrain_epochs"]}}
        return self._store(domain, encoder, sampler, network, plan.batch_size, training)

    def _store(self, domain: Domain, encoder: TableEncoder, sampler: ConditionSampler | None, network: Any,
               batch_size: int, training: dict[str, Any]) -> CTGANGenerator:
        self.training_ = training
        self.domain_ = domain
        self.encoder_ = encoder
        self.sampler_ = sampler
        self.network_ = network
        self.batch_size_ = batch_size
        return self

    def _read_private_statistics(
        self, data: pd.DataFrame, domain: Domain, rng: np.random.Generator
    ) -> tuple[TableEncoder, np.ndarray, ConditionSampler | None]:
        """Read everything CTGAN learns from the raw table besides its domain.

        These are the mixture modes of each numeric column and the category
        frequencies (with the rows of each category) that training-by-sampling
        draws from, plus the encoded training matrix. Under differential
        privacy this is the one method that must go through the ledger.
        """
        normalizers = {}
        for column in domain.columns:
            if column.is_discrete or column.is_empty:
                continue
            values = data[column.name].to_numpy(dtype=float)
            observed = values[~np.isnan(values)]
            if observed.size:
                normalizers[column.name] = ModeNormalizer.fit(
                    observed, self.config["max_modes"], DEFAULT_WEIGHT_THRESHOLD, rng, column.name)
            else:
                center = column.lower if column.lower is not None else 0.0
                normalizers[column.name] = ModeNormalizer.single_mode(center, column=column.name)

        encoder = TableEncoder(domain, normalizers)
        matrix, codes = encoder.encode(data, rng)

        block_sizes = [block.size for block in encoder.conditional_blocks]
        sampler = ConditionSampler.from_codes(codes, block_sizes, self.config["log_frequency"]) \
            if block_sizes else None
        return encoder, matrix, sampler

    def _plan(self, n_rows: int, width: int, n_conditions: int, pac: int | None = None,
              log_epochs: bool = True) -> Any:
        from genesis.generators.ctgan_training import TrainingPlan

        config = dict(self.config, pac=pac or self.config["pac"])
        batch_size = effective_batch_size(config["batch_size"], config["pac"], n_rows)
        if batch_size != config["batch_size"]:
            logger.info("CTGAN uses batch_size=%d instead of %d (table of %d rows, pac=%d).",
                        batch_size, config["batch_size"], n_rows, config["pac"])
        steps_per_epoch = max(1, n_rows // batch_size)
        step_work = estimate_step_work(config, batch_size, width)
        epochs = resolve_epochs(config["epochs"], steps_per_epoch, step_work)
        if config["epochs"] == "auto" and log_epochs:
            logger.info("CTGAN trains %d epochs of %d steps (epochs='auto'; about %.1e multiply-"
                        "accumulates per step).", epochs, steps_per_epoch, step_work)

        return TrainingPlan(
            epochs=epochs,
            batch_size=batch_size,
            steps_per_epoch=steps_per_epoch,
            pac=config["pac"],
            discriminator_steps=config["discriminator_steps"],
            generator_lr=config["generator_lr"],
            discriminator_lr=config["discriminator_lr"],
            generator_decay=config["generator_decay"],
            discriminator_decay=config["discriminator_decay"],
            embedding_dim=config["embedding_dim"],
            ema_decay=float(config["ema_decay"]),
            generator_dim=tuple(config["generator_dim"]),
            discriminator_dim=tuple(config["discriminator_dim"]),
            verbose=config["verbose"],
        )

    # --------------------------------------------------------------- sample

    def sample(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        """Return `n` canonical rows with the columns `domain.names`."""
        if self.network_ is None or self.encoder_ is None or self.domain_ is None:
            raise NotFittedError("This CTGAN generator is not fitted. Call fit() or load a saved model "
                                 "first.")
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
            raise ConfigError(invalid_value("n", n, "it must be a non-negative integer",
                                            "Pass the number of rows to generate, e.g. n=1000."))
        torch = _import_torch()
        from genesis.generators import ctgan_training

        activation = ctgan_training.build_activation(self.encoder_)
        batches = ctgan_training.generate(self.network_, activation, self.sampler_, int(n),
                                          self.batch_size_ or 500, rng)
        with _torch_session(torch, self.config["torch_threads"], rng):
            frames = [self.encoder_.decode(matrix) for matrix in batches]
        if not frames:
            frames = [self.encoder_.decode(np.zeros((0, self.encoder_.width), dtype=np.float32))]
        frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        return frame[self.domain_.names]

    # ---------------------------------------------------------------- state

    def get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        if self.network_ is None or self.encoder_ is None or self.domain_ is None:
            raise NotFittedError("This CTGAN generator is not fitted, so it has no state to save.")
        state = {
            "domain": self.domain_.to_dict(),
            "encoder": self.encoder_.to_dict(),
            "sampler": self.sampler_.to_dict() if self.sampler_ is not None else None,
            "batch_size": self.batch_size_,
            "training": self.training_,
            "network": {
                "embedding_dim": self.config["embedding_dim"],
                "generator_dim": list(self.config["generator_dim"]),
                "n_conditions": self.sampler_.n_categories if self.sampler_ is not None else 0,
                "data_dim": self.encoder_.width,
            },
        }
        arrays = {f"generator.{key}": value.detach().cpu().numpy().copy()
                  for key, value in self.network_.state_dict().items()}
        return state, arrays

    @classmethod
    def from_state(
        cls, config: dict[str, Any], state: dict[str, Any], arrays: dict[str, np.ndarray]
    ) -> CTGANGenerator:
        torch = _import_torch()
        from genesis.generators import ctgan_training

        model = cls(config)
        domain = Domain.from_dict(state["domain"])
        encoder = TableEncoder.from_dict(domain, state["encoder"])
        sampler = ConditionSampler.from_dict(state["sampler"]) if state["sampler"] is not None else None

        sizes = state["network"]
        network = ctgan_training.build_generator(sizes["embedding_dim"], sizes["generator_dim"],
                                                 sizes["n_conditions"], sizes["data_dim"])
        prefix = "generator."
        weights = {key[len(prefix):]: torch.from_numpy(np.asarray(value))
                   for key, value in arrays.items() if key.startswith(prefix)}
        network.load_state_dict(weights)

        model.domain_ = domain
        model.encoder_ = encoder
        model.sampler_ = sampler
        model.network_ = network
        model.batch_size_ = int(state["batch_size"])
        model.training_ = dict(state.get("training", {}))
        return model


# ------------------------------------------------------------------ helpers


def _require_torch() -> None:
    if not torch_available():
        raise MissingDependencyError(
            f"The CTGAN generator needs PyTorch, which is not installed. {INSTALL_HINT}")


def _import_torch() -> Any:
    try:
        import torch
    except ImportError as error:
        raise MissingDependencyError(
            f"The CTGAN generator needs PyTorch, which could not be imported ({error}). {INSTALL_HINT}"
        ) from error
    return torch


@contextlib.contextmanager
def _torch_session(torch: Any, threads: int, rng: np.random.Generator) -> Iterator[None]:
    """Run torch with `threads` threads and a global generator seeded from `rng`, then restore both."""
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(rng.integers(2**63 - 1)))
            yield
    finally:
        torch.set_num_threads(previous_threads)


def _check_rows_per_unit(max_rows_per_unit: int) -> None:
    if max_rows_per_unit > 1:
        raise NotSupportedError(
            f"DP-CTGAN samples rows, not privacy units, so it cannot bound a unit with "
            f"max_rows_per_unit={max_rows_per_unit} rows. Set max_rows_per_unit=1 in the privacy "
            "settings, or use method='mst', which accounts for several rows per unit.")


def _check_private_config(config: dict[str, Any], ledger: Any) -> None:
    """Raise for settings DP-CTGAN cannot account for; warn about those it ignores."""
    _check_rows_per_unit(ledger.max_rows_per_unit)
    if config["pac"] not in (1, CTGANGenerator.default_config["pac"]):
        warnings.warn(
            f"CTGAN config pac={config['pac']} is ignored under differential privacy: DP-CTGAN's critic "
            "scores one row at a time, so that each row's gradient can be clipped.",
            IgnoredSettingWarning, stacklevel=5)


def _validate_frame(data: pd.DataFrame, domain: Domain) -> None:
    if list(data.columns) != domain.names:
        raise InvalidDataError(
            f"The table's columns {list(data.columns)[:10]} do not match the domain's columns "
            f"{domain.names[:10]}. Pass the canonical frame of the same schema (Schema.to_canonical)."
        )
    if len(data) == 0:
        raise InvalidDataError("The table has no rows. Pass a table with at least one row.")
