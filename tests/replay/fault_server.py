"""An OpenAI- (and Anthropic-) compatible server on 127.0.0.1 that misbehaves on cue.

A small HTTP/1.1 server on asyncio streams (keep-alive, ``Content-Length`` bodies), so that
every byte of a bad reply is under the test's control. Each request is answered by the next
fault planned for its prompt (the last user message), else ``ok``:

    ok              200 with a completion ("answer to: <prompt>")
    429[:S]         429 with ``retry-after: S`` (default ``retry_after_s``)
    500, 503        server errors
    400             a bad request
    401             rejects the key, echoing the Authorization header it was sent
    echo-key        200 whose completion quotes the Authorization header and its first 20
                    characters after ``Bearer``
    echo-key-500    500 whose error body quotes the Authorization header
    empty           200 with an empty completion
    huge:N          200 with a completion of N characters
    hang            answers only after ``hang_s`` (longer than the client's timeout)
    slow            200 whose body trickles in a byte every 0.05 s
    truncated       200 whose body stops half-way and the connection closes
    malformed       200, ``application/json``, a body that is not JSON
    not-json        200, ``text/html``, a proxy's error page
    no-choices      200 with a JSON body that has no choices
    drop            the connection closes without an answer
    hold            answers ``ok`` once ``released`` (a ``threading.Event``) is set

Every request is recorded in ``seen``. Run it on its own (the benchmarks do) with
``python -m tests.replay.fault_server``: it prints its base URL and serves until killed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 429: "Too Many Requests"}
_REASONS |= {500: "Internal Server Error", 503: "Service Unavailable"}


@dataclass(frozen=True)
class Seen:
    """One request the server received."""

    path: str
    prompt: str
    model: str
    fault: str
    authorization: str
    at: float
    body: dict[str, Any]


class FaultServer:
    """Serves on 127.0.0.1 from a thread of its own; ``start`` returns the base URL."""

    def __init__(
        self,
        plan: Mapping[str, Iterable[str]] | None = None,
        *,
        delay_s: float = 0.0,
        retry_after_s: float = 0.2,
        hang_s: float = 5.0,
    ) -> None:
        self.plan = {prompt: list(faults) for prompt, faults in (plan or {}).items()}
        self.delay_s = delay_s
        self.retry_after_s = retry_after_s
        self.hang_s = hang_s
        self.seen: list[Seen] = []
        self.released = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None

    def start(self, port: int = 0) -> str:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(port, ready), daemon=True)
        self._thread.start()
        if not ready.wait(10) or self._server is None:
            raise RuntimeError("the fault server did not start")
        return self.base_url

    @property
    def base_url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/v1"

    def stop(self) -> None:
        """Stop serving: close the listener and every open connection."""
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

    def prompts(self) -> list[str]:
        """The prompt of every request so far, in order."""
        return [seen.prompt for seen in list(self.seen)]

    def _serve(self, port: int, ready: threading.Event) -> None:
        self._loop = asyncio.new_event_loop()
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._connection, "127.0.0.1", port, backlog=1024)
        )
        ready.set()
        self._loop.run_forever()

    def _fault(self, prompt: str) -> str:
        faults = self.plan.get(prompt)
        return faults.pop(0) if faults else "ok"

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while (request := await _read_request(reader)) is not None:
                if not await self._answer(request, writer):
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # the client went away, or the server is stopping: end this connection
        finally:
            writer.close()

    async def _answer(self, request: _Request, writer: asyncio.StreamWriter) -> bool:
        body = json.loads(request.body or b"{}")
        messages = body.get("messages", [])
        prompt = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
        fault = self._fault(prompt)
        auth = request.headers.get("x-api-key") or request.headers.get("authorization", "")
        model = body.get("model", "")
        self.seen.append(Seen(request.path, prompt, model, fault, auth, time.time(), body))
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        anthropic = request.path.endswith("/messages")
        return await _reply(self, fault, writer, prompt=prompt, anthropic=anthropic, auth=auth)


@dataclass(frozen=True)
class _Request:
    path: str
    headers: dict[str, str]
    body: bytes


async def _read_request(reader: asyncio.StreamReader) -> _Request | None:
    line = await reader.readline()
    if not line.strip():
        return None
    _, path, _ = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while (header := await reader.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = header.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return _Request(path, headers, body)


def _completion(prompt: str, *, anthropic: bool, text: str | None = None) -> dict[str, Any]:
    text = f"answer to: {prompt}" if text is None else text
    tokens_in, tokens_out = len(prompt.split()) + 5, len(text.split())
    if anthropic:
        return {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "stub",
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": tokens_in, "output_tokens": tokens_out},
        }
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "stub",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        ],
        "usage": {
            "prompt_tokens": tokens_in,
            "completion_tokens": tokens_out,
            "total_tokens": tokens_in + tokens_out,
        },
    }


def _error(message: str, *, anthropic: bool) -> bytes:
    if anthropic:
        return json.dumps(
            {"type": "error", "error": {"type": "error", "message": message}}
        ).encode()
    return json.dumps({"error": {"message": message, "type": "error", "code": None}}).encode()


async def _send(
    writer: asyncio.StreamWriter,
    status: int,
    body: bytes,
    *,
    headers: Mapping[str, str] | None = None,
    content_type: str = "application/json",
) -> None:
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}"]
    lines += [f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    await writer.drain()


async def _reply(server: FaultServer, fault: str, writer: asyncio.StreamWriter, **how: Any) -> bool:
    """Answer with ``fault``; False when the connection must close."""
    anthropic: bool = how["anthropic"]
    ok = json.dumps(_completion(how["prompt"], anthropic=anthropic)).encode()
    name, _, argument = fault.partition(":")
    if name == "ok":
        await _send(writer, 200, ok)
    elif name == "429":
        wait = argument or str(server.retry_after_s)
        await _send(
            writer, 429, _error("slow down", anthropic=anthropic), headers={"retry-after": wait}
        )
    elif name in {"500", "503", "400"}:
        await _send(writer, int(name), _error(f"fault {name}", anthropic=anthropic))
    elif name == "401":
        await _send(writer, 401, _error(f"invalid key: {how['auth']}", anthropic=anthropic))
    elif name in {"echo-key", "empty", "huge"}:
        key = how["auth"].removeprefix("Bearer ")
        text = {
            "echo-key": f"sent {how['auth']!r}; starts {key[:20]}... ends ...{key[-10:]}",
            "empty": "",
            "huge": "x" * int(argument or 0),
        }[name]
        body = _completion(how["prompt"], anthropic=anthropic, text=text)
        await _send(writer, 200, json.dumps(body).encode())
    elif name == "echo-key-500":
        await _send(writer, 500, _error(f"upstream got {how['auth']}", anthropic=anthropic))
    elif name == "hold":
        while not server.released.is_set():
            await asyncio.sleep(0.01)
        await _send(writer, 200, ok)
    elif name == "hang":
        await asyncio.sleep(server.hang_s)
        await _send(writer, 200, ok)
    else:
        return await _broken(name, writer, ok)
    return True


async def _broken(name: str, writer: asyncio.StreamWriter, ok: bytes) -> bool:
    """The replies that break the protocol or the JSON."""
    if name == "malformed":
        await _send(writer, 200, b'{"id": "chatcmpl-1", "choices": [{"index": 0, "mess')
    elif name == "not-json":
        await _send(writer, 200, b"<html>502 Bad Gateway</html>", content_type="text/html")
    elif name == "no-choices":
        await _send(
            writer, 200, b'{"id": "chatcmpl-1", "object": "chat.completion", "choices": []}'
        )
    elif name == "truncated":
        head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(ok)}"
        writer.write(f"{head}\r\n\r\n".encode() + ok[: len(ok) // 2])
        await writer.drain()
        return False
    elif name == "slow":
        head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(ok)}"
        writer.write(f"{head}\r\n\r\n".encode())
        for byte in ok:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(0.05)
    elif name == "drop":
        return False
    else:
        raise ValueError(f"unknown fault {name!r}")
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    port = parser.parse_args().port
    server = FaultServer()
    print(server.start(port), flush=True)
    try:
        threading.Event().wait()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
