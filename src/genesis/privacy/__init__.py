"""Privacy protections: configuration, the DP ledger and mechanisms, domain discovery.

`PrivacyConfig` (config.py) validates the `privacy` argument; `PrivacyLedger`
(ledger.py) records every differentially private measurement of a fit and
composes their cost; mechanisms.py holds the noise-adding mechanisms, and
domain.py the discovery of categories and bounds under DP.
"""

from genesis.privacy.config import PRESETS, PrivacyConfig
from genesis.privacy.ledger import PrivacyBudgetError, PrivacyEvent, PrivacyLedger

__all__ = ["PRESETS", "PrivacyBudgetError", "PrivacyConfig", "PrivacyEvent", "PrivacyLedger"]
