"""Reversible encoders between canonical columns and model inputs.

Each encoder is fitted from a column's domain (categories or bounds), or, for
the mode-specific normalizer, from values a generator passes in explicitly,
so the privacy layer can see every read of raw data.
"""

from genesis.transforms.binning import Binner
from genesis.transforms.categorical import CategoricalEncoder
from genesis.transforms.datetime import datetime_to_ns, ns_to_datetime
from genesis.transforms.missing import fill_missing

__all__ = ["Binner", "CategoricalEncoder", "datetime_to_ns", "fill_missing", "ns_to_datetime"]
