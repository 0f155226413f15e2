"""Baton: replace the LLM behind a product and know the replacement is at least as good.

The public surface is what ``__all__`` names; everything else is private. Every CLI verb
``baton X`` has its Python verb ``baton.steps.X``, in the order of the workflow: ``init``,
``check``, ``ingest``, ``replay``, ``judge``, ``next_units``, ``labels_export``,
``labels_import``, ``plan``, ``decide``, ``report``, ``status``; ``estimate`` on a plain
table; ``run_demo`` on the embedded study. The verbs
whose names are not also a stage's package (``baton.replay``, ``baton.report`` and
``baton.judges`` are packages) are here too: ``baton.decide`` is ``baton.steps.decide``.
"""

from __future__ import annotations

from baton._version import __version__
from baton.analysis import StudyResult
from baton.calibration import Estimates
from baton.decision import JudgePrior
from baton.errors import BatonError
from baton.simulate import simulate_study
from baton.steps import (
    DemoOptions,
    check,
    decide,
    estimate,
    ingest,
    init,
    judge,
    judge_dry_run,
    labels_export,
    labels_import,
    next_units,
    plan,
    replay_dry_run,
    report_estimate,
    run_demo,
    status,
)
from baton.study import Study, load_study, study_json_schema

__all__ = [
    "BatonError",
    "DemoOptions",
    "Estimates",
    "JudgePrior",
    "Study",
    "StudyResult",
    "__version__",
    "check",
    "decide",
    "estimate",
    "ingest",
    "init",
    "judge",
    "judge_dry_run",
    "labels_export",
    "labels_import",
    "load_study",
    "next_units",
    "plan",
    "replay_dry_run",
    "report_estimate",
    "run_demo",
    "simulate_study",
    "status",
    "study_json_schema",
]
