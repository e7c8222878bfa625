"""How the released table was made, read from its release record: DP ledger, generalization, seeds, versions.

When the synthetic table carries no release record (a CSV from elsewhere), every
summary states that and what the assessment assumed instead.
"""

from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version
from typing import Any

NO_RECORD = ("The synthetic table carries no release record, so the assessment assumed that no "
             "differential privacy and no generalization were applied and that the generator and its "
             "settings are unknown.")

ALWAYS_OUTSIDE_DP = (
    "This assessment, the privacy audit and the quality evaluation read the real table without differential "
    "privacy; their results are for the data custodian and are not themselves protected by the budget."
)

SOFTWARE = ("numpy", "pandas", "scikit-learn", "scipy", "dp-accounting", "torch", "jinja2",
            "reportlab")


def dp_summary(record: dict[str, Any] | None) -> dict[str, Any]:
    """Summarize the DP ledger: budget, spend, events, and which steps the budget does and does not cover."""
    if record is None:
        return {"applied": False, "statement": NO_RECORD, "covered": [], "not_covered": [ALWAYS_OUTSIDE_DP]}
    privacy = record.get("privacy") or {}
    ledger = privacy.get("ledger")
    if not ledger:
        return {"applied": False,
                "statement": "No differential privacy: the generator was trained on the real rows without a "
                             "privacy budget, so no step is covered by a DP guarantee.",
                "covered": [],
                "not_covered": ["training of the generator on the real rows", ALWAYS_OUTSIDE_DP]}

    covered = [f"{event['mechanism']}: {event['measured']}" for event in ledger.get("events", [])]
    not_covered = [ALWAYS_OUTSIDE_DP]
    sources = privacy.get("domain_sources") or {}
    from_data = sorted(name for name, source in sources.items() if source == "data")
    if from_data:
        not_covered.append("categories or bounds read from the real table without noise for columns: "
                           + ", ".join(from_data))
    public = sorted(name for name, source in sources.items() if source == "public")
    if public:
        not_covered.append("categories or bounds declared as public metadata (no budget needed) for columns: "
                           + ", ".join(public))
    post_processing = ("k-anonymity generalization, output outlier suppression and surrogate IDs run on the "
                       "synthetic output and need no budget (post-processing of a DP release)")
    spent = ledger["spent"]
    budget = ledger["budget"]
    return {
        "applied": True,
        "statement": (f"(epsilon, delta)-DP with epsilon {spent['epsilon']:.4g} and delta "
                      f"{spent['delta']:.3g} spent of a budget of epsilon {budget['epsilon']:.4g} and delta "
                      f"{budget['delta']:.3g}, "
                      f"composed by the {ledger.get('accountant', 'unknown')} accountant of "
                      f"{ledger.get('accountant_library', 'an unknown library')} "
                      f"{ledger.get('accountant_version', '')}; neighbouring tables differ by "
                      f"{ledger.get('neighbouring_relation', 'one row')}."),
        "budget": budget,
        "spent": spent,
        "noise": privacy.get("noise"),
        "covered": covered,
        "post_processing": post_processing,
        "not_covered": not_covered,
    }


def generalization_summary(record: dict[str, Any] | None) -> dict[str, Any]:
    """Summarize the k-anonymity generalization recorded for the table."""
    if record is None:
        return {"applied": False, "statement": NO_RECORD, "levels": []}
    anonymity = record.get("k_anonymity")
    if not anonymity:
        return {"applied": False, "statement": "No k-anonymity generalization was applied.", "levels": []}
    levels = [{"column": name, "level": entry.get("name"), "format": entry.get("format"),
               "safe_harbor_floor": entry.get("floor")} for name, entry in anonymity["levels"].items()]
    statement = (f"k={anonymity['k']} over {', '.join(anonymity['quasi_identifiers'])}: smallest class "
                 f"{anonymity['smallest_class']:,} rows, {anonymity['suppressed']:,} rows suppressed "
                 f"({anonymity['suppressed_share']:.2%}), Safe Harbor floors "
                 f"{'on' if anonymity.get('safe_harbor') else 'off'}.")
    return {"applied": True, "statement": statement, "k": anonymity["k"], "levels": levels,
            "information_loss": anonymity.get("information_loss")}


def seeds(record: dict[str, Any] | None, random_state: Any) -> dict[str, Any]:
    """Return the seeds behind the table and behind this assessment's own random steps."""
    privacy = {} if record is None else (record.get("privacy") or {})
    return {
        "generator_random_state": None if record is None else record.get("random_state"),
        "dp_noise": privacy.get("noise"),
        "assessment_random_state": random_state if isinstance(random_state, int) else None,
    }


def software_versions() -> dict[str, str]:
    """Return the versions of Python and of the packages the results depend on ("not installed" if absent)."""
    from genesis import __version__

    versions = {"genesis": __version__, "python": platform.python_version()}
    for package in SOFTWARE:
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = "not installed"
    return versions
