"""The review app over HTTP (in-process): tokens, CSRF, headers, blinding, sanitising,
rater isolation, submissions, exports."""

from __future__ import annotations

import csv
import io
import re
import tempfile

import duckdb
import pytest
from fastapi.testclient import TestClient

from baton.domain import Label
from baton.review import enrol_raters
from baton.web._security import SECURITY_HEADERS
from tests.review._study import MODELS, StudySize
from tests.web.conftest import App

SECRET_PAGE_TEXT = ("Question", "Answer", "Reference", "csrf")


def login(client: TestClient, token: str) -> None:
    response = client.get("/login", params={"token": token})
    assert response.status_code == 303
    assert response.headers["location"] in ("/rate", "/admin")


def form_of(page: str) -> tuple[str, str, int]:
    """The label form's action, CSRF token and number of answers."""
    action = re.search(r'action="(/rate/\d+)"', page)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert action
    assert csrf
    return action.group(1), csrf.group(1), len(re.findall(r'<fieldset class="answer"', page))


def assert_forbidden_and_empty(response: object) -> None:
    status = getattr(response, "status_code", None)
    text = getattr(response, "text", "")
    assert status == 403
    assert not any(secret in text for secret in SECRET_PAGE_TEXT)


def test_no_token_or_a_wrong_one_gets_403_and_no_data(client: TestClient, app: App) -> None:
    assert_forbidden_and_empty(client.get("/rate"))
    assert_forbidden_and_empty(client.get("/admin"))
    assert_forbidden_and_empty(client.get("/admin/labels.csv"))
    assert_forbidden_and_empty(client.get("/login"))
    wrong = client.get("/login", params={"token": app.tokens["ann"] + "x"})
    assert_forbidden_and_empty(wrong)
    assert "set-cookie" not in wrong.headers
    client.cookies.set("baton_token", "not-a-token")
    assert_forbidden_and_empty(client.get("/rate"))
    assert_forbidden_and_empty(client.post("/rate/1", data={"csrf": "x", "answer-0": "1"}))


def test_a_rater_sees_nothing_of_the_admin_pages(client: TestClient, app: App) -> None:
    login(client, app.tokens["ann"])
    assert client.get("/rate").status_code == 200
    for path in ("/admin", "/admin/labels.csv", "/admin/labels.parquet"):
        assert_forbidden_and_empty(client.get(path))


def test_the_admin_token_is_not_a_rater(client: TestClient, app: App) -> None:
    login(client, app.admin)
    assert_forbidden_and_empty(client.get("/rate"))


def test_login_sets_an_http_only_cookie_and_drops_the_token_from_the_url(
    client: TestClient, app: App
) -> None:
    response = client.get("/login", params={"token": app.tokens["ann"]})
    assert response.headers["location"] == "/rate"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie


@pytest.mark.parametrize("path", ["/rate", "/login", "/static/review.css"])
def test_every_response_carries_the_security_headers(
    client: TestClient, app: App, path: str
) -> None:
    if path == "/rate":
        login(client, app.tokens["ann"])
    headers = client.get(path).headers
    csp = headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"


def test_the_page_is_blinded_and_model_output_sanitised(client: TestClient, app: App) -> None:
    login(client, app.tokens["ann"])
    page = client.get("/rate").text
    for name in (*MODELS, "m-old", "m-new", "incumbent", "candidate"):
        assert name not in page
    assert "<script>window" not in page
    assert "<img" not in page
    assert 'href="javascript' not in page
    assert "&lt;script&gt;window.__xss = 1&lt;/script&gt;" in page  # shown, as text
    assert "<strong>bold</strong>" in page  # Markdown still renders
    assert "<script" not in page.replace('<script src="/static/review.js" defer></script>', "")


def test_a_submission_needs_the_csrf_token_and_stores_labels(client: TestClient, app: App) -> None:
    login(client, app.tokens["ann"])
    action, csrf, answers = form_of(client.get("/rate").text)
    values = {f"answer-{i}": "1" for i in range(answers)}
    assert client.post(action, data=values).status_code == 403
    assert client.post(action, data={**values, "csrf": "0" * 64}).status_code == 403
    assert app.opened.store.labels() == []
    partial = client.post(action, data={"csrf": csrf, "answer-0": "1"})
    assert partial.status_code == 303
    assert partial.headers["location"] == "/rate?notice=incomplete"
    done = client.post(action, data={**values, "csrf": csrf, "note": "fine"})
    assert done.status_code == 200
    labels = app.opened.store.labels()
    assert len(labels) == answers == len(MODELS)
    assert {(lab.rater, lab.value, lab.note) for lab in labels} == {("ann", 1, "fine")}
    assert "Saved." in client.get("/rate?notice=saved").text
    assert "evil" not in client.get("/rate?notice=<b>evil</b>").text


