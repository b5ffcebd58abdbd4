"""Turn records into token ids and loss masks, and batch them with as little padding as possible.

Three kinds of record, one rule: the loss falls only on what the model should learn to write.
- Conversations: the assistant turns, each with its end-of-turn token (so the model learns to stop).
- Labelled rows (`text` + `label`): a user turn `label_prompt(text)` answered by the label.
- Plain documents: every token (completion style).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from appliance.errors import ApplianceError
from appliance.records import Message, Record

IGNORE = -100  # the label PyTorch's cross-entropy skips


@dataclass(frozen=True)
class Example:
    input_ids: list[int]
    labels: list[int]  # IGNORE where no loss is taken
    # Packed rows only: each document's positions restart at 0 (see appliance/train/packing.py).
    position_ids: list[int] | None = None


def label_prompt(text: str) -> str:
    """The user turn of a labelled row; training and scoring must ask the same question."""
    return f"{text}\n\nAnswer with one of the allowed labels."


def label_messages(text: str, label: str) -> tuple[Message, ...]:
    return (Message("user", label_prompt(text)), Message("assistant", label))


def encode_record(record: Record, tokenizer, max_len: int, *, assistant_turns: str = "all") -> Example | None:
    """Token ids and labels for one record, truncated to max_len; None when nothing is left to learn.

    assistant_turns="last" trains only a conversation's final assistant turn (the earlier ones are context).
    """
    if record.messages is not None:
        example = encode_messages(record.messages, tokenizer, assistant_turns=assistant_turns)
    elif record.label is not None:
        example = encode_labelled(record.text or "", record.label, tokenizer, max_len)
    else:
        example = encode_document(record.text or "", tokenizer)
    return truncate(example, max_len)


def truncate(example: Example, max_len: int) -> Example | None:
    input_ids, labels = example.input_ids[:max_len], example.labels[:max_len]
    # The first position is never predicted (nothing precedes it), so it cannot carry the loss.
    if all(label == IGNORE for label in labels[1:]):
        return None
    return Example(input_ids, labels)


def encode_document(text: str, tokenizer) -> Example:
    input_ids = tokenizer(text, add_special_tokens=True).input_ids
    # Ending on EOS teaches the model where a document stops; add it if the tokenizer does not.
    if tokenizer.eos_token_id is not None and (not input_ids or input_ids[-1] != tokenizer.eos_token_id):
        input_ids = [*input_ids, tokenizer.eos_token_id]
    return Example(input_ids, list(input_ids))


def encode_labelled(text: str, label: str, tokenizer, max_len: int | None = None) -> Example:
    """A labelled row; an over-long text is shortened so that the answer still fits in max_len."""
    if max_len is not None:
        text = fit_labelled_text(text, label, tokenizer, max_len)
    return encode_messages(label_messages(text, label), tokenizer)


def fit_labelled_text(text: str, label: str, tokenizer, max_len: int) -> str:
    """The longest start of `text` whose labelled row fits in max_len tokens."""
    for _ in range(3):  # a decode/encode round trip can differ by a token or two
        overflow = len(encode_messages(label_messages(text, label), tokenizer).input_ids) - max_len
        if overflow <= 0:
            break
        text_ids = tokenizer(text, add_special_tokens=False).input_ids
        text = tokenizer.decode(text_ids[: max(len(text_ids) - overflow, 0)])
    return text


def render(messages: Sequence[Message], tokenizer, *, add_generation_prompt: bool = False) -> str:
    return tokenizer.apply_chat_template(
        [{"role": m.role, "content": m.content} for m in messages],
        tokenize=False,
        add_generation_prompt=add_generation_prompt,
    )


def encode_messages(messages: Sequence[Message], tokenizer, *, assistant_turns: str = "all") -> Example:
    """Render with the tokenizer's chat template; label the assistant turns only.

    Each assistant turn's span is found by rendering prefixes of the conversation: the
    conversation up to the turn plus the generation prompt, and the conversation including the
    turn. Both must be prefixes of the full rendering; a template that re-renders earlier turns
    (some drop past reasoning) breaks that, and we refuse rather than guess.
    """
    if tokenizer.chat_template is None:
        raise ApplianceError("the base model's tokenizer has no chat template; conversations need one")
    full = render(messages, tokenizer)
    spans = []  # character spans of assistant turns in `full`
    for i, message in enumerate(messages):
        if message.role != "assistant":
            continue
        before = render(messages[:i], tokenizer, add_generation_prompt=True) if i else ""
        through = render(messages[: i + 1], tokenizer)
        if not (through.startswith(before) and full.startswith(through)):
            raise ApplianceError(
                "the base model's chat template re-renders earlier turns (no prefix property); "
                "assistant-only loss masks cannot be computed for it"
            )
        spans.append((len(before), len(through)))

    if assistant_turns == "last":
        spans = spans[-1:]
    encoded = tokenizer(full, add_special_tokens=False, return_offsets_mapping=True)
    input_ids = encoded.input_ids
    labels = [IGNORE] * len(input_ids)
    for start, end in spans:
        inside = [j for j, (s, _) in enumerate(encoded.offset_mapping) if start <= s < end]
        for j in stop_after_end_of_turn(inside, input_ids, tokenizer.eos_token_id):
            labels[j] = input_ids[j]
    return Example(input_ids, labels)


def stop_after_end_of_turn(positions: list[int], input_ids: list[int], eos_id: int | None) -> list[int]:
    """Keep the turn up to its end-of-turn token; the template's separator after it is not the answer."""
    ends = [k for k, j in enumerate(positions) if input_ids[j] == eos_id]
    return positions[: ends[-1] + 1] if ends else positions


