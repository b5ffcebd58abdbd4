"""Offline QA metrics on crafted answers whose scores are known by hand."""

from __future__ import annotations

import pytest

from audits.qa_metrics import (
    DEFINITIONS,
    AnswerScore,
    exact_match,
    extract_claims,
    is_refusal,
    normalize_answer,
    rouge_l,
    score_answer,
    score_answers,
    token_f1,
    unsupported_claims,
)


def no_entities(text: str) -> list[tuple[int, int]]:
    """Numbers and dates only: isolates the regex and support logic from the NER model."""
    return []


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("The  Fee, is: 25 USD!", "fee is 25 usd"),
        ("An apple a day", "apple day"),
        ("\u201cQuoted\u201d \u2014 text", "quoted text"),
        ("", ""),
    ],
)
def test_normalize_answer(text: str, normal: str) -> None:
    assert normalize_answer(text) == normal


@pytest.mark.parametrize(
    ("prediction", "reference", "em", "f1", "rouge"),
    [
        ("Paris", "paris.", 1.0, 1.0, 1.0),
        ("The fee is 25 dollars", "a 25 dollar fee", 0.0, 4 / 7, 2 / 7),  # bag overlap {25, fee}; in order only one of them
        ("cat sat on mat", "mat on sat cat", 0.0, 1.0, 0.25),  # same bag of words, LCS of length 1
        ("one two three four", "one two", 0.0, 2 / 3, 2 / 3),
        ("completely different", "nothing shared", 0.0, 0.0, 0.0),
        ("", "", 1.0, 1.0, 1.0),
        ("", "something", 0.0, 0.0, 0.0),
    ],
)
def test_exact_match_token_f1_and_rouge_l(prediction: str, reference: str, em: float, f1: float, rouge: float) -> None:
    assert exact_match(prediction, reference) == em
    assert token_f1(prediction, reference) == pytest.approx(f1)
    assert rouge_l(prediction, reference) == pytest.approx(rouge)


def test_rouge_l_rewards_order_where_token_f1_does_not() -> None:
    in_order = rouge_l("the card is blocked today", "card is blocked")
    shuffled = rouge_l("blocked is card", "card is blocked")
    assert in_order == pytest.approx(2 * (3 / 4) * 1 / (3 / 4 + 1))
    assert shuffled < in_order
    assert token_f1("blocked is card", "card is blocked") == 1.0


@pytest.mark.parametrize(
    ("answer", "refusal"),
    [
        ("I don't know.", True),
        ("I\u2019m sorry, I do not know the answer to that.", True),
        ("I cannot answer that question from the information given.", True),
        ("There is not enough information to say.", True),
        ("I am unable to help with this request.", True),
        ("", True),
        ("The fee is 25 USD per month.", False),
        ("We know the card was blocked on Monday.", False),
        ("Nobody knows the trouble", False),
    ],
)
def test_refusal(answer: str, refusal: bool) -> None:
    assert is_refusal(answer) is refusal


@pytest.mark.parametrize(
    ("answer", "support", "claims", "unsupported"),
    [
        ("The fee is 25 a month.", ["Q: what is the fee?", "A monthly fee of 25 applies."], 1, 0),
        ("The fee is 250 a month.", ["A monthly fee of 25 applies."], 1, 1),  # 25 does not support 250
        ("It costs 1,250 or 1250.", ["price: 1250"], 1, 0),  # thousands separators do not matter; counted once
        ("Paid 12.50 on 2024-03-01.", ["Paid 12.50 yesterday."], 2, 1),  # the date is invented
        ("Call 3 times, then 7 times.", [], 2, 2),  # nothing to support anything
        ("No numbers or names here.", ["whatever"], 0, 0),
        ("Ask <PERSON> about [ACCOUNT_2].", ["nothing"], 0, 0),  # placeholders are redactions, not claims
    ],
)
def test_unsupported_numbers_and_dates(answer: str, support: list[str], claims: int, unsupported: int) -> None:
    assert unsupported_claims(answer, support, entities=no_entities) == (claims, unsupported)


