"""Encoding records for training: which tokens carry the loss, truncation, batching, model loading."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import torch

from appliance.errors import ApplianceError
from appliance.records import Message, Record, Source
from appliance.train.data import (
    IGNORE,
    Example,
    PaddedExamples,
    collate,
    encode_record,
    label_prompt,
    length_grouped_batches,
    trimmed_collate,
)
from appliance.train.lm import load_causal_lm, load_tokenizer

SOURCE = Source(path="notes.csv", sha256="0" * 64)


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir: Path):
    return load_tokenizer(tiny_model_dir)


def labelled_runs(example: Example) -> list[list[int]]:
    """The contiguous runs of labelled token ids."""
    runs: list[list[int]] = []
    previous = IGNORE
    for token, label in zip(example.input_ids, example.labels, strict=True):
        if label != IGNORE:
            assert label == token
            if previous == IGNORE:
                runs.append([])
            runs[-1].append(token)
        previous = label
    return runs


def test_chat_loss_falls_only_on_assistant_turns_with_their_end_of_turn_token(tokenizer) -> None:
    messages = (
        Message("system", "You answer briefly."),
        Message("user", "Is the branch open on Sunday?"),
        Message("assistant", "No, it opens Monday at nine."),
        Message("user", "And on Saturday?"),
        Message("assistant", "Yes, from ten to two."),
    )
    example = encode_record(Record("r1", "chat", SOURCE, messages=messages), tokenizer, max_len=256)

    assert example is not None
    assert tokenizer.decode(example.input_ids) == tokenizer.apply_chat_template(
        [{"role": m.role, "content": m.content} for m in messages], tokenize=False
    )
    runs = [tokenizer.decode(run) for run in labelled_runs(example)]
    assert runs == ["No, it opens Monday at nine.<|im_end|>", "Yes, from ten to two.<|im_end|>"]


def test_chat_without_system_message_keeps_the_template_default_unlabelled(tokenizer) -> None:
    messages = (Message("user", "Hello?"), Message("assistant", "Hello."))
    example = encode_record(Record("r2", "chat", SOURCE, messages=messages), tokenizer, max_len=256)

    assert "You are a helpful AI assistant" in tokenizer.decode(example.input_ids)
    assert [tokenizer.decode(run) for run in labelled_runs(example)] == ["Hello.<|im_end|>"]


def test_labelled_row_is_a_question_answered_by_the_label(tokenizer) -> None:
    record = Record("r3", "document", SOURCE, text="Applicant has stable income.", label="approved")
    example = encode_record(record, tokenizer, max_len=256)

    assert label_prompt("Applicant has stable income.") in tokenizer.decode(example.input_ids)
    assert [tokenizer.decode(run) for run in labelled_runs(example)] == ["approved<|im_end|>"]


def test_long_labelled_row_is_shortened_so_the_label_still_fits(tokenizer) -> None:
    record = Record("r4", "document", SOURCE, text="income " * 300, label="declined")
    example = encode_record(record, tokenizer, max_len=64)

    assert len(example.input_ids) <= 64
    assert [tokenizer.decode(run) for run in labelled_runs(example)] == ["declined<|im_end|>"]


def test_document_trains_on_every_token_and_ends_with_eos(tokenizer) -> None:
    record = Record("r5", "document", SOURCE, text="The branch opens at nine.")
    example = encode_record(record, tokenizer, max_len=256)

    assert example.labels == example.input_ids
    assert example.input_ids[-1] == tokenizer.eos_token_id
    assert tokenizer.decode(example.input_ids) == "The branch opens at nine.<|im_end|>"


def test_document_is_truncated_and_an_empty_one_dropped(tokenizer) -> None:
    long = encode_record(Record("r6", "document", SOURCE, text="word " * 100), tokenizer, max_len=16)
    empty = encode_record(Record("r7", "document", SOURCE, text=""), tokenizer, max_len=16)

    assert len(long.input_ids) == len(long.labels) == 16
    assert empty is None


def test_chat_whose_answer_is_truncated_away_is_dropped(tokenizer) -> None:
    messages = (Message("user", "tell me " * 50), Message("assistant", "Sure."))
    assert encode_record(Record("r8", "chat", SOURCE, messages=messages), tokenizer, max_len=32) is None


def test_collate_right_pads_and_masks_padding() -> None:
    examples = [Example([5, 6, 7], [IGNORE, 6, 7]), Example([8], [8])]
    batch = collate(examples, pad_id=0)

    assert batch["input_ids"].tolist() == [[5, 6, 7], [8, 0, 0]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [1, 0, 0]]
    assert batch["labels"].tolist() == [[IGNORE, 6, 7], [8, IGNORE, IGNORE]]


def test_padded_examples_have_one_shape_and_batches_are_trimmed_to_the_longest_row() -> None:
    dataset = PaddedExamples([Example([1, 2, 3, 4], [1, 2, 3, 4]), Example([5], [5]), Example([6, 7], [6, 7])], pad_id=0)

    assert {item[0].shape for item in dataset} == {torch.Size([4])}
    batch = trimmed_collate([dataset[1], dataset[2]])
    assert batch["input_ids"].tolist() == [[5, 0], [6, 7]]
    assert batch["labels"].tolist() == [[5, IGNORE], [6, 7]]


def test_length_grouped_batches_cover_every_example_once_with_little_padding() -> None:
    lengths = [random.Random(i).randint(1, 200) for i in range(100)]
    batches = length_grouped_batches(lengths, 8, random.Random(0))

    assert sorted(i for batch in batches for i in batch) == list(range(100))
    assert all(len(batch) <= 8 for batch in batches)
    padded = sum(len(batch) * max(lengths[i] for i in batch) for batch in batches)
    shuffled = list(range(100))
    random.Random(0).shuffle(shuffled)
    naive = sum(8 * max(lengths[i] for i in shuffled[k : k + 8]) for k in range(0, 100, 8))
    assert padded < naive


def test_pickle_only_model_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "pytorch_model.bin").write_bytes(b"not loaded")

    with pytest.raises(ApplianceError, match="pickle files \\(pytorch_model.bin\\)"):
        load_causal_lm(tmp_path)
