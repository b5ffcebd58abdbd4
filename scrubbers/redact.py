"""Apply the policy's operator to each finding of one text."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from appliance.records import Finding
from policies.schema import EntityRule
from scrubbers.operators import OPERATORS, pseudonym


def redact(text: str, findings: Sequence[Finding], rules: Mapping[str, EntityRule], salt: bytes, subject: str = "") -> str:
    """The text with every finding rewritten by its entity's operator.

    Findings must not overlap (see merge_findings). They are applied right to left, so
    each replacement leaves the offsets of the ones still to do untouched. `subject`
    (the record's data subject) fixes the `pseudonym` operator's date shift.
    """
    for finding in sorted(findings, key=lambda finding: finding.start, reverse=True):
        rule = rules[finding.entity_type]
        operator = OPERATORS[rule.operator]
        value = text[finding.start : finding.end]
        if rule.operator == "pseudonym":
            token = pseudonym(value, finding.entity_type, salt=salt, subject=subject)
        else:
            token = operator(value, finding.entity_type, keep_last=rule.keep_last, salt=salt)
        text = text[: finding.start] + token + text[finding.end :]
    return text
