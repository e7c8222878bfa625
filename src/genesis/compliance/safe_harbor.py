"""HIPAA Safe Harbor screen of a released table, one check per identifier type (A)-(R).

45 CFR 164.514(b)(2)(i) lists 18 identifiers of the individual and of relatives,
employers and household members that must be removed. The screen reads the
identifier scan of `genesis.privacy.identifiers` (column names and a deterministic
sample of values) and adds three value rules that the scan leaves to generalization:

* (B) ZIP codes: only the first three digits, and "000" for the 17 prefixes whose
  area held 20,000 people or fewer (the list in ``compliance/data``);
* (C) dates: the year only;
* (C) ages: no age above 89, except in one category of 90 or older ("90+").

Those three rules run on every value of the column, not on a sample. Evidence
counts rows and shows a matched value only as its shape (``***-**-****``), with
every letter and digit replaced: a synthetic value can be a copy of a real one,
so no character of it may appear. Nothing here reads the real table.
"""

from __future__ import annotations

import dataclasses
import json
import re
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from genesis.compliance.checks import FAIL, NEEDS_ATTESTATION, PASS, Check, attestation
from genesis.compliance.evidence import AssessmentEvidence
from genesis.privacy.identifiers import (
    SAFE_HARBOR_CATEGORIES,
    IdentifierFinding,
    is_age_column,
    is_zip_code_column,
)
from genesis.privacy.identifiers_rules import VALUE_PATTERN, match_name_rules, name_tokens

SCAN_METHOD = (
    "genesis.privacy.identifiers.scan_identifiers on the released table: column names, and value "
    "patterns on up to {sample:,} values per column (a fixed-seed sample of larger columns)"
)
ZIP_METHOD = (
    "every non-missing value of each ZIP column must be a 3-digit prefix (written 100, 100** or 100xx); "
    "prefixes of the restricted list (version {version}, {census} Census) must be written 000"
)
AGE_METHOD = (
    "every non-missing value of each age column is read as a number of years or a band (50-54, "
    "[70-80), 90+, >89); a value or band that reaches above 89 fails unless it is one open-ended "
    "category starting at 90 or below"
)
SUPPRESSED = "*"

_ZIP_PREFIX = re.compile(r"^([0-9]{3})(?:\*\*|xx|XX)?$")
_ZIP_SUPPRESSED = re.compile(r"^\*+$")
_BAND = re.compile(r"^\s*([\[(]?)\s*([0-9]{1,3})\s*(?:-|to)\s*([0-9]{1,3})\s*([\])]?)\s*$")
_OPEN_TOP = re.compile(r"^\s*([0-9]{1,3})\s*\+\s*$|^\s*>\s*(=?)\s*([0-9]{1,3})\s*$")


@cache
def restricted_zip3() -> dict[str, Any]:
    """Return the restricted 3-digit ZIP prefixes with their source and census year."""
    text = resources.files("genesis.compliance").joinpath("data/restricted_zip3.json").read_text("utf-8")
    return json.loads(text)


def safe_harbor_checks(evidence: AssessmentEvidence) -> list[Check]:
    """Return one automated check per identifier type (A)-(R), then the items a person must attest to."""
    findings: dict[str, list[IdentifierFinding]] = {letter: [] for letter in SAFE_HARBOR_CATEGORIES}
    for finding in evidence.scan.findings:
        findings[finding.category].append(finding)
    surrogates = surrogate_columns(evidence.record)
    method = SCAN_METHOD.format(sample=evidence.scan.sample_size)

    attested = {item.reference.rsplit("(", 1)[-1].rstrip(")") for item in evidence.scan.requires_attestation}
    checks = []
    for letter, name in SAFE_HARBOR_CATEGORIES.items():
        if letter == "B":
            checks.append(_geography_check(evidence.synthetic, findings["B"], method))
        elif letter == "C":
            checks.append(_dates_and_ages_check(evidence.synthetic, findings["C"], method))
        else:
            check = _identifier_check(letter, name, findings[letter], surrogates, method)
            if letter in attested and check.status == PASS:
                # The scan sees names and value shapes only; the attestation item covers the rest.
                check = dataclasses.replace(
                    check, evidence=check.evidence + f"; this screens column names and value shapes only, so "
                    f"the attestation item for ({letter}) below covers what they cannot show")
            checks.append(check)

    for item in evidence.scan.requires_attestation:
        key = item.reference.rsplit("(", 1)[-1].rstrip(")")
        checks.append(attestation(f"hipaa.attest.{key}.{_slug(item.title)}", item.title, item.reference,
                                  item.statement, "software cannot establish this condition"))
    return checks


