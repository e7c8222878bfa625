"""CTGAN's generator, critic and output activations in PyTorch (Xu et al., 2019, section 4.4).

This module imports torch at the top; `genesis.generators.ctgan` imports it
only when a model is fitted or loaded, so genesis imports without torch.

The networks are the paper's, with one change of implementation that leaves
the function unchanged: the conditional vector is one-hot, so a linear layer's
product with it is a column of the weight matrix. `ConditionalLinear` stores
those columns as an embedding table and looks them up instead of multiplying
a mostly-zero matrix. With the diabetes table's 2,460 condition categories this
removes most of the generator's work.
"""

from __future__ import annotations

import math

import torch
from torch import nn

GUMBEL_TEMPERATURE = 0.2
"""Temperature tau of the gumbel softmax on one-hot blocks (paper, section 4.4)."""

GRADIENT_PENALTY_WEIGHT = 10.0
"""lambda of the WGAN-GP penalty (Gulrajani et al., 2017, which CTGAN follows)."""

LEAKY_SLOPE = 0.2
DROPOUT = 0.5
"""Critic activation slope and dropout rate (paper, section 4.4)."""


class ConditionalLinear(nn.Module):
    """A linear layer on [dense input, one-hot condition], with the condition as an index.

    Equal to `nn.Linear(dense_features + n_conditions, out_features)` applied
    to the concatenation, and initialized like it (uniform within
    1/sqrt(fan-in) over the full fan-in). With `summed`, each input row has
    several hot condition indices (shape (n, k)) whose weight columns are added.
    """

    def __init__(
        self, dense_features: int, n_conditions: int, out_features: int, summed: bool = False
    ) -> None:
        super().__init__()
        self.linear = nn.Linear(dense_features, out_features)
        self.condition: nn.Module | None = None
        if n_conditions and summed:
            self.condition = nn.EmbeddingBag(n_conditions, out_features, mode="sum")
        elif n_conditions:
            self.condition = nn.Embedding(n_conditions, out_features)

        bound = 1.0 / math.sqrt(dense_features + n_conditions)
        with torch.no_grad():
            self.linear.weight.uniform_(-bound, bound)
            self.linear.bias.uniform_(-bound, bound)
            if self.condition is not None:
                self.condition.weight.uniform_(-bound, bound)

    def forward(self, dense: torch.Tensor, conditions: torch.Tensor | None) -> torch.Tensor:
        output = self.linear(dense)
        if self.condition is not None and conditions is not None:
            output = output + self.condition(conditions)
        return output


class Generator(nn.Module):
    """Residual generator: h_i = [h_{i-1}, ReLU(BN(FC(h_{i-1})))], then a linear output.

    The input h_0 is [z, one-hot condition]; the output has one raw value per
    encoded column, activated by `activate`.
    """

    def __init__(self, embedding_dim: int, n_conditions: int, hidden: list[int], data_dim: int) -> None:
        super().__init__()
        self.embedding_dim = embedding_dim
        self.layers = nn.ModuleList()
        self.norms = nn.ModuleList()
        width = embedding_dim
        for size in hidden:
            self.layers.append(ConditionalLinear(width, n_conditions, size))
            self.norms.append(nn.BatchNorm1d(size))
            width += size
        self.output = ConditionalLinear(width, n_conditions, data_dim)

    def forward(self, noise: torch.Tensor, conditions: torch.Tensor | None) -> torch.Tensor:
        hidden = noise
        for layer, norm in zip(self.layers, self.norms, strict=True):
            residual = torch.relu(norm(layer(hidden, conditions)))
            hidden = torch.cat([hidden, residual], dim=1)
        return self.output(hidden, conditions)


class MaskDropout(nn.Module):
    """Dropout with the mask drawn by `torch.rand`, the same function as `nn.Dropout`.

    torch 2.13's CPU `bernoulli_`, which `nn.Dropout` uses, took 130 us for a
    50 x 256 mask against 40 us for this on the development machine, and the
    critic draws eight masks per training step.
    """

    def __init__(self, rate: float) -> None:
        super().__init__()
        self.rate = rate

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        if not self.training or self.rate == 0:
            return inputs
        keep = torch.rand(inputs.shape) >= self.rate
        return inputs * keep * (1.0 / (1.0 - self.rate))


