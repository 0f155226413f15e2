"""The review app in headless Chromium (Debian's, driven by Playwright; no browser download):
keyboard-only labelling, an XSS payload that must not run, 403 without a valid token,
concurrent raters on disjoint slots, and agreement on the admin page."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from baton.domain import Label
from baton.web import ReviewServer
from tests.review._study import MODELS, StudySize
from tests.review.test_agreement import ALICE, BOB
from tests.web.conftest import App

TIMEOUT_MS = 15_000


def open_page(browser: Any, server: ReviewServer, token: str) -> Any:
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    response = page.goto(f"{server.url}/login?token={token}")
    assert response is not None
    assert response.status == 200
    return page


def slot_of(page: Any) -> int:
    return int(page.get_attribute("#label-form", "data-slot"))


def test_a_rater_labels_ten_responses_by_keyboard_only(
    browser: Any, server: ReviewServer, app: App
) -> None:
    page = open_page(browser, server, app.tokens["ann"])
    assert page.url.endswith("/rate")  # the token left the address bar
    seen = []
    for screen in range(5):  # two answers per screen: ten responses
        seen.append(slot_of(page))
        page.keyboard.press("y")  # first answer shown: yes, then on to the second
        page.keyboard.press("n")
        if screen == 0:
            page.keyboard.press("/")
            page.keyboard.type("checked the dates")
            page.keyboard.press("Escape")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.locator(".notice").inner_text() == "Saved."
    assert page.locator("#progress").inner_text() == "10 of 200 labels"
    assert page.url == f"{server.url}/rate"  # each screen came with the last one's answer
    labels = app.opened.store.labels()
    assert len(labels) == 10
    assert {lab.rater for lab in labels} == {"ann"}
    assert Counter(lab.value for lab in labels) == {1: 5, 0: 5}
    assert sorted(lab.note for lab in labels).count("checked the dates") == 2
    assert len(set(seen)) == 5
    page.context.close()


def test_reloading_after_sending_shows_the_screen_and_sends_nothing_again(
    browser: Any, server: ReviewServer, app: App
) -> None:
    page = open_page(browser, server, app.tokens["ann"])
    first = slot_of(page)
    page.keyboard.press("y")
    page.keyboard.press("y")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    shown = slot_of(page)
    assert shown != first
    assert page.locator(".notice").inner_text() == "Saved."
    assert page.url == f"{server.url}/rate"  # not the form's /rate/<slot>
    page.reload()
    assert slot_of(page) == shown
    assert page.locator(".notice").count() == 0
    assert len(app.opened.store.labels()) == 2
    assert len(app.opened.store.review.skips()) == 0
    page.context.close()


def test_skipping_by_keyboard_records_the_reason(
    browser: Any, server: ReviewServer, app: App
) -> None:
    page = open_page(browser, server, app.tokens["ann"])
    first = slot_of(page)
    page.keyboard.press("s")
    with page.expect_navigation():
        page.keyboard.press("2")
    assert slot_of(page) != first
    assert [s.reason for s in app.opened.store.review.skips()] == ["unreadable"]
    page.context.close()


def test_an_xss_payload_in_a_response_does_not_execute(
    browser: Any, server: ReviewServer, app: App
) -> None:
    dialogs: list[str] = []
    page = open_page(browser, server, app.tokens["bob"])

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.reload()
    assert "window.__xss = 1" in page.content()  # the payload is on the page, as text
    assert page.locator("a", has_text="click").count() == 0  # javascript: made no link
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator("img").count() == 0
    assert page.locator(".answer script").count() == 0
    assert dialogs == []
    page.context.close()


def test_a_wrong_or_missing_token_gets_403_and_no_data(
    browser: Any, server: ReviewServer, app: App
) -> None:
    context = browser.new_context()
    page = context.new_page()
    for path in ("/rate", "/admin", f"/login?token={app.tokens['ann']}x", "/login?token="):
        response = page.goto(server.url + path)
        assert response is not None
        assert response.status == 403, path
        body = page.content()
        assert "Question" not in body
        assert "403" in body
    rater = open_page(browser, server, app.tokens["ann"])
    response = rater.goto(server.url + "/admin")
    assert response is not None
    assert response.status == 403
    context.close()
    rater.context.close()


def test_two_raters_clicking_at_once_get_disjoint_slots(
    browser: Any, server: ReviewServer, app: App
) -> None:
    ann = open_page(browser, server, app.tokens["ann"])
    bob = open_page(browser, server, app.tokens["bob"])
    held: dict[str, list[int]] = {"ann": [], "bob": []}
    for _ in range(6):
        pages = {"ann": ann, "bob": bob}
        for name, page in pages.items():
            held[name].append(slot_of(page))
            page.keyboard.press("y")
            page.keyboard.press("y")
        for page in pages.values():  # both send before either page has loaded the next one
            page.evaluate("document.getElementById('send').click()")
        for page in pages.values():
            page.wait_for_load_state("load")
            page.wait_for_selector("#label-form")
    assert not set(held["ann"]) & set(held["bob"])
    slots = app.opened.store.review.slots()
    done = [s for s in slots if s.done_at is not None]
    assert len(done) == 12
    assert len({s.slot_id for s in done}) == 12
    ann.context.close()
    bob.context.close()


@pytest.mark.parametrize("app", [StudySize(items_per_region=10, regions=("eu",))], indirect=True)
def test_the_admin_page_shows_agreement_on_a_known_fixture(
    browser: Any, server: ReviewServer, app: App
) -> None:
    app.opened.store.add_labels(
        [Label(f"eu-{i:03d}", MODELS[0], "correctness", "alice", v) for i, v in enumerate(ALICE)]
        + [Label(f"eu-{i:03d}", MODELS[0], "correctness", "bob", v) for i, v in enumerate(BOB)]
    )
    page = open_page(browser, server, app.admin)
    assert page.url.endswith("/admin")
    row = page.locator("#agreement tr", has_text="correctness")
    assert row.locator(".alpha").inner_text() == "0.620"
    assert row.locator(".kappa").inner_text() == "0.600"
    raters = page.locator("#raters").inner_text()
    assert "alice" in raters
    assert "0.80" in raters
    assert page.locator("#decisions").count() == 1
    page.context.close()
