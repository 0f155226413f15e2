"""``baton replay``: send the study's items to every model and store the responses."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import typer
from rich.table import Table

from baton.cli._app import (
    BATCH_OPTION,
    BATCH_RETRY_OPTION,
    BATCH_SIZE_OPTION,
    EXIT_CODES,
    JSON_OPTION,
    POLL_INTERVAL_OPTION,
    STORE_OPTION,
    STUDY_ARGUMENT,
    app,
    batch_settings,
    console,
    err_console,
)
from baton.cli._render import (
    RichProgress,
    change_lines,
    cost_table,
    failure_lines,
    new_table,
    print_json,
    progress_bar,
)
from baton.domain import Response
from baton.replay import ReplayOptions, ReplaySummary
from baton.steps import DEFAULT_MAX_FAILURES, replay_dry_run
from baton.steps import replay as replay_step
from baton.study import Study


def usage_table(study: Study, responses: Sequence[Response]) -> Table:
    # tokens in and out share a column, so a model's name keeps room in 80 columns
    numbers = ("responses", "errors", "tokens in / out", "cost (USD)", "p50 / p95 s")
    table = new_table("Responses in the store", "model", *numbers, right=numbers, wrap=("model",))
    for spec in study.models:
        own = [r for r in responses if r.model == spec.name]
        latencies = sorted(r.latency_s for r in own if r.error is None)
        table.add_row(
            spec.name,
            f"{len(own):,}",
            f"{sum(r.error is not None for r in own):,}",
            f"{sum(r.input_tokens for r in own):,} / {sum(r.output_tokens for r in own):,}",
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
    stale = f" ({summary.stale:,} stale)" if summary.stale else ""
    return (
        f"replay: {summary.written:,} responses stored of {summary.pending:,} pending{stale} "
        f"({summary.called:,} called, {summary.cached:,} from the cache, "
        f"{summary.attempts - summary.called - summary.errors:,} retries), "
        f"{summary.errors:,} failed, in {summary.elapsed_s:.1f} s; "
        f"spent ${summary.spent_usd:,.4f}"
    )


@app.command()
def replay(
    path: Path = STUDY_ARGUMENT,
    limit: int | None = typer.Option(
        None, "--limit", min=1, help="Replay only the first N items (in item-id order)."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Print the calls a replay would make and their estimated cost."
    ),
    store: str | None = STORE_OPTION,
    concurrency: int = typer.Option(32, min=1, help="Calls in flight at most."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Neither read nor write the cache."),
    retry_failed: bool = typer.Option(
        False, "--retry-failed", help="Ask again only the pairs whose stored response failed."
    ),
    max_failures: float = typer.Option(
        DEFAULT_MAX_FAILURES,
        "--max-failures",
        min=0.0,
        max=1.0,
        help="Exit 4 when more than this share of the pairs asked failed.",
    ),
    as_json: bool = JSON_OPTION,
    batch: bool = BATCH_OPTION,
    poll_interval: float = POLL_INTERVAL_OPTION,
    batch_size: int | None = BATCH_SIZE_OPTION,
    batch_retry: str = BATCH_RETRY_OPTION,
) -> int:
    """Send every item to the incumbent and each candidate; store each response once.

    Resumable: a re-run asks only what has no current successful response (failed ones are
    retried; after an edit of a model's parameters, base URL or prompt, its responses are
    asked again) and answers requests asked before from the cache. An endpoint that fails
    5 connections in a row is declared down and its calls fail at once. Exits 4 if more
    than --max-failures of the pairs asked failed, 130 if interrupted.

    With --batch, the requests go through the providers' batch APIs at their batch prices
    (the study's batch_price_per_mtok_*, else half price); each batch is recorded in the
    store before it is relied on, so a re-run after a crash polls the same batches and
    submits none twice.
    """
    batched = batch_settings(
        batch, poll_interval_s=poll_interval, max_requests=batch_size, retry=batch_retry
    )
    if dry_run:
        dry = replay_dry_run(path, store=store, limit=limit, cache=not no_cache)
        for line in change_lines(dry.changes):
            err_console.print(line, soft_wrap=True, markup=False)
        plan = dry.plan
        if as_json:
            costs = {"cost_usd": plan.cost_usd, "batch_cost_usd": plan.batch_cost_usd}
            print_json({**asdict(plan), "calls": plan.calls, **costs})
            return 0
        console.print(cost_table(plan))
        stale = f", {plan.stale:,} of them re-asked for the edited study" if plan.stale else ""
        console.print(
            f"dry run: {plan.calls:,} calls{stale}, estimated cost at most "
            f"${plan.cost_usd:,.4f} interactively, ${plan.batch_cost_usd:,.4f} with --batch "
            "(input ≈ 4 characters a token; output at most max_tokens, else 256)"
        )
        return 0
    options = ReplayOptions(concurrency=concurrency, cache=not no_cache, failed_only=retry_failed)
    if as_json:
        run = replay_step(
            path,
            store=store,
            limit=limit,
            options=options,
            max_failures=max_failures,
            batch=batched,
        )
        print_json(asdict(run.summary))
        return EXIT_CODES["runtime"] if run.failures.exceeded else 0
    with progress_bar() as bar:
        run = replay_step(
            path,
            store=store,
            limit=limit,
            options=options,
            progress=RichProgress(bar),
            max_failures=max_failures,
            on_down=lambda line: err_console.print(f"[red]down:[/] {line}", soft_wrap=True),
            batch=batched,
        )
    summary = run.summary
    for line in change_lines(run.changes):
        err_console.print(line, soft_wrap=True, markup=False)
    console.print(usage_table(run.study, run.responses))
    console.print(summary_line(summary))
    for line in failure_lines(run.failures, "replay"):
        err_console.print(line, soft_wrap=True, markup=False)
    if run.failures.exceeded:
        err_console.print(
            "[red]error:[/] too many responses failed; fix the cause, then run "
            "baton replay --retry-failed",
            soft_wrap=True,
        )
        return EXIT_CODES["runtime"]
    return 0
