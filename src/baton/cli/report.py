"""``baton report``: report.html, report.md and result.json from a study's store, or from a
``baton estimate`` result; the exit code gates CI."""

from __future__ import annotations

from pathlib import Path

import typer

from baton.analysis import StudyResult, overall_outcome
from baton.cli._app import EXIT_CODES, app, console
from baton.cli.demo import verdict_table
from baton.errors import InputError, InsufficientLabelsError
from baton.labelling import decide_study, open_study
from baton.report import ReportPaths, report_from_estimate, write_report
from baton.study import Study

__all__ = ["report"]


def _from_study(path: Path, seed: int) -> tuple[Study, StudyResult]:
    opened = open_study(path)
    try:
        if not opened.store.verdicts(dimension=opened.study.dimensions[0].name):
            raise InsufficientLabelsError(
                f"nothing is judged yet in {opened.store.url}: replay and judge the study "
                "before `baton report`"
            )
        return opened.study, decide_study(opened, seed=seed)
    finally:
        opened.store.close()


@app.command()
def report(
    study: Path = typer.Argument(
        Path("study.yaml"), help="The study file (its store holds the evidence)."
    ),
    out: Path | None = typer.Option(
        None, "-o", "--out", help="Folder for the reports (default: report/ beside the study)."
    ),
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
) -> int:
    """Write report.html, report.md and result.json; exit 0 go, 1 no-go, 3 inconclusive.

    From the study's store: calibrates the judges against the labels so far and decides,
    as `baton decide` does. With --from-estimate: from the pass rates and comparisons of a
    `baton estimate` result (no costs, refusals or examples: the estimate has none).
    """
    if not 0.5 < confidence < 1:
        raise InputError(
            "confidence must be between 0.5 and 1", source="arguments", field="confidence"
        )
    if from_estimate is not None:
        opened_study, result = report_from_estimate(
            from_estimate, confidence=confidence, min_traffic_share=min_traffic_share
        )
        folder = out or from_estimate.parent / "report"
    else:
        opened_study, result = _from_study(study, seed)
        folder = out or study.parent / "report"
    paths: ReportPaths = write_report(opened_study, result, folder)
    console.print(verdict_table(result))
    for path in (paths.html, paths.markdown, paths.json):
        console.print(f"wrote {path}")
    return EXIT_CODES[overall_outcome(result.verdicts)]
