"""The result stage: a study's evidence → fit → decisions → the result a report shows.

Data flows one way. ``fit_study`` calibrates the judges against the labels (the same
engine as ``baton estimate``); the decisions are made on the fit (the label loop's rule in
``baton.decision``, or ``single_look_decisions``); ``analyse_study`` assembles the
``StudyResult`` with the margins, pass rates, comparisons, decisions and what the report
shows beyond them (P(best), confidence curves, the judge per model, refusals, examples).
``result_from_estimate`` builds the same result from a ``baton estimate`` result. No I/O.
"""

from __future__ import annotations

from baton.analysis._analyse import (
    AnalysisOptions,
    Clock,
    Evidence,
    analyse_study,
    data_snapshot,
    evidence_table,
    fit_study,
    model_usage,
    single_look_decisions,
    study_family,
    utc_now,
)
from baton.analysis._evidence import human_by_response
from baton.analysis._from_estimate import result_from_estimate
from baton.analysis._result import (
    Behaviour,
    BestProbability,
    ConfidenceCurve,
    CurveSource,
    DataSnapshot,
    EvidenceSource,
    FailureExample,
    JudgeCalibration,
    JudgeCategory,
    ModelUsage,
    Provenance,
    RefusalTransitions,
    StudyResult,
    labels_needed_total,
    overall_outcome,
)

__all__ = [
    "AnalysisOptions",
    "Behaviour",
    "BestProbability",
    "Clock",
    "ConfidenceCurve",
    "CurveSource",
    "DataSnapshot",
    "Evidence",
    "EvidenceSource",
    "FailureExample",
    "JudgeCalibration",
    "JudgeCategory",
    "ModelUsage",
    "Provenance",
    "RefusalTransitions",
    "StudyResult",
    "analyse_study",
    "data_snapshot",
    "evidence_table",
    "fit_study",
    "human_by_response",
    "labels_needed_total",
    "model_usage",
    "overall_outcome",
    "result_from_estimate",
    "single_look_decisions",
    "study_family",
    "utc_now",
]
