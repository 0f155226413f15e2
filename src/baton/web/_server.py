"""Running the app with uvicorn: in the foreground (``baton review serve``) or in a
background thread on a socket already bound (tests, benchmarks), stopping on request; or in
several processes sharing one listening socket (``baton review serve --workers N``).

Several processes: uvicorn's supervisor starts ``workers`` processes (and restarts one that
dies), each serving the app built by ``worker_app`` from a ``WorkerSpec``, which reaches it
pickled through the pipe that starts it (never its command line or environment). Each
process opens the study's store itself and signs forms with the same CSRF secret, so a form
served by one process posts back to any other. Claims are atomic in the store, so the
processes can hand out slots side by side; refills are not (two at once could each draw a
batch from the same counts), so none of the processes refills the queue: the parent does,
in a thread, polling every ``WORKER_REFILL_INTERVAL_S`` (it is not poked by the labels).

A process that only serves the app (``ReviewServer.serve``, as ``baton review serve`` runs
it, or each of the several processes) tunes its garbage collector once started
(``tune_gc``); one that serves from a thread beside other work (``ReviewServer.start``:
tests, benchmarks) leaves it alone.
"""

from __future__ import annotations

import functools
import gc
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import uvicorn
from fastapi import FastAPI
from uvicorn.supervisors import Multiprocess

from baton.review import QueueOptions, ReviewQueue
from baton.steps import StudyStore, open_study
from baton.web._app import create_app
from baton.web._context import Refiller, ReviewContext, review_context

__all__ = [
    "GC_THRESHOLD_0",
    "WORKER_REFILL_INTERVAL_S",
    "ReviewServer",
    "ReviewWorkers",
    "WorkerSpec",
    "tune_gc",
    "worker_app",
]

_START_TIMEOUT_S = 30.0
WORKER_REFILL_INTERVAL_S = 1.0
"""How often the parent of several server processes looks whether the queue runs low."""


GC_THRESHOLD_0 = 50_000
"""Generation-0 threshold of a server process (Python's default: 700), see ``tune_gc``."""


