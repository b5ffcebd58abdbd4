"""appliance serve / chat end to end: a real tiny run, uvicorn on a free loopback port, plain HTTP."""

from __future__ import annotations

import io
import json
import logging
import shutil
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from appliance.cli import main
from appliance.commands.serve import chat, serve
from appliance.errors import ApplianceError, GateFailed
from appliance.serve.app import build_app
from appliance.serve.chat import chat_loop
from appliance.serve.generation import Sampling
from appliance.serve.guard import PiiGuard
from appliance.serve.loading import check_run
from appliance.serve.server import ServeConfig, build_server, build_service, check_bind
from appliance.serve.service import ChatService

PII_PROMPT = "My name is John Smith and my email is john.smith@example.com, what is my balance?"
CHATS = [
    {
        "messages": [
            {"role": "user", "content": f"How do I reset my card PIN, question {i}?"},
            {"role": "assistant", "content": f"Open the app, choose Cards, then Reset PIN. Step {i}."},
        ]
    }
    for i in range(16)
]


def make_runs(root: Path, tiny_model_dir: Path) -> tuple[Path, Path]:
    """(a run whose gates pass, a copy re-reported under a policy that requires DP, so a gate fails).

    A 16-chat corpus and 2 steps keep this to ~25 s; the full demo corpus would take minutes.
    """
    sources = root / "sources"
    sources.mkdir()
    (sources / "chats.jsonl").write_text("\n".join(json.dumps(c) for c in CHATS) + "\n")
    good, failed = root / "good", root / "failed"
    runner = CliRunner()
    arguments = ["run", str(sources), "--out", str(good), "--policy", "default", "--base-model", str(tiny_model_dir), "--no-dp", "--max-steps", "2"]
    result = runner.invoke(main, arguments)
    assert result.exit_code == 0, result.output
    shutil.copytree(good, failed)
    strict = root / "strict.yaml"
    strict.write_text((good / "policy.yaml").read_text().replace("dp_required: false", "dp_required: true"))
    result = runner.invoke(main, ["report", "--run", str(failed), "--policy", str(strict)])
    assert "FAILED privacy.dp_required" in result.output, result.output
    return good, failed


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ThreadedServer:
    """uvicorn serving `app` on 127.0.0.1:<free port> in a daemon thread."""

    def __init__(self, app) -> None:
        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, access_log=False, log_level="warning", log_config=None))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> ThreadedServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(10)


class ScriptedGenerator:
    """Stands in for the model: always 'generates' the given chunks, so PII in output is deterministic."""

    def __init__(self, chunks: list[str]) -> None:
        self.chunks = chunks

    def stream(self, messages, sampling):
        generator = self

        class Stream:
            prompt_tokens, completion_tokens, finish_reason = 3, len(generator.chunks), "stop"

            def __iter__(self):
                return iter(generator.chunks)

        return Stream()


