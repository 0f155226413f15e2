"""A stub of OpenAI's files + batches API and Anthropic's message-batches API on 127.0.0.1,
close enough for the official SDKs, with faults on cue and no clock in it.

A batch moves on by being looked at, never by time passing: it ends on the
``polls_to_finish``-th look at it (``GET`` of the batch), so a test decides exactly when.
Each request is answered ``answer to: <prompt>`` (a judge's request, one with a JSON schema
or a forced tool, gets a JSON verdict choosing the schema's first option) unless its prompt
(the last user message) holds a marker:

    [fail]       the request fails inside the batch (OpenAI: a 500 line in the output file;
                 Anthropic: an ``errored`` result)
    [garbage]    the answer is ``this is not JSON`` (an unparseable judgment)

and server-wide faults:

    expire            the next N batches expire: only their first half has results
    poll_errors       the next N looks at any batch answer 500
    fail_batches      the next N OpenAI batches fail validation whole
    hold_create       once set (a ``threading.Event`` that is clear), a batch create is
                      registered and then not answered until the event is set (a client
                      killed meanwhile never learns the id)

Every batch created is counted in ``created`` (with the custom ids it carried), so a test
can say that nothing was submitted twice. Run it alone (the batch benchmark does) with
``python -m tests.replay.batch_server``: it prints its base URL and serves until killed.
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

_NOW = 1_800_000_000  # when the answers say they were made


@dataclass
class _Batch:
    """One batch of either API: its requests (custom id, body) and how it stands."""

    id: str
    api: str
    requests: list[tuple[str, dict[str, Any]]]
    created_at: int
    metadata: dict[str, str] | None = None
    input_file_id: str = ""
    looks: int = 0
    fate: str = "in_progress"  # in_progress, completed, expired, failed
    output_file_id: str | None = None
    error_file_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class BatchServer:
    """Serves on 127.0.0.1 from a thread of its own; ``start`` returns the OpenAI base URL
    (``.../v1``); ``anthropic_url`` is the Anthropic one."""

    def __init__(self, *, polls_to_finish: int = 2) -> None:
        self.polls_to_finish = polls_to_finish
        self.expire = 0
        self.poll_errors = 0
        self.fail_batches = 0
        self.hold_create: threading.Event | None = None
        self.created: list[tuple[str, tuple[str, ...]]] = []
        self.looks = 0
        self.files: dict[str, tuple[str, bytes]] = {}
        self.batches: dict[str, _Batch] = {}
        self._lock = threading.Lock()
        self._counter = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self, port: int = 0) -> str:
        handler = type("Handler", (_Handler,), {"stub": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self.base_url

    @property
    def root(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def base_url(self) -> str:
        return f"{self.root}/v1"

    @property
    def anthropic_url(self) -> str:
        return self.root

    def stop(self) -> None:
        if self.hold_create is not None:
            self.hold_create.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def submitted(self) -> Counter[str]:
        """How many times each custom id was submitted in a batch."""
        return Counter(cid for _, ids in self.created for cid in ids)

    def next_id(self, prefix: str) -> str:
        with self._lock:
            self._counter += 1
            return f"{prefix}_{self._counter:06d}"

    # -- batches -------------------------------------------------------------------------

    def create(self, api: str, requests: list[tuple[str, dict[str, Any]]], **how: Any) -> _Batch:
        prefix = "batch" if api == "openai" else "msgbatch"
        batch = _Batch(self.next_id(prefix), api, requests, int(time.time()), **how)
        with self._lock:
            self.batches[batch.id] = batch
            self.created.append((batch.id, tuple(cid for cid, _ in requests)))
            if api == "openai" and self.fail_batches > 0:
                self.fail_batches -= 1
                batch.fate = "failed"
        if self.hold_create is not None:
            self.hold_create.wait(60)
        return batch

    def look(self, batch: _Batch) -> None:
        """One look at a batch: the ``polls_to_finish``-th ends it."""
        with self._lock:
            self.looks += 1
            if batch.fate != "in_progress":
                return
            batch.looks += 1
            if batch.looks < self.polls_to_finish:
                return
            expired = self.expire > 0
            self.expire -= expired
        self._finish(batch, expired)

    def _finish(self, batch: _Batch, expired: bool) -> None:
        answered = batch.requests[: len(batch.requests) // 2] if expired else batch.requests
        lines = [self._result(batch.api, cid, body) for cid, body in answered]
        missing = batch.requests[len(answered) :]
        if batch.api == "openai":
            batch.output_file_id = self._file("batch_output.jsonl", lines)
            if missing:
                errors = [_openai_expired(cid) for cid, _ in missing]
                batch.error_file_id = self._file("batch_errors.jsonl", errors)
        else:
            lines += [{"custom_id": cid, "result": {"type": "expired"}} for cid, _ in missing]
            batch.extra["results"] = lines
        batch.fate = "expired" if expired else "completed"

    def _file(self, name: str, lines: list[dict[str, Any]]) -> str:
        file_id = self.next_id("file")
        data = "".join(json.dumps(line) + "\n" for line in lines).encode()
        self.files[file_id] = (name, data)
        return file_id

    def _result(self, api: str, custom_id: str, body: dict[str, Any]) -> dict[str, Any]:
        prompt = _prompt(body)
        text = _answer(body, prompt)
        if api == "openai":
            if "[fail]" in prompt:
                error = {"error": {"message": "the server had an error", "type": "server_error"}}
                response = {"status_code": 500, "request_id": "req", "body": error}
            else:
                response = {"status_code": 200, "request_id": "req", "body": _chat(body, text)}
            return {"id": self.next_id("batch_req"), "custom_id": custom_id, "response": response}
        if "[fail]" in prompt:
            inner = {"type": "overloaded_error", "message": "overloaded"}
            result = {"type": "errored", "error": {"type": "error", "error": inner}}
        else:
            result = {"type": "succeeded", "message": _message(body, text)}
        return {"custom_id": custom_id, "result": result}


def _prompt(body: dict[str, Any]) -> str:
    users = [m for m in body.get("messages", []) if m.get("role") == "user"]
    return str(users[-1]["content"]) if users else ""


def _verdict_schema(body: dict[str, Any]) -> dict[str, Any] | None:
    if "response_format" in body:
        schema: dict[str, Any] | None = body["response_format"].get("json_schema", {}).get("schema")
        return schema
    tools = body.get("tools")
    return tools[0]["input_schema"] if tools else None


def _answer(body: dict[str, Any], prompt: str) -> str:
    if "[garbage]" in prompt:
        return "this is not JSON"
    schema = _verdict_schema(body)
    if schema is None:
        return f"answer to: {prompt}"
    choice = next(
        (name, spec["enum"][0]) for name, spec in schema["properties"].items() if "enum" in spec
    )
    return json.dumps({"rationale": "stub", choice[0]: choice[1]})


def _chat(body: dict[str, Any], text: str) -> dict[str, Any]:
    message = {"role": "assistant", "content": text}
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": _NOW,
        "model": body.get("model", "m"),
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


def _message(body: dict[str, Any], text: str) -> dict[str, Any]:
    if body.get("tools") and text.startswith("{"):
        content: list[dict[str, Any]] = [
            {"type": "tool_use", "id": "toolu_stub", "name": "verdict", "input": json.loads(text)}
        ]
    else:
        content = [{"type": "text", "text": text}]
    return {
        "id": "msg_stub",
        "type": "message",
        "role": "assistant",
        "model": body.get("model", "m"),
        "content": content,
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 5},
    }


def _openai_expired(custom_id: str) -> dict[str, Any]:
    error = {"code": "batch_expired", "message": "This request could not be executed in time."}
    return {"id": "batch_req_x", "custom_id": custom_id, "response": None, "error": error}


class _Handler(BaseHTTPRequestHandler):
    stub: BatchServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def _route(self, method: str) -> None:
        path = urlsplit(self.path).path
        query = {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()}
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        for pattern, verb, handle in _ROUTES:
            match = re.fullmatch(pattern, path)
            if match and verb == method:
                handle(self, body, query, *match.groups())
                return
        self._json(404, {"error": {"message": f"no route {method} {path}", "type": "not_found"}})

    def _json(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self._send(status, data, "application/json")

    def _send(self, status: int, data: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _poll_fault(self) -> bool:
        stub = self.stub
        with stub._lock:
            if stub.poll_errors <= 0:
                return False
            stub.poll_errors -= 1
        self._json(500, {"error": {"message": "stub: poll failed", "type": "api_error"}})
        return True

    # -- OpenAI ----------------------------------------------------------------------------

    def upload(self, body: bytes, query: dict[str, str]) -> None:
        head = f"content-type: {self.headers['content-type']}\r\n\r\n".encode()
        message = BytesParser(policy=HTTP).parsebytes(head + body)
        parts = {p.get_param("name", header="content-disposition"): p for p in message.iter_parts()}
        upload = parts["file"]
        name = upload.get_filename() or "upload.jsonl"
        file_id = self.stub.next_id("file")
        payload = upload.get_payload(decode=True)
        assert isinstance(payload, bytes)
        self.stub.files[file_id] = (name, payload)
        self._json(200, _file_object(file_id, name, self.stub.files[file_id][1]))

    def list_files(self, body: bytes, query: dict[str, str]) -> None:
        data = [_file_object(i, n, b) for i, (n, b) in reversed(self.stub.files.items())]
        self._json(200, {"object": "list", "data": data, "has_more": False})

    def file_content(self, body: bytes, query: dict[str, str], file_id: str) -> None:
        self._send(200, self.stub.files[file_id][1], "application/octet-stream")

    def create_batch(self, body: bytes, query: dict[str, str]) -> None:
        asked = json.loads(body)
        data = self.stub.files[asked["input_file_id"]][1]
        lines = [json.loads(line) for line in data.splitlines() if line.strip()]
        requests = [(line["custom_id"], line["body"]) for line in lines]
        batch = self.stub.create(
            "openai",
            requests,
            metadata=asked.get("metadata"),
            input_file_id=asked["input_file_id"],
        )
        self._json(200, _openai_batch(batch))

    def get_batch(self, body: bytes, query: dict[str, str], batch_id: str) -> None:
        if self._poll_fault():
            return
        batch = self.stub.batches.get(batch_id)
        if batch is None:
            self._json(404, {"error": {"message": f"No batch {batch_id}", "type": "not_found"}})
            return
        self.stub.look(batch)
        self._json(200, _openai_batch(batch))

    def list_batches(self, body: bytes, query: dict[str, str]) -> None:
        batches = [b for b in reversed(self.stub.batches.values()) if b.api == "openai"]
        after = query.get("after")
        if after:
            ids = [b.id for b in batches]
            batches = batches[ids.index(after) + 1 :] if after in ids else []
        limit = int(query.get("limit", 20))
        page = batches[:limit]
        data = [_openai_batch(b) for b in page]
        self._json(200, {"object": "list", "data": data, "has_more": len(batches) > limit,
                         "first_id": page[0].id if page else None,
                         "last_id": page[-1].id if page else None})  # fmt: skip

    # -- Anthropic -------------------------------------------------------------------------

    def create_message_batch(self, body: bytes, query: dict[str, str]) -> None:
        asked = json.loads(body)
        requests = [(r["custom_id"], r["params"]) for r in asked["requests"]]
        batch = self.stub.create("anthropic", requests)
        self._json(200, _message_batch(batch, self.stub.anthropic_url))

    def get_message_batch(self, body: bytes, query: dict[str, str], batch_id: str) -> None:
        if self._poll_fault():
            return
        batch = self.stub.batches[batch_id]
        self.stub.look(batch)
        self._json(200, _message_batch(batch, self.stub.anthropic_url))

    def list_message_batches(self, body: bytes, query: dict[str, str]) -> None:
        batches = [b for b in reversed(self.stub.batches.values()) if b.api == "anthropic"]
        after = query.get("after_id")
        if after:
            ids = [b.id for b in batches]
            batches = batches[ids.index(after) + 1 :] if after in ids else []
        limit = int(query.get("limit", 20))
        page = batches[:limit]
        data = [_message_batch(b, self.stub.anthropic_url) for b in page]
        self._json(200, {"data": data, "has_more": len(batches) > limit,
                         "first_id": page[0].id if page else None,
                         "last_id": page[-1].id if page else None})  # fmt: skip

    def message_batch_results(self, body: bytes, query: dict[str, str], batch_id: str) -> None:
        lines = self.stub.batches[batch_id].extra["results"]
        data = "".join(json.dumps(line) + "\n" for line in lines).encode()
        self._send(200, data, "application/binary")


def _file_object(file_id: str, name: str, data: bytes) -> dict[str, Any]:
    return {
        "id": file_id,
        "object": "file",
        "bytes": len(data),
        "created_at": _NOW,
        "filename": name,
        "purpose": "batch",
        "status": "processed",
    }


def _openai_batch(batch: _Batch) -> dict[str, Any]:
    total = len(batch.requests)
    ended = batch.fate in ("completed", "expired")
    answered = total // 2 if batch.fate == "expired" else total if ended else 0
    failed_requests = 0
    errors = None
    if batch.fate == "failed":
        error = {"code": "invalid_request", "message": "stub: the input file is invalid"}
        errors = {"object": "list", "data": [error]}
    return {
        "id": batch.id,
        "object": "batch",
        "endpoint": "/v1/chat/completions",
        "input_file_id": batch.input_file_id,
        "completion_window": "24h",
        "status": batch.fate,
        "created_at": batch.created_at,
        "output_file_id": batch.output_file_id,
        "error_file_id": batch.error_file_id,
        "errors": errors,
        "metadata": batch.metadata,
        "request_counts": {
            "total": total,
            "completed": answered,
            "failed": (total - answered if ended else 0) + failed_requests,
        },
    }


def _message_batch(batch: _Batch, root: str) -> dict[str, Any]:
    total = len(batch.requests)
    ended = batch.fate in ("completed", "expired")
    expired = total - total // 2 if batch.fate == "expired" else 0
    stamp = "2027-01-15T08:00:00Z"
    return {
        "id": batch.id,
        "type": "message_batch",
        "processing_status": "ended" if ended else "in_progress",
        "request_counts": {
            "processing": 0 if ended else total,
            "succeeded": total - expired if ended else 0,
            "errored": 0,
            "canceled": 0,
            "expired": expired,
        },
        "created_at": datetime.fromtimestamp(batch.created_at, UTC).isoformat(),
        "expires_at": stamp,
        "ended_at": stamp if ended else None,
        "archived_at": None,
        "cancel_initiated_at": None,
        "results_url": f"{root}/v1/messages/batches/{batch.id}/results" if ended else None,
    }


_ROUTES: list[tuple[str, str, Callable[..., None]]] = [
    (r"/v1/files", "POST", _Handler.upload),
    (r"/v1/files", "GET", _Handler.list_files),
    (r"/v1/files/([^/]+)/content", "GET", _Handler.file_content),
    (r"/v1/batches", "POST", _Handler.create_batch),
    (r"/v1/batches", "GET", _Handler.list_batches),
    (r"/v1/batches/([^/]+)", "GET", _Handler.get_batch),
    (r"/v1/messages/batches", "POST", _Handler.create_message_batch),
    (r"/v1/messages/batches", "GET", _Handler.list_message_batches),
    (r"/v1/messages/batches/([^/]+)/results", "GET", _Handler.message_batch_results),
    (r"/v1/messages/batches/([^/]+)", "GET", _Handler.get_message_batch),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--polls-to-finish", type=int, default=2)
    args = parser.parse_args()
    server = BatchServer(polls_to_finish=args.polls_to_finish)
    print(server.start(), flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