def test_named_entities_come_from_the_pinned_spacy_model() -> None:
    claims = extract_claims("The transfer of 1,250 dollars was approved by Maria Lopez in Berlin on 3 March 2024.")
    assert claims == ["1250 dollars", "maria lopez", "berlin", "3 march 2024"]
    # An invented person and city are unsupported; the amount, written "$1,250" in the context, is supported by its number.
    support = ["Who approved the transfer?", "Transfer of $1,250 approved on 3 March 2024."]
    assert unsupported_claims("The transfer of 1,250 dollars was approved by Maria Lopez in Berlin on 3 March 2024.", support) == (4, 2)


@pytest.mark.parametrize(
    ("answer", "support", "claims", "counts"),
    [
        # Pinned with the metric's earlier pipeline of its own (tagger and attribute ruler on): sharing the scrubber's changes none.
        ("Your card ending 4421 was blocked on Friday after three failed PIN attempts; call the Leeds branch.", ["Why is my card blocked?", "Card blocked after three failed PIN attempts."], ["friday", "three", "pin", "leeds", "4421"], (5, 3)),
        ("Barclays charges a 2.5% foreign transaction fee, so 400 euros costs about 10 euros extra.", ["What is the foreign fee?", "A foreign transaction fee of 2.5% applies."], ["2 5", "400", "about 10"], (3, 2)),
        ("John Smith from HSBC in Manchester approved the mortgage of 180,000 pounds in July 2023.", ["Who approved it?", "The mortgage of £180,000 was approved in July 2023."], ["john smith", "hsbc", "manchester", "180000 pounds", "july 2023"], (5, 4)),
        ("The ISA allowance is 20,000 pounds per tax year, and the deadline is 5 April.", ["ISA allowance 20000 per tax year, ending 5 April."], ["isa", "20000 pounds", "tax year", "5 april"], (4, 0)),
        ("Microsoft and Google both opened offices in Dublin last year, hiring 300 people.", ["Tech firms expanded in Ireland."], ["microsoft", "google", "dublin", "last year", "300"], (5, 5)),
    ],
)
def test_unsupported_content_on_named_entities_is_unchanged(answer: str, support: list[str], claims: list[str], counts: tuple[int, int]) -> None:
    assert extract_claims(answer) == claims
    assert unsupported_claims(answer, support) == counts


def test_claims_come_from_the_scrubbers_spacy_pipeline_not_a_second_copy() -> None:
    from appliance.models import DEFAULT_NER_MODEL
    from audits.qa_metrics import _spacy_pipeline
    from scrubbers.nlp import LANGUAGE, MODEL_NAME, shared_nlp_engine

    assert MODEL_NAME == DEFAULT_NER_MODEL  # the registry's pinned NER model, whose folder hash is checked first
    assert _spacy_pipeline() is shared_nlp_engine().get_nlp(LANGUAGE)


def test_score_answer_adds_the_reference_to_the_support() -> None:
    scored = score_answer("The limit is 5000 euros.", "5000 euros", ["What is the limit?"], entities=no_entities, latency_s=0.5, new_tokens=7)
    assert (scored.claims, scored.unsupported, scored.unsupported_rate) == (1, 0, 0.0)
    assert scored.exact_match == 0.0 and scored.token_f1 == pytest.approx(2 * (2 / 4) * 1 / (2 / 4 + 1))
    assert not scored.refusal


def test_score_answers_aggregates_with_the_defined_keys() -> None:
    scores = [
        AnswerScore(1.0, 1.0, 1.0, claims=2, unsupported=1, refusal=False, pii_findings=0, latency_s=1.0, new_tokens=10),
        AnswerScore(0.0, 0.5, 0.25, claims=0, unsupported=0, refusal=True, pii_findings=2, latency_s=3.0, new_tokens=20),
    ]
    metrics = score_answers(scores)
    assert metrics == {
        "exact_match": 0.5,
        "token_f1": 0.75,
        "rouge_l": 0.625,
        "unsupported_rate": 0.25,
        "refusal_rate": 0.5,
        "pii_emitted": 2,
        "latency_p50_s": 1.0,
        "latency_p95_s": 3.0,
        "tokens_per_s": 7.5,
    }
    assert set(metrics) == set(DEFINITIONS)
    assert score_answers([])["exact_match"] == 0.0
