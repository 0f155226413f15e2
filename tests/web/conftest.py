"""A review app over a small study: served by uvicorn on a free loopback port in a thread
(for the browser), or driven in-process by Starlette's test client."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from baton.review import QueueOptions, enrol_raters, issue_admin
from baton.steps import StudyStore, open_study
from baton.web import ReviewContext, ReviewServer, create_app, review_context
from tests.review._study import StudySize, write_study

CHROMIUM = os.environ.get("BATON_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass
class App:
    """A review app over a study, with the raters' and the admin's tokens."""

    opened: StudyStore
    context: ReviewContext
    tokens: dict[str, str]
    admin: str


def make_app(folder: Path, size: StudySize, options: QueueOptions) -> App:
    opened = open_study(write_study(folder, size))
    issued = enrol_raters(opened.store.review, ["ann", "bob"], quota=200)
    tokens = {link.rater.name: link.token for link in issued if link.token}
    admin = issue_admin(opened.store.review)
    return App(opened, review_context(opened, options, refill_interval_s=0.2), tokens, admin)


@pytest.fixture
def app(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[App]:
    size: StudySize = getattr(request, "param", StudySize(xss=True))
    made = make_app(tmp_path, size, QueueOptions(double_fraction=0.0, batch_labels=40))
    yield made
    made.opened.store.close()


@pytest.fixture
def client(app: App) -> Iterator[TestClient]:
    with TestClient(create_app(app.context), follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def server(app: App) -> Iterator[ReviewServer]:
    with ReviewServer(app.context) as served:
        yield served


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not shutil.which(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium; .ci/run does)")
    return CHROMIUM


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[Any]:
    """Closed after its module: a live sync Playwright keeps an event loop in this thread,
    which would stop later tests from calling ``asyncio.run``."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()