def _identifier_check(
    letter: str, name: str, findings: list[IdentifierFinding], surrogates: set[str], method: str
) -> Check:
    """Check one identifier type: any column the scan flags under it must be dropped."""
    reference = f"45 CFR 164.514(b)(2)(i)({letter})"
    check_id = f"hipaa.safe_harbor.{letter}"
    flagged = [f for f in findings if f.column not in surrogates]
    fresh = [f.column for f in findings if f.column in surrogates]

    if flagged:
        columns = ", ".join(f.column for f in flagged)
        evidence = "; ".join(_describe(f) for f in flagged)
        drops = "; ".join(f"drop column {f.column}" for f in flagged)
        return Check(check_id, f"({letter}) {name}", reference, FAIL, evidence, method,
                     recommendation=f"{drops} ({name} must be removed under Safe Harbor; found in {columns})")
    if fresh:
        columns = ", ".join(fresh)
        return Check(check_id, f"({letter}) {name}", reference, NEEDS_ATTESTATION,
                     f"column {columns} holds surrogate codes that genesis generated for the synthetic rows, "
                     "not codes of real people",
                     method + "; 45 CFR 164.514(c) allows a code not derived from information about the "
                     "individual, so a person must confirm that no mapping to real records exists",
                     automated=False)
    return Check(check_id, f"({letter}) {name}", reference, PASS,
                 f"no column is named like or holds values shaped like {name}", method)


def _geography_check(frame: pd.DataFrame, findings: list[IdentifierFinding], method: str) -> Check:
    """Check (B): ZIP columns hold allowed 3-digit prefixes, and no other unit below a state remains."""
    reference = "45 CFR 164.514(b)(2)(i)(B)"
    title = f"(B) {SAFE_HARBOR_CATEGORIES['B']}"
    zip_columns = [str(c) for c in frame.columns if _is_zip_named(c) or is_zip_code_column(frame[c])]
    others = [f for f in findings if f.column not in zip_columns]
    zip_list = restricted_zip3()
    method = f"{method}; {ZIP_METHOD.format(version=zip_list['version'], census=zip_list['census_year'])}"

    problems, fixes, notes = [], [], []
    for column in zip_columns:
        too_fine, restricted, n_values = _zip_problems(frame[column], frozenset(zip_list["prefixes"]))
        if too_fine:
            problems.append(f"{too_fine:,} of {n_values:,} values of {column} are not 3-digit prefixes")
            fixes.append(f"generalize {column} to 3 digits (ZIP3, restricted prefixes as 000)")
        if restricted:
            problems.append(f"{restricted:,} values of {column} carry one of the "
                            f"{len(zip_list['prefixes'])} restricted prefixes")
            fixes.append(f"write the restricted ZIP prefixes of {column} as 000 "
                         f"({', '.join(zip_list['prefixes'])})")
        if not too_fine and not restricted:
            notes.append(f"{column}: all {n_values:,} values are 3-digit prefixes, restricted ones as 000")
    for finding in others:
        problems.append(_describe(finding))
        fixes.append(f"drop column {finding.column} or generalize it to the state")

    if problems:
        return Check("hipaa.safe_harbor.B", title, reference, FAIL, "; ".join(problems + notes), method,
                     recommendation="; ".join(fixes))
    evidence = "; ".join(notes) if notes else "no ZIP code, address, city, county or coordinate column found"
    return Check("hipaa.safe_harbor.B", title, reference, PASS, evidence, method)


def _zip_problems(series: pd.Series, restricted: frozenset[str]) -> tuple[int, int, int]:
    """Count values finer than 3 digits and values with a restricted prefix; also return the count checked."""
    counts = _text_counts(series, pad_integers=3)
    texts = pd.Series(counts.index.astype(str), dtype=object)
    prefixes = texts.str.extract(_ZIP_PREFIX, expand=False)
    suppressed = texts.str.match(_ZIP_SUPPRESSED).to_numpy(dtype=bool)
    too_fine = int(counts.to_numpy()[prefixes.isna().to_numpy() & ~suppressed].sum())
    is_restricted = prefixes.isin(restricted).to_numpy()
    return too_fine, int(counts.to_numpy()[is_restricted].sum()), int(counts.sum())