def tune_gc() -> None:
    """Tune the garbage collector of a server process once it has started (modules imported,
    app built, queue filled). Only there: never at import, nor in a process that serves in a
    thread beside other work (tests), whose collector is its own business.

    ``gc.freeze`` moves the ~180,000 objects alive then (mostly modules: FastAPI, SQLAlchemy,
    pandas) out of the collector's reach, so a full collection no longer walks them all; a
    generation-0 threshold of ``GC_THRESHOLD_0`` lets a request's short-lived containers die
    by reference counting before a young collection promotes them towards the old
    generations, so full collections come far more rarely. Measured with
    ``benchmarks.review --rate 200 --submissions 600 --items 1000`` (SQLite, one process,
    4,800 submissions, 2 cores shared with another benchmark, 1-minute load 2.0–5.3):
    untouched, POST p99 67.5 / 80.8 / 57.8 / 42.7 ms with 1–2 full collections a run of
    127–152 ms each; freeze alone, p99 74.2 / 36.0 ms, full collections of 24–35 ms; freeze
    and the threshold, p99 27.2 / 33.5 / 74.7 / 18.3 ms, and no collection at all during a
    run (the 74.2 and 74.7 ms runs were disturbed by the other load: p50 17 and 14 ms,
    against 4 in the others). A young collection of 50,000 objects takes about 1 ms here.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD_0)


def _bound_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` (port 0: a free one), not yet listening."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP, or asyncio leaves Nagle's algorithm on for accepted connections
    # and every keep-alive response waits ~40 ms for the client's delayed ACK
    bound = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    bound.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    bound.bind((host, port))
    return bound


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


WORKER_HEALTHCHECK_TIMEOUT_S = 60
"""How long uvicorn's supervisor waits for a server process to answer its health check
before it kills and restarts it. Uvicorn's 5 s is less than a new process takes to import
the app on a busy machine (it answers only once imported), so processes were killed while
starting, again and again."""


def _config(app: FastAPI | Callable[[], FastAPI], *, workers: int = 1) -> uvicorn.Config:
    """Access logs off: a login link's token must not land in a log. ``workers`` above 1:
    ``app`` is a factory, called in each process."""
    return uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="on",
        workers=workers,
        factory=workers > 1,
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_TIMEOUT_S,
    )


class ReviewServer:
    """The review app served on ``host:port`` (port 0: a free one, see ``url``).

    The socket is bound here, so ``url`` is known before the server starts. Access logs are
    off: a login link's token must not land in a log.
    """

    def __init__(self, context: ReviewContext, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self._socket = _bound_socket(host, port)
        self.host, self.port = host, int(self._socket.getsockname()[1])
        self._own_process = False
        app = create_app(context, on_started=self._started)
        self._server = uvicorn.Server(_config(app))
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return _url(self.host, self.port)

    def serve(self) -> None:
        """Serve in this thread until interrupted (Ctrl-C) or ``stop``: the process's server
        (``baton review serve``), so its garbage collector is tuned once started
        (``tune_gc``)."""
        self._own_process = True
        self._run()

    def _run(self) -> None:
        try:
            self._server.run(sockets=[self._socket])
        finally:
            self._socket.close()

    def _started(self) -> None:
        if self._own_process:
            tune_gc()

    def start(self) -> ReviewServer:
        """Serve in a background thread, in a process that does other things too (tests,
        benchmarks): its garbage collector is left alone. Return once the server accepts
        requests."""
        self._thread = threading.Thread(target=self._run, name="baton-review", daemon=True)
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


@dataclass(frozen=True)
class WorkerSpec:
    """What a server process needs to build the app: the study file, the queue's options
    and the CSRF secret shared by all the processes (not shown in a repr)."""

    study: Path
    options: QueueOptions
    secret: bytes = field(repr=False)
    store: str | None = None


def worker_app(spec: WorkerSpec, *, own_process: bool = False) -> FastAPI:
    """The app of one of several server processes: its own connection to the study's store
    (closed when the process stops), the shared CSRF secret, and no refiller.
    ``own_process``: the app is all its process serves (``ReviewWorkers``), whose garbage
    collector is tuned once the app has started (``tune_gc``)."""
    opened = open_study(spec.study, store=spec.store)
    context = review_context(opened, spec.options, refill=False, secret=spec.secret)
    return create_app(context, close_store=True, on_started=tune_gc if own_process else None)


class ReviewWorkers:
    """The review app served on ``host:port`` by ``workers`` processes (see the module's
    docstring); ``opened`` is the study, open in this process for the refiller.

    The socket is bound here, so ``url`` is known before the processes start, and listens
    from ``serve`` on: a request sent while the processes start waits for one of them.
    ``serve`` runs in the main thread (the supervisor handles Ctrl-C and SIGTERM there).
    """

    def __init__(
        self,
        spec: WorkerSpec,
        opened: StudyStore,
        *,
        workers: int,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if workers < 2:
            raise ValueError("ReviewWorkers is for two or more processes: use ReviewServer")
        self._socket = _bound_socket(host, port)
        self.host, self.port = host, int(self._socket.getsockname()[1])
        self._config = _config(
            functools.partial(worker_app, spec, own_process=True), workers=workers
        )
        self._refiller = Refiller(
            ReviewQueue(opened, spec.options), interval_s=WORKER_REFILL_INTERVAL_S
        )

    @property
    def url(self) -> str:
        return _url(self.host, self.port)

    def serve(self) -> None:
        """Fill the queue, then serve until interrupted (Ctrl-C, SIGTERM), keeping it filled."""
        try:
            self._socket.listen(self._config.backlog)
            self._refiller.start()
            Multiprocess(self._config, sockets=[self._socket]).run()
        finally:
            self._refiller.stop()
            self._socket.close()
