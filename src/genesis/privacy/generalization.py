"""Generalization hierarchies for quasi-identifiers, with the information loss of each level.

A `Hierarchy` lists the forms in which one quasi-identifier may be released,
from the finest (level 0) to full suppression ("*"). Each `Level` maps the
column's distinct values to generalized text and gives each value's
information loss at that level. The k-anonymity search
(`genesis.privacy.kanonymity`) picks one level per quasi-identifier, so every
level must merge groups of the level below it, never split them.

Information loss is the normalized certainty penalty (NCP) of Xu, Wang, Pei,
Wang, Shi and Fu, "Utility-based anonymization using local recoding" (KDD
2006). It is defined per cell and lies in [0, 1]:

* numeric value released as a band [a, b): (b - a) / (upper - lower), the band's
  width over the width of the column's domain. An exact value costs 0;
* categorical value released as a node of a hierarchy:
  (leaves under the node - 1) / (all leaves - 1). An exact value costs 0;
* suppressed value ("*"): 1.

A table's NCP is the mean over its quasi-identifier cells. A missing value
stays missing at every level below "*" and costs 0 there, because
generalization removes nothing from it.

The built-in hierarchies follow the HIPAA Safe Harbor method, 45 CFR
164.514(b)(2)(i)(B) and (C), and HHS's "Guidance Regarding Methods for
De-identification of Protected Health Information in Accordance with the HIPAA
Privacy Rule" (2012). ZIP codes go no finer than 3 digits, with the prefixes of
areas of 20,000 people or fewer written "000" (the list is data, in
`genesis/compliance/data/restricted_zip3.json`). Ages above 89 are always written
"90+". Dates go no finer than the year. Each such hierarchy records that floor
as `safe_harbor_floor`.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from genesis.errors import ConfigError, InvalidDataError, invalid_value

SUPPRESSED = "*"
"""Text that replaces a suppressed value."""

AGE_TOP_CODE = 90
"""Safe Harbor releases ages of 90 and above only as one category, written "90+"."""

ZIP_CODE_COUNT = 100_000
"""Number of possible 5-digit ZIP codes: the leaves over which a ZIP level's NCP is counted."""

ValueMap = Callable[[pd.Series], Any]


@dataclass(frozen=True)
class Level:
    """One way of releasing a quasi-identifier.

    Attributes
    ----------
    name:
        Short name for the release record, e.g. "5-year bands".
    format:
        How values are written, e.g. "50-54, 90+".
    generalize:
        Vectorised map from the column's distinct non-missing values (a Series)
        to their generalized text, one entry per value.
    loss:
        Vectorised map from the same values to their NCP at this level, each
        in [0, 1].
    suppresses:
        True for the level that writes every value, missing ones included, as
        "*". Such a level needs neither `generalize` nor `loss`.
    """

    name: str
    format: str
    generalize: ValueMap | None = None
    loss: ValueMap | None = None
    suppresses: bool = False

    def __post_init__(self) -> None:
        if not self.suppresses and (self.generalize is None or self.loss is None):
            raise ConfigError(
                f"Level {self.name!r} has no generalize or loss function, but every level except the "
                "suppression level needs both. Pass generalize= and loss=, or suppresses=True."
            )


def suppression_level() -> Level:
    """Return the level that writes every value as "*" (NCP 1)."""
    return Level("suppressed", SUPPRESSED, suppresses=True)


