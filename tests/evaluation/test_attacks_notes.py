"""The warnings of an attack result concern that attack and name its own arguments."""

import pytest

from genesis.datasets import patient_table
from genesis.privacy_attacks import AttributeInferenceAttack, LinkageAttack, MembershipInferenceAttack

QIS = ["age", "gender", "zip_code"]

ATTACKS = {
    "membership": lambda: MembershipInferenceAttack(random_state=0),
    "attribute": lambda: AttributeInferenceAttack("annual_cost", random_state=0),
    "linkage": lambda: LinkageAttack(QIS, random_state=0),
}

# Phrases of the audit's notes that do not apply to an attack.
AUDIT_ONLY = ("holdout_data=", "verdict", "singling-out", "sensitive_columns", "the audit")


@pytest.fixture(scope="module")
def tables():
    """Training rows, a synthetic stand-in without release record, and holdout rows."""
    real, synthetic, holdout = (patient_table(n, random_state=seed).drop(columns="patient_id")
                                for n, seed in ((600, 1), (600, 2), (200, 3)))
    return real, synthetic, holdout


@pytest.mark.parametrize("name", ATTACKS)
def test_notes_without_holdout_name_attack_terms(tables, name):
    real, synthetic, _ = tables

    warnings = ATTACKS[name]().evaluate(real, synthetic).details["warnings"]

    for phrase in AUDIT_ONLY:
        assert not any(phrase in note for note in warnings), phrase
    holdout_notes = [note for note in warnings if note.startswith("No holdout:")]
    assert len(holdout_notes) == 1
    assert "no holdout was reserved or passed" in holdout_notes[0]
    assert "risk_level is 'inconclusive'" in holdout_notes[0]
    assert holdout_notes[0].endswith("Pass real rows kept out of training as holdout=.")


@pytest.mark.parametrize("name", ATTACKS)
def test_missing_release_record_note_reworded(tables, name):
    real, synthetic, holdout = tables

    warnings = ATTACKS[name]().evaluate(real, synthetic, holdout=holdout).details["warnings"]

    assert warnings == ["The synthetic table has no release record (e.g. read from CSV), so the attack "
                        "assumes the real and synthetic tables are at the same generalization."]


def test_identifier_note_kept():
    """Notes that apply to every comparison, such as a column left out as an identifier, stay."""
    real, synthetic, holdout = (patient_table(n, random_state=seed)
                                for n, seed in ((600, 1), (600, 2), (200, 3)))

    result = LinkageAttack(QIS, random_state=0).evaluate(real, synthetic, holdout=holdout)

    warnings = result.details["warnings"]
    assert any(note.startswith("Columns ['patient_id'] have a distinct text value") for note in warnings)
