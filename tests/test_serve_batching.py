"""Batched generation: concurrent requests decoded together give exactly what each gives alone.

The model is a 2-layer Llama with large random weights (initializer_range 0.5), so greedy
decoding wanders over the vocabulary instead of repeating one token: a padding or position
mistake would change the tokens, which a small-weight tiny model would hide.
"""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from appliance.serve.app import build_app
from appliance.serve.batching import BatchGenerator, generate_batch
from appliance.serve.feedback import FeedbackStore
from appliance.serve.generation import Generator, Sampling
from appliance.serve.guard import PiiGuard
from appliance.serve.service import ChatService
from policies.loader import load_policy

QUESTIONS = ["Hi", "How do I reset my card PIN? I forgot it yesterday.", "Tell me a long story about a cat who lived in an old house by the sea.", "ok"]


@pytest.fixture(scope="module")
def generator(smollm2_dir: Path, tiny_llama) -> Generator:
    from appliance.train.lm import load_tokenizer

    tokenizer = load_tokenizer(smollm2_dir)
    # Large initial weights, so greedy decoding emits varied tokens instead of repeating one.
    return Generator(tiny_llama(tokenizer, max_position_embeddings=512, initializer_range=0.5).eval(), tokenizer)


def prompts(generator: Generator) -> list[list[int]]:
    return [generator.prompt_ids([{"role": "user", "content": question}]) for question in QUESTIONS]


def alone(generator: Generator, prompt: list[int], sampling: Sampling) -> list[int]:
    """The unbatched path the streaming server uses, token by token."""
    return list(itertools.islice(generator._tokens(prompt, sampling), sampling.max_tokens))


def test_batched_greedy_equals_each_prompt_alone(generator: Generator) -> None:
    batch = prompts(generator)
    assert len({len(p) for p in batch}) > 1  # different lengths: the batch really is left-padded
    samplings = [Sampling(max_tokens=n, temperature=0) for n in (12, 6, 12, 9)]
    results = generate_batch(generator, batch, samplings)
    expected = [alone(generator, p, s) for p, s in zip(batch, samplings, strict=True)]
    assert [r.tokens for r in results] == expected
    assert len(set(expected[0])) > 3  # the model does not repeat one token (the check above has teeth)
    assert [r.finish_reason for r in results] == ["length"] * 4


def test_the_model_forward_signature_is_read_once_per_model_not_per_batch(generator: Generator, tiny_llama, monkeypatch: pytest.MonkeyPatch) -> None:
    import inspect

    fresh = Generator(tiny_llama(generator.tokenizer).eval(), generator.tokenizer)  # a model no earlier test has batched
    real_signature = inspect.signature
    read: list[object] = []

    def counting(obj, *args, **kwargs):
        if obj == fresh.model.forward:
            read.append(obj)
        return real_signature(obj, *args, **kwargs)

    monkeypatch.setattr(inspect, "signature", counting)
    for _ in range(3):
        [result] = generate_batch(fresh, [prompts(generator)[0]], [Sampling(max_tokens=2, temperature=0)])
        assert len(result.tokens) <= 2
    assert len(read) == 1


def test_a_row_that_meets_its_stop_token_ends_alone_and_the_others_go_on(generator: Generator) -> None:
    batch = prompts(generator)
    greedy = Sampling(max_tokens=10, temperature=0)
    expected = [alone(generator, p, greedy) for p in batch]
    stop = expected[1][4]
    stopping = Generator(generator.model, generator.tokenizer)
    stopping.stop_ids = {stop}
    results = generate_batch(stopping, batch, [greedy] * 4)
    for result, tokens in zip(results, expected, strict=True):
        cut = tokens.index(stop) if stop in tokens else None
        assert result.tokens == tokens[:cut]
        assert result.finish_reason == ("stop" if cut is not None else "length")
    assert results[1].tokens == expected[1][:4] and results[1].finish_reason == "stop"


def test_seeded_sampling_in_a_batch_equals_the_same_seed_alone(generator: Generator) -> None:
    batch = prompts(generator)[:2]
    samplings = [Sampling(max_tokens=8, temperature=0.9, top_p=0.9, seed=seed) for seed in (1, 2)]
    results = generate_batch(generator, batch, samplings)
    assert [r.tokens for r in results] == [alone(generator, p, s) for p, s in zip(batch, samplings, strict=True)]


