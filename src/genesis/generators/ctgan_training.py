"""CTGAN's training loop and sampling in PyTorch (Xu et al., 2019, Algorithm 1).

This module imports torch at the top and is imported only when a CTGAN model
is fitted or loaded. The numpy generator passed in draws the conditions and
real rows; a `torch.Generator` seeded from it draws the noise, the gumbel
noise and the gradient-penalty mixing weights. Weight initialization and the
critic's dropout use torch's global generator, which the caller seeds inside
`torch.random.fork_rng` so that the global state is restored afterwards.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from genesis.generators.ctgan_conditions import ConditionSampler
from genesis.generators.ctgan_encoding import TableEncoder
from genesis.generators.ctgan_networks import (
    Critic,
    Generator,
    OutputActivation,
    condition_loss,
    gradient_penalty,
)

logger = logging.getLogger(__name__)

ADAM_BETAS = (0.5, 0.9)
"""Adam moment decay rates of both networks, the usual choice for WGAN-GP training."""


@dataclass(frozen=True)
class TrainingPlan:
    """The resolved training settings (see `CTGANGenerator` for each key)."""

    epochs: int
    batch_size: int
    steps_per_epoch: int
    pac: int
    discriminator_steps: int
    generator_lr: float
    discriminator_lr: float
    generator_decay: float
    discriminator_decay: float
    embedding_dim: int
    generator_dim: tuple[int, ...]
    discriminator_dim: tuple[int, ...]
    verbose: bool


class ConditionTargets:
    """Where each condition sits in the generator output, as index tensors."""

    def __init__(self, encoder: TableEncoder, sampler: ConditionSampler) -> None:
        block_index = {(b.column, b.role): i for i, b in enumerate(encoder.blocks)}
        conditional = encoder.conditional_blocks
        columns = np.zeros(sampler.n_categories, dtype=np.int64)
        segments = np.zeros(sampler.n_categories, dtype=np.int64)
        for position, block in enumerate(conditional):
            start = sampler.block_starts[position]
            columns[start: start + block.size] = block.start + np.arange(block.size)
            segments[start: start + block.size] = block_index[block.column, block.role]

        # Segment ids count the one-hot blocks only; the raw output's columns
        # include the alpha columns, which come first.
        self.columns = torch.from_numpy(columns)
        self.segments = torch.from_numpy(segments)


def build_generator(embedding_dim: int, hidden: list[int] | tuple[int, ...], n_conditions: int,
                    data_dim: int) -> Generator:
    return Generator(embedding_dim, n_conditions, list(hidden), data_dim)


def build_activation(encoder: TableEncoder) -> OutputActivation:
    return OutputActivation(encoder.n_alpha, [block.size for block in encoder.blocks])


def train(
    plan: TrainingPlan,
    encoder: TableEncoder,
    matrix: np.ndarray,
    sampler: ConditionSampler | None,
    rng: np.random.Generator,
    progress: Callable[[int, int], None] | None = None,
) -> Generator:
    """Train the generator against a PacGAN critic with WGAN-GP loss; return the generator."""
    n_conditions = sampler.n_categories if sampler is not None else 0
    generator_net = build_generator(plan.embedding_dim, plan.generator_dim, n_conditions, encoder.width)
    critic = Critic(encoder.width, n_conditions, list(plan.discriminator_dim), plan.pac)
    activation = build_activation(encoder)
    targets = ConditionTargets(encoder, sampler) if sampler is not None else None

    optimizer_g = _adam(generator_net, plan.generator_lr, plan.generator_decay)
    optimizer_d = _adam(critic, plan.discriminator_lr, plan.discriminator_decay)
    noise_source = torch.Generator().manual_seed(int(rng.integers(2**63 - 1)))
    data = torch.from_numpy(matrix)
    batch = plan.batch_size

    def draw() -> tuple[torch.Tensor | None, torch.Tensor, torch.Tensor]:
        if sampler is None:
            rows = torch.from_numpy(rng.integers(0, len(matrix), size=batch))
            conditions = None
        else:
            condition_array, row_array = sampler.sample_training(batch, rng)
            conditions = torch.from_numpy(condition_array)
            rows = torch.from_numpy(row_array)
        noise = torch.randn(batch, plan.embedding_dim, generator=noise_source)
        return conditions, rows, noise

    generator_net.train()
    critic.train()
    for epoch in range(plan.epochs):
        loss_sums = torch.zeros(3)
        for _ in range(plan.steps_per_epoch):
            # Critic steps: real rows that satisfy the conditions against generated
            # rows. The last one keeps the generator's graph for the generator step.
            for critic_step in range(plan.discriminator_steps):
                conditions, rows, noise = draw()
                if critic_step == plan.discriminator_steps - 1:
                    raw = generator_net(noise, conditions)
                    fake = activation(raw, noise_source)
                else:
                    with torch.no_grad():
                        fake = activation(generator_net(noise, conditions), noise_source)
                real = data.index_select(0, rows)
                grouped = critic.group_conditions(conditions)

                wasserstein = critic(fake.detach(), grouped).mean() - critic(real, grouped).mean()
                penalty = gradient_penalty(critic, real, fake.detach(), grouped, noise_source)
                optimizer_d.zero_grad(set_to_none=True)
                (wasserstein + penalty).backward()
                optimizer_d.step()

            # Generator step on the same noise and conditions: fool the updated
            # critic and reproduce the condition (cross-entropy).
            critic.requires_grad_(False)
            adversarial = -critic(fake, grouped).mean()
            critic.requires_grad_(True)
            if targets is not None and conditions is not None:
                cross_entropy = condition_loss(raw, activation, targets.columns[conditions],
                                               targets.segments[conditions])
            else:
                cross_entropy = torch.zeros(())
            optimizer_g.zero_grad(set_to_none=True)
            (adversarial + cross_entropy).backward()
            optimizer_g.step()

            with torch.no_grad():
                loss_sums += torch.stack([wasserstein + penalty, adversarial, cross_entropy])

        if plan.verbose:
            critic_loss, generator_loss, cross_entropy_loss = (loss_sums / plan.steps_per_epoch).tolist()
            logger.info("CTGAN epoch %d/%d: critic loss %.4f, generator loss %.4f, condition "
                        "cross-entropy %.4f", epoch + 1, plan.epochs, critic_loss, generator_loss,
                        cross_entropy_loss)
        if progress is not None:
            progress(epoch + 1, plan.epochs)

    return generator_net


def _adam(network: torch.nn.Module, lr: float, decay: float) -> torch.optim.Adam:
    """Return Adam with the fused CPU kernel where torch has one (2.4 and later).

    On the development machine the fused step took 90 us against 290 us for
    the default per-tensor loop, for the generator of the patient table.
    """
    try:
        return torch.optim.Adam(network.parameters(), lr=lr, betas=ADAM_BETAS, weight_decay=decay, fused=True)
    except RuntimeError:
        return torch.optim.Adam(network.parameters(), lr=lr, betas=ADAM_BETAS, weight_decay=decay)


def generate(
    generator_net: Generator,
    activation: OutputActivation,
    sampler: ConditionSampler | None,
    n: int,
    embedding_dim: int,
    batch_size: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Return n activated generator outputs as a float32 (n, width) array.

    Conditions are drawn with the real category frequencies, and batch
    normalization uses its running statistics (evaluation mode), so the rows
    do not depend on how they are split into batches.
    """
    noise_source = torch.Generator().manual_seed(int(rng.integers(2**63 - 1)))
    generator_net.eval()
    chunks = []
    with torch.no_grad():
        for start in range(0, n, batch_size):
            size = min(batch_size, n - start)
            conditions = torch.from_numpy(sampler.sample_generation(size, rng)) if sampler else None
            noise = torch.randn(size, embedding_dim, generator=noise_source)
            chunks.append(activation(generator_net(noise, conditions), noise_source).numpy())
    return np.concatenate(chunks, axis=0) if chunks else np.zeros((0, activation.width), np.float32)
