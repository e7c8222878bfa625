"""Mean total-variation distance over 1-way and 2-way marginals.

Used by every benchmark script so that genesis and the peer tools are scored
by the same code. It depends only on numpy and pandas, so it also runs in the
peer tools' own virtual environments.

Numeric columns (more than 20 distinct values) are cut into 20 bins at
quantiles of the real column; the same edges bin the synthetic column, and
values beyond them fall into the end bins. Other columns are compared by
value, with missing values as a category of their own. The total-variation
distance of two distributions p and q is 0.5 * sum |p - q|.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

N_BINS = 20


def discretize(real: pd.DataFrame, synthetic: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return both tables as string codes on a common binning."""
    real_codes, synth_codes = {}, {}
    for name in real.columns:
        r, s = real[name], synthetic[name]
        if pd.api.types.is_datetime64_any_dtype(r.dtype):
            r = pd.to_datetime(r).astype("int64").where(r.notna())
            s = pd.to_datetime(s).astype("int64").where(s.notna())
        numeric = pd.api.types.is_numeric_dtype(r.dtype) and not pd.api.types.is_bool_dtype(r.dtype)
        if numeric and r.nunique() > N_BINS:
            edges = np.unique(np.nanquantile(r.to_numpy(dtype=float), np.linspace(0, 1, N_BINS + 1)))
            real_codes[name] = _bin(r.to_numpy(dtype=float), edges)
            synth_codes[name] = _bin(pd.to_numeric(s, errors="coerce").to_numpy(dtype=float), edges)
        else:
            real_codes[name] = r.astype(object).where(r.notna(), "<NA>").astype(str).to_numpy()
            synth_codes[name] = s.astype(object).where(s.notna(), "<NA>").astype(str).to_numpy()
    return pd.DataFrame(real_codes), pd.DataFrame(synth_codes)


def _bin(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    codes = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, max(len(edges) - 2, 0))
    labels = codes.astype(str).astype(object)
    labels[np.isnan(values)] = "<NA>"
    return labels


def tvd(real: pd.Series, synthetic: pd.Series) -> float:
    p = real.value_counts(normalize=True)
    q = synthetic.value_counts(normalize=True)
    p, q = p.align(q, fill_value=0.0)
    return float(0.5 * np.abs(p - q).sum())


def marginal_tvd(real: pd.DataFrame, synthetic: pd.DataFrame) -> dict[str, float]:
    """Return mean 1-way and 2-way TVD (lower is better, 0 = identical marginals)."""
    real_codes, synth_codes = discretize(real, synthetic)
    names = list(real_codes.columns)

    one_way = [tvd(real_codes[c], synth_codes[c]) for c in names]
    two_way = []
    for a, b in itertools.combinations(names, 2):
        joint_real = real_codes[a] + "\x1f" + real_codes[b]
        joint_synth = synth_codes[a] + "\x1f" + synth_codes[b]
        two_way.append(tvd(joint_real, joint_synth))
    return {"tvd_1way": float(np.mean(one_way)), "tvd_2way": float(np.mean(two_way)) if two_way else 0.0}
