"""Value patterns of the identifier scan: regular expressions with their Safe Harbor category.

Each pattern must match a whole distinct sampled text of a column (see
`identifiers_sample.regex_matches`, RE2 through pyarrow). The expressions avoid
lookaround and `\\d`/`\\s`, which RE2 lacks or reads differently from Python's `re`.
A few patterns are only trusted with help:

* Strong shapes count when one sampled value matches. They are a dashed SSN, a
  formatted US phone number, an email address, a URL, an IP or MAC address, a ZIP+4
  code and a written date. A stray email in a comment field is as much an identifier
  as a column of them.
* Check-digit shapes (VIN, IMEI, payment card) must match at least half of the values,
  since a 15-digit record number passes the Luhn check one time in ten.
* Bare digit strings (9-digit SSNs, 10-digit phone numbers, 5-digit ZIP codes, yyyymmdd
  dates) and generic record codes are read as identifiers only under a matching column
  name: a 9-digit number is far more often an encounter number than an SSN.

Values that contain whitespace are also searched for the strong shapes inside them, so
an SSN written into a free-text note is found.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from genesis.privacy.identifiers_masking import mask_value
from genesis.privacy.identifiers_rules import (
    DIRECT_IDENTIFIER,
    QUASI_IDENTIFIER,
    VALUE_PATTERN,
    Evidence,
)
from genesis.privacy.identifiers_sample import ColumnSample, regex_matches

CHECK_DIGIT_MIN_RATE = 0.5
"""Share of values a check-digit shape must match; random digit strings pass a Luhn check 10% of the time."""

NAMED_CODE_MIN_RATE = 0.5
"""Share of values that must look like record codes before the values back up an identifier name."""

# Building blocks. NANP numbers start area code and exchange with 2-9 (North American Numbering Plan).
_SSN_AREA = r"(?:00[1-9]|0[1-9][0-9]|[1-578][0-9]{2}|6[0-57-9][0-9]|66[0-57-9])"
_SSN_GROUP = r"(?:0[1-9]|[1-9][0-9])"
_SSN_SERIAL = r"(?:000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})"
_NANP_AREA = r"[2-9][0-9]{2}"
_NANP_EXCHANGE = r"[2-9][0-9]{2}"
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_HEX = r"[0-9A-Fa-f]"
_MONTH = r"(?:0?[1-9]|1[0-2])"
_DAY = r"(?:0?[1-9]|[12][0-9]|3[01])"
_YEAR = r"(?:1[89][0-9]{2}|2[01][0-9]{2})"
_TIME = (
    r"(?:[T ][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?: ?[AaPp][Mm])?(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?"
)
_ORDINAL = r"(?:st|nd|rd|th)?"
_MONTH_NAME = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)


@dataclass(frozen=True)
class ValuePattern:
    """A value shape that points to one Safe Harbor category."""

    key: str
    category: str
    role: str
    description: str
    regex: str
    mask: str
    """Masking style of the example (see `identifiers_masking.mask_value`)."""
    named_by: frozenset[str] = frozenset()
    """Name rules that corroborate the pattern: under them a single match counts."""
    needs_name: bool = False
    """Whether the pattern applies only under one of the `named_by` name rules."""
    min_rate: float = 0.0
    """Share of values the pattern must match without a corroborating name; 0 means one value."""
    ignore_case: bool = False
    validator: Callable[[pd.Series], np.ndarray] | None = None
    """Further check of the values the expression matched (check digits, IPv6 syntax)."""
    category_by_name: dict[str, str] = field(default_factory=dict)
    """Category to use instead under a name rule: phone shapes in a "fax" column are fax numbers (E)."""
    search_in_text: bool = False
    """Whether to look for the shape inside values that contain whitespace."""


def _luhn_valid(texts: pd.Series) -> np.ndarray:
    """Return which texts pass the Luhn check digit (ISO/IEC 7812-1), for IMEIs and payment cards."""
    digits = np.array([re.sub("[ -]", "", text) for text in texts.astype(object)], dtype=object)
    valid = np.zeros(len(digits), dtype=bool)
    lengths = np.fromiter((len(d) for d in digits), dtype=np.int64, count=len(digits))
    for length in np.unique(lengths):
        rows = np.flatnonzero(lengths == length)
        matrix = np.frombuffer("".join(digits[rows]).encode("ascii"), dtype=np.uint8).reshape(-1, length) - 48
        doubled = matrix[:, ::-1].astype(np.int64)
        doubled[:, 1::2] *= 2
        doubled[doubled > 9] -= 9
        valid[rows] = doubled.sum(axis=1) % 10 == 0
    return valid


def _has_letter_and_digit(texts: pd.Series) -> np.ndarray:
    return regex_matches(texts, "[A-Za-z]", anywhere=True) & regex_matches(texts, "[0-9]", anywhere=True)


def _valid_ipv6(texts: pd.Series) -> np.ndarray:
    return np.array([_parses_as_ipv6(text) for text in texts.astype(object)], dtype=bool)


def _parses_as_ipv6(text: str) -> bool:
    try:
        return isinstance(ipaddress.ip_address(text), ipaddress.IPv6Address)
    except ValueError:
        return False


VALUE_PATTERNS: tuple[ValuePattern, ...] = (
    ValuePattern("ssn_dashed", "G", DIRECT_IDENTIFIER, "social security numbers written NNN-NN-NNNN",
                 rf"{_SSN_AREA}[- ]{_SSN_GROUP}[- ]{_SSN_SERIAL}", "last4", frozenset({"ssn"}),
                 search_in_text=True),
    ValuePattern("ssn_plain", "G", DIRECT_IDENTIFIER, "9-digit social security numbers without dashes",
                 rf"{_SSN_AREA}{_SSN_GROUP}{_SSN_SERIAL}", "last4", frozenset({"ssn"}), needs_name=True),
    ValuePattern("phone_formatted", "D", DIRECT_IDENTIFIER, "US telephone numbers with punctuation",
                 rf"(?:\+?1[ .-]?)?(?:\({_NANP_AREA}\)[ .-]?|{_NANP_AREA}[ .-])"
                 rf"{_NANP_EXCHANGE}[ .-][0-9]{{4}}"
                 r"(?: ?(?:x|ext\.?|extension) ?[0-9]{1,6})?"
                 rf"|\+1[ .-]?{_NANP_AREA}{_NANP_EXCHANGE}[0-9]{{4}}",
                 "last4", frozenset({"phone", "fax"}), ignore_case=True, category_by_name={"fax": "E"},
                 search_in_text=True),
    ValuePattern("phone_plain", "D", DIRECT_IDENTIFIER, "10-digit US telephone numbers without punctuation",
                 rf"1?{_NANP_AREA}{_NANP_EXCHANGE}[0-9]{{4}}", "last4", frozenset({"phone", "fax"}),
                 needs_name=True, category_by_name={"fax": "E"}),
    ValuePattern("email", "F", DIRECT_IDENTIFIER, "email addresses",
                 r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}", "email",
                 frozenset({"email"}), search_in_text=True),
    ValuePattern("url", "N", DIRECT_IDENTIFIER, "web addresses (URLs)",
                 r"(?:https?|ftp)://[^ \t]+|www\.[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?:/[^ \t]*)?", "url",
                 frozenset({"url"}), ignore_case=True, search_in_text=True),
    ValuePattern("ipv4", "O", DIRECT_IDENTIFIER, "IPv4 addresses",
                 rf"{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}(?:/[0-9]{{1,2}})?", "ip", frozenset({"ip"}),
                 search_in_text=True),
    ValuePattern("ipv6", "O", DIRECT_IDENTIFIER, "IPv6 addresses",
                 rf"(?:{_HEX}{{0,4}}:){{2,7}}{_HEX}{{0,4}}", "ip", frozenset({"ip"}), validator=_valid_ipv6),
    ValuePattern("zip_plus4", "B", QUASI_IDENTIFIER, "ZIP+4 codes (NNNNN-NNNN)",
                 r"[0-9]{5}-[0-9]{4}", "zip", frozenset({"zip"})),
    ValuePattern("zip5", "B", QUASI_IDENTIFIER, "5-digit ZIP codes", r"[0-9]{5}", "zip", frozenset({"zip"}),
                 needs_name=True),
    ValuePattern("zip9", "B", QUASI_IDENTIFIER, "9-digit ZIP+4 codes without a dash", r"[0-9]{9}", "zip",
                 frozenset({"zip"}), needs_name=True),
    ValuePattern("date_numeric", "C", QUASI_IDENTIFIER, "dates with month and day",
                 rf"{_YEAR}[-/.]{_MONTH}[-/.]{_DAY}{_TIME}|{_DAY}[-/.]{_DAY}[-/.]{_YEAR}{_TIME}"
                 rf"|{_MONTH}/{_DAY}/[0-9]{{2}}{_TIME}", "date", frozenset({"date"}), search_in_text=True),
    ValuePattern("date_month_name", "C", QUASI_IDENTIFIER, "dates with a month name",
                 rf"(?:{_DAY}{_ORDINAL}[ -])?{_MONTH_NAME}[ -]?(?:{_DAY}{_ORDINAL},?[ -])?{_YEAR}",
                 "date", frozenset({"date"}), ignore_case=True),
    ValuePattern("year_month", "C", QUASI_IDENTIFIER, "year and month (YYYY-MM or MM/YYYY)",
                 rf"{_YEAR}-(?:0[1-9]|1[0-2])|(?:0?[1-9]|1[0-2])/{_YEAR}", "date", frozenset({"date"})),
    ValuePattern("date_compact", "C", QUASI_IDENTIFIER, "dates written YYYYMMDD",
                 r"(?:1[89]|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])", "date",
                 frozenset({"date"}), needs_name=True),
    ValuePattern("mac", "M", DIRECT_IDENTIFIER, "MAC addresses",
                 rf"(?:{_HEX}{{2}}[:-]){{5}}{_HEX}{{2}}|(?:{_HEX}{{4}}\.){{2}}{_HEX}{{4}}", "mac",
                 frozenset({"device"})),
    ValuePattern("imei", "M", DIRECT_IDENTIFIER, "15-digit IMEI numbers passing the Luhn check",
                 r"[0-9]{15}", "last4", frozenset({"device"}), min_rate=CHECK_DIGIT_MIN_RATE,
                 validator=_luhn_valid),
    ValuePattern("vin", "L", DIRECT_IDENTIFIER, "17-character vehicle identification numbers (VIN)",
                 r"[A-HJ-NPR-Z0-9]{17}", "vin", frozenset({"vehicle"}), min_rate=CHECK_DIGIT_MIN_RATE,
                 ignore_case=True, validator=_has_letter_and_digit),
    ValuePattern("payment_card", "J", DIRECT_IDENTIFIER, "payment card numbers passing the Luhn check",
                 r"[2-6][0-9]{12,13}|3[47][0-9]{13}|[2-6][0-9]{15,18}|[2-6][0-9]{3}(?:[ -][0-9]{4}){3}"
                 r"|3[47][0-9]{2}[ -][0-9]{6}[ -][0-9]{5}", "last4", frozenset({"account"}),
                 min_rate=CHECK_DIGIT_MIN_RATE, validator=_luhn_valid),
    ValuePattern("mrn_prefixed", "H", DIRECT_IDENTIFIER, "codes labelled MRN",
                 r"MRN[ :#-]*[A-Za-z0-9-]{4,20}", "code", frozenset({"mrn"}), ignore_case=True,
                 search_in_text=True),
    ValuePattern("record_code", "H", DIRECT_IDENTIFIER, "record numbers (letter prefix, 4-20 digits)",
                 r"[A-Za-z]{0,4}[-#:]?[0-9]{4,20}[A-Za-z]{0,2}", "code",
                 frozenset({"mrn", "beneficiary", "account", "license", "device", "vehicle"}),
                 needs_name=True, min_rate=NAMED_CODE_MIN_RATE,
                 category_by_name={"beneficiary": "I", "account": "J", "license": "K", "device": "M",
                                   "vehicle": "L"}),
    ValuePattern("image_file", "Q", DIRECT_IDENTIFIER, "image file names",
                 r"[^ \t]*[A-Za-z0-9_)-]\.(?:jpe?g|png|gif|bmp|tiff?|heic|webp|dcm)", "image",
                 frozenset({"photo"}), ignore_case=True),
)


def match_value_patterns(sample: ColumnSample, name_keys: frozenset[str]) -> list[Evidence]:
    """Return value evidence of every pattern that applies to the column and matches enough values."""
    if len(sample.distinct) == 0:
        return []
    spaced = regex_matches(sample.distinct, r"[ \t]", anywhere=True)

    evidence = []
    for pattern in VALUE_PATTERNS:
        named = pattern.named_by & name_keys
        if pattern.needs_name and not named:
            continue
        matched = _full_matches(sample.distinct, pattern)
        found = _evidence(sample, pattern, named, matched, pattern.description, lambda text: text)
        if found is not None:
            evidence.append(found)
        # Values the whole pattern matched are not searched again, so rates of one category add up.
        unmatched_spaced = spaced & ~matched
        if pattern.search_in_text and unmatched_spaced.any():
            found = _search_in_text(sample, pattern, named, unmatched_spaced)
            if found is not None:
                evidence.append(found)
    return evidence


def _full_matches(texts: pd.Series, pattern: ValuePattern) -> np.ndarray:
    matched = regex_matches(texts, pattern.regex, ignore_case=pattern.ignore_case)
    if pattern.validator is not None and matched.any():
        rows = np.flatnonzero(matched)
        matched[rows] = pattern.validator(texts.iloc[rows])
    return matched


def _search_in_text(
    sample: ColumnSample, pattern: ValuePattern, named: frozenset[str], candidates: np.ndarray
) -> Evidence | None:
    """Look for the pattern inside the candidate values, bounded by non-alphanumeric characters."""
    search = rf"(?:^|[^0-9A-Za-z])(?:{pattern.regex})(?:$|[^0-9A-Za-z])"
    rows = np.flatnonzero(candidates)
    texts = sample.distinct.iloc[rows]
    found = regex_matches(texts, search, ignore_case=pattern.ignore_case, anywhere=True)
    matched = np.zeros(len(sample.distinct), dtype=bool)
    matched[rows] = found

    def extract(text: str) -> str:
        hit_pattern = rf"(?:^|[^0-9A-Za-z])(?P<hit>{pattern.regex})(?:$|[^0-9A-Za-z])"
        hit = re.search(hit_pattern, text, flags=re.IGNORECASE if pattern.ignore_case else 0)
        return hit["hit"] if hit is not None else text

    description = f"{pattern.description} inside free text"
    return _evidence(sample, pattern, named, matched, description, extract, key=f"{pattern.key}_in_text")


def _evidence(
    sample: ColumnSample,
    pattern: ValuePattern,
    named: frozenset[str],
    matched: np.ndarray,
    description: str,
    extract: Callable[[str], str],
    key: str | None = None,
) -> Evidence | None:
    if not matched.any():
        return None
    # A corroborating column name lowers the bar to one value, except for patterns that need the name anyway.
    rate = sample.rate(matched)
    required = pattern.min_rate if pattern.needs_name or not named else 0.0
    if rate < required:
        return None

    category = next((pattern.category_by_name[k] for k in sorted(named) if k in pattern.category_by_name),
                    pattern.category)
    example = mask_value(extract(sample.first(matched)), pattern.mask)
    return Evidence(category, VALUE_PATTERN, pattern.role, description, key or pattern.key, rate, example)
