"""Recognizers a policy defines as data: regex patterns and deny lists."""

from __future__ import annotations

import regex
from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer

from policies.schema import Policy
from scrubbers.errors import ScrubberConfigError

# The names a policy's own recognizers carry, with their index: PolicyPattern[0], PolicyDenyList[2].
PATTERN_RECOGNIZER = "PolicyPattern"
DENY_LIST_RECOGNIZER = "PolicyDenyList"


def policy_recognizers(policy: Policy) -> list[EntityRecognizer]:
    """One PatternRecognizer per `detection.patterns` rule and per `detection.deny_lists` entry."""
    recognizers: list[EntityRecognizer] = []
    for index, rule in enumerate(policy.detection.patterns):
        try:
            regex.compile(rule.regex)
        except regex.error as exc:
            # The regex is policy text, not personal data, but the message only needs its place.
            raise ScrubberConfigError(
                f"detection.patterns[{index}] ({rule.entity_type}) is not a valid regular expression "
                f"({exc.msg} at position {exc.pos}); fix the pattern in the policy file"
            ) from None
        recognizers.append(
            PatternRecognizer(
                supported_entity=rule.entity_type,
                name=f"{PATTERN_RECOGNIZER}[{index}]",
                patterns=[Pattern(f"policy pattern {index}", rule.regex, rule.score)],
                context=list(rule.context) or None,
            )
        )
    for index, deny_list in enumerate(policy.detection.deny_lists):
        terms = [term for term in deny_list.terms if term.strip()]
        if terms:
            recognizers.append(
                PatternRecognizer(
                    supported_entity=deny_list.entity_type,
                    name=f"{DENY_LIST_RECOGNIZER}[{index}]",
                    deny_list=terms,
                )
            )
    return recognizers
