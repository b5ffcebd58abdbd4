"""Offline answer-quality and hallucination metrics for question answering: no judge model.

Each metric is a plain function of one answer; `score_answers` is the one aggregator that
turns a list of scored answers into the numbers the compare stage and the report show. The
first docstring line of each metric is its definition in the report (see `DEFINITIONS`).

>>> exact_match("The Paris.", "paris")
1.0
>>> round(token_f1("the fee is 25 dollars", "a 25 dollar fee"), 3)
0.571
>>> is_refusal("I'm sorry, I don't know the answer.")
True
"""

from __future__ import annotations

import functools
import math
import re
import string
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

ARTICLES = re.compile(r"\b(a|an|the)\b")
PUNCTUATION = set(string.punctuation) | {"\u2018", "\u2019", "\u201c", "\u201d", "\u2013", "\u2014"}

# spaCy labels that name a checkable fact: who, where, which organisation, when, how much.
# (NORP, LANGUAGE, WORK_OF_ART ... are left out: rarely the fact an answer gets wrong.)
CLAIM_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "FAC", "PRODUCT", "EVENT", "LAW", "DATE", "TIME", "MONEY", "PERCENT", "QUANTITY", "CARDINAL"})
# Numbers (1,250.00 / 3.5 / 42) and numeric dates (2024-03-01, 01/03/2024, 1.3.24), which
# spaCy's small model misses often enough that a regex backs it up.
NUMBER = re.compile(r"(?<![\w.])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\w])|(?<![\w.])\d+(?:\.\d+)?(?![\w])")
NUMERIC_DATE = re.compile(r"\b\d{4}-\d{1,2}-\d{1,2}\b|\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b")
# Scrubbed placeholders (<PERSON>, [EMAIL_1], {{IBAN}}) stand for redacted facts, not claims.
PLACEHOLDER = re.compile(r"<[A-Z_]+(?:_\d+)?>|\[[A-Z_]+(?:_\d+)?\]|\{\{[A-Z_]+\}\}")

REFUSAL_PATTERNS = re.compile(
    r"\bi (?:do not|don't|dont) know\b|\bi(?:'m| am) not (?:sure|certain|able)\b|\bi (?:cannot|can't|can not|am unable to|'m unable to) "
    r"(?:answer|help|say|tell|provide|find|determine)\b|\bi(?:'m| am) unable to\b|\b(?:there is )?(?:no|not enough|insufficient) "
    r"(?:information|context|data) (?:to|about|on|is available|available)\b|\bcannot be determined\b|\bas an ai\b|\bi have no (?:information|way)\b",
)


