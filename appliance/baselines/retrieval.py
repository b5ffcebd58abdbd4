"""Retrieval over the scrubbed training split: passages, a local sentence embedder, an exact cosine index.

The embedder is all-MiniLM-L6-v2 from the model registry (hash-verified folder), loaded as a
plain transformers BertModel with mean pooling and L2 normalisation, which is what its
sentence-transformers config (modules.json: Transformer, Pooling mean, Normalize) specifies;
no sentence-transformers dependency. The index is the matrix of unit vectors: exact nearest
neighbours by one matrix product, which is fast enough for the corpora an appliance sees.

Example:
    embedder = Embedder.from_registry()
    index = build_index(passages_from_records(train_records), embedder)
    hits = index.search(embedder.embed(["what is the card fee?"]), k=3)[0]
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from appliance.errors import ApplianceError
from appliance.files import read_jsonl, sha256_file, write_bytes, write_json, write_jsonl
from appliance.records import Record

# Words per document chunk; MiniLM reads 256 word pieces, and shorter chunks retrieve more precisely.
CHUNK_WORDS = 120
CHUNK_OVERLAP = 20
MAX_TOKENS = 256


@dataclass(frozen=True)
class Passage:
    """A piece of the scrubbed training split that retrieval can return."""

    record_id: str
    text: str


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float


def passages_from_records(records: Sequence[Record], *, chunk_words: int = CHUNK_WORDS, overlap: int = CHUNK_OVERLAP) -> list[Passage]:
    """One passage per conversation (its user and assistant turns), documents split into overlapping word windows."""
    passages: list[Passage] = []
    for record in records:
        if record.messages is not None:
            text = "\n".join(f"{m.role}: {m.content}" for m in record.messages if m.role in ("user", "assistant") and m.content.strip())
            if text:
                passages.append(Passage(record.id, text))
            continue
        words = (record.text or "").split()
        step = max(chunk_words - overlap, 1)
        for start in range(0, max(len(words) - overlap, 1), step):
            chunk = " ".join(words[start : start + chunk_words])
            if chunk:
                passages.append(Passage(record.id, chunk))
    return passages


class Embedder:
    """Sentence vectors from a BERT-style encoder: mean of the token states under the attention mask, unit length."""

    def __init__(self, model_dir: Path, *, name: str, sha256: str) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        self.name, self.sha256 = name, sha256
        self.tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True, trust_remote_code=False)
        self.model = AutoModel.from_pretrained(model_dir, local_files_only=True, trust_remote_code=False, use_safetensors=True, dtype=torch.float32).eval()

    @classmethod
    def from_registry(cls, name: str | None = None) -> Embedder:
        from appliance.models import DEFAULT_EMBEDDING_MODEL

        return _cached_embedder(name or DEFAULT_EMBEDDING_MODEL)

    def embed(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        """float32 array (len(texts), dim) of unit vectors."""
        import torch

        vectors = []
        with torch.no_grad():
            for start in range(0, len(texts), batch_size):
                batch = self.tokenizer(list(texts[start : start + batch_size]), padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt")
                states = self.model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(states.dtype)
                pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                vectors.append(torch.nn.functional.normalize(pooled, dim=-1).numpy())
        dim = self.model.config.hidden_size
        return np.concatenate(vectors).astype(np.float32) if vectors else np.zeros((0, dim), dtype=np.float32)


@functools.cache
def _cached_embedder(name: str) -> Embedder:
    from appliance.models import provision, registry_spec

    if registry_spec(name).kind != "embedding":
        raise ApplianceError(f"model '{name}' is not an embedding model; use all-minilm-l6-v2")
    resolved = provision(name)
    return Embedder(resolved.path, name=resolved.name, sha256=resolved.sha256)


@dataclass
class PassageIndex:
    """Unit vectors of the passages, row i for passage i: cosine similarity is a dot product."""

    passages: list[Passage]
    vectors: np.ndarray
    model: str
    model_sha256: str

    def search(self, queries: np.ndarray, k: int) -> list[list[Hit]]:
        """The k most similar passages for each query vector, best first (ties: lower row first)."""
        if not self.passages:
            return [[] for _ in range(len(queries))]
        scores = queries @ self.vectors.T
        k = min(k, len(self.passages))
        results = []
        for row in scores:
            # A stable sort on -score keeps equal scores in passage order, so results are reproducible.
            best = np.argsort(-row, kind="stable")[:k]
            results.append([Hit(self.passages[i], round(float(row[i]), 6)) for i in best])
        return results

    def save(self, folder: Path) -> list[Path]:
        """index.npy (float32 matrix), index_passages.jsonl (row order), index.json (model, hashes); returns the paths."""
        vectors_path, passages_path, meta_path = folder / "index.npy", folder / "index_passages.jsonl", folder / "index.json"
        buffer = io.BytesIO()
        np.save(buffer, self.vectors, allow_pickle=False)
        write_bytes(vectors_path, buffer.getvalue())
        write_jsonl(passages_path, (asdict(p) for p in self.passages))
        meta = {
            "model": self.model,
            "model_sha256": self.model_sha256,
            "passages": len(self.passages),
            "dimensions": int(self.vectors.shape[1]) if self.vectors.ndim == 2 else 0,
            "similarity": "cosine (exact, unit vectors)",
            "vectors_sha256": sha256_file(vectors_path),
            "passages_sha256": sha256_file(passages_path),
        }
        write_json(meta_path, meta)
        return [vectors_path, passages_path, meta_path]

    @classmethod
    def load(cls, folder: Path) -> PassageIndex:
        """Read an index written by `save`, refusing files whose hashes no longer match."""
        from appliance.files import read_json

        meta_path = folder / "index.json"
        if not meta_path.is_file():
            raise ApplianceError(f"{meta_path} is missing; rebuild the index with `appliance compare --run RUN --force`")
        meta = read_json(meta_path)
        for name, key in (("index.npy", "vectors_sha256"), ("index_passages.jsonl", "passages_sha256")):
            if sha256_file(folder / name) != meta[key]:
                raise ApplianceError(f"{folder / name} does not match the sha256 in index.json; rebuild with `appliance compare --run RUN --force`")
        vectors = np.load(folder / "index.npy", allow_pickle=False)
        passages = [Passage(**row) for row in read_jsonl(folder / "index_passages.jsonl")]
        return cls(passages, vectors, meta["model"], meta["model_sha256"])


def build_index(passages: Sequence[Passage], embedder: Embedder) -> PassageIndex:
    return PassageIndex(list(passages), embedder.embed([p.text for p in passages]), embedder.name, embedder.sha256)


def recall_at_k(index: PassageIndex, embedder: Embedder, queries: Sequence[str], expected_record_ids: Sequence[str], k: int) -> float:
    """Share of queries whose expected record is among the top-k passages."""
    hits = index.search(embedder.embed(queries), k)
    found = sum(any(h.passage.record_id == want for h in row) for row, want in zip(hits, expected_record_ids, strict=True))
    return found / len(queries) if queries else 0.0