@dataclass(frozen=True)
class Hierarchy:
    """The ordered levels of one quasi-identifier, finest first.

    Attributes
    ----------
    kind:
        What the hierarchy generalizes: "zip_code", "age", "age_bracket",
        "date", "numeric", "categorical" or a name of the caller's choice.
    levels:
        The levels, finest first. Each level must merge groups of the level
        below it. Only the last level may be the suppression level.
    safe_harbor_floor:
        The finest level that HIPAA Safe Harbor allows for this kind of column,
        or None when the hierarchy does not declare one (numeric, categorical
        and hierarchies built by callers).
    details:
        JSON-safe facts for the release record, such as the restricted ZIP3
        list's version or the bounds that NCP is measured against.
    """

    kind: str
    levels: tuple[Level, ...]
    safe_harbor_floor: int | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.levels:
            raise ConfigError(f"Hierarchy {self.kind!r} has no levels. Give at least one Level.")
        if any(level.suppresses for level in self.levels[:-1]):
            raise ConfigError(
                f"Hierarchy {self.kind!r} suppresses below its last level, but the suppression level "
                "must be the coarsest. Move it to the end."
            )
        floor = self.safe_harbor_floor
        if floor is not None and not 0 <= floor < len(self.levels):
            raise ConfigError(
                invalid_value(f"safe_harbor_floor of hierarchy {self.kind!r}", floor,
                              f"it must be a level index from 0 to {len(self.levels) - 1}",
                              "Pass the index of the finest level Safe Harbor allows.")
            )

    @property
    def n_levels(self) -> int:
        return len(self.levels)

    def describe(self, level: int) -> dict[str, Any]:
        """Return the release-record entry of `level`: its index, name and how values are written."""
        return {"level": level, "name": self.levels[level].name, "format": self.levels[level].format}

    def generalize_distinct(self, values: pd.Series, level: int) -> tuple[np.ndarray, np.ndarray]:
        """Generalize distinct non-missing values to `level`.

        Returns
        -------
        labels:
            Object array of generalized text, one per value.
        loss:
            NCP of each value at `level`, in [0, 1].
        """
        spec = self.levels[level]
        if spec.suppresses:
            return np.full(len(values), SUPPRESSED, dtype=object), np.ones(len(values))

        labels = np.asarray(spec.generalize(values), dtype=object).reshape(-1)
        loss = np.asarray(spec.loss(values), dtype=float).reshape(-1)
        self._check_level_output(level, len(values), labels, loss)
        return labels.astype(str).astype(object), np.clip(loss, 0.0, 1.0)

    def generalize(self, values: pd.Series, level: int) -> pd.Series:
        """Return `values` at `level` as text (object dtype); missing values stay missing except at "*"."""
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        labels, _ = self.generalize_distinct(pd.Series(uniques, name=values.name), level)

        missing = SUPPRESSED if self.levels[level].suppresses else None
        written = np.append(labels, np.array([missing], dtype=object))
        return pd.Series(written[codes], index=values.index, name=values.name, dtype=object)

    def cell_loss(self, values: pd.Series, level: int) -> np.ndarray:
        """Return the NCP of each cell of `values` at `level`; missing cells cost 0 below "*"."""
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        _, loss = self.generalize_distinct(pd.Series(uniques, name=values.name), level)

        missing = 1.0 if self.levels[level].suppresses else 0.0
        return np.append(loss, missing)[codes]

    def _check_level_output(self, level: int, n_values: int, labels: np.ndarray, loss: np.ndarray) -> None:
        name = f"level {level} ({self.levels[level].name!r}) of hierarchy {self.kind!r}"
        if labels.shape != (n_values,) or loss.shape != (n_values,):
            raise ConfigError(
                f"{name} returned {labels.size} labels and {loss.size} losses for {n_values} values, but "
                "it must return one of each per value. Fix the level's generalize and loss functions."
            )
        if pd.isna(labels).any():
            raise ConfigError(f"{name} returned a missing label. Return text for every non-missing value.")
        if not np.isfinite(loss).all() or loss.min(initial=0.0) < -1e-9 or loss.max(initial=0.0) > 1 + 1e-9:
            raise ConfigError(
                invalid_value(f"The NCP returned by {name}", loss.tolist(), "each must lie in [0, 1]",
                              "Divide band widths by the domain width.")
            )


# ---------------------------------------------------------------------------
# ZIP codes


@dataclass(frozen=True)
class RestrictedZip3:
    """The 3-digit ZIP prefixes that Safe Harbor releases as "000", with their provenance."""

    prefixes: frozenset[str]
    version: str
    census_year: int | None
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version, "census_year": self.census_year, "source": self.source,
                "prefixes": sorted(self.prefixes)}


def load_restricted_zip3(source: str | os.PathLike[str] | Iterable[str] | RestrictedZip3 | None = None
                         ) -> RestrictedZip3:
    """Load the restricted ZIP3 list.

    Parameters
    ----------
    source:
        None loads the list shipped with genesis (HHS guidance, 2000 Census).
        A path loads a JSON file with the fields `prefixes`, `version`,
        `census_year` and `source`. Any other iterable gives the prefixes
        themselves.
    """
    if isinstance(source, RestrictedZip3):
        return source
    if source is None:
        text = resources.files("genesis.compliance").joinpath("data/restricted_zip3.json").read_text("utf-8")
        return _parse_restricted_zip3(json.loads(text), "the built-in restricted_zip3.json")
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        return _parse_restricted_zip3(json.loads(path.read_text("utf-8")), str(path))

    prefixes = _check_prefixes([str(prefix) for prefix in source], "restricted_zip3")
    return RestrictedZip3(prefixes, "caller", None, "passed by the caller")


def _parse_restricted_zip3(data: Any, origin: str) -> RestrictedZip3:
    required = ("prefixes", "version", "census_year", "source")
    missing = [key for key in required if not isinstance(data, dict) or key not in data]
    if missing:
        raise ConfigError(
            f"The restricted ZIP3 list in {origin} lacks the fields {missing}. "
            f"Give a JSON object with the fields {list(required)}."
        )
    prefixes = _check_prefixes([str(p) for p in data["prefixes"]], f"prefixes in {origin}")
    return RestrictedZip3(prefixes, str(data["version"]), data["census_year"], str(data["source"]))


