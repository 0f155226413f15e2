"""The HTML report in headless Chromium (Playwright driving Debian's chromium): it renders,
requests nothing but the file itself, shows every region × dimension cell, runs none of the
markup in the answers it quotes, and leaves a screenshot in test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from baton.report import write_report
from tests.report.simulated import SimulatedReport

playwright = pytest.importorskip("playwright.sync_api", reason="needs the playwright package")

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"
)


class Visit:
    """A page opened on the report, and every request the browser tried to make."""

    def __init__(self, page: Any, url: str, requests: list[str]) -> None:
        self.page = page
        self.url = url
        self.requests = requests


def _open(browser: Any, path: Path) -> Visit:
    """Open ``path`` in a fresh context that records every request and lets only the file
    itself through."""
    url = path.as_uri()
    requests: list[str] = []
    context = browser.new_context(viewport={"width": 1100, "height": 900})

    def record(route: Any) -> None:
        requests.append(route.request.url)
        if route.request.url == url:
            route.continue_()
        else:
            route.abort()

    context.route("**/*", record)
    page = context.new_page()
    page.goto(url, wait_until="load")
    return Visit(page, url, requests)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def report_html(simulated: SimulatedReport, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_report(simulated.study, simulated.result, tmp_path_factory.mktemp("report")).html


@pytest.fixture(scope="module")
def visit(browser: Any, report_html: Path) -> Iterator[Visit]:
    opened = _open(browser, report_html)
    yield opened
    opened.page.context.close()


def test_report_renders_with_its_verdict(visit: Visit, simulated: SimulatedReport) -> None:
    page = visit.page
    assert page.title().startswith(f"Baton report: {simulated.study.name}")
    assert page.locator("h1 .badge.go").inner_text() == "GO"
    verdicts = page.locator("li.verdict")
    assert verdicts.count() == len(simulated.study.candidates)
    assert page.locator("li.verdict.no_go").inner_text().count("shaky") == 1
    assert page.locator("#recommendation table tbody tr").count() == 2


def test_report_requests_nothing_but_itself(visit: Visit) -> None:
    assert visit.requests == [visit.url]


def test_the_request_recorder_would_see_a_remote_resource(
    browser: Any, report_html: Path, tmp_path: Path
) -> None:
    """The check above is not vacuous: a page that loads something remote is caught."""
    leaky = tmp_path / "leaky.html"
    html = report_html.read_text(encoding="utf-8")
    leaky.write_text(html.replace("</body>", '<img src="http://192.0.2.1/x.png"></body>'))
    opened = _open(browser, leaky)
    opened.page.context.close()
    assert opened.requests[0] == leaky.as_uri()
    assert "http://192.0.2.1/x.png" in opened.requests


def test_every_region_and_dimension_cell_is_shown(visit: Visit, simulated: SimulatedReport) -> None:
    study = simulated.study
    for candidate in study.candidates:
        for region in study.regions:
            for dim in study.dimensions:
                selector = (
                    f'table.grid[data-candidate="{candidate.name}"] '
                    f'td[data-region="{region.name}"][data-dimension="{dim.name}"]'
                )
                cell = visit.page.locator(selector)
                assert cell.count() == 1, selector
                assert cell.is_visible()
                assert "Δ" in cell.inner_text()


def test_plots_are_drawn(visit: Visit, simulated: SimulatedReport) -> None:
    study = simulated.study
    page = visit.page
    assert page.locator("svg.forest").count() == len(study.dimensions)
    charts = page.locator(".chart svg.curve")
    assert charts.count() == len(study.candidates) * len(study.dimensions)
    box = charts.first.bounding_box()
    assert box is not None
    assert box["width"] > 200
    assert box["height"] > 100


def test_quoted_answers_stay_text(visit: Visit) -> None:
    page = visit.page
    assert page.evaluate("window.__pwned") is None
    assert page.locator(".example img").count() == 0
    assert page.locator("script").count() == 0
    texts = page.locator(".example .failed pre").all_inner_texts()
    assert any('<img src=x onerror="window.__pwned=1">' in t for t in texts)


def test_screenshot_is_saved(visit: Visit) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / "report.png"
    target.unlink(missing_ok=True)
    visit.page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 10_000
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
