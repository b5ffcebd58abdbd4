"""`appliance serve` and `appliance chat`: thin commands over appliance.serve."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from appliance.commands.errors import user_errors
from appliance.commands.evidence import RUN_DIR

INPUT_MODES = click.Choice(["redact", "refuse"])


def configure_logging() -> None:
    # Request lines are numbers and entity types only (appliance.serve never logs text).
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    logging.getLogger("appliance.serve").setLevel(logging.INFO)


@click.command()
@click.argument("run_dir", type=RUN_DIR)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on; anything but loopback needs an API key.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--input-guard",
    "input_mode",
    type=INPUT_MODES,
    default="redact",
    show_default=True,
    help="PII in a prompt: redact it before the model sees it, or refuse the request (400).",
)
@click.option("--max-tokens", default=128, show_default=True, type=click.IntRange(1, 2048), help="Default answer length when a request sets none.")
@click.option("--max-batch", default=1, show_default=True, type=click.IntRange(1, 64), help="Most non-streaming requests decoded together (e.g. 8); 1 turns batching off.")
@click.option("--batch-window-ms", default=10.0, show_default=True, type=click.FloatRange(0, 1000), help="How long the first request of a batch waits for others.")
@click.option("--allow-failed-gates", is_flag=True, help="Serve a run whose compliance gates failed (logged as a warning).")
@click.option(
    "--api-key-file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="File holding the API key (else $APPLIANCE_API_KEY); required off loopback.",
)
@user_errors
def serve(
    run_dir: Path, host: str, port: int, input_mode: str, max_tokens: int, max_batch: int, batch_window_ms: float, allow_failed_gates: bool, api_key_file: Path | None
) -> None:
    """Serve a run's adapter as an OpenAI-compatible API behind the PII guard.

    Refuses a run that does not verify or whose gates failed. Endpoints: GET /v1/models,
    POST /v1/chat/completions (stream: true for server-sent events), POST /v1/feedback.

    \b
    Example:
      appliance serve runs/2026-11 --port 8000
      APPLIANCE_API_KEY=$(cat key) appliance serve runs/2026-11 --host 0.0.0.0
    """
    from appliance.serve.server import ServeConfig, serve_run

    configure_logging()
    config = ServeConfig(
        host=host, port=port, input_mode=input_mode, allow_failed_gates=allow_failed_gates, max_tokens=max_tokens,  # type: ignore[arg-type]
        max_batch=max_batch, batch_window_ms=batch_window_ms,
    )
    serve_run(run_dir, config, api_key_file)


@click.command()
@click.argument("run_dir", type=RUN_DIR)
@click.option("--input-guard", "input_mode", type=INPUT_MODES, default="redact", show_default=True, help="PII in a prompt: redact it, or refuse the turn.")
@click.option("--max-tokens", default=128, show_default=True, type=click.IntRange(1, 2048))
@click.option("--temperature", default=0.7, show_default=True, type=click.FloatRange(0, 2))
@click.option("--system", help="System message for the conversation.")
@click.option("--allow-failed-gates", is_flag=True, help="Chat with a run whose compliance gates failed (logged as a warning).")
@user_errors
def chat(run_dir: Path, input_mode: str, max_tokens: int, temperature: float, system: str | None, allow_failed_gates: bool) -> None:
    """Chat in the terminal with a run's adapter, behind the same PII guard as `appliance serve`.

    \b
    Example:
      appliance chat runs/2026-11 --input-guard refuse
    """
    from appliance.serve.chat import chat_loop
    from appliance.serve.generation import Sampling
    from appliance.serve.server import ServeConfig, build_service

    service, _, _ = build_service(run_dir, ServeConfig(input_mode=input_mode, allow_failed_gates=allow_failed_gates))  # type: ignore[arg-type]
    chat_loop(service, sys.stdin, lambda text: click.echo(text, nl=False), Sampling(max_tokens=max_tokens, temperature=temperature), system=system)
