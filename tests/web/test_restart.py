"""A rater's open form survives a restart of the review server: the CSRF secret is the
store's, so the form posts to the next server; a form refused anyway comes back filled with
what the rater had chosen and typed, and says to reload."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from baton.review import QueueOptions, enrol_raters
from baton.steps import open_study
from baton.web import ReviewServer, review_context
from tests.review._study import StudySize, write_study
from tests.web.test_app import form_of

OPTIONS = QueueOptions(double_fraction=0.0, batch_labels=40)


def served_once(study: Path, token: str, then: dict[str, str] | None = None) -> httpx.Response:
    """Start a server on ``study``, log in; with ``then`` None return the rating page, else
    post ``then`` (with its ``action``) and return the answer; stop the server."""
    opened = open_study(study)
    try:
        server = ReviewServer(review_context(opened, OPTIONS))
        with server, httpx.Client(base_url=server.url, timeout=30) as client:
            client.get("/login", params={"token": token})
            if then is None:
                return client.get("/rate")
            data = {k: v for k, v in then.items() if k != "action"}
            return client.post(then["action"], data=data)
    finally:
        opened.store.close()


def test_a_form_from_before_a_restart_is_accepted(tmp_path: Path) -> None:
    study = write_study(tmp_path, StudySize())
    opened = open_study(study)
    (link,) = enrol_raters(opened.store.review, ["ann"], quota=50)
    opened.store.close()
    assert link.token is not None

    action, csrf, answers = form_of(served_once(study, link.token).text)
    values = {f"answer-{i}": "1" for i in range(answers)}
    sent = served_once(study, link.token, {"action": action, "csrf": csrf, **values})
    assert sent.status_code == 200
    assert "Saved." in sent.text

    check = open_study(study)
    labels = check.store.labels()
    check.store.close()
    assert len(labels) == answers
    assert {label.rater for label in labels} == {"ann"}


def test_a_refused_form_comes_back_with_what_was_typed(tmp_path: Path) -> None:
    study = write_study(tmp_path, StudySize())
    opened = open_study(study)
    (link,) = enrol_raters(opened.store.review, ["ann"], quota=50)
    opened.store.close()
    assert link.token is not None

    action, _, answers = form_of(served_once(study, link.token).text)
    values = {f"answer-{i}": str(i % 2) for i in range(answers)}
    note = "second answer cites <a source> & is wrong"
    typed = {"action": action, "csrf": "f" * 64, "note": note, **values}
    refused = served_once(study, link.token, typed)

    assert refused.status_code == 403
    assert "reload" in refused.text
    assert form_of(refused.text)[0] == action  # the same unit, to send again
    assert "second answer cites &lt;a source&gt; &amp; is wrong</textarea>" in refused.text
    checked = re.findall(r'name="answer-(\d+)" value="([01])"[^>]* checked', refused.text)
    assert sorted(checked) == sorted(values_as_pairs(values))
    check = open_study(study)
    assert check.store.labels() == []
    check.store.close()


def values_as_pairs(values: dict[str, str]) -> list[tuple[str, str]]:
    return [(key.removeprefix("answer-"), value) for key, value in values.items()]