def _check_prefixes(prefixes: list[str], what: str) -> frozenset[str]:
    invalid = [prefix for prefix in prefixes if len(prefix) != 3 or not prefix.isdigit()]
    if invalid:
        raise ConfigError(invalid_value(what, invalid, "each must be three digits such as '036'",
                                        "Write each prefix as a 3-character string."))
    return frozenset(prefixes)


def zip_hierarchy(*, restricted_zip3: str | os.PathLike[str] | Iterable[str] | RestrictedZip3 | None = None
                  ) -> Hierarchy:
    """Build the ZIP code hierarchy: 5 digits, ZIP3, region, "*".

    Level 1 writes "100**", and "000**" for every restricted prefix. Level 2
    keeps only the first digit, the ZIP code's national area ("1****"), and
    leaves restricted codes pooled as "000**", so that it merges level-1 groups
    and never splits them. NCP counts leaves over all 100,000 possible codes, a
    public domain. Safe Harbor's floor is level 1 (45 CFR 164.514(b)(2)(i)(B)).

    Parameters
    ----------
    restricted_zip3:
        Replacement for the built-in restricted list: a JSON path or the
        prefixes (see `load_restricted_zip3`).
    """
    restricted = load_restricted_zip3(restricted_zip3)
    restricted_prefixes = np.array(sorted(restricted.prefixes), dtype=object)
    pooled_loss = (100 * len(restricted.prefixes) - 1) / (ZIP_CODE_COUNT - 1)
    open_prefixes_per_area = np.array(
        [100 - sum(prefix.startswith(str(area)) for prefix in restricted.prefixes) for area in range(10)]
    )
    area_loss = (100 * open_prefixes_per_area - 1) / (ZIP_CODE_COUNT - 1)

    def zip3(values: pd.Series) -> np.ndarray:
        prefixes = normalize_zip_codes(values).str[:3]
        return np.where(prefixes.isin(restricted_prefixes), "000**", prefixes + "**")

    def zip3_loss(values: pd.Series) -> np.ndarray:
        is_restricted = normalize_zip_codes(values).str[:3].isin(restricted_prefixes).to_numpy()
        return np.where(is_restricted, pooled_loss, 99 / (ZIP_CODE_COUNT - 1))

    def area(values: pd.Series) -> np.ndarray:
        codes = normalize_zip_codes(values)
        return np.where(codes.str[:3].isin(restricted_prefixes), "000**", codes.str[:1] + "****")

    def area_cell_loss(values: pd.Series) -> np.ndarray:
        codes = normalize_zip_codes(values)
        areas = codes.str[:1].astype(int).to_numpy()
        return np.where(codes.str[:3].isin(restricted_prefixes).to_numpy(), pooled_loss, area_loss[areas])

    levels = (
        Level("5-digit ZIP", "10001", lambda v: normalize_zip_codes(v).to_numpy(), _zeros),
        Level("ZIP3", "100**, restricted prefixes as 000**", zip3, zip3_loss),
        Level("ZIP area (first digit)", "1****, restricted prefixes as 000**", area, area_cell_loss),
        suppression_level(),
    )
    details = {"restricted_zip3": {"version": restricted.version, "census_year": restricted.census_year}}
    return Hierarchy("zip_code", levels, safe_harbor_floor=1, details=details)


def normalize_zip_codes(values: pd.Series) -> pd.Series:
    """Return 5-digit ZIP code strings: integers are zero-padded and ZIP+4 codes cut to 5 digits.

    Raises
    ------
    InvalidDataError
        When a value is no 5-digit ZIP code, a ZIP+4 code or an integer from 0 to 99999.
    """
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = values.to_numpy(dtype=float)
        valid = np.isfinite(numbers) & (numbers == np.round(numbers)) & (numbers >= 0) & (numbers < 1e5)
        _reject_invalid(values, valid, "ZIP code", "an integer from 0 to 99999")
        return pd.Series(numbers.astype(np.int64), dtype=object).astype(str).str.zfill(5)

    text = values.astype(str).str.strip()
    valid = text.str.fullmatch(r"\d{5}(-?\d{4})?").to_numpy(dtype=bool)
    _reject_invalid(values, valid, "ZIP code", "5 digits such as '02134', or ZIP+4 such as '02134-1234'")
    return pd.Series(text.str[:5].to_numpy(dtype=object), dtype=object)


# ---------------------------------------------------------------------------
# Ages


