"""The scrubber's shortcuts give what the long way gives: same NER, same artifacts, same context boosts, same leaks."""

from __future__ import annotations

import types

import pytest
import spacy
from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer
from presidio_analyzer.nlp_engine import NlpArtifacts, SpacyNlpEngine
from presidio_analyzer.predefined_recognizers import SpacyRecognizer

from appliance.records import Message, Record, Source
from policies import load_policy
from scrubbers import ResidualScanner, Scrubber
from scrubbers.analyzer import NER_ENTITIES, IndexedContextEnhancer, OrderedRecognizerRegistry, build_analyzer, build_recognizers
from scrubbers.detector import Detector
from scrubbers.nlp import LANGUAGE, MODEL_NAME, shared_nlp_engine
from scrubbers.parallel import scrub_and_rescan

SOURCE = Source(path="inbox/notes.txt", sha256="2" * 64)
SALT = b"s" * 32
TEXTS = [
    "Maria Lopez flew from Lisbon to Denver on March 3rd with her brother Tom.",
    "Call me at 555-123-4567 or write to maria.lopez@example.com, said Dr. J. Smith.",
    "Patient SSN 219099999 on file; MRN 00123456 was checked at the Springfield clinic.",
    "The committee met on Tuesday and nothing personal was discussed.",
    "",
    "   \n\n  ",
]
# Context words before and after a weak pattern, so both windows can boost (or not) a score.
CONTEXT_TEXTS = [
    "His social security number, as we noted on the intake form last week, is 219099999.",
    "219099999 is the number; the SSN was confirmed by phone.",
    "Please call the office about claim 12345678 and the account 9876543210 tomorrow.",
    "Passport: 912803456. Licence D1234567 expired. Card 4111 1111 1111 1111 was charged.",
]


@pytest.fixture(scope="module")
def policy():
    return load_policy("default")


def test_ner_runs_alone_and_finds_what_the_full_pipeline_finds() -> None:
    pipeline = shared_nlp_engine().get_nlp(LANGUAGE)
    assert pipeline.pipe_names == ["ner"] and "tok2vec" in pipeline.disabled
    full = spacy.load(MODEL_NAME)  # every component running, the shared tok2vec included
    for text in TEXTS + CONTEXT_TEXTS:
        expected = [(ent.start_char, ent.end_char, ent.label_) for ent in full(text).ents]
        assert [(ent.start_char, ent.end_char, ent.label_) for ent in pipeline(text).ents] == expected


def test_artifacts_are_the_ones_presidio_builds_with_lowercased_lemmas() -> None:
    engine = shared_nlp_engine()
    presidio_lookups = types.SimpleNamespace(
        is_stopword=lambda word, language: SpacyNlpEngine.is_stopword(engine, word, language),
        is_punct=lambda word, language: SpacyNlpEngine.is_punct(engine, word, language),
    )
    for text in TEXTS + CONTEXT_TEXTS:
        doc = engine.get_nlp(LANGUAGE)(text)
        ours = engine._doc_to_nlp_artifact(doc, LANGUAGE)
        lowered = [token.lower_ for token in doc]
        assert ours.lemmas == lowered
        assert ours.tokens_indices == [token.idx for token in doc]
        assert ours.token_ends == [token.idx + len(token) for token in doc]
        assert ours.keywords == NlpArtifacts.set_keywords(presidio_lookups, lowered, LANGUAGE)
        assert [(e.start_char, e.end_char, e.label_) for e in ours.entities] == [
            (e.start_char, e.end_char, e.label_) for e in engine._get_updated_entities(list(doc.ents), [0.85] * len(doc.ents))[0]
        ]
    tokens_only = engine.tokenized(TEXTS[0], LANGUAGE)
    assert tokens_only.entities == [] and tokens_only.lemmas == engine._doc_to_nlp_artifact(engine.get_nlp(LANGUAGE)(TEXTS[0]), LANGUAGE).lemmas


