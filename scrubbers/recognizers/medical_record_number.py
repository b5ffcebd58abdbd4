"""MEDICAL_RECORD_NUMBER: record numbers after "MRN", "medical record" or "chart"."""

from __future__ import annotations

from presidio_analyzer import Pattern, PatternRecognizer

KEYWORD = (
    r"(?<=\b(?:mrn|medical\s+record(?:\s+(?:number|num|no\.?|#))?|chart\s+(?:number|num|no\.?|#))"
    r"\s*(?:is\s+)?[:#-]?\s*)"
)
NUMBER = r"[A-Z]{0,3}-?\d{6,10}\b"


class MedicalRecordNumberRecognizer(PatternRecognizer):
    """Native counterpart of hipaa.yaml's MRN pattern, so any policy can list MEDICAL_RECORD_NUMBER."""

    # The one-character test first keeps the keyword lookbehind off most positions.
    PATTERNS = [Pattern("record number after keyword", r"(?<![\w-])(?=[A-Z\d])" + KEYWORD + NUMBER, 0.85)]
    CONTEXT = ["mrn", "medical", "record", "chart", "patient"]

    def __init__(self) -> None:
        super().__init__(supported_entity="MEDICAL_RECORD_NUMBER", patterns=self.PATTERNS, context=self.CONTEXT)
