"""The OpenAI-compatible HTTP API (Starlette): /v1/models, /v1/chat/completions, /v1/feedback.

Errors are JSON in OpenAI's shape: {"error": {"message", "type", "code"}}; messages never hold
request text.

Example:
    app = build_app(ChatService(served, guard, generator), FeedbackStore(...), api_key="s3cret")
    uvicorn.run(app, host="127.0.0.1", port=8000)
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

from appliance.errors import ApplianceError
from appliance.serve.feedback import FeedbackStore
from appliance.serve.generation import Sampling
from appliance.serve.guard import PromptRefused
from appliance.serve.service import ChatService, Completion

log = logging.getLogger("appliance.serve")


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")
    role: Literal["system", "user", "assistant"]
    content: str


class ChatRequest(BaseModel):
    # Unknown OpenAI fields (user, n, logprobs...) are ignored so that standard clients work.
    model_config = ConfigDict(extra="ignore")
    model: str | None = None
    messages: list[ChatMessage] = Field(min_length=1)
    max_tokens: int | None = Field(default=None, ge=1, le=2048)
    max_completion_tokens: int | None = Field(default=None, ge=1, le=2048)
    temperature: float = Field(default=1.0, ge=0.0, le=2.0)
    top_p: float = Field(default=1.0, gt=0.0, le=1.0)
    seed: int | None = None
    stream: bool = False

    def sampling(self, default_max_tokens: int) -> Sampling:
        limit = self.max_completion_tokens or self.max_tokens or default_max_tokens
        return Sampling(max_tokens=limit, temperature=self.temperature, top_p=self.top_p, seed=self.seed)


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    completion_id: str = Field(min_length=1, max_length=100)
    rating: Literal["good", "bad"]
    corrected_answer: str | None = Field(default=None, max_length=20000)


def error(status: int, message: str, kind: str = "invalid_request_error", code: str | None = None, **extra) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind, "code": code, **extra}}, status_code=status)


def validation_message(exc: ValidationError) -> str:
    """Key paths and what is wrong, never the submitted values (they may be personal data)."""
    problems = [f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors(include_input=False)]
    return "invalid request: " + "; ".join(problems[:10])


async def parse(request: Request, model: type[BaseModel]):
    try:
        body = json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError):
        return error(400, "request body is not valid JSON", code="invalid_json")
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        return error(400, validation_message(exc), code="invalid_request")


def build_app(service: ChatService, feedback: FeedbackStore, *, api_key: str | None = None, default_max_tokens: int = 128) -> Starlette:
    model_id = service.served.model_id

    def authorised(request: Request) -> bool:
        if not api_key:
            return True
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), api_key.encode())

    def unauthorised() -> JSONResponse:
        return error(401, "missing or wrong API key: send `Authorization: Bearer <key>`", kind="authentication_error", code="invalid_api_key")

    async def models(request: Request) -> JSONResponse:
        if not authorised(request):
            return unauthorised()
        return JSONResponse({"object": "list", "data": [{"id": model_id, "object": "model", "created": 0, "owned_by": "appliance"}]})

    async def chat_completions(request: Request):
        if not authorised(request):
            return unauthorised()
        parsed = await parse(request, ChatRequest)
        if isinstance(parsed, JSONResponse):
            return parsed
        if parsed.model not in (None, "", model_id):
            return error(404, f"model '{parsed.model}' is not served here; GET /v1/models lists '{model_id}'", code="model_not_found")
        try:
            completion = await run_in_threadpool(service.start, [m.model_dump() for m in parsed.messages])
        except PromptRefused as exc:
            log.info("refused prompt input_entities=%s", ",".join(exc.entity_types))
            return error(400, str(exc), code="pii_refused", entity_types=exc.entity_types)
        sampling = parsed.sampling(default_max_tokens)
        try:
            deltas = service.stream(completion, sampling, incremental=parsed.stream)
            if parsed.stream:
                return StreamingResponse(sse_events(completion, deltas, model_id), media_type="text/event-stream")
            await run_in_threadpool(lambda: [None for _ in deltas])
        except ApplianceError as exc:
            return error(400, str(exc), code="invalid_request")
        return JSONResponse(completion_body(completion, model_id))

    async def post_feedback(request: Request) -> JSONResponse:
        if not authorised(request):
            return unauthorised()
        parsed = await parse(request, FeedbackRequest)
        if isinstance(parsed, JSONResponse):
            return parsed
        completion = service.recall(parsed.completion_id)
        if completion is None:
            return error(404, "unknown completion_id: feedback is accepted for recent completions of this server only", code="unknown_completion")
        stored = await run_in_threadpool(feedback.add, completion, parsed.rating, parsed.corrected_answer)
        return JSONResponse({"object": "feedback", "completion_id": completion.id, "stored_in": stored})

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "model": model_id})

    async def not_found(request: Request, exc) -> JSONResponse:
        return error(getattr(exc, "status_code", 404), f"no route {request.method} {request.url.path}", code="not_found")

    async def server_error(request: Request, exc: Exception) -> JSONResponse:
        log.error("internal error %s on %s", type(exc).__name__, request.url.path)
        return error(500, "internal server error; see the server log", kind="server_error")

    routes = [
        Route("/health", health, methods=["GET"]),
        Route("/v1/models", models, methods=["GET"]),
        Route("/v1/chat/completions", chat_completions, methods=["POST"]),
        Route("/v1/feedback", post_feedback, methods=["POST"]),
    ]
    return Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found, 500: server_error})


def completion_body(completion: Completion, model_id: str) -> dict:
    return {
        "id": completion.id,
        "object": "chat.completion",
        "created": completion.created,
        "model": model_id,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": completion.text}, "finish_reason": completion.finish_reason},
        ],
        "usage": usage(completion),
    }


def usage(completion: Completion) -> dict:
    prompt, answer = completion.prompt_tokens, completion.completion_tokens
    return {"prompt_tokens": prompt, "completion_tokens": answer, "total_tokens": prompt + answer}


def sse_events(completion: Completion, deltas, model_id: str):
    """Server-sent events as OpenAI streams them: role, content deltas, finish, then [DONE]."""

    def event(delta: dict, finish_reason: str | None = None, **extra) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish_reason}
        chunk = {"id": completion.id, "object": "chat.completion.chunk", "created": completion.created, "model": model_id, "choices": [choice], **extra}
        return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"

    yield event({"role": "assistant", "content": ""})
    for text in deltas:
        yield event({"content": text})
    yield event({}, completion.finish_reason, usage=usage(completion))
    yield "data: [DONE]\n\n"
