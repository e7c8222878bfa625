"""DP-CTGAN's training loop: DP-SGD on the critic, the generator as post-processing.

Only the critic reads real rows, and only through `genesis.privacy.dpsgd`:
each step draws real rows by Poisson sampling, computes one gradient per real
row, clips it and adds Gaussian noise. The generator never sees a real row:
its conditions are drawn from the noisy category counts, and its loss goes
through the privatized critic, so its updates are post-processing.

How this differs from the non-private loop (`ctgan_training`), and why:

- Real rows are drawn by Poisson sampling (rate q per row), not by
  training-by-sampling, because drawing a row through its category's count
  is a sampling scheme the accountant does not cover. The real row's own
  condition is one of its conditional blocks, chosen uniformly, so real
  conditions follow the same law as the fake ones (block uniform, category
  by frequency).
- Each real row in the batch is paired with a fake row, and the pair's
  WGAN-GP loss gradient is clipped as one unit (see `ctgan_dp_critic`), then
  the sum gets Gaussian noise. Fake rows beyond the batch size are used by
  the generator step only.
- No PacGAN (pac is 1): packing rows makes one row's gradient depend on its
  neighbours in the batch, so per-row clipping would no longer bound one
  row's influence. No dropout in the critic: DP noise already regularizes it,
  and the closed-form per-row gradients of `ctgan_dp_critic` hold for a
  plain LeakyReLU MLP.
- The fake rows are generated in training mode, so batch normalization uses
  the fake batch's statistics, which depend on no real row.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
import torch

from genesis.generators.ctgan_conditions import ConditionSampler
from genesis.generators.ctgan_dp_critic import DPCritic
from genesis.generators.ctgan_encoding import TableEncoder
from genesis.generators.ctgan_networks import Generator
from genesis.generators.ctgan_training import (
    ConditionTargets,
    TrainingPlan,
    WeightAverage,
    _adam,
    build_activation,
    build_generator,
    update_generator,
)
from genesis.privacy.dpsgd import add_noise, noise_generator, poisson_batch
from genesis.privacy.noise import NoiseSource

logger = logging.getLogger(__name__)


class DPTrainer:
    """Networks, optimizers and random sources of one DP-CTGAN fit."""

    def __init__(
        self,
        plan: TrainingPlan,
        encoder: TableEncoder,
        sampler: ConditionSampler | None,
        rng: np.random.Generator,
        *,
        clip_norm: float,
        noise: NoiseSource | None,
    ) -> None:
        n_conditions = sampler.n_categories if sampler is not None else 0
        self.plan = plan
        self.sampler = sampler
        self.rng = rng
        self.clip_norm = clip_norm

        self.generator = build_generator(plan.embedding_dim, plan.generator_dim, n_conditions, encoder.width)
        self.critic = DPCritic(encoder.width, n_conditions, list(plan.discriminator_dim))
        self.activation = build_activation(encoder)
        self.targets = ConditionTargets(encoder, sampler) if sampler is not None else None
        self.optimizer_g = _adam(self.generator, plan.generator_lr, plan.generator_decay)
        self.optimizer_d = _adam(self.critic, plan.discriminator_lr, plan.discriminator_decay)
        self.average = WeightAverage(self.generator, plan.ema_decay)
        self.noise_source = torch.Generator().manual_seed(int(rng.integers(2**63 - 1)))
        self.gradient_noise = noise_generator(noise)
        self.generator.train()
        self.critic.train()

    def use_data(self, matrix: np.ndarray, codes: np.ndarray, *, sampling_rate: float,
                 noise_multiplier: float) -> None:
        """Train from now on against these encoded rows, with this Poisson rate and noise multiplier."""
        self.data = torch.from_numpy(matrix)
        self.real_conditions = _global_codes(codes, self.sampler)
        self.sampling_rate = sampling_rate
        self.noise_multiplier = noise_multiplier
        self.expected_batch = sampling_rate * len(matrix)

    def run_epoch(self) -> list[float]:
        """Run one epoch of steps; return the mean fake score, generator loss and cross-entropy."""
        sums = torch.zeros(3)
        for _ in range(self.plan.steps_per_epoch):
            sums += self.step()
        return (sums / self.plan.steps_per_epoch).tolist()

    def step(self) -> torch.Tensor:
        """Run `discriminator_steps` DP critic updates, then one generator update."""
        for _ in range(self.plan.discriminator_steps):
            batch = poisson_batch(len(self.data), self.sampling_rate, self.rng)
            conditions, fake, raw = self._generate(max(self.plan.batch_size, batch.size))
            critic_loss = self.critic_update(batch, fake.detach(), conditions)

        adversarial, cross_entropy = update_generator(self, fake, raw, conditions, conditions)
        return torch.stack([critic_loss, adversarial, cross_entropy])

    def _generate(self, n: int) -> tuple[torch.Tensor | None, torch.Tensor, torch.Tensor]:
        """Return (conditions, activated rows, raw output) of `n` fake rows.

        Conditions follow the noisy category frequencies, the law of the real
        rows' conditions. A log-frequency reweighting as in training-by-sampling
        would let the critic tell fake from real by the condition alone.
        """
        conditions = None
        if self.sampler is not None:
            conditions = torch.from_numpy(self.sampler.sample_generation(n, self.rng))
        noise = torch.randn(n, self.plan.embedding_dim, generator=self.noise_source)
        raw = self.generator(noise, conditions)
        return conditions, self.activation(raw, self.noise_source), raw

    def critic_update(
        self, batch: np.ndarray, fake: torch.Tensor, fake_conditions: torch.Tensor | None
    ) -> torch.Tensor:
        """Take one DP-SGD step on the critic with the real rows `batch`; return the mean fake score.

        Real row j of the batch is paired with fake row j; the pair's loss
        gradient is clipped as one (see `ctgan_dp_critic`).
        """
        rows = torch.from_numpy(batch)
        real = self.data.index_select(0, rows)
        real_conditions = None
        if self.sampler is not None:
            real_conditions = torch.from_numpy(self.real_conditions_for(batch))
        partners = fake[: batch.size]
        partner_conditions = fake_conditions[: batch.size] if fake_conditions is not None else None
        mix = torch.rand(batch.size, 1, generator=self.noise_source)
        between = mix * real + (1.0 - mix) * partners

        clipped = self.critic.clipped_gradient_sum(real, real_conditions, partners, partner_conditions,
                                                   between, self.clip_norm)
        private = add_noise(clipped, self.clip_norm, self.noise_multiplier, self.expected_batch,
                            self.gradient_noise)
        self.optimizer_d.zero_grad(set_to_none=True)
        for name, parameter in self.critic.named_parameters():
            parameter.grad = private[name]
        self.optimizer_d.step()

        # Only this public quantity is logged: a loss on the real rows would be an unaccounted release.
        with torch.no_grad():
            return self.critic(fake, fake_conditions).mean()

    def real_conditions_for(self, batch: np.ndarray) -> np.ndarray:
        """Return one condition per real row: the row's category in a conditional block chosen uniformly."""
        blocks = self.rng.integers(0, self.real_conditions.shape[1], size=batch.size)
        return self.real_conditions[batch, blocks]


def _global_codes(codes: np.ndarray, sampler: ConditionSampler | None) -> np.ndarray | None:
    """Turn (rows, blocks) positions within each block into condition indices across all blocks."""
    if sampler is None or codes.shape[1] == 0:
        return None
    return codes + sampler.block_starts[:-1][None, :]


def train(
    trainer: DPTrainer,
    epochs: int,
    progress: Callable[[int, int], None] | None = None,
) -> Generator:
    """Run `epochs` epochs on the trainer's current data; return the averaged generator."""
    for epoch in range(epochs):
        losses = trainer.run_epoch()
        if trainer.plan.verbose:
            logger.info("DP-CTGAN epoch %d/%d (noise multiplier %.3g): mean fake score %.4f, generator "
                        "loss %.4f, condition cross-entropy %.4f",
                        epoch + 1, epochs, trainer.noise_multiplier, *losses)
        if progress is not None:
            progress(epoch + 1, epochs)
    return trainer.average.network
