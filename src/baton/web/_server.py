"""Running the app with uvicorn: in the foreground (``baton review serve``) or in a
background thread on a socket already bound (tests, benchmarks), stopping on request."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn

from baton.web._app import create_app
from baton.web._context import ReviewContext

__all__ = ["ReviewServer"]

_START_TIMEOUT_S = 30.0


class ReviewServer:
    """The review app served on ``host:port`` (port 0: a free one, see ``url``).

    The socket is bound here, so ``url`` is known before the server starts. Access logs are
    off: a login link's token must not land in a log.
    """

    def __init__(self, context: ReviewContext, *, host: str = "127.0.0.1", port: int = 0) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # proto=IPPROTO_TCP, or asyncio leaves Nagle's algorithm on for accepted connections
        # and every keep-alive response waits ~40 ms for the client's delayed ACK
        self._socket = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.host, self.port = host, int(self._socket.getsockname()[1])
        config = uvicorn.Config(
            create_app(context), log_level="warning", access_log=False, lifespan="on"
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def serve(self) -> None:
        """Serve in this thread until interrupted (Ctrl-C) or ``stop``."""
        try:
            self._server.run(sockets=[self._socket])
        finally:
            self._socket.close()

    def start(self) -> ReviewServer:
        """Serve in a background thread; return once the server accepts requests."""
        self._thread = threading.Thread(target=self.serve, name="baton-review", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the review server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Ask the server to finish and wait for it (bounded)."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=_START_TIMEOUT_S)

    def __enter__(self) -> ReviewServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