def sse_payloads(lines) -> list[str]:
    return [line[len("data: ") :] for line in lines if line.startswith("data: ")]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path):
    home = tmp_path_factory.mktemp("serve-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("APPLIANCE_HOME", str(home))
        good, failed = make_runs(tmp_path_factory.mktemp("serve-runs"), tiny_model_dir)
        yield {"good": good, "failed": failed, "home": home}


@pytest.fixture(scope="module")
def servers(runs: dict):
    """Three servers over one loaded model: redact (no key), refuse (API key), and scripted PII output."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("APPLIANCE_HOME", str(runs["home"]))
        service, feedback, served = build_service(runs["good"], ServeConfig(input_mode="redact"))
        refuse = ChatService(served, PiiGuard(served.policy, input_mode="refuse", scrubber=service.guard.scrubber), service.generator)
        chunks = ["Sure. Contact John", " Smith at john.sm", "ith@example.com or call 212-555-", "0123 any time. ", "Goodbye and thanks."]
        scripted = ChatService(served, service.guard, ScriptedGenerator(chunks))
        apps = {
            "redact": build_app(service, feedback),
            "refuse": build_app(refuse, feedback, api_key="test-key-123"),
            "scripted": build_app(scripted, feedback),
        }
        started = {name: ThreadedServer(app).__enter__() for name, app in apps.items()}
        yield {name: s.url for name, s in started.items()} | {"model_id": served.model_id, "feedback": feedback.path}
        for s in started.values():
            s.__exit__()


def chat_request(**extra) -> dict:
    return {"messages": [{"role": "user", "content": "Hello, how do I reset my PIN?"}], "max_tokens": 8, "temperature": 0, **extra}


def test_models_lists_the_run(servers: dict) -> None:
    response = httpx.get(f"{servers['redact']}/v1/models")
    assert response.status_code == 200
    assert response.json()["data"][0]["id"] == servers["model_id"]


def test_completion_has_openai_shape_and_usage(servers: dict) -> None:
    response = httpx.post(f"{servers['redact']}/v1/chat/completions", json=chat_request(model=servers["model_id"]), timeout=60)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["object"] == "chat.completion" and body["id"].startswith("chatcmpl-")
    assert body["choices"][0]["message"]["role"] == "assistant"
    assert body["choices"][0]["finish_reason"] in ("stop", "length")
    assert 0 < body["usage"]["completion_tokens"] <= 8 and body["usage"]["prompt_tokens"] > 5


def test_streaming_sends_chunks_then_done(servers: dict) -> None:
    with httpx.stream("POST", f"{servers['redact']}/v1/chat/completions", json=chat_request(stream=True), timeout=60) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        payloads = sse_payloads(response.iter_lines())
    assert payloads[-1] == "[DONE]"
    chunks = [json.loads(p) for p in payloads[:-1]]
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"} and len({c["id"] for c in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert chunks[-1]["choices"][0]["finish_reason"] in ("stop", "length") and chunks[-1]["usage"]["completion_tokens"] > 0


def test_input_guard_redacts_and_logs_no_text(servers: dict, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="appliance.serve")
    body = {"messages": [{"role": "user", "content": PII_PROMPT}], "max_tokens": 4, "temperature": 0}
    response = httpx.post(f"{servers['redact']}/v1/chat/completions", json=body, timeout=60)
    assert response.status_code == 200
    lines = [r.getMessage() for r in caplog.records if r.name == "appliance.serve"]
    [line] = [line for line in lines if line.startswith("completion id=" + response.json()["id"])]
    assert "input_entities=EMAIL_ADDRESS:1,PERSON:1" in line and "prompt_tokens=" in line and "seconds=" in line
    assert not [m for m in caplog.text.splitlines() if "John" in m or "example.com" in m or "balance" in m]


def test_input_guard_refuses_naming_entity_types(servers: dict, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="appliance.serve")
    body = {"messages": [{"role": "user", "content": PII_PROMPT}], "max_tokens": 4}
    response = httpx.post(f"{servers['refuse']}/v1/chat/completions", json=body, headers={"Authorization": "Bearer test-key-123"}, timeout=60)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "pii_refused" and error["entity_types"] == ["EMAIL_ADDRESS", "PERSON"]
    assert "John" not in response.text and "example.com" not in response.text
    assert "John" not in caplog.text and "example.com" not in caplog.text


def test_api_key_is_checked_as_bearer_token(servers: dict) -> None:
    url = f"{servers['refuse']}/v1/models"
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, headers={"Authorization": "Bearer wrong"}).json()["error"]["code"] == "invalid_api_key"
    assert httpx.get(url, headers={"Authorization": "Bearer test-key-123"}).status_code == 200


@pytest.mark.parametrize("stream", [False, True])
def test_output_guard_redacts_model_pii(servers: dict, stream: bool) -> None:
    response = httpx.post(f"{servers['scripted']}/v1/chat/completions", json=chat_request(stream=stream), timeout=60)
    assert response.status_code == 200
    if stream:
        payloads = sse_payloads(response.text.splitlines())
        text = "".join(json.loads(p)["choices"][0]["delta"].get("content", "") for p in payloads[:-1])
    else:
        text = response.json()["choices"][0]["message"]["content"]
    assert "John" not in text and "john.smith@example.com" not in text and "555-0123" not in text
    assert "<EMAIL_ADDRESS>" in text and "<PHONE_NUMBER>" in text and text.endswith("Goodbye and thanks.")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"{not json", "request body is not valid JSON"),
        (json.dumps({"messages": []}).encode(), "invalid request: messages: List should have at least 1 item after validation, not 0"),
        (
            json.dumps({"messages": [{"role": "wizard", "content": "hi"}]}).encode(),
            "invalid request: messages.0.role: Input should be 'system', 'user' or 'assistant'",
        ),
        (
            json.dumps({"messages": [{"role": "user", "content": "hi"}], "max_tokens": 0}).encode(),
            "invalid request: max_tokens: Input should be greater than or equal to 1",
        ),
    ],
)
def test_malformed_requests_get_json_400(servers: dict, content: bytes, expected: str) -> None:
    response = httpx.post(f"{servers['redact']}/v1/chat/completions", content=content, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == expected


def test_unknown_model_and_route_are_json_404(servers: dict) -> None:
    assert httpx.post(f"{servers['redact']}/v1/chat/completions", json=chat_request(model="gpt-4")).json()["error"]["code"] == "model_not_found"
    assert httpx.get(f"{servers['redact']}/v1/nothing").json()["error"]["code"] == "not_found"


def test_feedback_is_stored_scrubbed_and_ingestible(servers: dict, runs: dict, tmp_path: Path) -> None:
    body = {"messages": [{"role": "user", "content": PII_PROMPT}], "max_tokens": 4, "temperature": 0}
    completion_id = httpx.post(f"{servers['redact']}/v1/chat/completions", json=body, timeout=60).json()["id"]
    correction = "Dear Jane Doe, call us on 212-555-0199."
    response = httpx.post(f"{servers['redact']}/v1/feedback", json={"completion_id": completion_id, "rating": "good", "corrected_answer": correction})
    assert response.status_code == 200 and response.json()["stored_in"] == "feedback.jsonl"
    assert httpx.post(f"{servers['redact']}/v1/feedback", json={"completion_id": "chatcmpl-nope", "rating": "good"}).status_code == 404
    bad = httpx.post(f"{servers['redact']}/v1/feedback", json={"completion_id": completion_id, "rating": "bad"})
    assert bad.json()["stored_in"] == "feedback-ratings.jsonl", "a bad answer without a correction is no training example"
    stored = servers["feedback"].read_text()
    assert "Jane" not in stored and "212-555-0199" not in stored and "John" not in stored and "example.com" not in stored
    row = [json.loads(line) for line in stored.splitlines() if completion_id in line][-1]
    assert row["completion_id"] == completion_id and row["feedback_time"] and row["corrected"] is True
    assert [m["role"] for m in row["messages"]] == ["user", "assistant"] and "<PHONE_NUMBER>" in row["messages"][1]["content"]
    result = CliRunner().invoke(main, ["ingest", str(servers["feedback"]), "--run", str(tmp_path / "next")])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "next" / "manifest.json").read_text())
    assert manifest["stages"]["ingest"]["counts"]["files_with_records"] == 1


def test_non_loopback_bind_needs_an_api_key(runs: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("APPLIANCE_API_KEY", raising=False)
    with pytest.raises(ApplianceError, match="refusing to listen on 0.0.0.0 without an API key"):
        build_server(runs["good"], ServeConfig(host="0.0.0.0"))
    check_bind("127.0.0.1", None)
    check_bind("0.0.0.0", "a-key")
    result = CliRunner().invoke(serve, [str(runs["good"]), "--host", "0.0.0.0"])
    assert result.exit_code == 1
    assert "Error: refusing to listen on 0.0.0.0 without an API key: set APPLIANCE_API_KEY or pass --api-key-file FILE (or bind 127.0.0.1)" in result.output


def test_failed_gates_refused_unless_allowed(runs: dict, caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(GateFailed, match=r"compliance gate\(s\) failed: privacy.dp_required"):
        check_run(runs["failed"])
    result = CliRunner().invoke(serve, [str(runs["failed"])])
    assert result.exit_code == 3 and "--allow-failed-gates" in result.output
    caplog.set_level(logging.WARNING, logger="appliance.serve")
    assert check_run(runs["failed"], allow_failed_gates=True)[1] == ["privacy.dp_required"]
    assert "despite failed gates: privacy.dp_required" in caplog.text


def test_run_that_does_not_verify_is_refused(runs: dict, tmp_path: Path) -> None:
    tampered = tmp_path / "tampered"
    shutil.copytree(runs["good"], tampered)
    config = tampered / "train" / "adapter" / "adapter_config.json"
    config.write_text(config.read_text() + " ")
    with pytest.raises(ApplianceError, match="does not verify"):
        check_run(tampered)


def test_chat_loop_guards_and_streams(runs: dict, servers: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPLIANCE_HOME", str(runs["home"]))
    service, _, _ = build_service(runs["good"], ServeConfig(input_mode="refuse"))
    written: list[str] = []
    stdin = io.StringIO(f"{PII_PROMPT}\nhello there\n/reset\nhow are you\n/exit\n")
    turns = chat_loop(service, stdin, written.append, Sampling(max_tokens=4, temperature=0))
    output = "".join(written)
    assert turns == 2
    assert "[guard] prompt refused: it contains EMAIL_ADDRESS, PERSON" in output
    assert output.count("model> ") == 2 and "(conversation cleared)" in output and "John" not in output


def test_chat_command_reads_stdin(runs: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPLIANCE_HOME", str(runs["home"]))
    result = CliRunner().invoke(chat, [str(runs["good"]), "--max-tokens", "3"], input="hi\n")
    assert result.exit_code == 0, result.output
    assert "you> model> " in result.output and result.output.count("you> ") == 2
