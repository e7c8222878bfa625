"""The domain of each modelled column: its categories or its numeric bounds.

A generator fits its transforms from a `Domain`, never from raw minima, maxima
or category lists it reads itself. Without differential privacy the domain is
read from the data (`Domain.from_data`); under differential privacy it comes
from public metadata or from a DP measurement charged to the privacy ledger,
so the same generator code serves both cases.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from genesis.schema import ColumnKind, Schema
from genesis.transforms.binning import Binner


@dataclass(frozen=True)
class ColumnDomain:
    """The values one column may take.

    Attributes
    ----------
    name:
        Column name.
    kind:
        The column's kind (categorical, integer, float, boolean, datetime).
    categories:
        Allowed values of a categorical or boolean column, in a fixed order; the
        position is the code that encoders use. Empty for numeric columns.
    lower, upper:
        Bounds of a numeric or datetime column (datetimes in nanoseconds since
        the Unix epoch, UTC). None for categorical columns.
    nullable:
        Whether the column may be missing; its missing values are modelled with
        an indicator.
    source:
        Where the domain came from: "data" (read from the table, no privacy),
        "public" (declared by the user) or "dp" (measured with noise).
    counts:
        Noisy counts measured under differential privacy, reusable by
        generators at no further cost (post-processing). For discrete columns
        one count per category, then one for missing values when nullable;
        for numeric columns a histogram over `histogram_binner()`'s bins, then
        one for missing values when nullable. Empty when nothing was measured.
    """

    name: str
    kind: ColumnKind
    categories: tuple[Any, ...] = ()
    lower: float | None = None
    upper: float | None = None
    nullable: bool = False
    source: str = "data"
    counts: tuple[float, ...] = ()

    @property
    def is_discrete(self) -> bool:
        return self.kind in (ColumnKind.CATEGORICAL, ColumnKind.BOOLEAN)

    def histogram_binner(self) -> Binner:
        """Return the bins of a numeric column's `counts` histogram (uniform over the bounds)."""
        n_bins = len(self.counts) - int(self.nullable)
        integer = self.kind is ColumnKind.INTEGER
        return Binner.uniform(float(self.lower or 0.0), float(self.upper or 0.0), n_bins, integer)

    @property
    def is_empty(self) -> bool:
        """Whether the column has no values at all, only missing ones: nothing to model."""
        if self.is_discrete:
            return not self.categories
        return self.lower is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind.value,
            "categories": [_json_scalar(v) for v in self.categories],
            "lower": self.lower,
            "upper": self.upper,
            "nullable": self.nullable,
            "source": self.source,
            "counts": [float(c) for c in self.counts],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ColumnDomain:
        return cls(
            name=data["name"],
            kind=ColumnKind(data["kind"]),
            categories=tuple(data["categories"]),
            lower=data["lower"],
            upper=data["upper"],
            nullable=data["nullable"],
            source=data["source"],
            counts=tuple(data.get("counts", ())),
        )


@dataclass(frozen=True)
class Domain:
    """Column domains, in the order of the modelled columns."""

    columns: tuple[ColumnDomain, ...] = field(default_factory=tuple)

    def __getitem__(self, name: str) -> ColumnDomain:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [column.name for column in self.columns]

    def without_empty(self) -> Domain:
        """Return the domain of the columns that have values, the ones a generator models."""
        return Domain(tuple(column for column in self.columns if not column.is_empty))

    def to_dict(self) -> dict[str, Any]:
        return {"columns": [column.to_dict() for column in self.columns]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Domain:
        return cls(tuple(ColumnDomain.from_dict(c) for c in data["columns"]))

    @classmethod
    def from_data(cls, data: pd.DataFrame, schema: Schema) -> Domain:
        """Read the domain from a canonical frame (see `Schema.to_canonical`).

        This reads exact categories and extremes from the private table, so it
        is only used when no differential privacy is requested.
        """
        domains = []
        for column in schema.modelled_columns:
            values = data[column.name]
            nullable = bool(values.isna().any())
            if column.kind in (ColumnKind.CATEGORICAL, ColumnKind.BOOLEAN):
                categories = _sorted_categories(values.dropna().unique())
                domains.append(
                    ColumnDomain(column.name, column.kind, categories=categories, nullable=nullable)
                )
                continue

            observed = values.dropna().to_numpy(dtype=float)
            lower = float(observed.min()) if observed.size else None
            upper = float(observed.max()) if observed.size else None
            domains.append(
                ColumnDomain(column.name, column.kind, lower=lower, upper=upper, nullable=nullable)
            )
        return cls(tuple(domains))


def _sorted_categories(values: np.ndarray) -> tuple[Any, ...]:
    """Sort categories so that the code of each value does not depend on row order."""
    scalars = [_json_scalar(v) for v in values]
    try:
        return tuple(sorted(scalars))
    except TypeError:
        return tuple(sorted(scalars, key=lambda v: (type(v).__name__, str(v))))


def _json_scalar(value: Any) -> Any:
    """Convert numpy scalars to the Python scalar JSON can store."""
    if isinstance(value, np.generic):
        return value.item()
    return value
