"""Judges: responses -> verdicts per dimension (or explicit abstentions).

LLM rubric judges (correctness, refusal behaviour, style, any rubric; pointwise or pairwise)
call their model through the replay machinery (cache, rate limits, retries, costs);
deterministic checks (refusal phrases, length, format, language) run beside them for free.
Judges are found by name in the ``baton.judges`` entry-point group, so plugins add their own.
"""

from __future__ import annotations

from baton.judges._base import Judge, JudgeCase, abstain, judged
from baton.judges._checks import (
    DEFAULT_REFUSAL_PHRASES,
    FormatCheck,
    LanguageCheck,
    LengthCheck,
    ReferenceMatch,
    RefusalPhrases,
)
from baton.judges._client import JudgeClient, JudgeReply, JudgeSpend
from baton.judges._engine import (
    JudgeSummary,
    judge_in_batches,
    judge_responses,
    pending_cases,
)
from baton.judges._llm import BUILTIN_TEMPLATES, LLMJudge, builtin_template
from baton.judges._output import CANNOT_JUDGE, OUTPUTS, Parsed, parse_output
from baton.judges._refusal import OUTCOMES, refusal_outcome
from baton.judges._registry import (
    ENTRY_POINT_GROUP,
    JudgeContext,
    JudgeFactory,
    JudgeSet,
    build_judges,
    judge_names,
)

__all__ = [
    "BUILTIN_TEMPLATES",
    "CANNOT_JUDGE",
    "DEFAULT_REFUSAL_PHRASES",
    "ENTRY_POINT_GROUP",
    "OUTCOMES",
    "OUTPUTS",
    "FormatCheck",
    "Judge",
    "JudgeCase",
    "JudgeClient",
    "JudgeContext",
    "JudgeFactory",
    "JudgeReply",
    "JudgeSet",
    "JudgeSpend",
    "JudgeSummary",
    "LLMJudge",
    "LanguageCheck",
    "LengthCheck",
    "Parsed",
    "ReferenceMatch",
    "RefusalPhrases",
    "abstain",
    "build_judges",
    "builtin_template",
    "judge_in_batches",
    "judge_names",
    "judge_responses",
    "judged",
    "parse_output",
    "pending_cases",
    "refusal_outcome",
]
