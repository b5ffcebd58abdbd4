"""Held-out questions with reference answers, and the prompts each compared method sends for them.

Every method answers the same question turns; they differ only in what comes before them:
  prompt             system prompt + k few-shot question/answer pairs from the training split
  retrieval          system prompt + the top-k retrieved passages of the training split
  adapter            the question exactly as the adapter was trained to see it
  adapter+retrieval  the adapter, with the retrieved passages in the system prompt
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from appliance.records import Message, Record
from appliance.train.data import label_messages

SYSTEM_PROMPT = (
    "You are the organisation's assistant. Answer the user's question briefly and accurately, "
    "in the style of the examples. If you do not know the answer, say \"I don't know\"."
)
CONTEXT_INTRO = "Use only these passages from the organisation's records to answer; if they do not contain the answer, say \"I don't know\".\n"
METHODS = ("prompt", "retrieval", "adapter", "adapter+retrieval")


@dataclass(frozen=True)
class QAItem:
    """A held-out (or training) question: the turns before the last assistant turn, and that turn as reference."""

    record_id: str
    question: tuple[Message, ...]
    reference: str

    @property
    def query(self) -> str:
        """The last user turn: what retrieval searches with and what a reviewer reads."""
        return next((m.content for m in reversed(self.question) if m.role == "user"), "")


def qa_item(record: Record) -> QAItem | None:
    """A record as question and reference: a conversation ending in an assistant turn, or a labelled text."""
    if record.messages:
        last = max((i for i, m in enumerate(record.messages) if m.role == "assistant"), default=None)
        if last is None or not record.messages[last].content.strip() or not any(m.role == "user" for m in record.messages[:last]):
            return None
        return QAItem(record.id, tuple(record.messages[:last]), record.messages[last].content)
    if record.label and record.text:
        *question, answer = label_messages(record.text, record.label)
        return QAItem(record.id, tuple(question), answer.content)
    return None


def qa_items(records: Sequence[Record]) -> list[QAItem]:
    return [item for item in map(qa_item, records) if item is not None]


def pick_few_shot(pool: Sequence[QAItem], k: int, seed: int) -> list[QAItem]:
    """k training examples, the same for every question (seeded), single-turn ones first so the prompt stays short."""
    single = [item for item in pool if len([m for m in item.question if m.role != "system"]) == 1]
    candidates = single if len(single) >= k else list(pool)
    return random.Random(seed).sample(candidates, min(k, len(candidates)))


def _own_turns(item: QAItem) -> list[Message]:
    return [m for m in item.question if m.role != "system"]


def _system(item: QAItem, extra: str) -> Message:
    # The record's own system turn (if any) stays: the question must read the same for every method.
    own = "\n".join(m.content for m in item.question if m.role == "system")
    return Message("system", "\n\n".join(part for part in (SYSTEM_PROMPT, own, extra) if part))


def few_shot_prompt(item: QAItem, examples: Sequence[QAItem]) -> list[Message]:
    turns: list[Message] = [_system(item, "")]
    for example in examples:
        turns += [*_own_turns(example), Message("assistant", example.reference)]
    return turns + _own_turns(item)


def context_block(passages: Sequence[str]) -> str:
    return CONTEXT_INTRO + "\n".join(f"[{i}] {text}" for i, text in enumerate(passages, start=1))


def retrieval_prompt(item: QAItem, passages: Sequence[str]) -> list[Message]:
    return [_system(item, context_block(passages)), *_own_turns(item)]


def adapter_prompt(item: QAItem) -> list[Message]:
    return list(item.question)


def adapter_retrieval_prompt(item: QAItem, passages: Sequence[str]) -> list[Message]:
    own = "\n".join(m.content for m in item.question if m.role == "system")
    return [Message("system", "\n\n".join(p for p in (own, context_block(passages)) if p)), *_own_turns(item)]
