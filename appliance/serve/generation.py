"""Token-by-token generation with a KV cache, yielding text deltas; the model is shared under a lock.

Each step takes the lock, so concurrent requests interleave token by token instead of queueing
for a whole answer.

Example:
    generator = Generator(served.model, served.tokenizer)
    stream = generator.stream([{"role": "user", "content": "Hi"}], Sampling(max_tokens=16))
    text = "".join(stream); stream.completion_tokens, stream.finish_reason
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch

from appliance.errors import ApplianceError

# transformers 5 renames past_key_values; the old name still works and the warning helps no user.
warnings.filterwarnings("ignore", message=".*past_key_values.*deprecated")


@dataclass(frozen=True)
class Sampling:
    max_tokens: int = 128
    temperature: float = 1.0
    top_p: float = 1.0
    seed: int | None = None


class PromptTooLong(ApplianceError):
    """The prompt plus max_tokens does not fit the model's context."""


class TextStream:
    """Iterate for text deltas; afterwards prompt_tokens, completion_tokens and finish_reason are set."""

    def __init__(self, generator: Generator, prompt_ids: list[int], sampling: Sampling) -> None:
        self.prompt_tokens = len(prompt_ids)
        self.completion_tokens = 0
        self.finish_reason = "length"
        self._deltas = generator._deltas(self, prompt_ids, sampling)

    def __iter__(self) -> Iterator[str]:
        return self._deltas


class Generator:
    def __init__(self, model, tokenizer) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.lock = threading.Lock()
        self.device = next(model.parameters()).device
        self.context_length = int(getattr(model.config, "max_position_embeddings", 2048) or 2048)
        eos = tokenizer.eos_token_id
        self.stop_ids = {eos} if isinstance(eos, int) else set(eos or ())
        end_of_turn = tokenizer.convert_tokens_to_ids("<|im_end|>")
        if isinstance(end_of_turn, int) and end_of_turn != tokenizer.unk_token_id:
            self.stop_ids.add(end_of_turn)

    def prompt_ids(self, messages: Sequence[dict[str, str]]) -> list[int]:
        text = self.tokenizer.apply_chat_template(list(messages), tokenize=False, add_generation_prompt=True)
        return list(self.tokenizer(text, add_special_tokens=False).input_ids)

    def checked_prompt_ids(self, messages: Sequence[dict[str, str]], sampling: Sampling) -> list[int]:
        """The prompt's token ids; raises PromptTooLong when the answer would not fit the context."""
        ids = self.prompt_ids(messages)
        if len(ids) + sampling.max_tokens > self.context_length:
            raise PromptTooLong(f"prompt is {len(ids)} tokens; with max_tokens {sampling.max_tokens} it exceeds the model's context of {self.context_length}")
        return ids

    def stream(self, messages: Sequence[dict[str, str]], sampling: Sampling) -> TextStream:
        return TextStream(self, self.checked_prompt_ids(messages, sampling), sampling)

    def _deltas(self, stream: TextStream, prompt_ids: list[int], sampling: Sampling) -> Iterator[str]:
        generated: list[int] = []
        emitted = ""
        for token in self._tokens(prompt_ids, sampling):
            if token in self.stop_ids:
                stream.finish_reason = "stop"
                break
            generated.append(token)
            stream.completion_tokens = len(generated)
            text = self.tokenizer.decode(generated, skip_special_tokens=True)
            # A multi-byte character split over tokens decodes to U+FFFD until its last token arrives.
            if text.endswith("\ufffd") or len(text) <= len(emitted):
                continue
            delta, emitted = text[len(emitted) :], text
            yield delta
        text = self.tokenizer.decode(generated, skip_special_tokens=True)
        if len(text) > len(emitted):
            yield text[len(emitted) :]

    @torch.no_grad()
    def _tokens(self, prompt_ids: list[int], sampling: Sampling) -> Iterator[int]:
        rng = torch.Generator().manual_seed(sampling.seed) if sampling.seed is not None else None
        inputs = torch.tensor([prompt_ids], device=self.device)
        past = None
        for _ in range(sampling.max_tokens):
            with self.lock:
                out = self.model(input_ids=inputs, past_key_values=past, use_cache=True)
            past = out.past_key_values
            token = pick_token(out.logits[0, -1].float().cpu(), sampling, rng)
            yield token
            inputs = torch.tensor([[token]], device=self.device)


def pick_token(logits: torch.Tensor, sampling: Sampling, rng: torch.Generator | None) -> int:
    """Greedy at temperature 0, else nucleus sampling."""
    if sampling.temperature <= 0:
        return int(torch.argmax(logits))
    probs = torch.softmax(logits / sampling.temperature, dim=-1)
    if sampling.top_p < 1.0:
        sorted_probs, order = torch.sort(probs, descending=True)
        keep = torch.cumsum(sorted_probs, dim=-1) - sorted_probs < sampling.top_p
        probs = torch.zeros_like(probs).scatter(0, order[keep], sorted_probs[keep])
    return int(torch.multinomial(probs / probs.sum(), 1, generator=rng))
