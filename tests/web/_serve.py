"""``baton review serve`` as a real process for tests: started on a free loopback port,
bounded in time, stopped with Ctrl-C (SIGINT), checked to have ended with its processes."""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

LAUNCH = "from baton.cli.main import run; run()"
DEADLINE_S = 60.0


@dataclass
class Served:
    """A running ``baton review serve``: its links, the parent's pid and its output."""

    links: dict[str, str]
    pid: int
    lines: list[str]

    @property
    def port(self) -> int:
        port = urlsplit(self.links["admin"]).port
        assert port
        return port

    def started_workers(self, count: int) -> list[int]:
        """The server processes, once ``count`` of them run (the parent fills the queue
        after printing the links, then starts them)."""
        deadline = time.monotonic() + DEADLINE_S
        while len(found := self.workers()) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return found

    def workers(self) -> list[int]:
        """The server processes (the parent's children but multiprocessing's tracker)."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text().rpartition(")")[2].split()
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            if int(stat[1]) == self.pid and b"spawn_main" in command:
                found.append(int(entry.name))
        return sorted(found)


@contextmanager
def serving(study: Path, *args: str, check_exit: bool = False) -> Iterator[Served]:
    """Run ``baton review serve`` until it has printed the admin link; stop it with Ctrl-C
    (SIGINT) afterwards, and check that its server processes ended (``check_exit``: and
    that it exited with status 0)."""
    command = [sys.executable, "-c", LAUNCH, "review", "serve", str(study), "--port", "0"]
    process = subprocess.Popen([*command, *args], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    stdout, lines, printed = process.stdout, queue.Queue[str](), list[str]()

    def read() -> None:
        for line in stdout:
            lines.put(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    served = Served({}, process.pid, printed)
    try:
        deadline = time.monotonic() + DEADLINE_S
        while "admin" not in served.links:
            line = lines.get(timeout=max(deadline - time.monotonic(), 0.1))
            printed.append(line)
            who, _, link = line.strip().partition(": ")
            served.links[who.removeprefix("rater ")] = link
        yield served
        workers = served.workers()
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    if check_exit:
        assert process.returncode == 0
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]
    reader.join(timeout=DEADLINE_S)  # to the end of its output: every process has ended
    while not lines.empty():
        printed.append(lines.get())