def normalize_answer(text: str) -> str:
    """Lowercase, Unicode NFKC, drop punctuation and the articles a/an/the, collapse whitespace (SQuAD's rule)."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = "".join(" " if ch in PUNCTUATION else ch for ch in text)
    return " ".join(ARTICLES.sub(" ", text).split())


def exact_match(prediction: str, reference: str) -> float:
    """1.0 when the normalised answer equals the normalised reference, else 0.0; the rate is the mean over answers."""
    return float(normalize_answer(prediction) == normalize_answer(reference))


def token_f1(prediction: str, reference: str) -> float:
    """Harmonic mean of token precision and recall between the normalised answer and reference (bag of words, SQuAD F1)."""
    predicted, expected = normalize_answer(prediction).split(), normalize_answer(reference).split()
    if not predicted or not expected:
        return float(predicted == expected)
    common = sum((Counter(predicted) & Counter(expected)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(predicted), common / len(expected)
    return 2 * precision * recall / (precision + recall)


def rouge_l(prediction: str, reference: str) -> float:
    """ROUGE-L F1: longest common token subsequence of the normalised answer and reference, as precision/recall F1."""
    predicted, expected = normalize_answer(prediction).split(), normalize_answer(reference).split()
    if not predicted or not expected:
        return float(predicted == expected)
    lcs = _lcs_length(predicted, expected)
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(predicted), lcs / len(expected)
    return 2 * precision * recall / (precision + recall)


def _lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    # One row of the dynamic-programming table at a time: answers are short, memory stays O(len(b)).
    previous = [0] * (len(b) + 1)
    for token in a:
        current = [0]
        for j, other in enumerate(b):
            current.append(previous[j] + 1 if token == other else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1]


def is_refusal(answer: str) -> bool:
    """True when the answer declines or says it does not know ("I don't know", "I cannot answer", "not enough information", an empty answer)."""
    text = unicodedata.normalize("NFKC", answer).lower().replace("\u2019", "'")
    return not text.strip() or bool(REFUSAL_PATTERNS.search(text))


# Finds entity spans (start, end) in a text; the default is the pinned spaCy pipeline.
Extractor = Callable[[str], list[tuple[int, int]]]


def extract_claims(text: str, *, entities: Extractor | None = None) -> list[str]:
    """The checkable facts in a text: spaCy named entities of CLAIM_LABELS, then every number and numeric date outside them.

    Numbers inside an entity ("3 March 2024", "1,250 dollars") are part of that one claim,
    not extra ones. Each claim is returned normalised (`normalize_claim`), once.
    """
    text = PLACEHOLDER.sub(lambda m: " " * len(m.group()), text)
    spans = (entities or spacy_entities)(text)
    found = [text[start:end] for start, end in spans]
    rest = list(text)
    for start, end in spans:
        rest[start:end] = " " * (end - start)
    remainder = "".join(rest)
    dates = NUMERIC_DATE.findall(remainder)
    found += dates + NUMBER.findall(NUMERIC_DATE.sub(" ", remainder))
    claims: list[str] = []
    for claim in found:
        normal = normalize_claim(claim)
        if normal and normal not in claims:
            claims.append(normal)
    return claims


def normalize_claim(claim: str) -> str:
    """A claim as it is matched: `normalize_answer` with thousands separators removed (1,250 == 1250)."""
    return normalize_answer(re.sub(r"(?<=\d),(?=\d{3})", "", claim))


def is_supported(claim: str, support: Sequence[str]) -> bool:
    """A normalised claim is supported when it, or else every number in it, occurs as whole tokens in one normalised support text.

    "25" is supported by "a fee of 25 usd", not by "250"; "1250 dollars" is supported by
    "$1,250" through its number. Dates written differently ("3 march 2024" vs "2024-03-03") are not.
    """
    haystacks = [f" {normalize_claim(text)} " for text in support if text]
    if any(f" {claim} " in hay for hay in haystacks):
        return True
    numbers = re.findall(r"\d+", claim)
    return bool(numbers) and any(all(f" {n} " in hay for n in numbers) for hay in haystacks)


def unsupported_claims(answer: str, support: Sequence[str], *, entities: Extractor | None = None) -> tuple[int, int]:
    """(claims, unsupported): the answer's claims, and how many of them `is_supported` finds in none of the support texts.

    The support texts are the prompt, the retrieved context (if any) and the reference answer.
    """
    claims = extract_claims(answer, entities=entities)
    return len(claims), sum(1 for claim in claims if not is_supported(claim, support))


def unsupported_rate(answer: str, support: Sequence[str], *, entities: Extractor | None = None) -> float:
    """Share of an answer's entities, numbers and dates found in neither the prompt, the retrieved context nor the reference (0 without any)."""
    claims, unsupported = unsupported_claims(answer, support, entities=entities)
    return unsupported / claims if claims else 0.0


@functools.cache
def _spacy_pipeline():
    """The scrubber's shared spaCy pipeline: the same pinned model, so it is loaded once per process, not twice.

    The shared one runs NER alone (tagger, parser, lemmatizer off); the NER component has its own
    token-to-vector layer, so its entities are those of the full pipeline (tests/test_qa_metrics.py pins them).
    """
    from appliance.models import DEFAULT_NER_MODEL, provision
    from scrubbers.nlp import LANGUAGE, shared_nlp_engine

    provision(DEFAULT_NER_MODEL)  # verifies the installed model folder's sha256 against the registry before first use
    return shared_nlp_engine().get_nlp(LANGUAGE)


def spacy_entities(text: str) -> list[tuple[int, int]]:
    """Character spans of the named entities of CLAIM_LABELS found by the pinned spaCy pipeline."""
    return [(ent.start_char, ent.end_char) for ent in _spacy_pipeline()(text).ents if ent.label_ in CLAIM_LABELS]


@dataclass(frozen=True)
class AnswerScore:
    """One generated answer scored against its reference: per-answer values, no text."""

    exact_match: float
    token_f1: float
    rouge_l: float
    claims: int
    unsupported: int
    refusal: bool
    pii_findings: int = 0
    latency_s: float = 0.0
    new_tokens: int = 0

    @property
    def unsupported_rate(self) -> float:
        return self.unsupported / self.claims if self.claims else 0.0