def test_a_stored_submission_is_answered_with_the_next_screen(client: TestClient, app: App) -> None:
    login(client, app.tokens["ann"])
    action, csrf, answers = form_of(client.get("/rate").text)
    sent: list[str] = []
    for round_no in range(3):  # each answer's form is the next one sent: no GET between
        sent.append(action)
        values = {f"answer-{i}": str(round_no % 2) for i in range(answers)}
        response = client.post(action, data={**values, "csrf": csrf})
        assert response.status_code == 200
        assert "location" not in response.headers
        assert '<p class="notice" role="status">Saved.</p>' in response.text
        action, csrf, answers = form_of(response.text)
        assert action not in sent
        assert f"{2 * (round_no + 1)} of 200 labels" in response.text
    held = [s for s in app.opened.store.review.slots() if s.rater == "ann"]
    assert sorted(f"/rate/{s.slot_id}" for s in held if s.done_at) == sorted(sent)
    assert [f"/rate/{s.slot_id}" for s in held if s.done_at is None] == [action]
    assert form_of(client.get("/rate").text)[0] == action  # a reload shows the same screen
    assert len(app.opened.store.labels()) == 3 * len(MODELS)


def test_a_refused_submission_claims_nothing_and_shows_no_page(
    client: TestClient, app: App
) -> None:
    login(client, app.tokens["ann"])
    action, csrf, answers = form_of(client.get("/rate").text)
    values = {f"answer-{i}": "1" for i in range(answers)}
    login(client, app.tokens["bob"])  # with ann's form
    assert_forbidden_and_empty(client.post(action, data={**values, "csrf": csrf}))
    login(client, app.tokens["ann"])
    for refused in (
        client.post(action, data={**values, "csrf": csrf[::-1]}),
        client.post(action + "/skip", data={"reason": "other"}),
    ):  # ann's own unit, refused: shown again to be sent again, nothing stored
        assert refused.status_code == 403
        assert "reload" in refused.text
        assert form_of(refused.text)[:2] == (action, csrf)
    claimed = [s for s in app.opened.store.review.slots() if s.rater is not None]
    assert [(s.rater, f"/rate/{s.slot_id}") for s in claimed] == [("ann", action)]
    assert app.opened.store.labels() == []