def encode_records(records: Sequence[Record], tokenizer, max_len: int, *, assistant_turns: str = "all") -> list[Example]:
    """Every record that still has something to learn after truncation (order kept)."""
    examples = (encode_record(record, tokenizer, max_len, assistant_turns=assistant_turns) for record in records)
    return [example for example in examples if example is not None]


def document_text(record: Record) -> str:
    """A record as plain text for completion training: a document's text, or a conversation's turns."""
    return "\n\n".join(record.texts())


def encode_documents(records: Sequence[Record], tokenizer, max_len: int, *, one_per_record: bool = False) -> list[Example]:
    """Completion task: every token of every record, long ones cut into max_len pieces (nothing is dropped).

    one_per_record keeps only each record's first piece: under record-level DP a record must be
    exactly one example, or removing it would change several rows the accountant counts once.
    """
    from appliance.train.packing import chunk_document

    examples = []
    for record in records:
        pieces = chunk_document(encode_document(document_text(record), tokenizer), max_len)
        for piece in pieces[:1] if one_per_record else pieces:
            if len(piece.input_ids) >= 2:
                examples.append(piece)
    return examples


def require_labels(records: Sequence[Record]) -> None:
    """The classification task trains the label as the answer: every record needs one."""
    unlabelled = [record.id for record in records if not record.label or record.text is None]
    if unlabelled:
        raise ApplianceError(
            f"task classification needs a text and a label on every training record, but {len(unlabelled)} of "
            f"{len(records)} have none (first: record {unlabelled[0]}); set ingest.label_column to the label column "
            "or use task: instruction"
        )


def encode_for_task(
    records: Sequence[Record], tokenizer, max_len: int, *, task: str, assistant_turns: str = "all", one_per_record: bool = False
) -> list[Example]:
    """The training examples of `records` for the run's task (instruction, completion or classification).

    Instruction and classification records are always one (truncated) example each; completion
    documents are cut into max_len pieces unless one_per_record.
    """
    if task == "completion":
        return encode_documents(records, tokenizer, max_len, one_per_record=one_per_record)
    if task == "classification":
        require_labels(records)
        examples = (truncate(encode_labelled(r.text, r.label, tokenizer, max_len), max_len) for r in records)
        return [example for example in examples if example is not None]
    return encode_records(records, tokenizer, max_len, assistant_turns=assistant_turns)


