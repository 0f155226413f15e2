"""Raters see what they judge by: the style guide on style screens, the expected behaviour
on refusal screens, the reference on correctness screens, escaped like all untrusted text."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.review._study import StudySize
from tests.web.conftest import App
from tests.web.test_app import form_of, login

GUIDE = "Be <b>brief</b> & <script>window.__g = 1</script> kind."
WITH_GUIDES = StudySize(
    items_per_region=4,
    dimensions=("correctness", "refusal", "style"),
    style_guide=GUIDE,
    expected=True,
)


def _screens(client: TestClient, app: App, n: int) -> dict[str, list[str]]:
    """Up to ``n`` screens of rater ann, by dimension, each answered to move on."""
    login(client, app.tokens["ann"])
    pages: dict[str, list[str]] = {}
    page = client.get("/rate").text
    for _ in range(n):
        match = re.search(r'<span class="dimension">(\w+)</span>', page)
        if match is None:  # the queue's first batch is done
            break
        pages.setdefault(match.group(1), []).append(page)
        action, csrf, answers = form_of(page)
        page = client.post(
            action, data={"csrf": csrf, **{f"answer-{i}": "1" for i in range(answers)}}
        ).text
    return pages


@pytest.mark.parametrize("app", [WITH_GUIDES], indirect=True)
def test_each_screen_shows_what_its_dimension_is_judged_by(client: TestClient, app: App) -> None:
    pages = _screens(client, app, 24)
    assert set(pages) == {"correctness", "refusal", "style"}
    for page in pages["style"]:
        assert 'id="style-guide"' in page
        assert (
            "Be &lt;b&gt;brief&lt;/b&gt; &amp; &lt;script&gt;window.__g = 1&lt;/script&gt;" in page
        )
        assert "<script>window.__g" not in page
        assert 'id="expected-behaviour"' not in page
        assert 'id="reference"' not in page
    for page in pages["refusal"]:
        assert 'id="expected-behaviour"' in page
        assert re.search(r"(refuse|answer): the assistant should", page)
        assert 'id="style-guide"' not in page
        assert 'id="reference"' not in page
    shown = [
        ("Reference answer" in page, 'id="reference"' in page) for page in pages["correctness"]
    ]
    assert any(has for has, _ in shown)  # half of the items have a reference
    for page in pages["correctness"]:
        assert 'id="style-guide"' not in page
        assert 'id="expected-behaviour"' not in page


@pytest.mark.parametrize("app", [StudySize(items_per_region=4)], indirect=True)
def test_no_guide_section_without_guides(client: TestClient, app: App) -> None:
    pages = _screens(client, app, 12)
    assert pages["style"]
    for page in pages["style"]:  # the study has no style guide
        assert 'id="guidance"' not in page
