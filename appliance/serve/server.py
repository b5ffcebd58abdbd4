"""Start-up: refuse unsafe binds, read the API key, load the run, run uvicorn.

Example:
    serve_run(Path("runs/r1"), host="127.0.0.1", port=8000)
"""

from __future__ import annotations

import ipaddress
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from appliance.errors import ApplianceError
from appliance.serve.guard import InputMode

log = logging.getLogger("appliance.serve")
API_KEY_ENV = "APPLIANCE_API_KEY"


@dataclass(frozen=True)
class ServeConfig:
    host: str = "127.0.0.1"
    port: int = 8000
    input_mode: InputMode = "redact"
    output_guard: bool = True
    allow_failed_gates: bool = False
    max_tokens: int = 128
    # Non-streaming requests arriving within batch_window_ms of each other are decoded together,
    # up to max_batch at a time; max_batch 1 (the default) turns batching off. Off by default until
    # measured on a quiet machine: on a contended 2-core CPU the batched SmolLM2 path was slower
    # end to end than token-interleaved single requests, though faster in isolation (see the report).
    max_batch: int = 1
    batch_window_ms: float = 10.0


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def read_api_key(api_key_file: Path | None) -> str | None:
    """The key from the file if given, else from $APPLIANCE_API_KEY; None when neither is set."""
    if api_key_file is not None:
        try:
            key = Path(api_key_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ApplianceError(f"{api_key_file}: cannot read the API key file ({exc.__class__.__name__})") from None
        if not key:
            raise ApplianceError(f"{api_key_file} is empty; put one API key (a long random string) in it")
        return key
    return os.environ.get(API_KEY_ENV, "").strip() or None


def check_bind(host: str, api_key: str | None) -> None:
    """A non-loopback bind needs an API key: the guard keeps PII in, the key keeps strangers out."""
    if not is_loopback(host) and not api_key:
        raise ApplianceError(
            f"refusing to listen on {host} without an API key: set {API_KEY_ENV} or pass --api-key-file FILE "
            "(or bind 127.0.0.1)"
        )


def build_service(run_dir: Path, config: ServeConfig):
    """(service, feedback store, served run) for RUN_DIR, checked and loaded."""
    from appliance.keys import hash_salt
    from appliance.serve.batching import BatchGenerator
    from appliance.serve.feedback import FeedbackStore
    from appliance.serve.generation import Generator
    from appliance.serve.guard import PiiGuard
    from appliance.serve.loading import load_run
    from appliance.serve.service import ChatService

    served = load_run(run_dir, allow_failed_gates=config.allow_failed_gates)
    guard = PiiGuard(served.policy, salt=hash_salt(), input_mode=config.input_mode, output=config.output_guard)
    if config.input_mode != "off" or config.output_guard:
        guard.scrubber  # noqa: B018  (load Presidio and spaCy now, not on the first request)
    generator = Generator(served.model, served.tokenizer)
    batcher = BatchGenerator(generator, max_batch=config.max_batch, window_s=config.batch_window_ms / 1000) if config.max_batch > 1 else None
    service = ChatService(served, guard, generator, batcher)
    return service, FeedbackStore(served.root / "serve", guard), served


def build_server(run_dir: Path, config: ServeConfig, api_key: str | None = None):
    """A uvicorn.Server ready to run (tests run it in a thread); refuses before loading anything heavy."""
    import uvicorn

    from appliance.serve.app import build_app

    check_bind(config.host, api_key)
    service, feedback, served = build_service(run_dir, config)
    app = build_app(service, feedback, api_key=api_key, default_max_tokens=config.max_tokens)
    log.info(
        "serving run %s as %s on %s:%d (input guard %s, output guard %s, API key %s, max batch %d)",
        served.run_id,
        served.model_id,
        config.host,
        config.port,
        config.input_mode,
        "on" if config.output_guard else "off",
        "required" if api_key else "not set",
        config.max_batch,
    )
    # access_log off: our own log line per request carries numbers only.
    return uvicorn.Server(uvicorn.Config(app, host=config.host, port=config.port, access_log=False, log_level="warning", log_config=None))


def serve_run(run_dir: Path, config: ServeConfig, api_key_file: Path | None = None) -> None:
    build_server(run_dir, config, read_api_key(api_key_file)).run()