def score_answer(
    answer: str,
    reference: str,
    support: Sequence[str],
    *,
    entities: Extractor | None = None,
    pii_findings: int = 0,
    latency_s: float = 0.0,
    new_tokens: int = 0,
) -> AnswerScore:
    """Every per-answer metric at once; `support` lists the prompt and context (the reference is added)."""
    claims, unsupported = unsupported_claims(answer, [*support, reference], entities=entities)
    return AnswerScore(
        exact_match=exact_match(answer, reference),
        token_f1=token_f1(answer, reference),
        rouge_l=rouge_l(answer, reference),
        claims=claims,
        unsupported=unsupported,
        refusal=is_refusal(answer),
        pii_findings=pii_findings,
        latency_s=latency_s,
        new_tokens=new_tokens,
    )


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (share in 0..1): the smallest measured value that at least `share` of the values do not exceed.

    The one definition behind every latency_p50_s / latency_p95_s: the compare stage's, and the
    generation sample's in evaluate that an objective falls back to. Nearest rank, not linear
    interpolation, because an objective reads as a promise about answers: "p95 <= 3.5 s" must
    mean at least 95% of the measured answers took 3.5 s or less. On the few answers these
    stages time, interpolation breaks that: for 0.1, 0.2, 0.3 and 4.0 s it gives 3.445 s, and
    the objective would pass although one answer in four took 4 s (nearest rank: 4.0 s).

    >>> percentile([0.4, 0.1, 0.3, 0.2], 0.5), percentile([0.4, 0.1, 0.3, 0.2], 0.95)
    (0.2, 0.4)
    """
    if not values:
        raise ValueError("percentile of no values")
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"share must be within 0..1, got {share}")
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


def score_answers(scores: Sequence[AnswerScore]) -> dict[str, float | int]:
    """The aggregate of one method's answers, with the keys and meanings of `DEFINITIONS`."""
    n = len(scores)

    def mean(values: list[float]) -> float:
        return round(sum(values) / n, 6) if n else 0.0

    latencies = [s.latency_s for s in scores]
    seconds = sum(latencies)
    return {
        "exact_match": mean([s.exact_match for s in scores]),
        "token_f1": mean([s.token_f1 for s in scores]),
        "rouge_l": mean([s.rouge_l for s in scores]),
        "unsupported_rate": mean([s.unsupported_rate for s in scores]),
        "refusal_rate": mean([float(s.refusal) for s in scores]),
        "pii_emitted": sum(s.pii_findings for s in scores),
        "latency_p50_s": round(percentile(latencies, 0.5), 4) if latencies else 0.0,
        "latency_p95_s": round(percentile(latencies, 0.95), 4) if latencies else 0.0,
        "tokens_per_s": round(sum(s.new_tokens for s in scores) / seconds, 2) if seconds > 0 else 0.0,
    }


DEFINITIONS: dict[str, str] = {
    "exact_match": "Share of answers equal to the reference after lowercasing and removing punctuation, articles and extra spaces.",
    "token_f1": "Mean token-overlap F1 between answer and reference (bag of normalised words, as in SQuAD).",
    "rouge_l": "Mean ROUGE-L F1: longest common word subsequence of answer and reference, as precision/recall F1.",
    "unsupported_rate": (
        "Mean per-answer share of named entities (spaCy en_core_web_sm), numbers and dates that appear in neither the prompt, "
        "the retrieved context nor the reference; answers with none count 0. A proxy for hallucination: it misses wrong "
        "claims made in plain words and flags correct facts phrased differently."
    ),
    "refusal_rate": "Share of answers that decline or say they do not know (fixed phrase list; an empty answer counts).",
    "pii_emitted": "Number of PII findings the run's scrubber detects in the generated answers (count only, before they are scrubbed for storage).",
    "latency_p50_s": "Median seconds to generate one answer (greedy decoding, this machine; nearest rank: a measured latency).",
    "latency_p95_s": "95th-percentile seconds to generate one answer (nearest rank: the smallest measured latency that at least 95% of answers did not exceed).",
    "tokens_per_s": "Generated tokens per second over all answers of the method.",
}
