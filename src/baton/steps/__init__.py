"""Steps: each stage run over a study's store, and the Python verb of every CLI verb.

A notebook can do what the CLI does: ``init``, ``check``, ``ingest``, ``replay``
(``replay_dry_run``), ``judge`` (``judge_dry_run``, ``judges``), ``next_units``,
``labels_export``, ``labels_import``, ``plan``,
``decide``, ``report`` (``report_estimate``), ``estimate`` and ``run_demo``. Each takes the
study file's path (and ``store=`` for another store than the study's); the ``*_study``
forms take an open ``StudyStore``. Only ``decide`` records a look of the label loop.
"""

from __future__ import annotations

from baton.steps._demo import DemoOptions, DemoRun, LiveModel, live_study, run_demo
from baton.steps._estimate import estimate
from baton.steps._ingest import DEFAULT_REJECTS, ingest
from baton.steps._judge import (
    JudgeAgreement,
    JudgeRun,
    judge,
    judge_agreement,
    judge_dry_run,
    judge_study,
    judges,
    plan_judging,
    write_templates,
)
from baton.steps._labels import (
    LabelFormat,
    LabelImport,
    SheetExport,
    labels_export,
    labels_import,
)
from baton.steps._loop import (
    choose_units,
    decide,
    decide_study,
    next_units,
    plan,
    plan_study,
    study_result,
)
from baton.steps._open import (
    StudyStore,
    check_fingerprint,
    open_study,
    recorded_step,
    study_store,
)
from baton.steps._replay import ReplayRun, replay, replay_dry_run, replay_study
from baton.steps._report import ReportRun, load_estimate, report, report_estimate
from baton.steps._sheets import EXPORT_FORMATS, ExportFormat, LabelSheet, SheetRow
from baton.steps._study import StudyCheck, check, init

__all__ = [
    "DEFAULT_REJECTS",
    "EXPORT_FORMATS",
    "DemoOptions",
    "DemoRun",
    "ExportFormat",
    "JudgeAgreement",
    "JudgeRun",
    "LabelFormat",
    "LabelImport",
    "LabelSheet",
    "LiveModel",
    "ReplayRun",
    "ReportRun",
    "SheetExport",
    "SheetRow",
    "StudyCheck",
    "StudyStore",
    "check",
    "check_fingerprint",
    "choose_units",
    "decide",
    "decide_study",
    "estimate",
    "ingest",
    "init",
    "judge",
    "judge_agreement",
    "judge_dry_run",
    "judge_study",
    "judges",
    "labels_export",
    "labels_import",
    "live_study",
    "load_estimate",
    "next_units",
    "open_study",
    "plan",
    "plan_judging",
    "plan_study",
    "recorded_step",
    "replay",
    "replay_dry_run",
    "replay_study",
    "report",
    "report_estimate",
    "run_demo",
    "study_result",
    "study_store",
    "write_templates",
]
