"""``baton demo``: the whole job on an embedded simulated study, offline."""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import replace
from pathlib import Path
from typing import Any

import typer

from baton.analysis import overall_outcome
from baton.cli._app import EXIT_CODES, JSON_OPTION, app, console
from baton.cli._render import print_verdict
from baton.errors import ProviderError
from baton.steps import DemoOptions, LiveModel, run_demo

LIVE_BASE_URL = "http://127.0.0.1:8080/v1"
"""Where ``make local-llm`` serves the local model."""


def require_server(base_url: str) -> None:
    """Fail at once, saying what to do, when no OpenAI-compatible server answers there."""
    try:
        with urllib.request.urlopen(f"{base_url.rstrip('/')}/models", timeout=5):
            return
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise ProviderError(
            f"no OpenAI-compatible server answers at {base_url} ({reason}); "
            "start the local model with `make local-llm`, or pass --base-url",
            cause="connection",
        ) from None


def live_line(replay: dict[str, Any], base_url: str) -> str:
    """What the live replay did, in one line."""
    return (
        f"replayed {replay['written']} responses through {base_url}: {replay['called']} "
        f"called, {replay['cached']} from the cache, {replay['errors']} failed, "
        f"in {replay['elapsed_s']:.1f} s"
    )


@app.command()
def demo(
    out: Path = typer.Option(
        Path("demo-out"), "--out-dir", help="Folder for the study, its store and the reports."
    ),
    seed: int = typer.Option(7, help="Seed of the simulated study."),
    store: str | None = typer.Option(
        None, help="Store URL (default: a SQLite file in the output folder)."
    ),
    live: bool = typer.Option(
        False, "--live", help="Send the prompts to a real local model (make local-llm)."
    ),
    base_url: str = typer.Option(
        LIVE_BASE_URL, help="With --live: the OpenAI-compatible server to send them to."
    ),
    items_per_region: int = typer.Option(
        2, min=1, help="With --live: items sampled per region (each model answers each)."
    ),
    as_json: bool = JSON_OPTION,
) -> int:
    """Run Baton end to end on a simulated study: no network, no API key.

    Six regions, an incumbent and two candidates, three dimensions. Writes report.html,
    report.md and result.json to the output folder and exits 0 when a candidate is a go,
    1 when every candidate is a no-go, 3 when undecided. With --live, a small sample is
    replayed through a real model served by `make local-llm`; the simulated judges and
    raters still decide pass or fail, so expect an inconclusive verdict.
    """
    options = DemoOptions(seed=seed, store_url=store)
    if live:
        require_server(base_url)
        options = replace(
            options, sample_per_region=items_per_region, live=LiveModel(base_url=base_url)
        )
    with console.status("running the demo") as status:
        run = run_demo(out, options=options, progress=status.update)
    if as_json:  # result.json, as written
        print(run.paths.json.read_text(encoding="utf-8"), end="")
        return EXIT_CODES[overall_outcome(run.result.verdicts)]
    if live:
        console.print(live_line(run.summaries["replay"], base_url))
    print_verdict(run.result)
    for path in (run.paths.html, run.paths.markdown, run.paths.json):
        console.print(f"wrote {path}")
    return EXIT_CODES[overall_outcome(run.result.verdicts)]