def test_concurrent_submissions_are_gathered_into_batches_of_at_most_max_batch(generator: Generator) -> None:
    batch = prompts(generator)
    greedy = Sampling(max_tokens=5, temperature=0)
    for max_batch, expected_batches in ((4, 1), (2, 2)):
        batcher = BatchGenerator(generator, max_batch=max_batch, window_s=2.0)  # long window: every submission arrives in time
        futures = [batcher.submit(p, greedy) for p in batch]
        assert [f.result(timeout=60).tokens for f in futures] == [alone(generator, p, greedy) for p in batch]
        assert (batcher.batches, batcher.batched_requests) == (expected_batches, 4)
        batcher.close()


def test_an_error_in_a_batch_reaches_every_waiting_request(generator: Generator) -> None:
    batcher = BatchGenerator(generator, max_batch=4, window_s=0.5)
    beyond_vocabulary = [len(generator.tokenizer) + 10]  # the embedding lookup fails for the whole batch
    futures = [batcher.submit(p, Sampling(max_tokens=3, temperature=0)) for p in (prompts(generator)[0], beyond_vocabulary)]
    for future in futures:
        with pytest.raises(IndexError):
            future.result(timeout=30)
    assert batcher.submit(prompts(generator)[0], Sampling(max_tokens=2, temperature=0)).result(timeout=30).tokens  # the worker lives on
    batcher.close()


# Through the HTTP API: concurrent non-streaming requests are batched, streaming still works


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(generator: Generator, tmp_path: Path):
    import uvicorn

    guard = PiiGuard(load_policy("default"), input_mode="off", output=False)  # the guard has its own tests; this one is about batching
    batcher = BatchGenerator(generator, max_batch=8, window_s=0.5)
    service = ChatService(SimpleNamespace(model_id="appliance-test"), guard, generator, batcher)
    port = free_port()
    uv = uvicorn.Server(uvicorn.Config(build_app(service, FeedbackStore(tmp_path / "serve", guard)), host="127.0.0.1", port=port, log_level="warning", log_config=None))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    yield SimpleNamespace(url=f"http://127.0.0.1:{port}", batcher=batcher, service=ChatService(service.served, guard, generator))
    uv.should_exit = True
    thread.join(10)
    batcher.close()


def request(question: str, **extra) -> dict:
    return {"messages": [{"role": "user", "content": question}], "max_tokens": 8, "temperature": 0, **extra}


def test_concurrent_http_requests_are_batched_and_answer_as_unbatched(server) -> None:
    def post(question: str) -> dict:
        response = httpx.post(f"{server.url}/v1/chat/completions", json=request(question), timeout=60)
        assert response.status_code == 200, response.text
        return response.json()

    with ThreadPoolExecutor(len(QUESTIONS)) as pool:
        bodies = list(pool.map(post, QUESTIONS))
    assert server.batcher.batched_requests == len(QUESTIONS)
    assert server.batcher.batches < len(QUESTIONS)  # at least two requests shared a forward pass
    unbatched = []
    for question in QUESTIONS:
        completion = server.service.start([{"role": "user", "content": question}])
        server.service.complete(completion, Sampling(max_tokens=8, temperature=0))
        unbatched.append((completion.text, completion.completion_tokens, completion.finish_reason))
    assert [(b["choices"][0]["message"]["content"], b["usage"]["completion_tokens"], b["choices"][0]["finish_reason"]) for b in bodies] == unbatched


def test_streaming_bypasses_the_batcher_and_still_streams(server) -> None:
    with httpx.stream("POST", f"{server.url}/v1/chat/completions", json=request(QUESTIONS[1], stream=True), timeout=60) as response:
        assert response.status_code == 200
        payloads = [line[len("data: ") :] for line in response.iter_lines() if line.startswith("data: ")]
    assert payloads[-1] == "[DONE]"
    chunks = [json.loads(p) for p in payloads[:-1]]
    assert sum(1 for c in chunks if c["choices"][0]["delta"].get("content")) >= 2  # more than one content delta
    assert chunks[-1]["usage"]["completion_tokens"] == 8
    assert server.batcher.batched_requests == 0
