"""PII scrubbing: detectors return findings, operators rewrite them, a residual scan checks the result."""

import appliance  # noqa: F401  (offline switches first: Presidio's email recognizer reads them at import)
from scrubbers.engine import Scrubber, ScrubOutcome
from scrubbers.errors import ScrubberConfigError
from scrubbers.residual import ResidualReport, ResidualScanner

__all__ = ["ResidualReport", "ResidualScanner", "ScrubOutcome", "Scrubber", "ScrubberConfigError"]
