"""Attack simulations on a synthetic table: membership inference, attribute inference and linkage.

The classes live in `genesis.evaluation.attacks`; this module is their public name.
"""

from genesis.evaluation.attacks import (
    AttackResult,
    AttributeInferenceAttack,
    LinkageAttack,
    MembershipInferenceAttack,
)

__all__ = ["AttackResult", "AttributeInferenceAttack", "LinkageAttack", "MembershipInferenceAttack"]
