"""Benchmark `appliance serve` over loopback: requests/s, p50/p95 latency and tokens/s, guard on/off, batched/unbatched.

The server runs in a child process (one per setting: guard off/on x unbatched/batched); this
process sends concurrent requests with httpx. Count and time are bounded: after --time-limit
seconds per setting the requests still in flight are abandoned and the completed ones reported.
Unbatched is `--max-batch 1` (each request decodes on its own, token-interleaved under one lock);
batched gathers concurrent non-streaming requests (appliance/serve/batching.py). Streaming
requests are never batched, so with --stream only the guard comparison is run.

Example:
    .venv/bin/python scripts/bench_serve.py runs/demo --requests 24 --concurrency 8 --max-tokens 32
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path

import httpx

PROMPTS = [
    "How do I reset my card PIN?",
    "My name is John Smith and my email is john.smith@example.com; what is my balance?",
    "Explain the difference between a debit card and a credit card.",
    "Call me on 212-555-0123 about my loan application, please.",
]


def serve_child(run_dir: str, port: int, guard: str, max_batch: int, base_model: str | None) -> None:
    from appliance.serve.server import ServeConfig, build_server

    config = ServeConfig(port=port, input_mode="redact" if guard == "on" else "off", output_guard=guard == "on", max_batch=max_batch, allow_failed_gates=True)
    if base_model:
        base_model_server(base_model, config).run()
        return
    build_server(Path(run_dir), config).run()


def base_model_server(base_model: str, config):
    """A server over a base model alone, under the default policy, for when no served run is at hand.

    Serving cost is the same as a run's: `load_run` merges the adapter into the base weights.
    """
    import tempfile

    import uvicorn

    from appliance.models import resolve_base_model
    from appliance.serve.app import build_app
    from appliance.serve.batching import BatchGenerator
    from appliance.serve.feedback import FeedbackStore
    from appliance.serve.generation import Generator
    from appliance.serve.guard import PiiGuard
    from appliance.serve.loading import ServedRun
    from appliance.serve.service import ChatService
    from appliance.train.lm import load_causal_lm, load_tokenizer
    from policies.loader import load_policy

    path = resolve_base_model(base_model).path
    served = ServedRun(root=Path(tempfile.mkdtemp()), run_id="bench", model_id="bench", base_model=base_model, policy=load_policy("default"), failed_gates=[])
    served.model, served.tokenizer = load_causal_lm(path).eval(), load_tokenizer(path)
    guard = PiiGuard(served.policy, input_mode=config.input_mode, output=config.output_guard)
    if config.input_mode != "off" or config.output_guard:
        guard.scrubber  # noqa: B018  (load Presidio now, not on the first request)
    generator = Generator(served.model, served.tokenizer)
    batcher = BatchGenerator(generator, max_batch=config.max_batch, window_s=config.batch_window_ms / 1000) if config.max_batch > 1 else None
    app = build_app(ChatService(served, guard, generator, batcher), FeedbackStore(served.root / "serve", guard))
    return uvicorn.Server(uvicorn.Config(app, host=config.host, port=config.port, access_log=False, log_level="warning", log_config=None))


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(url: str, child: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise SystemExit(f"server exited with {child.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit("server did not become ready")


def one_request(url: str, i: int, max_tokens: int, stream: bool) -> tuple[float, int]:
    body = {"messages": [{"role": "user", "content": PROMPTS[i % len(PROMPTS)]}], "max_tokens": max_tokens, "temperature": 0, "stream": stream}
    started = time.perf_counter()
    if stream:
        with httpx.stream("POST", f"{url}/v1/chat/completions", json=body, timeout=300) as response:
            response.raise_for_status()
            chunks = [json.loads(line[6:]) for line in response.iter_lines() if line.startswith("data: {")]
            tokens = chunks[-1]["usage"]["completion_tokens"]
    else:
        response = httpx.post(f"{url}/v1/chat/completions", json=body, timeout=300)
        response.raise_for_status()
        tokens = response.json()["usage"]["completion_tokens"]
    return time.perf_counter() - started, tokens


def bench(url: str, requests: int, concurrency: int, max_tokens: int, time_limit: float, stream: bool) -> dict:
    one_request(url, 0, 4, False)  # warm-up: first forward pass, spaCy caches
    latencies, tokens = [], 0
    started = time.perf_counter()
    pool = ThreadPoolExecutor(concurrency)
    futures = [pool.submit(one_request, url, i, max_tokens, stream) for i in range(requests)]
    done, _ = wait(futures, timeout=time_limit)
    elapsed = time.perf_counter() - started
    pool.shutdown(wait=False, cancel_futures=True)  # the rest die with the server child
    for future in done:
        latency, n = future.result()
        latencies.append(latency)
        tokens += n
    latencies.sort()
    if not latencies:
        raise SystemExit(f"no request finished within {time_limit}s; raise --time-limit or lower --max-tokens")
    return {
        "requests": len(latencies),
        "abandoned": requests - len(latencies),
        "seconds": elapsed,
        "requests_per_s": len(latencies) / elapsed,
        "p50_s": statistics.median(latencies),
        "p95_s": latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))],
        "completion_tokens_per_s": tokens / elapsed,
    }


def guard_cost(run_dir: str, rounds: int = 20) -> None:
    """The guard alone, in this process: ms per prompt (input) and per 120-character answer streamed in 4-character chunks."""
    from appliance.keys import hash_salt
    from appliance.serve.guard import PiiGuard
    from appliance.serve.loading import run_policy

    guard = PiiGuard(run_policy(Path(run_dir)), salt=hash_salt())
    answer = "Thanks for asking. A credit card lets you borrow up to a limit; write to help@bank.example if you need more help today."
    guard.check_input(PROMPTS)
    started = time.perf_counter()
    for i in range(rounds):
        guard.check_input([PROMPTS[i % len(PROMPTS)]])
    per_prompt = (time.perf_counter() - started) / rounds
    started = time.perf_counter()
    for _ in range(rounds):
        redactor = guard.stream_redactor()
        "".join(redactor.feed(answer[j : j + 4]) for j in range(0, len(answer), 4)) + redactor.finish()
    per_stream = (time.perf_counter() - started) / rounds
    started = time.perf_counter()
    for _ in range(rounds):
        guard.redact_output(answer)
    per_answer = (time.perf_counter() - started) / rounds
    print(f"guard alone: input {per_prompt * 1000:.1f} ms/prompt, output {per_answer * 1000:.1f} ms/answer (whole), {per_stream * 1000:.1f} ms/answer (streamed)")


def run_setting(args: argparse.Namespace, guard: str, max_batch: int) -> dict:
    """Start a server child with this guard and batch size, benchmark it, stop it."""
    port = free_port()
    command = [sys.executable, __file__, args.run_dir, "--serve-child", guard, "--port", str(port), "--max-batch", str(max_batch)]
    if args.base_model:
        command += ["--base-model", args.base_model]
    child = subprocess.Popen(command, env=os.environ.copy())
    try:
        wait_ready(f"http://127.0.0.1:{port}", child)
        return bench(f"http://127.0.0.1:{port}", args.requests, args.concurrency, args.max_tokens, args.time_limit, args.stream)
    finally:
        child.terminate()
        child.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", help="A run that verifies (its guard uses the run's policy); with --base-model, only the policy for the guard-alone timing.")
    parser.add_argument("--requests", type=int, default=16)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--max-batch", type=int, default=8, help="Batch size of the batched setting.")
    parser.add_argument("--time-limit", type=float, default=120, help="Seconds per setting before the unfinished requests are abandoned.")
    parser.add_argument("--stream", action="store_true", help="Use stream: true (the streaming guard; never batched).")
    parser.add_argument("--json", type=Path, help="Also write the results here as JSON.")
    parser.add_argument("--base-model", metavar="NAME|PATH", help="Serve this base model under the default policy instead of the run's adapter.")
    parser.add_argument("--serve-child", choices=["on", "off"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_child:
        serve_child(args.run_dir, args.port, args.serve_child, args.max_batch, args.base_model)
        return
    batch_sizes = {"unbatched": 1} if args.stream else {"unbatched": 1, "batched": args.max_batch}
    results: dict[str, dict[str, dict]] = {}
    for mode, max_batch in batch_sizes.items():
        for guard in ("off", "on"):
            r = results.setdefault(mode, {})[guard] = run_setting(args, guard, max_batch)
            print(
                f"{mode:9} guard {guard:3}: {r['requests']} requests in {r['seconds']:.1f}s ({r['abandoned']} abandoned)  {r['requests_per_s']:.2f} req/s  "
                f"p50 {r['p50_s'] * 1000:.0f} ms  p95 {r['p95_s'] * 1000:.0f} ms  {r['completion_tokens_per_s']:.1f} completion tok/s",
                flush=True,
            )
    guard_cost(args.run_dir)
    for mode, by_guard in results.items():
        on, off = by_guard["on"], by_guard["off"]
        print(f"guard overhead ({mode}): p50 latency x{on['p50_s'] / off['p50_s']:.2f}, throughput x{on['requests_per_s'] / off['requests_per_s']:.2f} (guard on / off)")
    if "batched" in results:
        for guard in ("off", "on"):
            batched, unbatched = results["batched"][guard], results["unbatched"][guard]
            print(
                f"batched vs unbatched (guard {guard}): throughput x{batched['requests_per_s'] / unbatched['requests_per_s']:.2f}, "
                f"p50 latency x{batched['p50_s'] / unbatched['p50_s']:.2f}, tokens/s x{batched['completion_tokens_per_s'] / unbatched['completion_tokens_per_s']:.2f}"
            )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
