"""US_SSN: dashed SSNs at face value, and undelimited ones after an SSN keyword.

Presidio's own UsSsnRecognizer scores "123-45-6789" at 0.05 without context and rejects
well-known sample numbers; a dashed 3-2-4 group is SSN-shaped enough to redact on sight,
and a sample number in training text costs nothing to redact.
"""

from __future__ import annotations

from presidio_analyzer import Pattern, PatternRecognizer

# Area 000, group 00 and serial 0000 are never issued; 9xx (ITINs) are tax ids too, so kept.
DASHED = r"(?<![\w-])(?!000)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\w-])"
AFTER_KEYWORD = (
    r"(?<=\b(?:ssn|social\s+security(?:\s+(?:number|num|no\.?|#))?)[^\n\d]{0,15})"
    r"(?<![\w-])\d{3}[ .-]?\d{2}[ .-]?\d{4}(?![\w-])"
)


class DashedSsnRecognizer(PatternRecognizer):
    """`NNN-NN-NNNN` anywhere; `NNNNNNNNN` / `NNN NN NNNN` only after "SSN" or "social security"."""

    PATTERNS = [Pattern("dashed ssn", DASHED, 0.65), Pattern("ssn after keyword", AFTER_KEYWORD, 0.85)]
    CONTEXT = ["ssn", "social", "security", "ssns"]

    def __init__(self) -> None:
        super().__init__(supported_entity="US_SSN", patterns=self.PATTERNS, context=self.CONTEXT)
