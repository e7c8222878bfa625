"""genesis: synthetic tabular data with privacy evidence for sensitive tables.

Public names are listed in `__all__`; importing genesis configures nothing
outside the package (no logging handlers, no global seeds, no warning filters).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("genesis-synth")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.1.0"

from genesis.evaluation.privacy_audit import run_privacy_audit  # noqa: E402
from genesis.evaluation.quality import QualityEvaluator  # noqa: E402
from genesis.evaluation.quality_report import QualityReport  # noqa: E402
from genesis.synthesizer import SyntheticGenerator  # noqa: E402

__all__ = ["QualityEvaluator", "QualityReport", "SyntheticGenerator", "__version__", "run_privacy_audit"]
