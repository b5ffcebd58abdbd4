"""Pack token sequences into full rows without letting one document see another.

A packed row is several documents laid end to end. Two things keep them apart:
- position ids restart at 0 at every document, so each one is encoded as if it stood alone;
- the model is called with those position ids and *no* 2-D attention mask: transformers then
  derives a block-diagonal causal mask from the restarts (sdpa, eager and flex attention build
  it in `masking_utils.find_packed_sequence_indices`; flash-attention uses the position ids for
  its variable-length kernel). `verify_isolation` checks this on the actual model before training.
The first token of every document carries no loss: predicting it from the previous document
would be exactly the cross-document leak that packing must avoid.

Example:
    rows = pack_examples(encode_completion_records(records, tokenizer, 256), max_len=256)
    batch = collate(rows[:8], tokenizer.pad_token_id)   # input_ids, labels, attention_mask, position_ids
    logits = model(**model_inputs(batch)).logits
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from appliance.errors import ApplianceError
from appliance.train.data import IGNORE, Example


def segment(example: Example) -> Example:
    """One document as a packable segment: positions 0..n-1 and no loss on its first token."""
    labels = [IGNORE, *example.labels[1:]]
    return Example(list(example.input_ids), labels, list(range(len(example.input_ids))))


def chunk_document(example: Example, max_len: int) -> list[Example]:
    """A document longer than a row, cut into row-sized pieces (each piece starts its own positions)."""
    return [
        Example(example.input_ids[start : start + max_len], example.labels[start : start + max_len])
        for start in range(0, len(example.input_ids), max_len)
    ]


def pack_examples(examples: Sequence[Example], max_len: int) -> list[Example]:
    """Lay documents end to end and cut the stream into rows of exactly max_len tokens.

    A document that crosses a row boundary continues at position 0 of the next row (as if it
    were a new document), so every row but the last is full: no padding at all. Pieces shorter
    than two tokens are dropped: they have nothing to predict.
    """
    rows: list[Example] = []
    ids: list[int] = []
    labels: list[int] = []
    positions: list[int] = []
    for document in examples:
        for piece in chunk_document(document, max_len):
            remaining = piece
            while len(remaining.input_ids) >= 2:
                room = max_len - len(ids)
                if room < 2:  # a one-token tail of a row could learn nothing; close the row
                    rows.append(Example(ids, labels, positions))
                    ids, labels, positions = [], [], []
                    room = max_len
                head = segment(Example(remaining.input_ids[:room], remaining.labels[:room]))
                ids, labels, positions = ids + head.input_ids, labels + head.labels, positions + head.position_ids
                remaining = Example(remaining.input_ids[room:], remaining.labels[room:])
                if len(ids) == max_len:
                    rows.append(Example(ids, labels, positions))
                    ids, labels, positions = [], [], []
    if any(label != IGNORE for label in labels):
        rows.append(Example(ids, labels, positions))
    return rows


def pack_whole_examples(examples: Sequence[Example], max_len: int) -> list[Example]:
    """Whole examples (each at most max_len tokens) several to a row, none cut: conversations and labelled rows.

    A conversation's answer means nothing without its question, so unlike `pack_examples` no
    example is split across rows; each is its own segment (positions restart, no cross-example
    attention) and keeps its own loss mask. Best-fit decreasing: longest first, each into the
    fullest row it still fits, which leaves rows nearly full. Examples are taken in the given
    order among equal lengths, so shuffling them first varies which ones share a row.
    """
    order = sorted(range(len(examples)), key=lambda i: -len(examples[i].input_ids))
    rows: list[list[int]] = []  # example indices per row
    # rows_with_room[r]: indices of rows with exactly r tokens of room left; a best fit for a
    # length n is the first non-empty entry from n upwards.
    rows_with_room: list[list[int]] = [[] for _ in range(max_len + 1)]
    for i in order:
        n = len(examples[i].input_ids)
        if n > max_len:
            raise ValueError(f"an example of {n} tokens cannot fit a row of {max_len}; truncate it first")
        room = next((r for r in range(n, max_len + 1) if rows_with_room[r]), None)
        if room is None:
            rows.append([])
            row, room = len(rows) - 1, max_len
        else:
            row = rows_with_room[room].pop()
        rows[row].append(i)
        rows_with_room[room - n].append(row)
    packed = []
    for members in rows:
        # In the given order within a row, so the layout does not depend on the sort.
        packed.append(pack_group([examples[i] for i in sorted(members)]))
    return packed


def pack_group(examples: Sequence[Example]) -> Example:
    """Several examples as one row (no length limit), each its own segment: a data subject's records under user-level DP."""
    ids: list[int] = []
    labels: list[int] = []
    positions: list[int] = []
    for example in examples:
        piece = segment(example)
        # The first token carries no loss anyway in a lone example (nothing precedes it).
        ids, labels, positions = ids + piece.input_ids, labels + piece.labels, positions + piece.position_ids
    return Example(ids, labels, positions)


def model_inputs(batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor | bool]:
    """The keyword arguments for the model's forward pass.

    Packed batches pass position ids and no attention mask (the mask is derived from the
    position restarts; a 2-D mask would switch that off); padded batches pass the usual mask.
    No KV cache in training: transformers only looks for packed sequences without one.
    """
    if "position_ids" in batch:
        return {"input_ids": batch["input_ids"], "position_ids": batch["position_ids"], "use_cache": False}
    return {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"], "use_cache": False}


@torch.no_grad()
def verify_isolation(model, vocab_size: int, *, length: int = 8, tolerance: float = 1e-3) -> None:
    """Refuse packing when this model lets a packed document attend to the one before it.

    Runs a random document alone and again after another random document in the same row;
    its logits must not change. A model whose attention ignores position-id restarts fails here
    rather than silently training on leaked context.
    """
    device = next(model.parameters()).device
    generator = torch.Generator().manual_seed(0)
    first = torch.randint(0, vocab_size, (1, length), generator=generator).to(device)
    second = torch.randint(0, vocab_size, (1, length), generator=generator).to(device)
    positions = torch.arange(length, device=device).unsqueeze(0)
    was_training = model.training
    model.eval()
    try:
        alone = model(input_ids=second, position_ids=positions, use_cache=False).logits
        packed = model(
            input_ids=torch.cat([first, second], dim=1), position_ids=torch.cat([positions, positions], dim=1), use_cache=False
        ).logits[:, length:]
    finally:
        model.train(was_training)
    difference = float((alone.float() - packed.float()).abs().max())
    if difference > tolerance:
        raise ApplianceError(
            f"this model's attention does not separate packed documents (logits differ by {difference:.2g}); "
            "set train.packing: false for it"
        )
