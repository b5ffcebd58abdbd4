"""Greedy answers from a chat model, timed: the one way every compared method generates.

Example:
    answer = generate_answer(model, tokenizer, messages, max_new_tokens=64, max_prompt_tokens=512)
    answer.text, answer.new_tokens, answer.latency_s
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from appliance.records import Message
from appliance.train.data import render


@dataclass(frozen=True)
class Generation:
    text: str
    new_tokens: int
    latency_s: float
    prompt_tokens: int


@torch.no_grad()
def generate_answer(model, tokenizer, messages: Sequence[Message], *, max_new_tokens: int, max_prompt_tokens: int) -> Generation:
    """The assistant's next turn, greedy (deterministic), with wall-clock latency of tokenising and decoding.

    A prompt longer than `max_prompt_tokens` keeps its end: the question sits last, and
    losing the oldest few-shot example or passage is the lesser harm.
    """
    device = next(model.parameters()).device
    started = time.perf_counter()
    prompt = render(messages, tokenizer, add_generation_prompt=True)
    ids = tokenizer(prompt, add_special_tokens=False, return_tensors="pt").input_ids[:, -max_prompt_tokens:].to(device)
    output = model.generate(
        input_ids=ids,
        attention_mask=torch.ones_like(ids),
        max_new_tokens=max_new_tokens,
        do_sample=False,
        num_beams=1,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    new = output[0, ids.shape[1] :]
    text = tokenizer.decode(new, skip_special_tokens=True).strip()
    latency = time.perf_counter() - started
    return Generation(text=text, new_tokens=int(new.shape[0]), latency_s=latency, prompt_tokens=int(ids.shape[1]))
