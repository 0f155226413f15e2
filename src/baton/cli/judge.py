"""``baton judge`` runs the study's judges on every response; ``baton judges`` shows how each
agrees with the human labels so far, and writes the built-in rubric templates for editing."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import typer
from rich.markup import escape
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
    change_lines,
    cost_table,
    count_bar,
    failure_lines,
    new_table,
    print_json,
)
from baton.replay import BatchOptions
from baton.steps import (
    DEFAULT_MAX_FAILURES,
    JudgeAgreement,
    JudgeRun,
    Rejudge,
    judge_dry_run,
    write_templates,
)
from baton.steps import judge as judge_step
from baton.steps import judges as judges_step


@app.command()
def judge(
    path: Path = STUDY_ARGUMENT,
    concurrency: int = typer.Option(16, min=1, help="Judgments in flight at most."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Print the judge calls a run would make and their estimated cost."
    ),
    store: str | None = STORE_OPTION,
    as_json: bool = JSON_OPTION,
    rejudge: str | None = typer.Option(
        None,
        "--rejudge",
        help="Judge again, without the cache: 'abstained' (the current abstentions).",
    ),
    max_failures: float = typer.Option(
        DEFAULT_MAX_FAILURES,
        "--max-failures",
        min=0.0,
        max=1.0,
        help="Exit 4 when more than this share of the judgments failed or the judge "
        "model abstained.",
    ),
    batch: bool = BATCH_OPTION,
    poll_interval: float = POLL_INTERVAL_OPTION,
    batch_size: int | None = BATCH_SIZE_OPTION,
    batch_retry: str = BATCH_RETRY_OPTION,
) -> int:
    """Run every dimension's judge and checks on every response without a current verdict.

    Resumable and cached: a re-run judges only what is new, or what a judge whose rubric,
    template, model or options changed has not judged in its new version, or a response
    asked again. Abstentions are kept (and cached): --rejudge abstained judges them again.
    Exits 4 if more than --max-failures of the judgments failed (the judge model could not
    be asked: judged on the next run) or abstained, 130 if interrupted.

    With --batch, the judge models' questions go through their batch APIs first, at batch
    prices, and the verdicts are made from the answers; what the batches could not answer,
    and a second question after an unparseable answer, are asked interactively.
    """
    batched = batch_settings(
        batch, poll_interval_s=poll_interval, max_requests=batch_size, retry=batch_retry
    )
    if rejudge not in (None, "abstained"):
        raise typer.BadParameter("--rejudge takes 'abstained'")
    chosen: Rejudge | None = "abstained" if rejudge else None
    if dry_run:
        plan = judge_dry_run(path, store=store)
        if as_json:
            costs = {"cost_usd": plan.cost_usd, "batch_cost_usd": plan.batch_cost_usd}
            print_json({**asdict(plan), "calls": plan.calls, **costs})
            return 0
        console.print(cost_table(plan, title="Dry run: what judging would do now"))
        console.print(
            f"dry run: {plan.calls:,} judge calls, estimated cost at most "
            f"${plan.cost_usd:,.4f} interactively, ${plan.batch_cost_usd:,.4f} with --batch "
            "(a retry after an unparseable answer comes on top)",
            soft_wrap=True,
        )
        return 0
    with count_bar() as bar:
        task = bar.add_task("judging", total=None)
        run = judge_step(
            path,
            store=store,
            options=BatchOptions(concurrency=concurrency),
            rejudge=chosen,
            max_failures=max_failures,
            on_batch=lambda n: bar.advance(task, n),
            batch=batched,
        )
    for line in change_lines(run.changes):
        err_console.print(line, soft_wrap=True, markup=False)
    summary = run.summary
    if as_json:
        print_json(asdict(run))
        return EXIT_CODES["runtime"] if run.failures.exceeded else 0
    console.print(_run_table(run))
    console.print(
        f"judge: {summary.written:,} verdicts stored of {summary.pending:,} pending "
        f"({summary.stale:,} redone for an edited judge or a new answer), "
        f"{summary.abstentions:,} abstentions, "
        f"{summary.failed:,} not judged; ${summary.cost_usd:,.4f} of judge calls",
        soft_wrap=True,
    )
    for line in failure_lines(run.failures, "judge"):
        err_console.print(line, soft_wrap=True, markup=False)
    if run.failures.exceeded:
        err_console.print(
            "[red]error:[/] too many judgments failed or abstained; fix the cause, then run "
            "baton judge (failures) or baton judge --rejudge abstained (abstentions)",
            soft_wrap=True,
        )
        return EXIT_CODES["runtime"]
    return 0


def _run_table(run: JudgeRun) -> Table:
    numbers = ("calls", "cached", "attempts", "tokens in", "tokens out", "spent (USD)")
    table = new_table("Judge models", "model", *numbers, right=numbers, wrap=("model",))
    for model, spend in run.spend.items():
        cells = (spend.calls, spend.cached, spend.attempts, spend.input_tokens, spend.output_tokens)
        table.add_row(model, *(f"{c:,}" for c in cells), f"{spend.spent_usd:,.4f}")
    return table


@app.command()
def judges(
    path: Path = STUDY_ARGUMENT,
    templates: Path | None = typer.Option(
        None,
        "--templates",
        help="Write the built-in rubric templates into this folder (to edit, then name in "
        "a judge's `template:`), and stop.",
    ),
    store: str | None = STORE_OPTION,
    as_json: bool = JSON_OPTION,
) -> int:
    """Each judge's agreement with the human labels so far, per dimension and model."""
    if templates is not None:
        for written in write_templates(templates):
            console.print(f"wrote {written}")
        return 0
    rows = judges_step(path, store=store)
    if not rows:
        err_console.print("no verdicts yet: run baton judge")
        return EXIT_CODES["runtime"]
    if as_json:
        print_json([asdict(row) for row in rows])
        return 0
    console.print("Judges against the human labels so far", style="bold")
    for table in _agreement_tables(rows):
        console.print(table)
    console.print("agree: share agreeing with the humans; Se: sensitivity; Sp: specificity")
    return 0


def _agreement_tables(rows: list[JudgeAgreement]) -> list[Table]:
    """One table per dimension and judge, a row per model (fits 80 columns)."""
    numbers = ("verdicts", "abstained", "labelled", "agree", "Se", "Sp")
    tables: dict[tuple[str, str], Table] = {}
    for row in rows:
        key = (row.dimension, row.judge)
        if key not in tables:
            title = f"{row.dimension}, judge {row.judge}"
            tables[key] = new_table(title, "model", *numbers, right=numbers, wrap=("model",))
        tables[key].add_row(
            escape(row.model),
            f"{row.verdicts:,}",
            f"{row.abstentions:,}",
            f"{row.labelled:,}",
            *(_share(v) for v in (row.agreement, row.sensitivity, row.specificity)),
        )
    return list(tables.values())


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
