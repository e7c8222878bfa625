"""Built-in sample tables, generated in code (no download, no real people).

`patient_table` draws a table of synthetic patients from the process described
in the HIPAA tutorial: demographics, a ZIP code, one condition whose risk grows
with age, a treatment that depends on the condition, systolic blood pressure
that is higher under hypertension, and an annual cost set by the condition.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ZIP_CODES = ("10001", "10002", "10003", "90210", "90211", "60601", "60602", "30301", "30302", "77001")
ZIP_PROBABILITIES = (0.15, 0.12, 0.10, 0.12, 0.08, 0.10, 0.08, 0.10, 0.08, 0.07)

TREATMENTS = {
    "Diabetes": (("Metformin", "Insulin", "Diet"), (0.5, 0.3, 0.2)),
    "Hypertension": (("ACE Inhibitor", "Beta Blocker", "Diuretic"), (0.4, 0.35, 0.25)),
    "Heart Disease": (("Statin", "Aspirin", "Surgery"), (0.5, 0.35, 0.15)),
    "Healthy": (("None",), (1.0,)),
}
BASE_COST = {"Healthy": 500, "Diabetes": 3000, "Hypertension": 2000, "Heart Disease": 8000}

PATIENT_QUASI_IDENTIFIERS = ("age", "gender", "zip_code")
PATIENT_SENSITIVE_COLUMNS = ("condition", "treatment", "annual_cost")
PATIENT_DISCRETE_COLUMNS = ("gender", "zip_code", "condition", "treatment")


def patient_table(
    n_patients: int = 10_000, random_state: int | np.random.Generator | None = 42
) -> pd.DataFrame:
    """Return a sample patient table with a `patient_id` column and seven attributes.

    Parameters
    ----------
    n_patients:
        Number of rows.
    random_state:
        Seed or numpy Generator; the same seed gives the same table.
    """
    if n_patients < 1:
        raise ValueError(f"n_patients is {n_patients}, but it must be at least 1.")
    rng = np.random.default_rng(random_state)

    ages = np.clip(rng.normal(55, 18, n_patients), 0, 100).astype(int)
    genders = rng.choice(np.array(["M", "F"], dtype=object), n_patients, p=[0.48, 0.52])
    zip_codes = rng.choice(np.array(ZIP_CODES, dtype=object), n_patients, p=ZIP_PROBABILITIES)
    conditions = _draw_conditions(ages, rng)
    treatments = _draw_treatments(conditions, rng)

    # Systolic pressure in mmHg: N(145, 15) under hypertension, else N(120, 12).
    hypertensive = conditions == "Hypertension"
    pressure = np.where(hypertensive, rng.normal(145, 15, n_patients), rng.normal(120, 12, n_patients))
    pressure = np.clip(pressure, 80, 200).astype(int)

    # Annual cost in US dollars: the condition's base cost plus N(0, 500) noise.
    base = np.array([BASE_COST[c] for c in conditions], dtype=float)
    costs = np.clip(base + rng.normal(0, 500, n_patients), 100, 50_000).astype(int)

    return pd.DataFrame(
        {
            "patient_id": [f"P{i:06d}" for i in range(1, n_patients + 1)],
            "age": ages,
            "gender": genders,
            "zip_code": zip_codes,
            "condition": conditions,
            "treatment": treatments,
            "blood_pressure_systolic": pressure,
            "annual_cost": costs,
        }
    )


def _draw_conditions(ages: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draw one condition per patient; the checks run in order and the first hit wins."""
    share = ages / 100
    p_diabetes = 0.05 + share * 0.15
    p_hypertension = 0.08 + share * 0.25
    p_heart = 0.02 + share * 0.12

    draws = rng.random((3, ages.size))
    conditions = np.full(ages.size, "Healthy", dtype=object)
    conditions[draws[2] < p_heart] = "Heart Disease"
    conditions[draws[1] < p_hypertension] = "Hypertension"
    conditions[draws[0] < p_diabetes] = "Diabetes"
    return conditions


def _draw_treatments(conditions: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    treatments = np.empty(conditions.size, dtype=object)
    for condition, (options, probabilities) in TREATMENTS.items():
        rows = np.flatnonzero(conditions == condition)
        treatments[rows] = rng.choice(np.array(options, dtype=object), rows.size, p=probabilities)
    return treatments