def _dates_and_ages_check(frame: pd.DataFrame, findings: list[IdentifierFinding], method: str) -> Check:
    """Check (C): dates as years only, and ages above 89 only as one "90+" category."""
    reference = "45 CFR 164.514(b)(2)(i)(C)"
    title = f"(C) {SAFE_HARBOR_CATEGORIES['C']}"
    age_columns = [str(c) for c in frame.columns if is_age_column(frame[c])]
    method = f"{method}; {AGE_METHOD}"

    problems, fixes, notes = [], [], []
    for column in age_columns:
        over, unreadable, n_values = _age_problems(frame[column])
        if over:
            problems.append(f"{over:,} of {n_values:,} values of {column} state an age above 89 "
                            "outside a single 90+ category")
            fixes.append(f"ages above 89 must be written as 90+ in column {column}")
        if unreadable:
            problems.append(f"{unreadable:,} values of {column} are neither ages nor age bands")
            fixes.append(f"write column {column} as years, bands or 90+")
        if not over and not unreadable:
            notes.append(f"{column}: no age above 89 outside a 90+ category in {n_values:,} values")
    for finding in findings:
        if finding.column in age_columns:
            continue
        if VALUE_PATTERN not in finding.evidence:
            notes.append(f"{finding.column}: named like a date, but no value holds a month or a day")
            continue
        problems.append(_describe(finding))
        fixes.append(f"write column {finding.column} as years only")

    if problems:
        return Check("hipaa.safe_harbor.C", title, reference, FAIL, "; ".join(problems + notes), method,
                     recommendation="; ".join(fixes))
    evidence = "; ".join(notes) if notes else "no date finer than a year and no age column found"
    return Check("hipaa.safe_harbor.C", title, reference, PASS, evidence, method)


def _age_problems(series: pd.Series) -> tuple[int, int, int]:
    """Count values stating an age above 89 and values that are not ages; also return the count checked."""
    counts = _text_counts(series, pad_integers=0)
    over = unreadable = 0
    for text, count in counts.items():
        verdict = _age_value_verdict(str(text))
        if verdict == "over":
            over += int(count)
        elif verdict == "unreadable":
            unreadable += int(count)
    return over, unreadable, int(counts.sum())


def _age_value_verdict(text: str) -> str:
    """Return "ok", "over" (states an age above 89) or "unreadable" for one written age value."""
    text = text.strip()
    if _ZIP_SUPPRESSED.match(text):
        return "ok"
    try:
        return "over" if float(text) > 89 else "ok"
    except ValueError:
        pass

    band = _BAND.match(text)
    if band:
        upper = int(band.group(3))
        half_open = band.group(1) == "[" and band.group(4) == ")"
        highest_age = upper - 1 if half_open else upper
        return "over" if highest_age > 89 else "ok"

    top = _OPEN_TOP.match(text)
    if top:
        if top.group(1) is not None:
            start = int(top.group(1))
        else:
            start = int(top.group(3)) + (0 if top.group(2) else 1)
        return "ok" if start <= 90 else "over"
    return "unreadable"


def _text_counts(series: pd.Series, pad_integers: int) -> pd.Series:
    """Return the counts of the column's non-missing values written as text.

    Integral numbers are written without a decimal part and, when `pad_integers`
    is set, padded back to that many digits (ZIP prefix 36 is "036").
    """
    values = series.dropna()
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        counts = values.astype("float64").value_counts()
        labels = [_number_text(number, pad_integers) for number in counts.index]
        return pd.Series(counts.to_numpy(), index=pd.Index(labels, dtype=object)).groupby(level=0).sum()
    return values.astype(str).astype(object).value_counts()


def _number_text(number: float, pad: int) -> str:
    if np.isfinite(number) and number == round(number):
        return f"{int(number):0{pad}d}"
    return repr(float(number))


def _is_zip_named(label: object) -> bool:
    return any(match.rule.key == "zip" for match in match_name_rules(name_tokens(label)))


def surrogate_columns(record: dict[str, Any] | None) -> set[str]:
    """Return the columns that, by the release record, genesis filled with fresh surrogate IDs."""
    if record is None:
        return set()
    columns = (record.get("schema") or {}).get("columns") or []
    return {c["name"] for c in columns if c.get("id_format")}


def _describe(finding: IdentifierFinding) -> str:
    rate = ""
    if finding.match_rate is not None:
        rate = f", {finding.match_rate:.0%} of {finding.values_checked:,} values checked"
    example = "" if finding.example is None else f", value shape {value_shape(finding.example)}"
    return f"column {finding.column}: {finding.description}{rate}{example}"


def value_shape(text: str) -> str:
    """Replace every letter and digit of `text` by "*", keeping separators: "123-45-6789" becomes
    "***-**-****"."""
    return "".join("*" if character.isalnum() else character for character in text)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