@pytest.mark.parametrize(("prefix", "suffix"), [(5, 0), (10, 3)])
def test_context_boosts_are_presidios(policy, prefix: int, suffix: int) -> None:
    def analyzer(enhancer):
        return build_analyzer(build_recognizers(policy, NER_ENTITIES), shared_nlp_engine(), enhancer)

    ours, presidios = analyzer(IndexedContextEnhancer(context_prefix_count=prefix, context_suffix_count=suffix)), analyzer(
        LemmaContextAwareEnhancer(context_prefix_count=prefix, context_suffix_count=suffix)
    )
    boosted = 0
    for text in TEXTS + CONTEXT_TEXTS:
        [(_, artifacts)] = shared_nlp_engine().process_batch([text], LANGUAGE)
        found = {}
        for name, engine in (("ours", ours), ("presidio", presidios)):
            results = engine.analyze(text=text, language=LANGUAGE, entities=sorted(policy.entities), nlp_artifacts=artifacts, return_decision_process=True)
            found[name] = sorted((r.entity_type, r.start, r.end, round(r.score, 6), r.recognition_metadata["recognizer_name"]) for r in results)
            boosted += sum(bool(getattr(r.analysis_explanation, "supportive_context_word", None)) for r in results) if name == "ours" else 0
        assert found["ours"] == found["presidio"]
    assert boosted >= 3  # the texts do exercise the boost


def test_recognizers_are_consulted_in_registration_order(policy) -> None:
    recognizers = build_recognizers(policy, NER_ENTITIES)
    registry = OrderedRecognizerRegistry(recognizers=recognizers, supported_languages=[LANGUAGE])
    chosen = registry.get_recognizers(language=LANGUAGE, entities=["PERSON", "PHONE_NUMBER", "US_SSN"])
    assert chosen == [recognizer for recognizer in recognizers if set(recognizer.supported_entities) & {"PERSON", "PHONE_NUMBER", "US_SSN"}]


def test_detector_runs_ner_only_on_the_texts_asked() -> None:
    ner_only = build_analyzer([SpacyRecognizer(supported_language=LANGUAGE, supported_entities=["PERSON"])], shared_nlp_engine())
    detector = Detector(ner_only, entities=["PERSON"], score_threshold=0.4)
    texts = ["Yesterday Maria Lopez called.", "Yesterday Maria Lopez called."]
    assert [[f.entity_type for f in found] for found in detector.detect(texts, ner=[True, False])] == [["PERSON"], []]
    assert detector.detect(texts) == detector.detect(texts, ner=[True, True])


def test_rescan_asks_for_ner_where_the_scrub_found_something(policy, monkeypatch) -> None:
    scanner = ResidualScanner(policy)
    asked = []
    detect = scanner._detector.detect
    monkeypatch.setattr(scanner._detector, "detect", lambda texts, ner=None: asked.append(ner) or detect(texts, ner))
    chat = Record(id="c1", kind="chat", source=SOURCE, messages=(Message("user", "hi"), Message("assistant", "<PERSON> called.")), metadata={"owner": "x"})
    scanner.leaks([chat], [{"messages[1]"}])
    scanner.leaks([chat])
    assert asked == [[False, True, False], [True, True, True]]


def test_rescan_with_the_scrubs_findings_counts_the_same_leaks(policy) -> None:
    records = [Record(id=f"r{index}", kind="document", source=SOURCE, text=text) for index, text in enumerate(TEXTS + CONTEXT_TEXTS)]
    records.append(Record(id="chat", kind="chat", source=SOURCE, messages=(Message("user", "hello there"), Message("assistant", TEXTS[1])), metadata={"owner": "Tom Baker"}))
    scrubber, scanner = Scrubber(policy, salt=SALT), ResidualScanner(policy)
    outcomes = scrub_and_rescan(scrubber, scanner, records)
    kept = [outcome for outcome in outcomes if outcome.record is not None]
    assert any(not outcome.findings for outcome in kept) and any(outcome.findings for outcome in kept)
    assert [list(outcome.residual) for outcome in kept] == scanner.leaks([outcome.record for outcome in kept])


def test_a_threshold_above_the_ner_score_keeps_ner_on_every_field(policy) -> None:
    strict = policy.model_copy(update={"detection": policy.detection.model_copy(update={"score_threshold": 0.9})})
    plain = Record(id="r1", kind="document", source=SOURCE, text="Maria Lopez called.")
    # The scrubber at 0.9 drops NER's 0.85 names, so "found nothing" no longer means "NER saw no name".
    assert ResidualScanner(strict)._needs_ner([[("text", plain.text)]], [set()]) == [True]
    assert ResidualScanner(policy)._needs_ner([[("text", plain.text)]], [set()]) == [False]
