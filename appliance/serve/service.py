"""One guarded chat completion: input guard -> model -> output guard, with a log line of numbers only.

Shared by the HTTP app and the terminal chat. With a `BatchGenerator`, non-streaming requests are
decoded in batches with whatever else arrives at the same time; streaming ones stay token by token.

Example:
    service = ChatService(served, guard, generator)
    for delta in service.stream(messages, Sampling(max_tokens=32)): ...   # redacted text
"""

from __future__ import annotations

import logging
import sys
import time
import uuid
from collections import Counter, OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from appliance.serve.batching import BatchedTextStream, BatchGenerator
from appliance.serve.generation import Generator, Sampling
from appliance.serve.guard import PiiGuard

log = logging.getLogger("appliance.serve")
REMEMBERED_COMPLETIONS = 1000


def format_counts(counts: Counter) -> str:
    return ",".join(f"{name}:{n}" for name, n in sorted(counts.items())) or "-"


@dataclass
class Completion:
    """What one request produced; `text` is the guarded answer, `messages` the guarded prompt."""

    id: str
    created: int
    messages: list[dict[str, str]]
    text: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str = "length"
    input_entities: Counter = field(default_factory=Counter)
    output_entities: Counter = field(default_factory=Counter)


class ChatService:
    def __init__(self, served, guard: PiiGuard, generator: Generator, batcher: BatchGenerator | None = None) -> None:
        self.served = served
        self.guard = guard
        self.generator = generator
        self.batcher = batcher
        self._recent: OrderedDict[str, Completion] = OrderedDict()

    def start(self, messages: Sequence[dict[str, str]]) -> Completion:
        """Guard the prompt (raises PromptRefused) and open a completion for it."""
        texts, counts = self.guard.check_input([m["content"] for m in messages])
        guarded = [{"role": m["role"], "content": t} for m, t in zip(messages, texts, strict=True)]
        return Completion(id=f"chatcmpl-{uuid.uuid4().hex}", created=int(time.time()), messages=guarded, input_entities=counts)

    def stream(self, completion: Completion, sampling: Sampling, *, incremental: bool = True) -> Iterator[str]:
        """Redacted text deltas; the completion's numbers are final once this is exhausted.

        Raises PromptTooLong here, before any text, rather than half-way through a stream.
        incremental=False scans the answer once at the end (cheaper when nobody reads it as it grows).
        """
        started = time.perf_counter()
        if incremental or self.batcher is None:
            text_stream = self.generator.stream(completion.messages, sampling)
        else:
            ids = self.generator.checked_prompt_ids(completion.messages, sampling)
            text_stream = BatchedTextStream(self.generator, self.batcher.submit(ids, sampling), prompt_tokens=len(ids))
        completion.prompt_tokens = text_stream.prompt_tokens
        return self._guarded(completion, text_stream, started, incremental)

    def _guarded(self, completion: Completion, text_stream, started: float, incremental: bool) -> Iterator[str]:
        redactor = self.guard.stream_redactor() if incremental else self.guard.stream_redactor(hold_back=sys.maxsize // 2)
        parts: list[str] = []
        status = "incomplete"
        try:
            for delta in text_stream:
                released = redactor.feed(delta)
                if released:
                    parts.append(released)
                    yield released
            released = redactor.finish()
            if released:
                parts.append(released)
                yield released
            status = "ok"
        finally:
            completion.text = "".join(parts)
            completion.completion_tokens = text_stream.completion_tokens
            completion.finish_reason = text_stream.finish_reason
            completion.output_entities = redactor.counts
            self.remember(completion)
            log_request(completion, started, status)

    def complete(self, completion: Completion, sampling: Sampling) -> Completion:
        for _ in self.stream(completion, sampling, incremental=False):
            pass
        return completion

    def remember(self, completion: Completion) -> None:
        self._recent[completion.id] = completion
        while len(self._recent) > REMEMBERED_COMPLETIONS:
            self._recent.popitem(last=False)

    def recall(self, completion_id: str) -> Completion | None:
        return self._recent.get(completion_id)


def log_request(completion: Completion, started: float, status: str) -> None:
    """Timing, token counts and entity-type counts; never any text."""
    elapsed = time.perf_counter() - started
    log.info(
        "completion id=%s status=%s seconds=%.3f prompt_tokens=%d completion_tokens=%d tokens_per_s=%.1f input_entities=%s output_entities=%s",
        completion.id,
        status,
        elapsed,
        completion.prompt_tokens,
        completion.completion_tokens,
        completion.completion_tokens / elapsed if elapsed > 0 else 0.0,
        format_counts(completion.input_entities),
        format_counts(completion.output_entities),
    )
