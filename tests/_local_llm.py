"""The real local model the end-to-end tests talk to: llama.cpp's server with
SmolLM2-135M-Instruct, built and started by ``scripts/local-llm.sh`` (the wheel is built once
per machine and cached outside the repository). If it cannot be built or started, the tests
that use it fail: they never skip. One server serves the whole test session."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "local-llm.sh"
INSTALL_TIMEOUT_S = 1800
START_TIMEOUT_S = 120


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_serving(base_url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the local model server exited:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{base_url}/models", timeout=2) as reply:
                if json.load(reply)["data"]:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"the local model server did not start:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def local_llm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a running local model server."""
    installed = subprocess.run(
        [str(SCRIPT), "install"],
        check=False,
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT_S,
    )
    if installed.returncode != 0:
        pytest.fail(
            "could not build or install the local model server (scripts/local-llm.sh "
            f"install):\n{installed.stdout[-3000:]}\n{installed.stderr[-3000:]}"
        )
    port = free_port()
    log = tmp_path_factory.mktemp("local-llm") / "server.log"
    with log.open("wb") as sink:
        server = subprocess.Popen(
            [str(SCRIPT), "serve", str(port)], stdout=sink, stderr=subprocess.STDOUT
        )
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        wait_until_serving(base_url, server, log)
        yield base_url
    finally:
        server.terminate()
        server.wait(30)
