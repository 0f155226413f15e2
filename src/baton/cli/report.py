"""``baton report``: report.html, report.md and result.json from a study's store, or from a
``baton estimate`` result; the exit code gates CI."""

from __future__ import annotations

from pathlib import Path

import typer

from baton.analysis import overall_outcome
from baton.cli._app import EXIT_CODES, JSON_OPTION, STORE_OPTION, STUDY_ARGUMENT, app, console
from baton.cli._render import print_verdict
from baton.decision import DEFAULT_DESIGN, DesignName
from baton.steps import report as report_step
from baton.steps import report_estimate

__all__ = ["report"]


@app.command()
def report(
    study: Path = STUDY_ARGUMENT,
    out: Path | None = typer.Option(
        None, "--out-dir", help="Folder for the reports (default: report/ beside the study)."
    ),
    store: str | None = STORE_OPTION,
    seed: int = typer.Option(0, help="Seed of the posterior draws."),
    from_estimate: Path | None = typer.Option(
        None,
        "--from-estimate",
        help="Report a `baton estimate` result.json instead of a study's store.",
    ),
    confidence: float = typer.Option(
        0.95, help="With --from-estimate: the decision confidence (a study names its own)."
    ),
    min_traffic_share: float = typer.Option(
        0.05, help="With --from-estimate: regions below this share of traffic do not block."
    ),
    design: DesignName = typer.Option(
        DEFAULT_DESIGN, help="With --from-estimate: the look design (a study names its own)."
    ),
    as_json: bool = JSON_OPTION,
) -> int:
    """Write report.html, report.md and result.json; exit 0 go, 1 no-go, 3 inconclusive.

    The three files go into one folder (--out-dir). From the study's store: calibrates
    the judges against the labels so far and shows the calls `baton decide` would make
    now (a read: no look is recorded).
    With --from-estimate: from the pass rates and comparisons of a `baton estimate` result
    (no costs, refusals or examples: the estimate has none).
    """
    if from_estimate is not None:
        run = report_estimate(
            from_estimate,
            out=out,
            confidence=confidence,
            min_traffic_share=min_traffic_share,
            design=design,
        )
    else:
        run = report_step(study, out=out, store=store, seed=seed)
    if as_json:  # result.json, as written
        print(run.paths.json.read_text(encoding="utf-8"), end="")
        return EXIT_CODES[overall_outcome(run.result.verdicts)]
    print_verdict(run.result)
    for path in (run.paths.html, run.paths.markdown, run.paths.json):
        console.print(f"wrote {path}")
    return EXIT_CODES[overall_outcome(run.result.verdicts)]
