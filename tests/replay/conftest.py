"""The fault-injecting server, started per test on a free port of 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.replay.fault_server import FaultServer


@pytest.fixture
def fault_server() -> Iterator[FaultServer]:
    server = FaultServer(hang_s=3.0, retry_after_s=0.2)
    server.start()
    yield server
    server.stop()
