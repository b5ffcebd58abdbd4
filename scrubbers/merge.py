"""Merge overlapping findings into one span per place, so each character is redacted once.

When spans overlap, the merged span is their union (redacting a little too much is the
safe error) and its type is the riskiest one present, score breaking ties. Risk decides
before score because the riskier type carries the stricter operator: a span that might
be an SSN must get the SSN rule (perhaps drop_record), even when NER was surer it was a
date.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from appliance.records import Finding

# Riskiest first. Government, financial and medical identifiers single a person out on
# their own; contact details and names nearly so; then quasi-identifiers and context.
RISK_ORDER: tuple[str, ...] = (
    "US_SSN",
    "CREDIT_CARD",
    "IBAN_CODE",
    "ACCOUNT_NUMBER",
    "US_BANK_NUMBER",
    "US_PASSPORT",
    "US_DRIVER_LICENSE",
    "MEDICAL_RECORD_NUMBER",
    "MEDICAL_LICENSE",
    # policy-defined types (detection.patterns, deny lists) rank here: a policy author
    # wrote them on purpose, so they outrank generic contact details.
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "STREET_ADDRESS",
    "PERSON",
    "DATE_OF_BIRTH",
    "AGE_OVER_89",
    "IP_ADDRESS",
    "URL",
    "LOCATION",
    "NRP",
    "DATE_TIME",
)
_RANK = {entity_type: rank for rank, entity_type in enumerate(RISK_ORDER)}
_POLICY_DEFINED_RANK = _RANK["EMAIL_ADDRESS"] - 0.5

# spaCy sometimes splits one name in two ("Maria" "Lopez"); same-type spans separated by
# a few spaces become one, so one person gets one placeholder (and one hash token).
_JOINABLE_GAP = re.compile(r"[ \t]{1,3}")


def risk_rank(entity_type: str) -> float:
    """Position in RISK_ORDER; lower is riskier."""
    return _RANK.get(entity_type, _POLICY_DEFINED_RANK)


def _winner(findings: list[Finding]) -> Finding:
    # Presidio returns results in set order; the recognizer name makes ties reproducible.
    return min(findings, key=lambda f: (risk_rank(f.entity_type), -f.score, f.start, -f.end, f.recognizer))


def merge_findings(findings: Iterable[Finding], text: str) -> list[Finding]:
    """Non-overlapping findings sorted by start; overlapping or touching spans are merged."""
    ordered = sorted(findings, key=lambda finding: (finding.start, -finding.end, finding.entity_type, finding.recognizer))
    merged: list[Finding] = []
    cluster: list[Finding] = []
    cluster_start = cluster_end = 0
    for finding in ordered:
        if cluster and (
            finding.start <= cluster_end
            or (
                finding.entity_type == _winner(cluster).entity_type
                and _JOINABLE_GAP.fullmatch(text, cluster_end, finding.start)
            )
        ):
            cluster.append(finding)
            cluster_end = max(cluster_end, finding.end)
            continue
        if cluster:
            merged.append(_close(cluster, cluster_start, cluster_end))
        cluster, cluster_start, cluster_end = [finding], finding.start, finding.end
    if cluster:
        merged.append(_close(cluster, cluster_start, cluster_end))
    return merged


def _close(cluster: list[Finding], start: int, end: int) -> Finding:
    winner = _winner(cluster)
    return Finding(winner.entity_type, start, end, winner.score, winner.recognizer, winner.field)
