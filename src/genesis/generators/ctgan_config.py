"""CTGAN config: value checks, the batch size used and the number of epochs.

The functions here need neither torch nor data, only the config and the
table's shape, so they are tested directly and run before any training.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from genesis.errors import ConfigError, invalid_value

AUTO_MAX_EPOCHS = 300
"""Epochs of ``epochs="auto"`` for tables up to about 10,000 rows at batch size 500."""

AUTO_MAX_STEPS = 6_000
"""Most generator steps of ``epochs="auto"``: 300 epochs of 20 steps (10,000 rows, batch 500)."""

AUTO_MAX_WORK = 1.0e13
"""Most multiply-accumulates of ``epochs="auto"``, as counted by `estimate_step_work`.

The 10,000-row patient table needs 2.2e12 for its 6,000 steps and is not
capped; the diabetes table (101,766 rows, 2,558 encoded columns, 6.3e9 per
step) gets 7 epochs. The docstring of `genesis.generators.ctgan` gives the
measured times.
"""


def effective_batch_size(batch_size: int, pac: int, n_rows: int) -> int:
    """Return the batch size used for a table of `n_rows` rows.

    Rows are drawn with replacement, so a batch larger than the table only
    repeats rows: it is lowered to the row count, but not below 2 (batch
    normalization needs two rows). It is then rounded down to a multiple of
    `pac`, and is never below `pac`.
    """
    target = min(batch_size, max(n_rows, 2))
    return max(pac, target - target % pac)


def estimate_step_work(config: dict[str, Any], batch_size: int, width: int) -> float:
    """Estimate the multiply-accumulates of one training step from the layer sizes.

    One forward pass of the generator costs G = batch * (sum of its dense
    layers' fan-in * fan-out), the condition lookups being free, and one of
    the critic C = (batch / pac) * (its layers' fan-in * fan-out). A backward
    pass costs about two forward passes. A step runs the generator forward
    once per critic update and backward once (G * (steps + 2)), and per critic
    update three critic forward passes, the gradient penalty's double backward
    and the weight gradients (about 9 C), plus 2 C for the generator update.
    """
    generator = 0
    fan_in = config["embedding_dim"]
    for size in config["generator_dim"]:
        generator += fan_in * size
        fan_in += size
    generator = batch_size * (generator + fan_in * width)

    sizes = [config["pac"] * width, *config["discriminator_dim"], 1]
    critic = batch_size / config["pac"] * sum(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))

    steps = config["discriminator_steps"]
    return float((steps + 2) * generator + (9 * steps + 2) * critic)


def resolve_epochs(epochs: int | str, steps_per_epoch: int, step_work: float) -> int:
    """Return the number of epochs to train.

    An integer is returned unchanged. "auto" gives the largest count, at least
    1, that stays within `AUTO_MAX_EPOCHS` epochs, `AUTO_MAX_STEPS` generator
    steps and `AUTO_MAX_WORK` multiply-accumulates. That is 300 epochs for
    tables up to about 10,000 rows at batch size 500, and a bounded training
    time for larger or wider tables. The count depends only on the
    table's shape and the config, never on the clock, so a fit is repeatable.
    """
    if epochs != "auto":
        return int(epochs)
    by_steps = math.ceil(AUTO_MAX_STEPS / steps_per_epoch)
    by_work = math.floor(AUTO_MAX_WORK / (steps_per_epoch * step_work))
    return max(1, min(AUTO_MAX_EPOCHS, by_steps, by_work))


def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


def _is_number(value: Any) -> bool:
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.integer | np.floating):
        return False
    return math.isfinite(float(value))


_RULES: dict[str, tuple[Any, str, str]] = {
    "epochs": (lambda v: v == "auto" or (_is_int(v) and v >= 1),
               'it must be a positive integer or "auto"', 'Use for example epochs=300 or epochs="auto".'),
    "batch_size": (lambda v: _is_int(v) and v >= 1, "it must be a positive integer",
                   "Use for example batch_size=500."),
    "generator_lr": (lambda v: _is_number(v) and v > 0, "it must be a positive number",
                     "Use for example generator_lr=2e-4."),
    "discriminator_lr": (lambda v: _is_number(v) and v > 0, "it must be a positive number",
                         "Use for example discriminator_lr=2e-4."),
    "generator_decay": (lambda v: _is_number(v) and v >= 0, "it must be a non-negative number",
                        "Use for example generator_decay=1e-6."),
    "discriminator_decay": (lambda v: _is_number(v) and v >= 0, "it must be a non-negative number",
                            "Use for example discriminator_decay=1e-6."),
    "embedding_dim": (lambda v: _is_int(v) and v >= 1, "it must be a positive integer",
                      "Use for example embedding_dim=128."),
    "ema_decay": (lambda v: _is_number(v) and 0 <= v < 1, "it must be a number in [0, 1)",
                  "Use for example ema_decay=0.995, or 0 to keep the last weights."),
    "generator_dim": (lambda v: isinstance(v, list | tuple) and all(_is_int(x) and x >= 1 for x in v),
                      "it must be a list of positive integers (layer widths)",
                      "Use for example generator_dim=[256, 256]."),
    "discriminator_dim": (lambda v: isinstance(v, list | tuple) and len(v) >= 1
                          and all(_is_int(x) and x >= 1 for x in v),
                          "it must be a non-empty list of positive integers (layer widths)",
                          "Use for example discriminator_dim=[256, 256]."),
    "pac": (lambda v: _is_int(v) and v >= 1, "it must be a positive integer", "Use for example pac=10."),
    "discriminator_steps": (lambda v: _is_int(v) and v >= 1, "it must be a positive integer",
                            "Use for example discriminator_steps=1."),
    "log_frequency": (lambda v: isinstance(v, bool), "it must be True or False", "Use log_frequency=True."),
    "max_modes": (lambda v: _is_int(v) and v >= 1, "it must be a positive integer",
                  "Use for example max_modes=10."),
    "torch_threads": (lambda v: _is_int(v) and v >= 1, "it must be a positive integer",
                      "Use torch_threads=1 unless the machine's cores are otherwise idle."),
    "max_grad_norm": (lambda v: _is_number(v) and v > 0, "it must be a positive number",
                      "Use for example max_grad_norm=1.0."),
    "dp_pretrain_epochs": (lambda v: _is_int(v) and v >= 0, "it must be a non-negative integer",
                           "Use for example dp_pretrain_epochs=50, or 0 to skip pretraining."),
    "verbose": (lambda v: isinstance(v, bool), "it must be True or False",
                "Use verbose=False or verbose=True."),
}


def validate_values(config: dict[str, Any]) -> None:
    for key, (check, constraint, fix) in _RULES.items():
        if not check(config[key]):
            raise ConfigError(invalid_value(f"CTGAN config {key!r}", config[key], constraint, fix))
    if config["batch_size"] < config["pac"]:
        raise ConfigError(invalid_value(
            "CTGAN config 'batch_size'", config["batch_size"], f"it must be at least pac={config['pac']}",
            "Raise batch_size or lower pac, e.g. batch_size=500 with pac=10."))