def age_hierarchy(*, lower: float = 0.0, upper: float = 120.0, band_widths: Sequence[int] = (5, 10, 20)
                  ) -> Hierarchy:
    """Build the age hierarchy: exact years, then bands, then "*", with "90+" at every level.

    Level 0 writes ages up to 89 as they are ("54") and ages of 90 and above as
    "90+", as Safe Harbor requires (45 CFR 164.514(b)(2)(i)(C)). Band levels
    write "50-54", "50-59" or "40-59"; a band that would reach past 89 stops at
    89 ("80-89"), so "90+" stays on top. NCP divides a band's width in years by
    `upper - lower`. "90+" covers [90, upper].

    Parameters
    ----------
    lower, upper:
        Bounds of the age domain in years. The defaults 0 and 120 are public
        bounds that read nothing from the data. Pass the domain's public or DP
        bounds when known.
    band_widths:
        Band widths in years, finest first. Each must divide the next, so that
        coarser bands merge finer ones.
    """
    _check_bounds(lower, upper, "age")
    widths = _check_band_widths(band_widths)
    domain_width = float(upper) - float(lower)

    def exact(values: pd.Series) -> np.ndarray:
        ages = _ages(values)
        return np.where(ages >= AGE_TOP_CODE, "90+", _format_numbers(ages))

    def exact_loss(values: pd.Series) -> np.ndarray:
        ages = _ages(values)
        return np.where(ages >= AGE_TOP_CODE, _top_band_loss(upper, domain_width), 0.0)

    levels = [Level("exact years, 90+", "54, 90+", exact, exact_loss)]
    for width in widths:
        example = 50 // width * width
        band_format = f"{example}-{example + width - 1}, 90+"
        levels.append(Level(f"{width}-year bands", band_format, _age_bands(width), _age_band_loss(
            width, upper, domain_width)))
    levels.append(suppression_level())
    details = {"lower": float(lower), "upper": float(upper), "top_code": "90+"}
    return Hierarchy("age", tuple(levels), safe_harbor_floor=0, details=details)


def _age_bands(width: int) -> ValueMap:
    def bands(values: pd.Series) -> np.ndarray:
        ages = _ages(values)
        starts, ends = _band_edges(ages, width)
        labels = pd.Series(starts).astype(str) + "-" + pd.Series(ends - 1).astype(str)
        return np.where(ages >= AGE_TOP_CODE, "90+", labels.to_numpy(dtype=object))

    return bands


def _age_band_loss(width: int, upper: float, domain_width: float) -> ValueMap:
    def loss(values: pd.Series) -> np.ndarray:
        ages = _ages(values)
        starts, ends = _band_edges(ages, width)
        return np.where(ages >= AGE_TOP_CODE, _top_band_loss(upper, domain_width),
                        _ratio(ends - starts, domain_width))

    return loss


