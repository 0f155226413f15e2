"""``baton replay``: send the study's items to every model and store the responses."""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from baton.cli._app import EXIT_CODES, app, console, err_console
from baton.domain import Item, Response
from baton.errors import InputError
from baton.providers import Provider, close_providers, create_providers
from baton.replay import ReplayOptions, ReplayPlan, ReplaySummary, plan_replay, replay_responses
from baton.storage import Store, default_store_url, open_store
from baton.study import Study, load_study
from baton.workflow import check_fingerprint, recorded_step


class _Rate(ProgressColumn):
    """Responses per second."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f}/s", style="cyan")


class RichProgress:
    """A Rich progress bar for a replay: count, rate, ETA and errors."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task: TaskID | None = None
        self._errors = 0

    def start(self, total: int) -> None:
        self._task = self._progress.add_task("replaying", total=total, errors=0)

    def advance(self, responses: int, errors: int) -> None:
        if self._task is not None:
            self._errors += errors
            self._progress.update(self._task, advance=responses, errors=self._errors)


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _Rate(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        TextColumn("[red]{task.fields[errors]} errors"),
        console=console,
    )


def plan_table(plan: ReplayPlan, *, title: str = "Dry run: what a replay would do now") -> Table:
    table = Table(title=title, title_justify="left")
    for name in ("model", "pending", "cached", "calls"):
        table.add_column(name, justify="left" if name == "model" else "right")
    table.add_column("input tokens ≈", justify="right")
    table.add_column("output tokens ≤", justify="right")
    table.add_column("cost ≤ (USD)", justify="right")
    for m in plan.models:
        cells = (m.pending, m.cached, m.calls, m.input_tokens, m.output_tokens)
        table.add_row(m.model, *(f"{c:,}" for c in cells), f"{m.cost_usd:,.4f}")
    return table


def usage_table(study: Study, responses: Sequence[Response]) -> Table:
    table = Table(title="Responses in the store", title_justify="left")
    table.add_column("model")
    for name in ("responses", "errors", "input tokens", "output tokens", "cost (USD)"):
        table.add_column(name, justify="right")
    table.add_column("latency p50 / p95 (s)", justify="right")
    for spec in study.models:
        own = [r for r in responses if r.model == spec.name]
        latencies = sorted(r.latency_s for r in own if r.error is None)
        table.add_row(
            spec.name,
            f"{len(own):,}",
            f"{sum(r.error is not None for r in own):,}",
            f"{sum(r.input_tokens for r in own):,}",
            f"{sum(r.output_tokens for r in own):,}",
            f"{sum(r.cost_usd for r in own):,.4f}",
            _percentiles(latencies),
        )
    return table


def _percentiles(latencies: list[float]) -> str:
    if len(latencies) < 2:
        return f"{latencies[0]:.2f}" if latencies else "-"
    cuts = statistics.quantiles(latencies, n=20, method="inclusive")
    return f"{statistics.median(latencies):.2f} / {cuts[18]:.2f}"


def summary_line(summary: ReplaySummary) -> str:
    return (
        f"replay: {summary.written:,} responses stored of {summary.pending:,} pending "
        f"({summary.called:,} called, {summary.cached:,} from the cache, "
        f"{summary.attempts - summary.called - summary.errors:,} retries), "
        f"{summary.errors:,} failed, in {summary.elapsed_s:.1f} s; "
        f"spent ${summary.spent_usd:,.4f}"
    )


async def _replay(
    study: Study,
    items: Sequence[Item],
    providers: Mapping[str, Provider],
    store: Store,
    *,
    options: ReplayOptions,
) -> ReplaySummary:
    try:
        with progress_bar() as bar:
            return await replay_responses(
                study, items, providers, store, options=options, progress=RichProgress(bar)
            )
    finally:
        await close_providers(providers)


def _items(store: Store, limit: int | None) -> list[Item]:
    items = store.items()
    if not items:
        raise InputError("the store holds no items to replay; ingest some first", source=store.url)
    return items if limit is None else items[:limit]


@app.command()
def replay(
    path: Path = typer.Argument(Path("study.yaml"), help="The study file."),
    limit: int | None = typer.Option(
        None, "--limit", min=1, help="Replay only the first N items (in item-id order)."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Print the calls a replay would make and their estimated cost."
    ),
    store: str | None = typer.Option(
        None, help="Store URL (default: the study's, else baton.db next to the study file)."
    ),
    concurrency: int = typer.Option(32, min=1, help="Calls in flight at most."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Neither read nor write the cache."),
) -> int:
    """Send every item to the incumbent and each candidate; store each response once.

    Resumable: a re-run asks only what has no successful response (failed ones are
    retried), and answers identical requests from the cache. Exits 4 if any response failed.
    """
    study = load_study(path)
    opened = open_store(store or study.store or default_store_url(path))
    try:
        items = _items(opened, limit)
        if dry_run:
            plan = plan_replay(study, items, opened, cache=not no_cache)
            console.print(plan_table(plan))
            console.print(
                f"dry run: {plan.calls:,} calls, estimated cost at most ${plan.cost_usd:,.4f} "
                "(input ≈ 4 characters a token; output at most max_tokens, else 256)"
            )
            return 0
        fingerprint = check_fingerprint(opened, study)
        providers = create_providers(study)
        options = ReplayOptions(concurrency=concurrency, cache=not no_cache)
        with recorded_step(opened, "replay", fingerprint, {}) as recorded:
            summary = asyncio.run(_replay(study, items, providers, opened, options=options))
            recorded.update(asdict(summary))
        console.print(usage_table(study, opened.responses()))
    finally:
        opened.close()
    console.print(summary_line(summary))
    if summary.errors:
        causes = ", ".join(f"{n} {cause}" for cause, n in summary.errors_by_cause.items())
        err_console.print(
            f"[red]error:[/] {summary.errors} responses failed ({causes}); "
            "run baton replay again to retry them"
        )
        return EXIT_CODES["runtime"]
    return 0