class Critic(nn.Module):
    """PacGAN critic over groups of `pac` rows (Lin et al., 2018; paper, section 4.4).

    Each group of `pac` consecutive rows, with their conditions, is one critic
    input; layers are FC, LeakyReLU(0.2), Dropout(0.5), and a linear score.
    """

    def __init__(self, data_dim: int, n_conditions: int, hidden: list[int], pac: int) -> None:
        super().__init__()
        self.pac = pac
        self.n_conditions = n_conditions
        # Group position j has its own condition weights, at index j * n_conditions + c.
        self.first = ConditionalLinear(data_dim * pac, n_conditions * pac, hidden[0], summed=True)
        layers: list[nn.Module] = [nn.LeakyReLU(LEAKY_SLOPE), MaskDropout(DROPOUT)]
        for size_in, size_out in zip(hidden[:-1], hidden[1:], strict=True):
            layers += [nn.Linear(size_in, size_out), nn.LeakyReLU(LEAKY_SLOPE), MaskDropout(DROPOUT)]
        layers.append(nn.Linear(hidden[-1], 1))
        self.rest = nn.Sequential(*layers)

    def group_conditions(self, conditions: torch.Tensor | None) -> torch.Tensor | None:
        """Turn per-row conditions into (groups, pac) indices of the first layer's table."""
        if conditions is None or self.n_conditions == 0:
            return None
        offsets = torch.arange(self.pac, device=conditions.device) * self.n_conditions
        return conditions.view(-1, self.pac) + offsets

    def forward(self, rows: torch.Tensor, grouped_conditions: torch.Tensor | None) -> torch.Tensor:
        groups = rows.reshape(-1, rows.shape[1] * self.pac)
        return self.rest(self.first(groups, grouped_conditions))


class OutputActivation:
    """tanh on the alpha columns and a gumbel softmax on each one-hot block, all at once.

    The softmax of every block is computed with segment operations over the
    block index of each column (`scatter_reduce`, `scatter_add`), so the cost
    does not grow with the number of blocks in Python.
    """

    def __init__(self, n_alpha: int, block_sizes: list[int]) -> None:
        self.n_alpha = n_alpha
        self.n_blocks = len(block_sizes)
        sizes = torch.tensor(block_sizes, dtype=torch.long)
        self.segment = torch.repeat_interleave(torch.arange(self.n_blocks), sizes)

    @property
    def width(self) -> int:
        return self.n_alpha + int(self.segment.numel())

    def _segments(self, batch: int) -> torch.Tensor:
        return self.segment.unsqueeze(0).expand(batch, -1)

    def _segment_max(self, logits: torch.Tensor, segment: torch.Tensor) -> torch.Tensor:
        start = torch.full((logits.shape[0], self.n_blocks), -torch.inf, dtype=logits.dtype)
        return start.scatter_reduce(1, segment, logits.detach(), reduce="amax")

    def log_normalizers(self, raw: torch.Tensor) -> torch.Tensor:
        """Return log(sum(exp(logits))) per row and block of the raw output, shape (n, blocks)."""
        logits = raw[:, self.n_alpha:]
        segment = self._segments(raw.shape[0])
        peak = self._segment_max(logits, segment)
        exp = torch.exp(logits - peak.gather(1, segment))
        sums = torch.zeros_like(peak).scatter_add(1, segment, exp)
        return torch.log(sums) + peak

    def __call__(self, raw: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        alpha = torch.tanh(raw[:, : self.n_alpha])
        if self.n_blocks == 0:
            return alpha

        # Gumbel noise -log(-log U); U is kept inside (0, 1) so both logs stay finite.
        uniform = torch.rand(raw.shape[0], raw.shape[1] - self.n_alpha, generator=generator)
        uniform = uniform.clamp_(1e-10, 1.0 - 1e-7)
        logits = (raw[:, self.n_alpha:] - torch.log(-torch.log(uniform))) / GUMBEL_TEMPERATURE

        segment = self._segments(raw.shape[0])
        peak = self._segment_max(logits, segment)
        exp = torch.exp(logits - peak.gather(1, segment))
        sums = torch.zeros_like(peak).scatter_add(1, segment, exp)
        return torch.cat([alpha, exp / sums.gather(1, segment)], dim=1)


def condition_loss(
    raw: torch.Tensor,
    activation: OutputActivation,
    target_columns: torch.Tensor,
    target_blocks: torch.Tensor,
) -> torch.Tensor:
    """Mean cross-entropy of the conditioned block against its condition (paper, section 4.3).

    `target_columns` is the encoded column of each row's condition and
    `target_blocks` the index of its block among all one-hot blocks.
    """
    normalizers = activation.log_normalizers(raw)
    rows = torch.arange(raw.shape[0])
    log_likelihood = raw[rows, target_columns] - normalizers[rows, target_blocks]
    return -log_likelihood.mean()


def gradient_penalty(
    critic: Critic, real: torch.Tensor, fake: torch.Tensor, grouped_conditions: torch.Tensor | None,
    generator: torch.Generator,
) -> torch.Tensor:
    """WGAN-GP penalty lambda * (||grad_x critic(x)|| - 1)^2 at points between real and fake groups.

    The gradient is taken with respect to the rows only: the condition is the
    same for the real and the fake group (paper, Algorithm 1), so it is a fixed
    input of the critic here.
    """
    groups = real.shape[0] // critic.pac
    mix = torch.rand(groups, 1, 1, generator=generator)
    real_groups = real.view(groups, critic.pac, -1)
    fake_groups = fake.view(groups, critic.pac, -1)
    between = (mix * real_groups + (1.0 - mix) * fake_groups).view_as(real).requires_grad_(True)

    scores = critic(between, grouped_conditions)
    (gradients,) = torch.autograd.grad(scores.sum(), between, create_graph=True)
    norms = gradients.view(groups, -1).norm(2, dim=1)
    return GRADIENT_PENALTY_WEIGHT * ((norms - 1.0) ** 2).mean()
