"""A stub of three cloud platforms' model APIs on 127.0.0.1, close enough to the wire for
their official SDKs, with faults on cue.

- Amazon Bedrock's Converse API: ``POST /model/{modelId}/converse``, SigV4-signed (the
  ``Authorization`` header is checked for the SigV4 form and its credential scope);
- the Gemini API and Vertex AI: ``POST .../models/{model}:generateContent`` (``x-goog-api-key``
  or a bearer token);
- Azure OpenAI: ``POST /openai/deployments/{deployment}/chat/completions?api-version=...``
  with the ``api-key`` header (or a bearer token).

Each request is answered by the next fault planned for its prompt (the last user turn's
text; ``<platform>:<prompt>`` for one platform's only: ``bedrock``, ``gemini``, ``vertex``,
``azure``), else ``ok``, in the platform's own shape:

    ok              a completion ("answer to: <prompt>")
    throttle        Bedrock ThrottlingException, Gemini 429 RESOURCE_EXHAUSTED (with a
                    RetryInfo of 1 s), Azure 429 with retry-after: 1
    quota           Bedrock ServiceQuotaExceededException (else as throttle)
    500, 503        server errors, in the platform's shape
    filter          the answer blocked: Bedrock stopReason content_filtered, Gemini
                    finishReason SAFETY, Azure finish_reason content_filter
    filter-prompt   the prompt blocked: Bedrock guardrail_intervened (with the guardrail's
                    message), Gemini promptFeedback.blockReason, Azure 400 content_filter
    not-found       the model (deployment) does not exist
    retired         the model reached end of life
    auth            the credentials are refused; Gemini and Azure echo the key they got
    bad-request     a parameter is refused

Every request is recorded in ``seen``. Run it on its own (the benchmarks do) with
``python -m tests.providers.native_stub``: it prints its base URL and serves until killed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.replay.fault_server import _read_request, _Request, _send

SIGV4 = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[A-Z0-9]+)/(?P<date>\d{8})/(?P<region>[a-z0-9-]+)/"
    r"(?P<service>[a-z-]+)/aws4_request, SignedHeaders=(?P<signed>[a-z0-9;-]+), "
    r"Signature=[0-9a-f]{64}$"
)
_BEDROCK = re.compile(r"^/model/(?P<model>[^/]+)/converse$")
_GOOGLE = re.compile(
    r"^/(?P<version>v1[a-z0-9]*)/(?P<prefix>.*?)models/(?P<model>[^/]+):generateContent$"
)
_AZURE = re.compile(r"^/openai/deployments/(?P<model>[^/]+)/chat/completions$")


@dataclass(frozen=True)
class Seen:
    """One request: its platform, path, model, prompt, fault, credential and body."""

    platform: str
    path: str
    model: str
    prompt: str
    fault: str
    credential: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: dict[str, Any]


class NativeStub:
    """Serves on 127.0.0.1 from a thread of its own; ``start`` returns the base URL."""

    def __init__(self, plan: Mapping[str, Iterable[str]] | None = None) -> None:
        self.plan = {prompt: list(faults) for prompt, faults in (plan or {}).items()}
        self.seen: list[Seen] = []
        self.record = True
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None

    def start(self, port: int = 0) -> str:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(port, ready), daemon=True)
        self._thread.start()
        if not ready.wait(10) or self._server is None:
            raise RuntimeError("the stub did not start")
        return self.base_url

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    def stop(self) -> None:
        loop = self._loop
        if loop is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(10)
        loop.close()
        self._loop = None

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)

    def _serve(self, port: int, ready: threading.Event) -> None:
        self._loop = asyncio.new_event_loop()
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._connection, "127.0.0.1", port, backlog=1024)
        )
        ready.set()
        self._loop.run_forever()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while (request := await _read_request(reader)) is not None:
                status, body, headers = self._answer(request)
                await _send(writer, status, body, headers=headers)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    def _answer(self, request: _Request) -> tuple[int, bytes, dict[str, str]]:
        parts = urlsplit(request.path)
        body = json.loads(request.body or b"{}")
        routes = (("bedrock", _BEDROCK), ("google", _GOOGLE), ("azure", _AZURE))
        matched = [(name, found) for name, route in routes if (found := route.match(parts.path))]
        if not matched:
            return 404, b'{"message": "no such route"}', {}
        ((platform, found),) = matched
        model = unquote(found.group("model"))
        prompt = _prompt(platform, body)
        if platform == "google":
            platform = "vertex" if "publishers/google" in found.group("prefix") else "gemini"
        faults = self.plan.get(f"{platform}:{prompt}") or self.plan.get(prompt)
        fault = faults.pop(0) if faults else "ok"
        headers = request.headers
        credential = (
            headers.get("x-goog-api-key")
            or headers.get("api-key")
            or headers.get("authorization", "")
        )
        if self.record:
            query = parse_qs(parts.query)
            self.seen.append(
                Seen(platform, parts.path, model, prompt, fault, credential, query, headers, body)
            )
        if platform == "bedrock":
            signature = headers.get("authorization", "")
            if SIGV4.match(signature) is None and not signature.startswith("Bearer "):
                return _bedrock_error("MissingAuthenticationTokenException", 403, "not signed")
            return _bedrock(fault, prompt)
        if platform == "azure":
            return _azure(fault, prompt, credential)
        return _google(fault, prompt, credential)


def _prompt(platform: str, body: dict[str, Any]) -> str:
    if platform == "bedrock":
        turns = [m for m in body.get("messages", []) if m.get("role") == "user"]
        return "".join(b.get("text", "") for b in turns[-1]["content"]) if turns else ""
    if platform == "google":
        turns = [c for c in body.get("contents", []) if c.get("role", "user") == "user"]
        return "".join(p.get("text", "") for p in turns[-1]["parts"]) if turns else ""
    turns = [m for m in body.get("messages", []) if m.get("role") == "user"]
    return str(turns[-1]["content"]) if turns else ""


def _json(
    status: int, data: Any, headers: dict[str, str] | None = None
) -> tuple[int, bytes, dict[str, str]]:
    return status, json.dumps(data).encode(), headers or {}


def _tokens(prompt: str, text: str) -> tuple[int, int]:
    return len(prompt.split()) + 5, len(text.split())


def _bedrock_error(code: str, status: int, message: str) -> tuple[int, bytes, dict[str, str]]:
    return _json(status, {"message": message}, {"x-amzn-ErrorType": f"{code}:http://internal"})


_BEDROCK_ERRORS = {
    "throttle": ("ThrottlingException", 429, "Too many requests, please wait before trying again."),
    "quota": ("ServiceQuotaExceededException", 400, "Your request exceeds the service quota."),
    "500": ("InternalServerException", 500, "An internal server error occurred."),
    "503": ("ServiceUnavailableException", 503, "The service is unavailable."),
    "not-found": (
        "ResourceNotFoundException",
        404,
        "Could not resolve the foundation model from the provided model identifier.",
    ),
    "retired": (
        "ResourceNotFoundException",
        404,
        "This model version has reached the end of its life. Please refer to the AWS "
        "documentation for more details.",
    ),
    "auth": (
        "UnrecognizedClientException",
        403,
        "The security token included in the request is invalid.",
    ),
    "bad-request": ("ValidationException", 400, "The provided request is not valid."),
}


def _bedrock(fault: str, prompt: str) -> tuple[int, bytes, dict[str, str]]:
    if fault in _BEDROCK_ERRORS:
        return _bedrock_error(*_BEDROCK_ERRORS[fault])
    text, reason = f"answer to: {prompt}", "end_turn"
    if fault == "filter":
        text, reason = "", "content_filtered"
    elif fault == "filter-prompt":
        text, reason = "Sorry, the model cannot answer this question.", "guardrail_intervened"
    tokens_in, tokens_out = _tokens(prompt, text)
    content = [{"text": text}] if text else []
    return _json(
        200,
        {
            "output": {"message": {"role": "assistant", "content": content}},
            "stopReason": reason,
            "usage": {
                "inputTokens": tokens_in,
                "outputTokens": tokens_out,
                "totalTokens": tokens_in + tokens_out,
            },
            "metrics": {"latencyMs": 1},
        },
    )


_RETRY_INFO = {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1s"}
_KEY_INVALID = {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}
_GOOGLE_ERRORS: dict[str, tuple[int, str, str, tuple[Any, ...]]] = {
    "throttle": (429, "RESOURCE_EXHAUSTED", "You exceeded your current quota.", (_RETRY_INFO,)),
    "quota": (429, "RESOURCE_EXHAUSTED", "You exceeded your current quota.", (_RETRY_INFO,)),
    "500": (500, "INTERNAL", "An internal error has occurred.", ()),
    "503": (503, "UNAVAILABLE", "The service is currently unavailable.", ()),
    "not-found": (404, "NOT_FOUND", "models/x is not found for API version v1beta.", ()),
    "retired": (404, "NOT_FOUND", "This model is no longer available to new users.", ()),
    "auth": (400, "INVALID_ARGUMENT", "API key not valid: {credential}", (_KEY_INVALID,)),
    "bad-request": (400, "INVALID_ARGUMENT", "Invalid value at 'generation_config'.", ()),
}


def _google(fault: str, prompt: str, credential: str) -> tuple[int, bytes, dict[str, str]]:
    if fault in _GOOGLE_ERRORS:
        code, status, message, details = _GOOGLE_ERRORS[fault]
        error = {"code": code, "message": message.format(credential=credential), "status": status}
        return _json(code, {"error": {**error, "details": list(details)}})
    tokens_in, tokens_out = _tokens(prompt, f"answer to: {prompt}")
    usage = {
        "promptTokenCount": tokens_in,
        "candidatesTokenCount": tokens_out,
        "totalTokenCount": tokens_in + tokens_out,
    }
    if fault == "filter-prompt":
        usage = {"promptTokenCount": tokens_in, "totalTokenCount": tokens_in}
        return _json(200, {"promptFeedback": {"blockReason": "SAFETY"}, "usageMetadata": usage})
    if fault == "filter":
        candidate: dict[str, Any] = {"finishReason": "SAFETY", "index": 0}
        usage["candidatesTokenCount"] = 0
    else:
        parts = [{"text": "thinking...", "thought": True}, {"text": f"answer to: {prompt}"}]
        content = {"role": "model", "parts": parts}
        candidate = {"content": content, "finishReason": "STOP", "index": 0}
        usage["thoughtsTokenCount"] = 2
    return _json(200, {"candidates": [candidate], "usageMetadata": usage, "modelVersion": "stub"})


_AZURE_FILTER = {
    "param": "prompt",
    "type": None,
    "innererror": {
        "code": "ResponsibleAIPolicyViolation",
        "content_filter_result": {"violence": {"filtered": True, "severity": "high"}},
    },
}
_AZURE_ERRORS: dict[str, tuple[int, str, str, dict[str, Any]]] = {
    "throttle": (429, "429", "Requests have exceeded the token rate limit. Retry after 1 s.", {}),
    "quota": (429, "429", "Requests have exceeded the token rate limit. Retry after 1 s.", {}),
    "500": (500, "InternalServerError", "The server had an error.", {}),
    "503": (503, "ServiceUnavailable", "The service is unavailable.", {}),
    "not-found": (404, "DeploymentNotFound", "The API deployment does not exist.", {}),
    "retired": (400, "ModelDeprecated", "The model gpt-35-turbo-0301 has been deprecated.", {}),
    "auth": (401, "401", "Access denied due to invalid subscription key {credential}.", {}),
    "bad-request": (400, "BadRequest", "Unrecognized request argument supplied.", {}),
    "filter-prompt": (
        400,
        "content_filter",
        "The response was filtered due to the prompt triggering Azure OpenAI's content "
        "management policy.",
        _AZURE_FILTER,
    ),
}


def _azure(fault: str, prompt: str, credential: str) -> tuple[int, bytes, dict[str, str]]:
    if fault in _AZURE_ERRORS:
        status, code, words, extra = _AZURE_ERRORS[fault]
        error = {"code": code, "message": words.format(credential=credential), **extra}
        return _json(status, {"error": error}, {"retry-after": "1"} if status == 429 else {})
    text: str | None = f"answer to: {prompt}"
    reason = "stop"
    if fault == "filter":
        text, reason = None, "content_filter"
    tokens_in, tokens_out = _tokens(prompt, text or "")
    message = {"role": "assistant", "content": text}
    return _json(
        200,
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1,
            "model": "gpt-4o-2024-08-06",
            "choices": [{"index": 0, "message": message, "finish_reason": reason}],
            "usage": {
                "prompt_tokens": tokens_in,
                "completion_tokens": tokens_out,
                "total_tokens": tokens_in + tokens_out,
            },
        },
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    stub = NativeStub()
    stub.record = False
    print(stub.start(parser.parse_args().port), flush=True)
    try:
        threading.Event().wait()
    finally:
        stub.stop()


if __name__ == "__main__":
    main()