def _band_edges(ages: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Return each age's band [start, end) in whole years, with `end` capped at the top code."""
    starts = (np.floor(ages / width) * width).astype(np.int64)
    ends = np.minimum(starts + width, AGE_TOP_CODE)
    return starts, ends


def _ages(values: pd.Series) -> np.ndarray:
    ages = _numbers(values, "age")
    _reject_invalid(values, ages >= 0, "age", "a number of years of at least 0")
    return ages


def _top_band_loss(upper: float, domain_width: float) -> float:
    return float(_ratio(np.array([max(float(upper) - AGE_TOP_CODE, 0.0)]), domain_width)[0])


def age_bracket_hierarchy(*, lower: float = 0.0, upper: float = 120.0, band_widths: Sequence[int] = (20,)
                          ) -> Hierarchy:
    """Build the hierarchy of ages already written as brackets such as "[70-80)".

    Level 0 keeps the brackets and writes every bracket from 90 up, such as
    "[90-100)", as "90+". Coarser levels write "[60-80)", with bands that stop
    at 90 ("[80-90)"). A bracket that contains 90 without starting there, or that
    does not fit in one band, raises `InvalidDataError`.

    Parameters
    ----------
    lower, upper:
        Bounds of the age domain in years, as for `age_hierarchy`.
    band_widths:
        Widths of the coarser bands in years, finest first; the default (20,)
        suits 10-year brackets. Each must divide the next.
    """
    _check_bounds(lower, upper, "age")
    widths = _check_band_widths(band_widths)
    domain_width = float(upper) - float(lower)
    top_loss = _top_band_loss(upper, domain_width)

    def exact(values: pd.Series) -> np.ndarray:
        starts, ends = _brackets(values)
        labels = "[" + pd.Series(starts).astype(str) + "-" + pd.Series(ends).astype(str) + ")"
        return np.where(starts >= AGE_TOP_CODE, "90+", labels.to_numpy(dtype=object))

    def exact_loss(values: pd.Series) -> np.ndarray:
        starts, ends = _brackets(values)
        return np.where(starts >= AGE_TOP_CODE, top_loss, _ratio(ends - starts, domain_width))

    levels = [Level("brackets, 90+", "[70-80), 90+", exact, exact_loss)]
    for width in widths:
        example = 70 // width * width
        band_format = f"[{example}-{example + width}), 90+"
        generalize, loss = _bracket_bands(width, domain_width, top_loss)
        levels.append(Level(f"{width}-year brackets", band_format, generalize, loss))
    levels.append(suppression_level())
    details = {"lower": float(lower), "upper": float(upper), "top_code": "90+"}
    return Hierarchy("age_bracket", tuple(levels), safe_harbor_floor=0, details=details)


def _bracket_bands(width: int, domain_width: float, top_loss: float) -> tuple[ValueMap, ValueMap]:
    def bands(values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        starts, ends = _brackets(values)
        band_starts, band_ends = _band_edges(starts.astype(float), width)
        fits = (starts >= AGE_TOP_CODE) | (ends <= band_ends)
        _reject_invalid(values, fits, "age bracket", f"each bracket must fit in one {width}-year band")
        return starts, band_starts, band_ends

    def generalize(values: pd.Series) -> np.ndarray:
        starts, band_starts, band_ends = bands(values)
        labels = "[" + pd.Series(band_starts).astype(str) + "-" + pd.Series(band_ends).astype(str) + ")"
        return np.where(starts >= AGE_TOP_CODE, "90+", labels.to_numpy(dtype=object))

    def loss(values: pd.Series) -> np.ndarray:
        starts, band_starts, band_ends = bands(values)
        return np.where(starts >= AGE_TOP_CODE, top_loss, _ratio(band_ends - band_starts, domain_width))

    return generalize, loss


def _brackets(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Parse "[a-b)" brackets into integer starts and ends."""
    parts = values.astype(str).str.strip().str.extract(r"^\[(\d+)-(\d+)\)$")
    valid = parts.notna().all(axis=1).to_numpy()
    _reject_invalid(values, valid, "age bracket", "a bracket such as '[70-80)'")
    starts = parts[0].astype(np.int64).to_numpy()
    ends = parts[1].astype(np.int64).to_numpy()
    _reject_invalid(values, starts < ends, "age bracket", "its start must be below its end")
    straddles = (starts < AGE_TOP_CODE) & (ends > AGE_TOP_CODE)
    _reject_invalid(values, ~straddles, "age bracket",
                    "no bracket may contain 90 without starting there, because 90+ must be one category")
    return starts, ends


# ---------------------------------------------------------------------------
# Dates


def date_hierarchy(*, lower: Any, upper: Any, top_code_year: int | None = None) -> Hierarchy:
    """Build the date hierarchy: day ("2019-03-14"), month ("2019-03"), year ("2019"), "*".

    Level 0 drops the time of day. Safe Harbor's floor is the year (45 CFR
    164.514(b)(2)(i)(C)). NCP divides the days a value covers (1, the days in its
    month or in its year) by the days from `lower` to `upper`.

    Safe Harbor also removes every element of a date that indicates an age
    over 89, the year included. A date column does not say whose event it
    dates, so this hierarchy top-codes only when `top_code_year` is given. Then
    every date in that year or earlier is written "<year> or earlier" at every
    level below "*". Automatic selection passes it for columns named as birth
    dates (the release year minus 90). Pass it yourself for other dates that
    reveal an age, such as a date of death next to a birth year.

    Parameters
    ----------
    lower, upper:
        Bounds of the date domain: anything `pandas.Timestamp` accepts, or
        nanoseconds since 1970-01-01 UTC (as in `genesis.domain.ColumnDomain`).
    top_code_year:
        Last year written only as "<year> or earlier"; None for no top code.
    """
    start, end = _timestamp(lower, "lower"), _timestamp(upper, "upper")
    if not end >= start:
        raise ConfigError(invalid_value("upper", str(end), f"it must not be before lower ({start})",
                                        "Pass the domain's bounds in the right order."))
    domain_days = (end - start) / pd.Timedelta(days=1)
    top_label = f"{top_code_year} or earlier"
    if top_code_year is None:
        top_loss = 0.0
    else:
        top_days = max((pd.Timestamp(top_code_year + 1, 1, 1) - start) / pd.Timedelta(days=1), 0.0)
        top_loss = float(_ratio(np.array([top_days]), domain_days)[0])

    def is_top_coded(stamps: pd.Series) -> np.ndarray:
        if top_code_year is None:
            return np.zeros(len(stamps), dtype=bool)
        return (stamps.dt.year <= top_code_year).to_numpy()

    def period(pattern: str) -> ValueMap:
        def generalize(values: pd.Series) -> np.ndarray:
            stamps = parse_dates(values)
            written = stamps.dt.strftime(pattern).to_numpy(dtype=object)
            return np.where(is_top_coded(stamps), top_label, written)

        return generalize

    def period_loss(days: Callable[[pd.Series], np.ndarray]) -> ValueMap:
        def loss(values: pd.Series) -> np.ndarray:
            stamps = parse_dates(values)
            return np.where(is_top_coded(stamps), top_loss, _ratio(days(stamps), domain_days))

        return loss

    suffix = "" if top_code_year is None else f", {top_label}"
    levels = (
        Level("day", f"2019-03-14{suffix}", period("%Y-%m-%d"), period_loss(lambda s: np.ones(len(s)))),
        Level("month", f"2019-03{suffix}", period("%Y-%m"),
              period_loss(lambda s: s.dt.days_in_month.to_numpy(dtype=float))),
        Level("year", f"2019{suffix}", period("%Y"),
              period_loss(lambda s: np.where(s.dt.is_leap_year.to_numpy(), 366.0, 365.0))),
        suppression_level(),
    )
    details = {"lower": start.isoformat(), "upper": end.isoformat(), "top_code_year": top_code_year}
    return Hierarchy("date", levels, safe_harbor_floor=2, details=details)


def parse_dates(values: pd.Series) -> pd.Series:
    """Return `values` as datetimes; text must be ISO 8601 ("2019-03-14" or "2019-03-14T10:00:00")."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.reset_index(drop=True)
    try:
        return pd.to_datetime(values.astype(str), format="ISO8601").reset_index(drop=True)
    except (ValueError, TypeError) as error:
        raise InvalidDataError(
            f"Column {values.name!r} contains values that are not valid ISO 8601 dates ({error}). "
            "Write dates as '2019-03-14', or pass a hierarchy for this column."
        ) from error


def _timestamp(value: Any, what: str) -> pd.Timestamp:
    """Return a bound as a naive UTC timestamp; numbers are nanoseconds since 1970-01-01 UTC."""
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        return pd.Timestamp(int(value), unit="ns")
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as error:
        message = invalid_value(what, value, "it must be a date", "Pass e.g. '2000-01-01'.")
        raise ConfigError(message) from error
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp


# ---------------------------------------------------------------------------
# Other numbers and categories


def numeric_hierarchy(lower: float | None = None, upper: float | None = None, *,
                      band_counts: Sequence[int] = (16, 8, 4, 2),
                      cut_points: Sequence[Sequence[float]] | None = None) -> Hierarchy:
    """Build a hierarchy of a numeric column: exact values, bands "[a, b)", then "*".

    Band edges come from the domain's bounds, which must be public or measured
    under DP; this function reads no data. By default the levels are 16, 8, 4
    and 2 equal-width bands between `lower` and `upper`. The last band includes
    `upper` and is written "[a, b]". Values outside the bounds raise
    `InvalidDataError`, because a band would then misstate them.

    Parameters
    ----------
    lower, upper:
        Domain bounds. Optional when `cut_points` are given.
    band_counts:
        Number of equal-width bands per level, finest first; each must be a
        multiple of the next so that coarser bands merge finer ones.
    cut_points:
        Band edges per level, finest first, each from `lower` to `upper`. Every
        coarser level's edges must be edges of the finer level.
    """
    edges_per_level = _band_edges_per_level(lower, upper, band_counts, cut_points)
    low, high = edges_per_level[0][0], edges_per_level[0][-1]
    width = high - low

    def exact(values: pd.Series) -> np.ndarray:
        return _format_numbers(_numbers_in(values, low, high))

    levels = [Level("exact", "54.5", exact, _zeros)]
    for edges in edges_per_level:
        generalize, loss = _numeric_bands(edges, width)
        first = f"[{_format_numbers(edges[:1])[0]}, {_format_numbers(edges[1:2])[0]})"
        levels.append(Level(f"{len(edges) - 1} bands", first, generalize, loss))
    levels.append(suppression_level())
    details: dict[str, Any] = {"lower": low, "upper": high}
    if cut_points is not None:
        # Caller-chosen edges are not equal-width, so the record keeps them to rebuild the bands.
        details["cut_points"] = [edges.tolist() for edges in edges_per_level]
    return Hierarchy("numeric", tuple(levels), safe_harbor_floor=None, details=details)


def _band_edges_per_level(lower: float | None, upper: float | None, band_counts: Sequence[int],
                          cut_points: Sequence[Sequence[float]] | None) -> list[np.ndarray]:
    if cut_points is None:
        if lower is None or upper is None:
            raise ConfigError(
                "numeric_hierarchy needs the domain's lower and upper bounds, or cut_points. Pass the "
                "public or DP bounds of the column; bands from the data itself would leak its extremes."
            )
        _check_bounds(lower, upper, "numeric")
        counts = _check_band_widths(band_counts[::-1], "band_counts")[::-1]
        return [np.linspace(float(lower), float(upper), count + 1) for count in counts]

    levels = [np.asarray(edges, dtype=float) for edges in cut_points]
    if not levels or any(edges.size < 2 or np.any(np.diff(edges) <= 0) for edges in levels):
        raise ConfigError("cut_points must hold, per level, at least two strictly increasing edges.")
    for finer, coarser in zip(levels, levels[1:], strict=False):
        if coarser[0] != finer[0] or coarser[-1] != finer[-1] or not np.isin(coarser, finer).all():
            raise ConfigError(
                invalid_value("cut_points", coarser.tolist(), f"they must be edges of the finer level "
                              f"{finer.tolist()} with the same ends", "Coarser levels may only drop edges.")
            )
    for bound, end in ((lower, levels[0][0]), (upper, levels[0][-1])):
        if bound is not None and float(bound) != end:
            raise ConfigError(invalid_value("cut_points", levels[0].tolist(), f"they must end at the "
                                            f"bounds {lower} and {upper}", "Start and end each level there."))
    return levels


def _numeric_bands(edges: np.ndarray, width: float) -> tuple[ValueMap, ValueMap]:
    def band_index(values: pd.Series) -> np.ndarray:
        numbers = _numbers_in(values, edges[0], edges[-1])
        return np.clip(np.searchsorted(edges, numbers, side="right") - 1, 0, edges.size - 2)

    texts = _format_numbers(edges)
    closers = np.array([")"] * (edges.size - 2) + ["]"], dtype=object)
    labels = np.array([f"[{texts[i]}, {texts[i + 1]}{closers[i]}" for i in range(edges.size - 1)],
                      dtype=object)
    band_loss = _ratio(np.diff(edges), width)

    return (lambda values: labels[band_index(values)]), (lambda values: band_loss[band_index(values)])


def categorical_hierarchy(tree: Mapping[Any, Any] | Sequence[Mapping[Any, Any]] | None = None, *,
                          level_names: Sequence[str] | None = None) -> Hierarchy:
    """Build a categorical hierarchy from the caller's tree, or exact values then "*" without one.

    Parameters
    ----------
    tree:
        Either a mapping from each leaf value to its ancestors, one per level
        (``{"Married-civ-spouse": ["Married", "Partnered"]}``, or a single
        parent string for one level), or a list of mappings, one per level
        (leaf to parent, then parent to grandparent). Every column value must
        be a leaf. A last level whose only value is "*" is taken as the
        suppression level. "*" is appended as the last level in every case.
    level_names:
        Names of the levels above the exact one, for the release record.
    """
    if tree is None:
        levels = (Level("exact", "values as given", _as_text, _zeros), suppression_level())
        return Hierarchy("categorical", levels, safe_harbor_floor=None)

    ancestors = _ancestors_per_leaf(tree)
    depth = len(next(iter(ancestors.values())))
    if depth and {chain[-1] for chain in ancestors.values()} == {SUPPRESSED}:
        ancestors = {leaf: chain[:-1] for leaf, chain in ancestors.items()}
        depth -= 1
    names = list(level_names or [])
    if len(names) not in (0, depth):
        raise ConfigError(invalid_value("level_names", names, f"the tree has {depth} levels above the "
                                        "leaves", "Give one name per level, or none."))

    levels = [Level("exact", "values as given", _leaves_only(ancestors, None), _zeros)]
    for index in range(depth):
        parents = {leaf: chain[index] for leaf, chain in ancestors.items()}
        examples = ", ".join(sorted(set(parents.values()))[:3])
        name = names[index] if names else f"level {index + 1}"
        levels.append(Level(name, examples, _leaves_only(ancestors, index), _leaf_share(parents)))
    levels.append(suppression_level())
    return Hierarchy("categorical", tuple(levels), safe_harbor_floor=None, details={"leaves": len(ancestors)})


def _ancestors_per_leaf(tree: Mapping[Any, Any] | Sequence[Mapping[Any, Any]]) -> dict[Any, tuple[str, ...]]:
    if isinstance(tree, Mapping):
        ancestors = {leaf: (parents,) if isinstance(parents, str) else tuple(parents)
                     for leaf, parents in tree.items()}
    else:
        maps = list(tree)
        if not maps or not all(isinstance(item, Mapping) for item in maps):
            raise ConfigError("A categorical tree given as a list must hold one mapping per level.")
        ancestors = {leaf: _chain(leaf, maps) for leaf in maps[0]}

    if not ancestors:
        raise ConfigError("The categorical tree has no leaves. Map every column value to its parents.")
    depths = {len(chain) for chain in ancestors.values()}
    if len(depths) != 1:
        raise ConfigError(invalid_value("The depths of the categorical tree", sorted(depths),
                                        "every leaf needs the same number of ancestors",
                                        "Repeat a parent to pad short branches."))
    return {leaf: tuple(str(parent) for parent in chain) for leaf, chain in ancestors.items()}


def _chain(leaf: Any, maps: list[Mapping[Any, Any]]) -> tuple[Any, ...]:
    chain, current = [], leaf
    for depth, mapping in enumerate(maps):
        if current not in mapping:
            raise ConfigError(f"The categorical tree's mapping {depth + 1} has no parent for {current!r}, "
                              f"the ancestor of leaf {leaf!r}. Add it.")
        current = mapping[current]
        chain.append(current)
    return tuple(chain)


def _leaves_only(ancestors: Mapping[Any, tuple[str, ...]], index: int | None) -> ValueMap:
    """Return a map from leaves to their ancestor at `index` (None: the leaf's own text)."""
    lookup = {leaf: str(leaf) if index is None else chain[index] for leaf, chain in ancestors.items()}

    def generalize(values: pd.Series) -> np.ndarray:
        labels = values.map(lookup)
        unknown = values[labels.isna()]
        if len(unknown):
            raise ConfigError(
                f"The values {unknown.head(5).tolist()} are no leaves of the categorical hierarchy. "
                "Add them to the tree, or let genesis use exact values and '*'."
            )
        return labels.to_numpy(dtype=object)

    return generalize


def _leaf_share(parents: Mapping[Any, str]) -> ValueMap:
    leaves_under = Counter(parents.values())
    lookup = {leaf: (leaves_under[parent] - 1) / max(len(parents) - 1, 1) for leaf, parent in parents.items()}
    return lambda values: values.map(lookup).to_numpy(dtype=float)


def as_hierarchy(value: Hierarchy | Mapping[Any, Any] | Sequence[Mapping[Any, Any]], column: str
                 ) -> Hierarchy:
    """Return `value` as a Hierarchy; a mapping or a list of mappings builds a categorical tree."""
    if isinstance(value, Hierarchy):
        return value
    if isinstance(value, Mapping) or (isinstance(value, Sequence) and not isinstance(value, str)):
        return categorical_hierarchy(value)
    raise ConfigError(
        invalid_value(f"hierarchies[{column!r}]", value, "it must be a Hierarchy, a mapping from values to "
                      "parents, or a list of such mappings", "Build one with genesis.privacy.generalization.")
    )


# ---------------------------------------------------------------------------
# Helpers


def _zeros(values: pd.Series) -> np.ndarray:
    return np.zeros(len(values))


def _as_text(values: pd.Series) -> np.ndarray:
    return values.astype(str).to_numpy(dtype=object)


def _ratio(widths: np.ndarray, domain_width: float) -> np.ndarray:
    """Return widths over the domain width, clipped to [0, 1]; a domain of width 0 gives 0."""
    widths = np.asarray(widths, dtype=float)
    if domain_width <= 0:
        return np.zeros(widths.shape)
    return np.clip(widths / domain_width, 0.0, 1.0)


def _numbers(values: pd.Series, what: str) -> np.ndarray:
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    _reject_invalid(values, np.isfinite(numbers), what, "a finite number")
    return numbers


def _numbers_in(values: pd.Series, low: float, high: float) -> np.ndarray:
    numbers = _numbers(values, "value")
    _reject_invalid(values, (numbers >= low) & (numbers <= high), "value",
                    f"within the domain bounds [{low}, {high}]; widen the bounds or clip the column")
    return numbers


def _format_numbers(numbers: np.ndarray) -> np.ndarray:
    """Write whole numbers without a decimal point and others in their shortest exact form."""
    numbers = np.asarray(numbers, dtype=float)
    whole = numbers == np.round(numbers)
    text = np.empty(numbers.size, dtype=object)
    text[whole] = numbers[whole].astype(np.int64).astype(str)
    text[~whole] = [np.format_float_positional(x, trim="-") for x in numbers[~whole]]
    return text


def _check_bounds(lower: float, upper: float, what: str) -> None:
    if not (np.isfinite(lower) and np.isfinite(upper) and upper > lower):
        raise ConfigError(invalid_value(f"The {what} bounds", (lower, upper), "they must be finite with "
                                        "lower < upper", "Pass the domain's public or DP bounds."))


def _check_band_widths(widths: Sequence[int], what: str = "band_widths") -> list[int]:
    widths = list(widths)
    valid = all(isinstance(w, int | np.integer) and w > 0 for w in widths)
    pairs = zip(widths, widths[1:], strict=False)
    nested = valid and all(coarse % fine == 0 and coarse > fine for fine, coarse in pairs)
    if not nested:
        raise ConfigError(invalid_value(what, widths, "they must be positive integers, each a multiple of "
                                        "the one before", "Pass e.g. (5, 10, 20)."))
    return [int(w) for w in widths]


def _reject_invalid(values: pd.Series, valid: np.ndarray, what: str, constraint: str) -> None:
    valid = np.asarray(valid, dtype=bool)
    if valid.all():
        return
    examples = values.iloc[np.flatnonzero(~valid)[:3]].tolist()
    raise InvalidDataError(
        f"Column {values.name!r} contains {examples}, but each {what} must be {constraint}. "
        "Fix these values, or pass a hierarchy for this column that accepts them."
    )
