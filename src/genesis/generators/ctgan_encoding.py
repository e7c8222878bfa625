"""The encoded row layout of CTGAN (Xu et al., 2019, section 4.2) and its inverse.

A canonical row becomes one float vector. Its first columns are the alpha
scalars of all numeric columns (the generator ends them with tanh). After them
come one-hot blocks, each ended with a (gumbel) softmax: per numeric column its
mode block and, when the column is nullable, a [present, missing] indicator;
per categorical or boolean column its categories, plus the missing category
when nullable. Keeping the tanh columns in front lets the generator apply both
activations to two slices instead of column by column.

Categorical blocks and missing indicators are the "discrete columns" of the
paper that the conditional vector selects from (section 4.3); mode blocks are
not. A column without any values (`ColumnDomain.is_empty`) takes no place in
the layout and decodes as all missing. This module needs only numpy and pandas.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from genesis.domain import ColumnDomain, Domain
from genesis.transforms.categorical import CategoricalEncoder
from genesis.transforms.missing import apply_missing, fill_missing
from genesis.transforms.mode_normalization import ModeNormalizer


@dataclass(frozen=True)
class Block:
    """A one-hot block of the encoded row, ended with a softmax."""

    column: str
    role: str
    """"modes", "missing" (the [present, missing] indicator) or "categories"."""
    start: int
    size: int

    @property
    def conditional(self) -> bool:
        """Whether the conditional vector may select this block (paper's discrete columns)."""
        return self.role != "modes" and self.size >= 2


class TableEncoder:
    """Map canonical frames to encoded float32 matrices and back.

    Parameters
    ----------
    domain:
        The modelled columns, their kinds, categories, bounds and nullability.
    normalizers:
        One fitted `ModeNormalizer` per numeric or datetime column.
    """

    def __init__(self, domain: Domain, normalizers: dict[str, ModeNormalizer]) -> None:
        self.domain = domain
        self.normalizers = normalizers
        self.modelled = [column for column in domain.columns if not column.is_empty]
        self.encoders = {
            c.name: CategoricalEncoder(c.categories, c.nullable, c.name)
            for c in self.modelled if c.is_discrete
        }
        numeric = [c.name for c in self.modelled if not c.is_discrete]
        self.alpha_index = {name: i for i, name in enumerate(numeric)}
        self.blocks = self._layout(len(numeric))

    @property
    def n_alpha(self) -> int:
        return len(self.alpha_index)

    @property
    def width(self) -> int:
        last = self.blocks[-1] if self.blocks else None
        return last.start + last.size if last else self.n_alpha

    @property
    def conditional_blocks(self) -> list[Block]:
        return [block for block in self.blocks if block.conditional]

    def _layout(self, start: int) -> list[Block]:
        blocks = []
        for column in self.modelled:
            if column.is_discrete:
                sizes = [("categories", self.encoders[column.name].n_codes)]
            else:
                sizes = [("modes", self.normalizers[column.name].n_modes)]
                if column.nullable:
                    sizes.append(("missing", 2))
            for role, size in sizes:
                blocks.append(Block(column.name, role, start, size))
                start += size
        return blocks

    def encode(self, data: pd.DataFrame, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Encode a canonical frame.

        Returns
        -------
        matrix:
            (n, width) float32 encoded rows, modes drawn from their posterior.
        codes:
            (n, number of conditional blocks) int64: the hot position of each
            conditional block per row, for training-by-sampling.
        """
        n_rows = len(data)
        matrix = np.zeros((n_rows, self.width), dtype=np.float32)
        hot: dict[tuple[str, str], np.ndarray] = {}
        rows = np.arange(n_rows)

        for column in self.modelled:
            values = data[column.name]
            if column.is_discrete:
                hot[column.name, "categories"] = self.encoders[column.name].encode(values)
                continue

            normalizer = self.normalizers[column.name]
            filled, missing = fill_missing(values.to_numpy(dtype=float), _fill_value(normalizer))
            alpha, modes = normalizer.transform(filled, rng)
            matrix[:, self.alpha_index[column.name]] = alpha
            hot[column.name, "modes"] = modes
            if column.nullable:
                hot[column.name, "missing"] = missing.astype(np.int64)

        for block in self.blocks:
            matrix[rows, block.start + hot[block.column, block.role]] = 1.0
        codes = np.stack([hot[b.column, b.role] for b in self.conditional_blocks], axis=1) \
            if self.conditional_blocks else np.zeros((n_rows, 0), dtype=np.int64)
        return matrix, codes

    def decode(self, matrix: np.ndarray) -> pd.DataFrame:
        """Turn activated generator output back into a canonical frame.

        Each block's value is its largest entry. After the gumbel softmax this
        is a draw from the block's categorical distribution (the gumbel-max
        trick). Alpha is clipped to [-1, 1], the range of tanh, and numeric
        values to the domain bounds.
        """
        hot = {(b.column, b.role): matrix[:, b.start: b.start + b.size].argmax(axis=1) for b in self.blocks}
        columns: dict[str, Any] = {}

        for column in self.domain.columns:
            if column.is_empty:
                dtype = object if column.is_discrete else float
                columns[column.name] = np.full(len(matrix), np.nan, dtype=dtype)
                continue
            if column.is_discrete:
                columns[column.name] = self.encoders[column.name].decode(hot[column.name, "categories"])
                continue
            alpha = np.clip(matrix[:, self.alpha_index[column.name]].astype(float), -1.0, 1.0)
            values = self.normalizers[column.name].inverse(alpha, hot[column.name, "modes"])
            values = _clip_to_domain(values, column)
            if column.nullable:
                values = apply_missing(values, hot[column.name, "missing"] == 1)
            columns[column.name] = values

        return pd.DataFrame(
            {name: pd.Series(values, dtype=object if self.domain[name].is_discrete else float)
             for name, values in columns.items()},
            index=pd.RangeIndex(len(matrix)),
        )

    def to_dict(self) -> dict[str, Any]:
        return {"normalizers": {name: n.to_dict() for name, n in self.normalizers.items()}}

    @classmethod
    def from_dict(cls, domain: Domain, data: dict[str, Any]) -> TableEncoder:
        normalizers = {name: ModeNormalizer.from_dict(d) for name, d in data["normalizers"].items()}
        return cls(domain, normalizers)


def _fill_value(normalizer: ModeNormalizer) -> float:
    """Stand-in value of a missing entry: the mean of the heaviest mode."""
    return float(normalizer.means[int(np.argmax(normalizer.weights))])


def _clip_to_domain(values: np.ndarray, column: ColumnDomain) -> np.ndarray:
    lower = -np.inf if column.lower is None else column.lower
    upper = np.inf if column.upper is None else column.upper
    return np.clip(values, lower, upper)
