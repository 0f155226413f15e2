"""Decisions: non-inferiority per candidate, dimension and region, and the label loop's rule
end to end — which labels to ask for next (allocation), the calls at each look (interim
thresholds over the recorded looks, time against the largest budget the study has had,
several candidates controlled together), the loop simulated over a table, and planning a label
budget. No I/O here."""

from __future__ import annotations

from baton.calibration import noninferiority_probability
from baton.decision._allocation import (
    LabelUnit,
    allocate_units,
    allocation_weights,
    systematic_pps,
)
from baton.decision._budget import spending_budget, spending_time
from baton.decision._family import FamilyRule, MultipleCandidates, family_rule
from baton.decision._interim import (
    InterimLook,
    InterimState,
    interim_look,
    interim_thresholds,
    interim_z,
    pocock_spending,
)
from baton.decision._looks import (
    DEFAULT_DESIGN,
    EARLY_NO_GO,
    LOOK_DESIGNS,
    MIN_LOOK_LABELS,
    DesignName,
    LookDesign,
    SequentialDecisions,
    decide_comparisons,
    sequential_decisions,
)
from baton.decision._noninferiority import (
    MAX_LABELS_NEEDED,
    candidate_verdict,
    labels_needed_estimate,
    noninferiority_outcome,
)
from baton.decision._planning import (
    CellPlan,
    JudgePrior,
    LabelPlan,
    StratumPlan,
    plan_labels,
    simulated_labels_from_prior,
)
from baton.decision._power import plan_power
from baton.decision._sequential import (
    Arm,
    SequentialOptions,
    SequentialResult,
    planned_rounds_of,
    run_sequential,
)
from baton.decision._types import SIGNAL, CandidateVerdict, Decision, Outcome

__all__ = [
    "DEFAULT_DESIGN",
    "EARLY_NO_GO",
    "LOOK_DESIGNS",
    "MAX_LABELS_NEEDED",
    "MIN_LOOK_LABELS",
    "SIGNAL",
    "Arm",
    "CandidateVerdict",
    "CellPlan",
    "Decision",
    "DesignName",
    "FamilyRule",
    "InterimLook",
    "InterimState",
    "JudgePrior",
    "LabelPlan",
    "LabelUnit",
    "LookDesign",
    "MultipleCandidates",
    "Outcome",
    "SequentialDecisions",
    "SequentialOptions",
    "SequentialResult",
    "StratumPlan",
    "allocate_units",
    "allocation_weights",
    "candidate_verdict",
    "decide_comparisons",
    "family_rule",
    "interim_look",
    "interim_thresholds",
    "interim_z",
    "labels_needed_estimate",
    "noninferiority_outcome",
    "noninferiority_probability",
    "plan_labels",
    "plan_power",
    "planned_rounds_of",
    "pocock_spending",
    "run_sequential",
    "sequential_decisions",
    "simulated_labels_from_prior",
    "spending_budget",
    "spending_time",
    "systematic_pps",
]