def collate(examples: Sequence[Example], pad_id: int, width: int | None = None) -> dict[str, torch.Tensor]:
    """Right-pad to the longest example (or `width`): input_ids, attention_mask and labels (IGNORE on padding).

    attention_mask marks the real tokens. Packed examples add position_ids; their padding is
    given positions of its own (0, 1, ...) so that it forms a separate, loss-free segment.
    """
    width = width or max(len(e.input_ids) for e in examples)
    input_ids = torch.full((len(examples), width), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((len(examples), width), dtype=torch.long)
    labels = torch.full((len(examples), width), IGNORE, dtype=torch.long)
    batch = {"input_ids": input_ids, "attention_mask": attention_mask, "labels": labels}
    packed = any(e.position_ids is not None for e in examples)
    if packed:  # padded batches leave positions to the model
        batch["position_ids"] = torch.empty((len(examples), width), dtype=torch.long)
    for row, example in enumerate(examples):
        n = len(example.input_ids)
        input_ids[row, :n] = torch.tensor(example.input_ids)
        attention_mask[row, :n] = 1
        labels[row, :n] = torch.tensor(example.labels)
        if packed:
            batch["position_ids"][row, :n] = torch.tensor(example.position_ids if example.position_ids is not None else range(n))
            batch["position_ids"][row, n:] = torch.arange(width - n)
    return batch


def length_grouped_batches(lengths: Sequence[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """One epoch of batches: shuffled, then sorted by length within windows of 16 batches.

    Neighbours in a window have similar lengths, so padding is small, while the window and
    the final shuffle of batches keep the order random enough for SGD.
    """
    order = list(range(len(lengths)))
    rng.shuffle(order)
    window = batch_size * 16
    batches = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start : start + window], key=lambda i: lengths[i], reverse=True)
        batches += [chunk[k : k + batch_size] for k in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


class PaddedExamples(torch.utils.data.Dataset):
    """Examples as fixed-width tensors, for Opacus' Poisson loader.

    Opacus builds the shape of an empty batch from dataset[0], so every item must have the
    same shape; `trimmed_collate` then cuts each batch back to its longest real row.
    """

    def __init__(self, examples: Sequence[Example], pad_id: int):
        self.tensors = collate(examples, pad_id)
        self.keys = tuple(self.tensors)  # input_ids, attention_mask, labels[, position_ids]

    def __len__(self) -> int:
        return self.tensors["input_ids"].shape[0]

    def __getitem__(self, index: int) -> tuple[torch.Tensor, ...]:
        return tuple(self.tensors[key][index] for key in self.keys)


BATCH_KEYS = ("input_ids", "attention_mask", "labels", "position_ids")


def trimmed_collate(items: Sequence[tuple[torch.Tensor, ...]]) -> dict[str, torch.Tensor]:
    columns = [torch.stack(column) for column in zip(*items, strict=True)]
    batch = dict(zip(BATCH_KEYS, columns, strict=False))
    width = int(batch["attention_mask"].sum(dim=1).max())
    return {key: value[:, :width] for key, value in batch.items()}


class LengthGroupedLoader:
    """Endless length-grouped batches that can say where they are and continue from there.

    The state is the shuffling RNG as it was when the current epoch began, plus the position in
    that epoch: replaying the epoch's shuffle from that state rebuilds the same batches.
    """

    def __init__(self, examples: Sequence[Example], *, batch_size: int, pad_id: int, seed: int):
        self.examples, self.batch_size, self.pad_id = examples, batch_size, pad_id
        self.rng = random.Random(seed)
        self.epoch, self.position = 0, 0
        self._start_epoch()

    def _start_epoch(self) -> None:
        self.epoch_rng_state = self.rng.getstate()
        self.batches = length_grouped_batches([len(e.input_ids) for e in self.examples], self.batch_size, self.rng)

    def __iter__(self):
        return self

    def __next__(self) -> dict[str, torch.Tensor]:
        if self.position >= len(self.batches):
            self.epoch, self.position = self.epoch + 1, 0
            self._start_epoch()
        batch = self.batches[self.position]
        self.position += 1
        return collate([self.examples[i] for i in batch], self.pad_id)

    def state_dict(self) -> dict:
        version, internal, gauss = self.epoch_rng_state
        return {"epoch": self.epoch, "position": self.position, "rng": [version, list(internal), gauss]}

    def load_state_dict(self, state: dict) -> None:
        version, internal, gauss = state["rng"]
        self.rng.setstate((version, tuple(internal), gauss))
        self._start_epoch()
        self.epoch, self.position = state["epoch"], state["position"]


def render_masking(example: Example, tokenizer, *, open_mark: str = "[[", close_mark: str = "]]") -> str:
    """The example's text with each span that carries the loss wrapped in [[ ]], for a human to check.

    Example: render_masking(encode_record(record, tokenizer, 256), tokenizer)
    """
    pieces: list[str] = []
    run: list[int] = []
    trained_run = False
    for token, label in zip(example.input_ids, example.labels, strict=True):
        trained = label != IGNORE
        if run and trained != trained_run:
            text = tokenizer.decode(run)
            pieces.append(f"{open_mark}{text}{close_mark}" if trained_run else text)
            run = []
        run.append(token)
        trained_run = trained
    if run:
        text = tokenizer.decode(run)
        pieces.append(f"{open_mark}{text}{close_mark}" if trained_run else text)
    return "".join(pieces)
