"""Batched generation: concurrent non-streaming requests are gathered and decoded together.

A worker thread takes the first waiting request, waits up to `window_s` for more (at most
`max_batch` in all), then runs one left-padded forward pass per token for the whole batch. On a
CPU or GPU a forward pass over 8 rows costs little more than over 1, so throughput under
concurrent load rises several-fold; a request arriving alone waits at most `window_s` extra.

Why left padding with explicit position ids: every row's last prompt token must sit in the same
(last) column so the next token of every row is read from the same place, and each row's
positions must count from its own first real token, so a padded row computes exactly what it
would alone (greedy outputs equal unbatched ones; tests/test_serve_batching.py checks it).

Each forward pass takes the generator's lock, so streaming requests (which stay token by token
in `Generator`) interleave with a running batch instead of waiting for it to finish.

Example:
    batcher = BatchGenerator(generator, max_batch=8, window_s=0.01)
    generated = batcher.submit(prompt_ids, Sampling(max_tokens=32, temperature=0)).result()
    generated.tokens, generated.finish_reason
"""

from __future__ import annotations

import inspect
import logging
import queue
import threading
import time
import weakref
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass

import torch

from appliance.serve.generation import Generator, Sampling, pick_token

log = logging.getLogger("appliance.serve")


@dataclass(frozen=True)
class Generated:
    """One request's new tokens (the stop token left out) and why generation ended."""

    tokens: list[int]
    finish_reason: str


@dataclass
class _Request:
    prompt_ids: list[int]
    sampling: Sampling
    future: Future


@torch.no_grad()
def generate_batch(generator: Generator, prompts: Sequence[list[int]], samplings: Sequence[Sampling]) -> list[Generated]:
    """Decode every prompt together, each with its own sampling; rows stop on their own stop token or max_tokens."""
    model, device = generator.model, generator.device
    pad = generator.tokenizer.pad_token_id
    pad = pad if pad is not None else next(iter(generator.stop_ids), 0)
    width = max(len(ids) for ids in prompts)
    input_ids = torch.tensor([[pad] * (width - len(ids)) + list(ids) for ids in prompts], device=device)
    mask = torch.tensor([[0] * (width - len(ids)) + [1] * len(ids) for ids in prompts], device=device)
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    rngs = [torch.Generator().manual_seed(s.seed) if s.seed is not None else None for s in samplings]
    tokens: list[list[int]] = [[] for _ in prompts]
    finish = ["length"] * len(prompts)
    active = [s.max_tokens > 0 for s in samplings]
    past = None
    last_only = _last_logits_only(model)
    while any(active):
        with generator.lock:
            out = model(input_ids=input_ids, attention_mask=mask, position_ids=positions, past_key_values=past, use_cache=True, **last_only)
        past = out.past_key_values
        logits = out.logits[:, -1].float().cpu()
        step = []
        for row, sampling in enumerate(samplings):
            token = pick_token(logits[row], sampling, rngs[row]) if active[row] else pad
            if active[row]:
                if token in generator.stop_ids:
                    finish[row], active[row] = "stop", False
                else:
                    tokens[row].append(token)
                    active[row] = len(tokens[row]) < sampling.max_tokens
            step.append(token)
        # A finished row keeps feeding a token so the batch stays rectangular; its output is ignored.
        input_ids = torch.tensor(step, device=device).unsqueeze(1)
        mask = torch.cat([mask, torch.ones_like(input_ids)], dim=1)
        positions = positions[:, -1:] + 1
    return [Generated(row_tokens, reason) for row_tokens, reason in zip(tokens, finish, strict=True)]


# Per model, the forward keyword that skips the vocabulary projection of the whole prompt (only the
# last position's logits are read), or none where forward has no `logits_to_keep`. A model's
# signature does not change, and building one (through peft's wrappers) costs on every batch.
_FORWARD_OPTIONS: weakref.WeakKeyDictionary[torch.nn.Module, dict[str, int]] = weakref.WeakKeyDictionary()


def _last_logits_only(model: torch.nn.Module) -> dict[str, int]:
    options = _FORWARD_OPTIONS.get(model)
    if options is None:
        options = {"logits_to_keep": 1} if "logits_to_keep" in inspect.signature(model.forward).parameters else {}
        _FORWARD_OPTIONS[model] = options
    return options


class BatchGenerator:
    """A queue and one worker thread that gathers requests into batches for `generate_batch`."""

    def __init__(self, generator: Generator, *, max_batch: int = 8, window_s: float = 0.01) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.generator = generator
        self.max_batch = max_batch
        self.window_s = window_s
        self.batches = 0
        self.batched_requests = 0
        self._queue: queue.Queue[_Request | None] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def submit(self, prompt_ids: list[int], sampling: Sampling) -> Future:
        """A future for the request's `Generated`; the worker starts on the first call."""
        with self._start_lock:
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._run, name="appliance-batcher", daemon=True)
                self._worker.start()
        future: Future = Future()
        self._queue.put(_Request(list(prompt_ids), sampling, future))
        return future

    def close(self) -> None:
        """Stop the worker once the requests already queued are done."""
        if self._worker is not None:
            self._queue.put(None)
            self._worker.join(30)

    def _gather(self, first: _Request) -> tuple[list[_Request], bool]:
        """(the batch, whether close was asked): `first` plus whatever arrives within the window."""
        batch = [first]
        deadline = time.monotonic() + self.window_s
        while len(batch) < self.max_batch:
            remaining = deadline - time.monotonic()
            try:
                item = self._queue.get(timeout=remaining) if remaining > 0 else self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                return batch, True
            batch.append(item)
        return batch, False

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch, closing = self._gather(first)
            self._decode(batch)
            if closing:
                return

    def _decode(self, batch: list[_Request]) -> None:
        live = [request for request in batch if request.future.set_running_or_notify_cancel()]
        if not live:
            return
        self.batches += 1
        self.batched_requests += len(live)
        try:
            results = generate_batch(self.generator, [r.prompt_ids for r in live], [r.sampling for r in live])
        except Exception as exc:  # noqa: BLE001  (every waiting request must hear about it, not hang)
            log.error("batched generation failed: %s on a batch of %d", type(exc).__name__, len(live))
            for request in live:
                request.future.set_exception(exc)
            return
        for request, result in zip(live, results, strict=True):
            request.future.set_result(result)


class BatchedTextStream:
    """The `TextStream` interface over a batched request: one delta, the whole answer, once it is ready."""

    def __init__(self, generator: Generator, future: Future, prompt_tokens: int) -> None:
        self.prompt_tokens = prompt_tokens
        self.completion_tokens = 0
        self.finish_reason = "length"
        self._generator = generator
        self._future = future

    def __iter__(self) -> Iterator[str]:
        generated: Generated = self._future.result()
        self.completion_tokens = len(generated.tokens)
        self.finish_reason = generated.finish_reason
        text = self._generator.tokenizer.decode(generated.tokens, skip_special_tokens=True)
        if text:
            yield text
