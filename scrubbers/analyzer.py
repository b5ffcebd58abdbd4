"""Assemble Presidio analyzers: which recognizers, which NLP entities, which context window."""

from __future__ import annotations

import re
from collections.abc import Collection

from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerRegistry, RecognizerResult
from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer
from presidio_analyzer.nlp_engine import NlpArtifacts, NlpEngine
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    DateRecognizer,
    IbanRecognizer,
    IpRecognizer,
    MedicalLicenseRecognizer,
    PhoneRecognizer,
    SpacyRecognizer,
    UrlRecognizer,
    UsBankRecognizer,
    UsLicenseRecognizer,
    UsPassportRecognizer,
    UsSsnRecognizer,
)

from policies.schema import Policy
from scrubbers.nlp import LANGUAGE
from scrubbers.recognizers import custom_recognizers, policy_recognizers

# Presidio's predefined recognizers we use (plus PhoneRecognizer, configured below), named
# in code rather than loaded from its YAML so an upgrade cannot silently add or drop one.
# Its EmailRecognizer is replaced by recognizers.EmailAddressRecognizer.
PRESIDIO_RECOGNIZERS = (
    CreditCardRecognizer,
    DateRecognizer,
    IbanRecognizer,
    IpRecognizer,
    MedicalLicenseRecognizer,
    UrlRecognizer,
    UsBankRecognizer,
    UsLicenseRecognizer,
    UsPassportRecognizer,
    UsSsnRecognizer,
)

# libphonenumber tries every region on every text and is the analyzer's slowest step; these
# cover the packs' jurisdictions (US, UK, EU). Numbers written with a "+" country code match
# whatever the region, and UsPhoneRecognizer covers North American formats on its own.
PHONE_REGIONS = ("US", "GB", "DE", "FR")
# The shortest valid number in those regions has 4 digits (German numbers; with a "+" country
# code the shortest anywhere has 6), per libphonenumber's metadata. A text with fewer digits
# cannot hold one, and skipping libphonenumber there saves its four region passes.
MIN_PHONE_DIGITS = 4
_ENOUGH_DIGITS_FOR_A_PHONE = re.compile(r"\d(?:\D*\d){%d}" % (MIN_PHONE_DIGITS - 1))

# What spaCy's NER contributes (see nlp.NLP_CONFIGURATION for the label mapping).
NER_ENTITIES = ("PERSON", "LOCATION", "NRP", "DATE_TIME")


class DigitGatedPhoneRecognizer(PhoneRecognizer):
    """Presidio's PhoneRecognizer, skipped on texts with too few digits to hold a phone number.

    Named "PhoneRecognizer" so findings name the same recognizer as before.
    """

    def __init__(self, supported_regions: Collection[str]) -> None:
        super().__init__(supported_regions=tuple(supported_regions), name="PhoneRecognizer")

    def analyze(self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None) -> list[RecognizerResult]:
        if not _ENOUGH_DIGITS_FOR_A_PHONE.search(text):
            return []
        return super().analyze(text, entities, nlp_artifacts)


def build_recognizers(policy: Policy, ner_entities: Collection[str]) -> list[EntityRecognizer]:
    """Presidio's recognizers, ours, the policy's, and spaCy NER limited to `ner_entities`."""
    recognizers: list[EntityRecognizer] = [recognizer() for recognizer in PRESIDIO_RECOGNIZERS]
    recognizers.append(DigitGatedPhoneRecognizer(PHONE_REGIONS))
    recognizers += custom_recognizers()
    recognizers += policy_recognizers(policy)
    if ner_entities:
        recognizers.append(SpacyRecognizer(supported_language=LANGUAGE, supported_entities=list(ner_entities)))
    return recognizers


def build_analyzer(
    recognizers: list[EntityRecognizer],
    nlp_engine: NlpEngine,
    context_enhancer: ContextAwareEnhancer | None = None,
) -> AnalyzerEngine:
    registry = RecognizerRegistry(recognizers=recognizers, supported_languages=[LANGUAGE])
    return AnalyzerEngine(
        registry=registry,
        nlp_engine=nlp_engine,
        supported_languages=[LANGUAGE],
        context_aware_enhancer=context_enhancer,
    )


def supported_entity_types(analyzer: AnalyzerEngine) -> set[str]:
    return set(analyzer.get_supported_entities(language=LANGUAGE))