@pytest.mark.parametrize("path", ["", "/skip"])
def test_the_answer_to_a_submission_carries_the_security_headers(
    client: TestClient, app: App, path: str
) -> None:
    login(client, app.tokens["ann"])
    action, csrf, _ = form_of(client.get("/rate").text)
    response = client.post(
        action + path, data={"csrf": csrf, "answer-0": "1", "answer-1": "0", "reason": "other"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value


def test_the_last_submission_of_a_quota_is_answered_with_the_done_page(
    client: TestClient, app: App
) -> None:
    enrol_raters(app.opened.store.review, ["ann"], quota=2 * len(MODELS))
    login(client, app.tokens["ann"])
    page = client.get("/rate").text
    for _ in range(2):
        action, csrf, answers = form_of(page)
        values = {f"answer-{i}": "1" for i in range(answers)}
        response = client.post(action, data={**values, "csrf": csrf})
        assert response.status_code == 200
        assert "Saved." in response.text
        page = response.text
    assert "All done" in page
    assert 'id="label-form"' not in page
    assert len(app.opened.store.labels()) == 2 * len(MODELS)


def test_a_csrf_token_of_one_rater_does_not_work_for_another(client: TestClient, app: App) -> None:
    login(client, app.tokens["ann"])
    _, ann_csrf, _ = form_of(client.get("/rate").text)
    login(client, app.tokens["bob"])
    action, _, answers = form_of(client.get("/rate").text)
    values = {f"answer-{i}": "0" for i in range(answers)}
    assert client.post(action, data={**values, "csrf": ann_csrf}).status_code == 403


def test_a_rater_cannot_answer_or_skip_anothers_slot(client: TestClient, app: App) -> None:
    login(client, app.tokens["ann"])
    ann_action, _, _ = form_of(client.get("/rate").text)
    login(client, app.tokens["bob"])
    _, bob_csrf, _ = form_of(client.get("/rate").text)
    stolen = client.post(ann_action, data={"csrf": bob_csrf, "answer-0": "1", "answer-1": "1"})
    assert stolen.headers["location"] == "/rate?notice=not_held"
    skipped = client.post(ann_action + "/skip", data={"csrf": bob_csrf, "reason": "other"})
    assert skipped.headers["location"] == "/rate?notice=not_held"
    assert app.opened.store.labels() == []


def test_a_skip_with_a_reason_moves_on(client: TestClient, app: App) -> None:
    login(client, app.tokens["ann"])
    action, csrf, _ = form_of(client.get("/rate").text)
    response = client.post(action + "/skip", data={"csrf": csrf, "reason": "unreadable"})
    assert response.status_code == 200
    assert "Skipped: it goes to someone else." in response.text
    shown, _, _ = form_of(response.text)
    assert shown != action
    assert form_of(client.get("/rate").text)[0] == shown  # the screen now held
    assert [s.reason for s in app.opened.store.review.skips()] == ["unreadable"]


def test_a_skip_without_a_known_reason_is_refused(client: TestClient, app: App) -> None:
    login(client, app.tokens["ann"])
    action, csrf, _ = form_of(client.get("/rate").text)
    response = client.post(action + "/skip", data={"csrf": csrf, "reason": "bored"})
    assert response.status_code == 303
    assert response.headers["location"] == "/rate?notice=bad_reason"
    assert app.opened.store.review.skips() == []


def test_raters_never_see_each_others_labels_or_notes(client: TestClient, app: App) -> None:
    app.opened.store.add_labels(
        [Label("eu-000", MODELS[0], "correctness", "bob", 0, note="bob-private-note")]
    )
    login(client, app.tokens["ann"])
    for _ in range(3):
        page = client.get("/rate").text
        assert "bob" not in page
        assert "bob-private-note" not in page
        action, csrf, answers = form_of(page)
        client.post(action, data={"csrf": csrf, **{f"answer-{i}": "1" for i in range(answers)}})


def test_the_admin_exports_labels_as_csv_and_parquet(client: TestClient, app: App) -> None:
    app.opened.store.add_labels(
        [Label("eu-001", MODELS[1], "style", "bob", 1, inclusion_prob=0.5, note='a, "b"')]
    )
    login(client, app.admin)
    page = client.get("/admin")
    assert page.status_code == 200
    assert "Decisions now" in page.text
    exported = client.get("/admin/labels.csv")
    assert exported.headers["content-disposition"] == 'attachment; filename="labels.csv"'
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert rows == [
        {
            "item_id": "eu-001",
            "model": MODELS[1],
            "dimension": "style",
            "region": "eu",
            "rater": "bob",
            "value": "1",
            "inclusion_prob": "0.5",
            "note": 'a, "b"',
        }
    ]
    parquet = client.get("/admin/labels.parquet").content
    assert parquet[:4] == b"PAR1"
    connection = duckdb.connect()
    try:
        table = connection.execute(
            "SELECT rater, value FROM read_parquet(?)", [_write_temp(parquet)]
        ).fetchall()
    finally:
        connection.close()
    assert table == [("bob", 1)]


FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


def test_the_csv_export_neutralises_spreadsheet_formulas_and_parquet_keeps_them(
    client: TestClient, app: App
) -> None:
    notes = [*FORMULAS, "fine = good", "a-b"]
    app.opened.store.add_labels(
        [Label(f"eu-00{i}", MODELS[0], "style", "bob", 1, note=n) for i, n in enumerate(notes)]
    )
    login(client, app.admin)
    text = client.get("/admin/labels.csv").text
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    exported = {row["item_id"]: row for row in rows}
    assert [exported[f"eu-00{i}"]["note"] for i in range(len(notes))] == [
        *(f"'{n}" for n in FORMULAS),
        "fine = good",
        "a-b",
    ]
    assert {row["value"] for row in rows} == {"1"}  # numbers are numbers, not text
    parquet = _write_temp(client.get("/admin/labels.parquet").content)
    connection = duckdb.connect()
    try:
        kept = connection.execute("SELECT note FROM read_parquet(?)", [parquet]).fetchall()
    finally:
        connection.close()
    assert sorted(n for (n,) in kept) == sorted(notes)


@pytest.mark.parametrize("app", [StudySize(items_per_region=0)], indirect=True)
def test_an_empty_queue_says_so(client: TestClient, app: App) -> None:
    login(client, app.tokens["ann"])
    page = client.get("/rate")
    assert page.status_code == 200
    assert "Nothing to label right now" in page.text
    login(client, app.admin)
    assert "nothing is judged yet" in client.get("/admin").text


def _write_temp(body: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".parquet", delete=False) as handle:
        handle.write(body)
    return handle.name
