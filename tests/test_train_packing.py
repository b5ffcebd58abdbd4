"""Training with packing: full rows, positions restart per document or conversation, no cross-example leakage."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from appliance.config import TrainConfig
from appliance.errors import ApplianceError
from appliance.records import Message, Record, Source
from appliance.train.data import IGNORE, collate, encode_document, encode_for_task
from appliance.train.lm import load_causal_lm, load_tokenizer
from appliance.train.loop import per_example_loss, train_lora
from appliance.train.packing import model_inputs, pack_examples, pack_whole_examples, verify_isolation

SOURCE = Source(path="manuals.txt", sha256="2" * 64)
DOCUMENTS = [
    "The pump must be primed before the first start.",
    "Replace the filter every six months, or sooner in dusty sites.",
    "Error E4 means the inlet valve is blocked.",
    "Store spare seals away from sunlight.",
    "Torque the housing bolts to twelve newton metres in a cross pattern, then check again after an hour.",
]
RECORDS = [Record(f"d{i}", "document", SOURCE, text=text) for i, text in enumerate(DOCUMENTS * 4)]


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir: Path):
    return load_tokenizer(tiny_model_dir)


@pytest.fixture(scope="module")
def model(tiny_model_dir: Path):
    return load_causal_lm(tiny_model_dir, torch.device("cpu")).eval()


def test_rows_are_full_and_every_document_restarts_its_positions(tokenizer) -> None:
    documents = [encode_document(text, tokenizer) for text in DOCUMENTS]
    rows = pack_examples(documents, max_len=24)

    assert all(len(row.input_ids) == 24 for row in rows[:-1]) and 2 <= len(rows[-1].input_ids) <= 24
    # Every token of every document is in some row, in order.
    assert [t for row in rows for t in row.input_ids] == [t for d in documents for t in d.input_ids]
    for row in rows:
        starts = [i for i, p in enumerate(row.position_ids) if p == 0]
        assert starts[0] == 0
        for i, p in enumerate(row.position_ids[1:], start=1):
            assert p == 0 or p == row.position_ids[i - 1] + 1
        # No loss on a document's first token: predicting it would read the previous document.
        assert all(row.labels[i] == IGNORE for i in starts)


def test_packed_documents_have_exactly_their_own_loss(tokenizer, model) -> None:
    documents = [encode_document(text, tokenizer) for text in DOCUMENTS[:4]]
    width = sum(len(d.input_ids) for d in documents)
    (row,) = pack_examples(documents, max_len=width)
    batch = collate([row], tokenizer.pad_token_id)
    with torch.no_grad():
        logits = model(**model_inputs(batch)).logits
        token_loss = torch.nn.functional.cross_entropy(logits[0, :-1], batch["labels"][0, 1:], ignore_index=IGNORE, reduction="none")
        # The naive layout, one 2-D mask over the whole row, lets later documents read earlier ones.
        leaky = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits

    start = 0
    for document in documents:
        n = len(document.input_ids)
        alone = collate([document], tokenizer.pad_token_id)
        with torch.no_grad():
            own_sum, own_count = per_example_loss(model(**model_inputs(alone)).logits, alone["labels"])
        # Targets start + 1 .. start + n - 1 are predicted from positions start .. start + n - 2.
        packed_sum = token_loss[start : start + n - 1].sum()
        assert float(packed_sum) == pytest.approx(float(own_sum[0]), rel=1e-5, abs=1e-4)
        assert int((batch["labels"][0, start + 1 : start + n] != IGNORE).sum()) == int(own_count[0])
        start += n
    assert not torch.allclose(leaky[0, len(documents[0].input_ids):], logits[0, len(documents[0].input_ids):], atol=1e-3)


def test_isolation_check_passes_for_llama_and_catches_a_leaking_model(model) -> None:
    verify_isolation(model, vocab_size=1000)

    class IgnoresPositions(torch.nn.Module):
        """A model that attends across the whole row whatever the positions say."""

        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, position_ids=None, use_cache=False):
            return self.inner(input_ids=input_ids, attention_mask=torch.ones_like(input_ids), use_cache=use_cache)

    with pytest.raises(ApplianceError, match="does not separate packed documents.*train.packing: false"):
        verify_isolation(IgnoresPositions(model), vocab_size=1000)


def test_long_documents_are_cut_not_dropped(tokenizer) -> None:
    record = Record("long", "document", SOURCE, text=" ".join(DOCUMENTS * 3))
    pieces = encode_for_task([record], tokenizer, 32, task="completion")
    assert len(pieces) > 1 and all(len(p.input_ids) <= 32 for p in pieces)
    assert [t for p in pieces for t in p.input_ids] == encode_document(record.text, tokenizer).input_ids


def test_completion_training_packs_rows_and_counts_only_real_tokens(tiny_model_dir: Path, tmp_path: Path, tokenizer) -> None:
    config = TrainConfig(max_steps=3, batch_size=2, learning_rate=1e-2, warmup_steps=0, max_seq_len=32, checkpoint_every=0)
    result = train_lora(tiny_model_dir, RECORDS, config, tmp_path / "adapter", task="completion")

    assert result.details["packing"] is True
    rows = result.details["examples"]
    total = sum(len(e.input_ids) for e in encode_for_task(RECORDS, tokenizer, 32, task="completion"))
    assert rows == -(-total // 32)  # ceil: every row full but the last
    # A packed step of 2 rows holds 2 x 32 real tokens, unless it drew the one short row.
    assert all(e["tokens"] <= 64 for e in result.history) and sum(e["tokens"] == 64 for e in result.history) >= 2
    assert all(e["loss"] > 0 and e["tokens_per_s"] > 0 for e in result.history)

    unpacked = train_lora(tiny_model_dir, RECORDS, config.model_copy(update={"packing": False}), tmp_path / "plain", task="completion")
    assert unpacked.details["packing"] is False and unpacked.details["examples"] == len(RECORDS)
    # Padded batches of short documents carry far fewer real tokens per step.
    assert sum(e["tokens"] for e in unpacked.history) < sum(e["tokens"] for e in result.history)


def test_record_level_dp_keeps_one_example_per_record(tiny_model_dir: Path, tmp_path: Path, tokenizer) -> None:
    long_records = [Record(f"long{i}", "document", SOURCE, text=" ".join(DOCUMENTS * 3)) for i in range(8)]
    config = TrainConfig(max_steps=1, batch_size=4, max_seq_len=32, checkpoint_every=0, dp=True, accountant="rdp")
    result = train_lora(tiny_model_dir, long_records, config, tmp_path / "adapter", task="completion", delta=1e-3)
    # Neither packed nor cut: each record is exactly one row, so the accountant's unit is the record.
    assert result.details["packing"] is False and result.details["examples"] == 8
    assert len(encode_for_task(long_records, tokenizer, 32, task="completion")) > 8


CHATS = [
    Record(
        f"c{i}", "chat", SOURCE,
        messages=(Message("user", f"How often is filter {i} replaced?"), Message("assistant", " ".join(["Every six months."] * (1 + i % 4)))),
    )
    for i in range(12)
]


def test_conversations_pack_whole_into_rows_that_never_exceed_the_limit(tokenizer) -> None:
    examples = encode_for_task(CHATS, tokenizer, 96, task="instruction")
    rows = pack_whole_examples(examples, max_len=96)

    assert len(rows) < len(examples) and all(len(row.input_ids) <= 96 for row in rows)
    # Every conversation is in exactly one row, whole: its tokens and its assistant-only labels.
    segments = []
    for row in rows:
        starts = [i for i, p in enumerate(row.position_ids) if p == 0] + [len(row.input_ids)]
        segments += [(tuple(row.input_ids[a:b]), tuple(row.labels[a:b])) for a, b in zip(starts, starts[1:])]
    assert sorted(segments) == sorted((tuple(e.input_ids), tuple(e.labels)) for e in examples)
    with pytest.raises(ValueError, match="cannot fit a row of 8"):
        pack_whole_examples(examples, max_len=8)


def test_packed_conversations_have_exactly_their_own_loss_on_assistant_tokens(tokenizer, model) -> None:
    examples = encode_for_task(CHATS[:3], tokenizer, 96, task="instruction")
    (row,) = pack_whole_examples(examples, max_len=sum(len(e.input_ids) for e in examples))
    packed = collate([row], tokenizer.pad_token_id)
    with torch.no_grad():
        logits = model(**model_inputs(packed)).logits
    token_loss = torch.nn.functional.cross_entropy(logits[0, :-1], packed["labels"][0, 1:], ignore_index=IGNORE, reduction="none")

    start = 0
    for example in examples:  # a row keeps its members in their given order
        n = len(example.input_ids)
        alone = collate([example], tokenizer.pad_token_id)
        with torch.no_grad():
            own_sum, own_count = per_example_loss(model(**model_inputs(alone)).logits, alone["labels"])
        assert float(token_loss[start : start + n - 1].sum()) == pytest.approx(float(own_sum[0]), rel=1e-5, abs=1e-4)
        assert int((packed["labels"][0, start + 1 : start + n] != IGNORE).sum()) == int(own_count[0]) > 0
        start += n


def test_instruction_training_packs_without_dp_and_not_with_it(tiny_model_dir: Path, tmp_path: Path, tokenizer) -> None:
    config = TrainConfig(max_steps=2, batch_size=2, learning_rate=1e-2, warmup_steps=0, max_seq_len=96, checkpoint_every=0)
    packed = train_lora(tiny_model_dir, CHATS, config, tmp_path / "packed")
    assert packed.details["packing"] is True and packed.details["examples"] < len(CHATS)

    private = train_lora(tiny_model_dir, CHATS, config.model_copy(update={"dp": True, "accountant": "rdp"}), tmp_path / "dp", delta=1e-3)
    # Under DP a row is one record, the unit the accountant counts.
    assert private.details["packing"] is False and private.details["examples"] == len(CHATS)
