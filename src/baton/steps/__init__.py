"""Steps: each stage run over a study's store, and the Python verb of every CLI verb.

A notebook can do what the CLI does: ``init``, ``check``, ``ingest``, ``replay``
(``replay_dry_run``), ``judge`` (``judge_dry_run``, ``judges``), ``next_units``,
``labels_export``, ``labels_import``, ``plan``, ``decide``, ``report`` (``report_estimate``),
``status``, ``estimate`` and ``run_demo``. Each takes the study file's path (and ``store=``
for another store than the study's); the ``*_study`` forms take an open ``StudyStore``.
Only ``decide`` records a look of the label loop. A store keeps every version of its study
it has seen: a step run after an edit records the new version, and redoes only what the
edit invalidated (``study_changes``).
"""

from __future__ import annotations

from baton.steps._demo import DemoOptions, DemoRun, LiveModel, live_study, run_demo
from baton.steps._estimate import estimate
from baton.steps._failures import DEFAULT_MAX_FAILURES, FailureReason, Failures
from baton.steps._ingest import DEFAULT_REJECTS, ingest
from baton.steps._judge import (
    JudgeAgreement,
    JudgeRun,
    Rejudge,
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
from baton.steps._open import StudyStore, open_study, recorded_step, study_store
from baton.steps._replay import (
    BatchSettings,
    ReplayDryRun,
    ReplayRun,
    replay,
    replay_dry_run,
    replay_study,
)
from baton.steps._report import ReportRun, load_estimate, report, report_estimate
from baton.steps._sheets import EXPORT_FORMATS, ExportFormat, LabelSheet, SheetRow
from baton.steps._status import (
    JudgeStatus,
    ModelStatus,
    StaleWork,
    StratumLabels,
    StudyStatus,
    status,
    status_study,
)
from baton.steps._study import StudyCheck, budget_warnings, check, init
from baton.steps._versions import (
    StudyChange,
    StudyChanges,
    record_version,
    study_changes,
)

__all__ = [
    "DEFAULT_MAX_FAILURES",
    "DEFAULT_REJECTS",
    "EXPORT_FORMATS",
    "BatchSettings",
    "DemoOptions",
    "DemoRun",
    "ExportFormat",
    "FailureReason",
    "Failures",
    "JudgeAgreement",
    "JudgeRun",
    "JudgeStatus",
    "LabelFormat",
    "LabelImport",
    "LabelSheet",
    "LiveModel",
    "ModelStatus",
    "Rejudge",
    "ReplayDryRun",
    "ReplayRun",
    "ReportRun",
    "SheetExport",
    "SheetRow",
    "StaleWork",
    "StratumLabels",
    "StudyChange",
    "StudyChanges",
    "StudyCheck",
    "StudyStatus",
    "StudyStore",
    "budget_warnings",
    "check",
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
    "record_version",
    "recorded_step",
    "replay",
    "replay_dry_run",
    "replay_study",
    "report",
    "report_estimate",
    "run_demo",
    "status",
    "status_study",
    "study_changes",
    "study_result",
    "study_store",
    "write_templates",
]
