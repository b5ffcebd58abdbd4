"""Assemble Presidio analyzers: which recognizers, which NLP entities, which context window."""

from __future__ import annotations

import bisect
import copy
import re
from collections.abc import Collection
from collections.abc import Set as AbstractSet
from typing import Any

from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerRegistry, RecognizerResult
from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer, LemmaContextAwareEnhancer
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
from scrubbers.nlp import KEYWORD_SET, LANGUAGE, TOKEN_ENDS
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


class IndexedContextEnhancer(LemmaContextAwareEnhancer):
    """Presidio's lemma context enhancer with the same results, minus its per-match costs.

    Presidio deep-copies every result of every text, walks the spaCy tokens to find the one a
    match starts in, and tests context words against a list: a tenth of the scrubber's time.
    Here each result is copied shallowly (the explanation too, where a boost changes it), the
    token is found by bisection over token ends and the keywords are a set (both prepared by
    scrubbers.nlp with the artifacts; without them Presidio's own steps run).
    Mirrors presidio-analyzer 2.2.366's LemmaContextAwareEnhancer.enhance_using_context.
    """

    def enhance_using_context(
        self,
        text: str,
        raw_results: list[RecognizerResult],
        nlp_artifacts: NlpArtifacts,
        recognizers: list[EntityRecognizer],
        context: list[str] | None = None,
    ) -> list[RecognizerResult]:
        results = [copy.copy(result) for result in raw_results]
        if nlp_artifacts is None:
            return results
        by_id = {recognizer.id: recognizer for recognizer in recognizers}
        extra_context = [word.lower() for word in context or []]
        for result in results:
            metadata = result.recognition_metadata or {}
            recognizer = by_id.get(metadata.get(RecognizerResult.RECOGNIZER_IDENTIFIER_KEY))
            if recognizer is None or not recognizer.context or metadata.get(RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY):
                continue
            surrounding = self._extract_surrounding_words(nlp_artifacts=nlp_artifacts, word=text[result.start : result.end], start=result.start)
            supportive = self._find_supportive_word_in_context(surrounding + extra_context, recognizer.context, self.context_matching_mode)
            if supportive != "":
                result.score = min(max(result.score + self.context_similarity_factor, self.min_score_with_context_similarity), ContextAwareEnhancer.MAX_SCORE)
                if result.analysis_explanation is not None:
                    result.analysis_explanation = copy.copy(result.analysis_explanation)
                    result.analysis_explanation.set_supportive_context_word(supportive)
                    result.analysis_explanation.set_improved_score(result.score)
        return results

    def _extract_surrounding_words(self, nlp_artifacts: NlpArtifacts, word: str, start: int) -> list[str]:
        token_ends = getattr(nlp_artifacts, TOKEN_ENDS, None)
        keywords = getattr(nlp_artifacts, KEYWORD_SET, None)
        if token_ends is None or keywords is None or not nlp_artifacts.tokens:
            return super()._extract_surrounding_words(nlp_artifacts, word, start)
        index = bisect.bisect_right(token_ends, start)  # the first token ending after the match starts
        if index == len(token_ends):
            raise ValueError("a match starts after the last token")  # as Presidio, which names the word
        lemmas = nlp_artifacts.lemmas
        words = _context_words(lemmas, keywords, index, self.context_prefix_count, -1)
        words += _context_words(lemmas, keywords, index, self.context_suffix_count, 1)
        return list(set(words))


def _context_words(lemmas: list[str], keywords: AbstractSet[str], index: int, count: int, step: int) -> list[str]:
    """Up to count + 1 keyword lemmas from `index` on in direction `step` (the match's own token counts, as in Presidio)."""
    words: list[str] = []
    while 0 <= index < len(lemmas) and len(words) <= count:
        lemma = lemmas[index].lower()
        if lemma in keywords:
            words.append(lemma)
        index += step
    return words


def build_recognizers(policy: Policy, ner_entities: Collection[str]) -> list[EntityRecognizer]:
    """Presidio's recognizers, ours, the policy's, and spaCy NER limited to `ner_entities`."""
    recognizers: list[EntityRecognizer] = [recognizer() for recognizer in PRESIDIO_RECOGNIZERS]
    recognizers.append(DigitGatedPhoneRecognizer(PHONE_REGIONS))
    recognizers += custom_recognizers()
    recognizers += policy_recognizers(policy)
    if ner_entities:
        recognizers.append(SpacyRecognizer(supported_language=LANGUAGE, supported_entities=list(ner_entities)))
    return recognizers


class OrderedRecognizerRegistry(RecognizerRegistry):
    """Presidio's registry, handing out recognizers in registration order.

    Presidio collects them in a set, so their order followed object addresses; when two
    recognizers return the same span, type and score, its duplicate removal keeps the first,
    and the recognizer a finding names changed from process to process.
    """

    def get_recognizers(self, *args: Any, **kwargs: Any) -> list[EntityRecognizer]:
        position = {id(recognizer): index for index, recognizer in enumerate(self.recognizers)}
        return sorted(super().get_recognizers(*args, **kwargs), key=lambda recognizer: position.get(id(recognizer), len(position)))


def build_analyzer(
    recognizers: list[EntityRecognizer],
    nlp_engine: NlpEngine,
    context_enhancer: ContextAwareEnhancer | None = None,
) -> AnalyzerEngine:
    registry = OrderedRecognizerRegistry(recognizers=recognizers, supported_languages=[LANGUAGE])
    return AnalyzerEngine(
        registry=registry,
        nlp_engine=nlp_engine,
        supported_languages=[LANGUAGE],
        context_aware_enhancer=context_enhancer or IndexedContextEnhancer(),
    )


def supported_entity_types(analyzer: AnalyzerEngine) -> set[str]:
    return set(analyzer.get_supported_entities(language=LANGUAGE))
