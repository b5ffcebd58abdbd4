"""Retrieval baseline: the registry's MiniLM embedder, an exact cosine index, and its recall on a crafted set."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from appliance.baselines.retrieval import Embedder, PassageIndex, build_index, passages_from_records, recall_at_k
from appliance.errors import ApplianceError
from appliance.records import Message, Record, Source

FACTS = {
    "fees": ("What is the monthly account fee?", "The monthly account fee is 5 euros, waived for students."),
    "card": ("How do I block a lost debit card?", "Call the card hotline or block the card in the mobile app under Cards."),
    "loan": ("What interest rate applies to a car loan?", "Car loans carry a fixed annual interest rate of 6.9 percent."),
    "transfer": ("How long does an international wire transfer take?", "International wire transfers arrive within two to four business days."),
    "mortgage": ("Can I repay my mortgage early?", "Early mortgage repayment is allowed with a fee of one percent of the amount repaid."),
    "pin": ("I forgot my PIN, what should I do?", "Request a new PIN in online banking; it arrives by post within a week."),
}
# Paraphrased questions: retrieval must match meaning, not copy the wording.
QUERIES = {
    "fees": "how much does the account cost each month",
    "card": "my debit card was stolen, how can I freeze it",
    "loan": "interest on financing a vehicle",
    "transfer": "duration of a payment sent abroad",
    "mortgage": "paying off the home loan before the end of its term",
    "pin": "lost my personal identification number",
}


def qa_record(key: str) -> Record:
    question, answer = FACTS[key]
    return Record(id=key, kind="qa", source=Source("faq.jsonl", "0" * 64, key), messages=(Message("user", question), Message("assistant", answer)))


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder.from_registry()


def test_embeddings_are_unit_vectors_of_the_model_width(embedder: Embedder) -> None:
    vectors = embedder.embed(["a short sentence", "another, rather longer sentence about bank fees"])
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.embed([]).shape == (0, 384)


def test_paraphrased_questions_find_their_passage(embedder: Embedder) -> None:
    index = build_index(passages_from_records([qa_record(k) for k in FACTS]), embedder)
    keys = list(QUERIES)
    assert recall_at_k(index, embedder, [QUERIES[k] for k in keys], keys, k=1) >= 5 / 6
    assert recall_at_k(index, embedder, [QUERIES[k] for k in keys], keys, k=3) == 1.0


def test_index_round_trips_and_refuses_a_tampered_file(embedder: Embedder, tmp_path: Path) -> None:
    index = build_index(passages_from_records([qa_record(k) for k in FACTS]), embedder)
    written = index.save(tmp_path)
    assert sorted(p.name for p in written) == ["index.json", "index.npy", "index_passages.jsonl"]
    loaded = PassageIndex.load(tmp_path)
    query = embedder.embed([QUERIES["pin"]])
    assert [h.passage for h in loaded.search(query, 2)[0]] == [h.passage for h in index.search(query, 2)[0]]
    (tmp_path / "index_passages.jsonl").write_text('{"record_id": "x", "text": "swapped"}\n')
    with pytest.raises(ApplianceError, match=r"index_passages.jsonl does not match the sha256 in index.json"):
        PassageIndex.load(tmp_path)


def test_documents_are_chunked_with_overlap() -> None:
    words = [f"w{i}" for i in range(250)]
    record = Record(id="doc", kind="document", source=Source("a.txt", "0" * 64), text=" ".join(words))
    chunks = passages_from_records([record], chunk_words=100, overlap=20)
    assert [c.text.split()[0] for c in chunks] == ["w0", "w80", "w160"]
    assert chunks[-1].text.split()[-1] == "w249"
    assert {c.record_id for c in chunks} == {"doc"}
