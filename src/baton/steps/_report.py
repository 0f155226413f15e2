"""Reports over a study's store, or from a ``baton estimate`` result (``baton report``).

A report is a read: it shows the calls ``baton decide`` would make now and records no look.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from baton.analysis import StudyResult, result_from_estimate
from baton.data import load_json_document
from baton.decision import DEFAULT_DESIGN
from baton.errors import InputError, NotReadyError
from baton.report import ReportPaths, write_report
from baton.steps._loop import study_result
from baton.steps._open import study_store
from baton.study import Study

__all__ = ["ReportRun", "load_estimate", "report", "report_estimate"]


@dataclass(frozen=True)
class ReportRun:
    """The study reported on, its result and where the reports were written."""

    study: Study
    result: StudyResult
    paths: ReportPaths


def report(
    study: str | Path, *, out: Path | None = None, store: str | None = None, seed: int = 0
) -> ReportRun:
    """``baton report``: report.html, report.md and result.json from the study's store
    (default folder: report/ beside the study file); records no look."""
    path = Path(study)
    with study_store(path, store=store) as opened:
        if not opened.store.verdicts(dimension=opened.study.dimensions[0].name):
            raise NotReadyError(
                f"nothing is judged yet in {opened.store.url}: replay and judge the study "
                "before `baton report`"
            )
        result = study_result(opened, seed=seed)
    paths = write_report(opened.study, result, out or path.parent / "report")
    return ReportRun(opened.study, result, paths)


def load_estimate(path: Path) -> tuple[dict[str, Any], str]:
    """The ``baton estimate`` result in ``path`` and the SHA-256 of its bytes (16 hex)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InputError(f"cannot read the estimate result: {reason}", source=str(path)) from None
    data = load_json_document(raw, source=str(path))
    return data, hashlib.sha256(raw).hexdigest()[:16]


def report_estimate(
    estimate: Path,
    *,
    out: Path | None = None,
    confidence: float = 0.95,
    min_traffic_share: float = 0.05,
    design: str = DEFAULT_DESIGN,
    clock: Callable[[], datetime] | None = None,
) -> ReportRun:
    """``baton report --from-estimate``: the reports of a ``baton estimate`` result (default
    folder: report/ beside it)."""
    if not 0.5 < confidence < 1:
        raise InputError(
            "confidence must be between 0.5 and 1", source="arguments", field="confidence"
        )
    data, digest = load_estimate(estimate)
    study, result = result_from_estimate(
        data,
        estimate,
        digest=digest,
        confidence=confidence,
        min_traffic_share=min_traffic_share,
        design=design,
        clock=clock,
    )
    paths = write_report(study, result, out or estimate.parent / "report")
    return ReportRun(study, result, paths)
