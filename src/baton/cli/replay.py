"""``baton replay``: send the study's items to every model and store the responses."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import typer
from rich.table import Table

from baton.cli._app import (
    EXIT_CODES,
    JSON_OPTION,
    STORE_OPTION,
    STUDY_ARGUMENT,
    app,
    console,
    err_console,
)
from baton.cli._render import RichProgress, cost_table, new_table, print_json, progress_bar
from baton.domain import Response
from baton.replay import ReplayOptions, ReplaySummary
from baton.steps import replay as replay_step
from baton.steps import replay_dry_run
from baton.study import Study


def usage_table(study: Study, responses: Sequence[Response]) -> Table:
    numbers = ("responses", "errors", "tokens in", "tokens out", "cost (USD)", "p50 / p95 s")
    table = new_table("Responses in the store", "model", *numbers, right=numbers, wrap=("model",))
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
    as_json: bool = JSON_OPTION,
) -> int:
    """Send every item to the incumbent and each candidate; store each response once.

    Resumable: a re-run asks only what has no successful response (failed ones are
    retried), and answers identical requests from the cache. Exits 4 if any response failed.
    """
    if dry_run:
        plan = replay_dry_run(path, store=store, limit=limit, cache=not no_cache)
        if as_json:
            print_json({**asdict(plan), "calls": plan.calls, "cost_usd": plan.cost_usd})
            return 0
        console.print(cost_table(plan))
        console.print(
            f"dry run: {plan.calls:,} calls, estimated cost at most ${plan.cost_usd:,.4f} "
            "(input ≈ 4 characters a token; output at most max_tokens, else 256)"
        )
        return 0
    options = ReplayOptions(concurrency=concurrency, cache=not no_cache)
    if as_json:
        summary = replay_step(path, store=store, limit=limit, options=options).summary
        print_json(asdict(summary))
        return EXIT_CODES["runtime"] if summary.errors else 0
    with progress_bar() as bar:
        run = replay_step(
            path, store=store, limit=limit, options=options, progress=RichProgress(bar)
        )
    summary = run.summary
    console.print(usage_table(run.study, run.responses))
    console.print(summary_line(summary))
    if summary.errors:
        causes = ", ".join(f"{n} {cause}" for cause, n in summary.errors_by_cause.items())
        err_console.print(
            f"[red]error:[/] {summary.errors} responses failed ({causes}); "
            "run baton replay again to retry them"
        )
        return EXIT_CODES["runtime"]
    return 0
