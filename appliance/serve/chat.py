"""The terminal chat: the same model and guard as the server, one line in, a streamed answer out.

Example:
    chat_loop(service, input_stream=sys.stdin, write=print_partial, sampling=Sampling(max_tokens=128))

Commands: /reset clears the conversation, /exit (or end of input) leaves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from appliance.errors import ApplianceError
from appliance.serve.generation import Sampling
from appliance.serve.guard import PromptRefused
from appliance.serve.service import ChatService, format_counts

PROMPT = "you> "


def chat_loop(service: ChatService, input_stream: TextIO, write: Callable[[str], None], sampling: Sampling, system: str | None = None) -> int:
    """Run until /exit or end of input; returns the number of answered turns."""
    history: list[dict[str, str]] = [{"role": "system", "content": system}] if system else []
    turns = 0
    write(f"chatting with {service.served.model_id} (input guard: {service.guard.input_mode}); /reset, /exit\n")
    while True:
        write(PROMPT)
        line = input_stream.readline()
        if not line or line.strip() == "/exit":
            write("\n")
            return turns
        text = line.strip()
        if not text:
            continue
        if text == "/reset":
            history = history[:1] if system else []
            write("(conversation cleared)\n")
            continue
        try:
            completion = service.start([*history, {"role": "user", "content": text}])
        except PromptRefused as exc:
            write(f"[guard] {exc}\n")
            continue
        if completion.input_entities:
            write(f"[guard] redacted before the model saw it: {format_counts(completion.input_entities)}\n")
        write("model> ")
        try:
            for delta in service.stream(completion, sampling):
                write(delta)
        except ApplianceError as exc:
            write(f"\n[error] {exc}\n")
            continue
        write("\n")
        history = [*completion.messages, {"role": "assistant", "content": completion.text}]
        turns += 1
