"""``baton review serve``: prints one link per new rater and an admin link, serves them, and
stops on Ctrl-C. Run as a real process on a free loopback port, bounded in time."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from baton.cli.main import main
from tests.review._study import write_study
from tests.web._serve import DEADLINE_S, serving


def wait_until_served(url: str) -> httpx.Response:
    deadline = time.monotonic() + DEADLINE_S
    while True:
        try:
            return httpx.get(url, follow_redirects=True, timeout=10)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_serve_prints_working_links_and_keeps_them_across_restarts(tmp_path: Path) -> None:
    study = write_study(tmp_path)
    with serving(study, "--rater", "ann", "--rater", "bob", "--quota", "30") as served:
        links = served.links
        assert set(links) == {"ann", "bob", "admin"}
        assert links["ann"].startswith("http://127.0.0.1:")
        page = wait_until_served(links["ann"])
        assert page.status_code == 200
        assert 'id="label-form"' in page.text
        assert "0 of 30 labels" in page.text
        admin = wait_until_served(links["admin"])
        assert "Review of review-study" in admin.text
    with serving(study, "--rater", "ann") as served_again:
        again = served_again.links
        assert again["ann"].startswith("keeps the link issued earlier")
        base = again["admin"].partition("/login")[0]  # a new port
        old_ann, old_admin = (
            base + "/login" + links[k].partition("/login")[2] for k in ("ann", "admin")
        )
        assert wait_until_served(old_ann).status_code == 200  # the rater's link still works
        assert wait_until_served(old_admin).status_code == 403  # the admin's was replaced
        assert wait_until_served(again["admin"]).status_code == 200


def test_serve_without_raters_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    study = write_study(tmp_path)
    assert main(["review", "serve", str(study), "--port", "0"]) == 2
    assert "--rater" in capsys.readouterr().err


def test_serve_refuses_a_reserved_rater_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    study = write_study(tmp_path)
    assert main(["review", "serve", str(study), "--rater", "admin", "--port", "0"]) == 2
    assert "not a rater name" in capsys.readouterr().err
