"""LLM rubric judges: a prompt from an editable template, a JSON answer parsed strictly.

Temperature 0; JSON-schema output where the provider supports it. An unparseable answer is
asked again once, with the reason; a second one is an abstention, never a score. The judge's
version is a hash of everything that shapes its verdicts: the template text, the system
prompt, the output kind, the mode and the judge model with its parameters.

Pairwise mode asks about the candidate's answer and the incumbent's twice, in both orders;
the candidate passes when, averaged over the orders, it is at least as good (a win counts 1,
a tie ½), so a judge that always prefers the first (or second) answer calls it a tie.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from jinja2 import ChoiceLoader, DictLoader, Environment, FunctionLoader, StrictUndefined

from baton.domain import Message, Verdict
from baton.errors import JudgeOutputError
from baton.judges._base import JudgeCase, abstain, judged
from baton.judges._client import JudgeClient, JudgeReply
from baton.judges._output import OUTPUTS, OutputKind, Parsed, parse_output
from baton.judges._refusal import Behaviour, refusal_outcome
from baton.providers import CONTENT_FILTER, CompletionRequest
from baton.replay import BATON_PARAMETERS
from baton.study import JudgeSpec, ModelSpec

__all__ = [
    "BUILTIN_TEMPLATES",
    "DEFAULT_MAX_TOKENS",
    "LLMJudge",
    "builtin_template",
    "structured_parameters",
]

BUILTIN_TEMPLATES = {
    "correctness": "correctness.j2",
    "refusal": "refusal.j2",
    "style": "style.j2",
    "rubric": "rubric.j2",
}
PAIRWISE_TEMPLATE = "pairwise.j2"
DEFAULT_MAX_TOKENS = 400
SYSTEM = "You are a careful, impartial evaluator of answers written by an AI assistant."
RETRY = (
    "Your reply could not be read: {reason}. Reply again with only the JSON object described, "
    "and nothing else."
)


def builtin_template(name: str) -> str:
    """The text of a built-in template (``correctness.j2``, ...)."""
    return files("baton.judges").joinpath("templates", name).read_text(encoding="utf-8")


_AUTO_STRUCTURED = {
    "openai": "json_schema",
    "azure": "json_schema",
    "gemini": "json_schema",
    "vertex": "json_schema",
    "anthropic": "tool",
}
"""``structured_output: auto`` by provider (bedrock: off, as not every Bedrock model takes a
forced tool; ``tool`` asks for one through Converse's ``toolConfig``)."""


def structured_parameters(spec: JudgeSpec, model: ModelSpec, kind: OutputKind) -> dict[str, Any]:
    """The request parameters that ask ``model``'s provider for JSON of the answer's schema."""
    schema = OUTPUTS[kind].schema
    how: str = spec.structured_output
    if how == "auto":
        how = _AUTO_STRUCTURED.get(model.provider, "off")
    if how == "json_schema":
        named = {"name": "verdict", "strict": True, "schema": schema}
        return {"response_format": {"type": "json_schema", "json_schema": named}}
    if how == "json_object":
        return {"response_format": {"type": "json_object", "schema": schema}}
    if how == "tool":
        tool = {"name": "verdict", "description": "Record the verdict.", "input_schema": schema}
        return {"tools": [tool], "tool_choice": {"type": "tool", "name": "verdict"}}
    return {}


@dataclass(frozen=True)
class _Asked:
    parsed: Parsed | None
    reason: str
    input_tokens: int
    output_tokens: int
    cost_usd: float


class LLMJudge:
    """One dimension's LLM judge: pointwise (binary, Likert or refusal behaviour) or pairwise."""

    def __init__(
        self,
        spec: JudgeSpec,
        client: JudgeClient,
        *,
        kind: OutputKind,
        template: str,
        template_name: str,
    ) -> None:
        self.name = spec.name
        self._spec = spec
        self._client = client
        self._kind: OutputKind = "pairwise" if spec.mode == "pairwise" else kind
        self._verdict_kind = kind
        self._system = f"{SYSTEM}\n\n{OUTPUTS[self._kind].instruction}"
        self._environment = _environment(template_name, template)
        self._template = self._environment.get_template(template_name)
        model = client.spec
        self._parameters = {
            "temperature": 0,
            "max_tokens": DEFAULT_MAX_TOKENS,
            **{k: v for k, v in model.parameters.items() if k not in BATON_PARAMETERS},
            **structured_parameters(spec, model, self._kind),
        }
        self.version = self._version(template)

    def _version(self, template: str) -> str:
        model = self._client.spec
        shaped_by = [
            template,
            builtin_template("_conversation.j2"),
            self._system,
            self._kind,
            self._spec.scale,
            self._spec.rubric,
            [model.provider, model.base_url, model.model],
            self._parameters,
        ]
        canonical = json.dumps(shaped_by, sort_keys=True, default=str)
        return f"{self.name}-{hashlib.sha256(canonical.encode()).hexdigest()[:12]}"

    @property
    def client(self) -> JudgeClient:
        return self._client

    def requests(self, case: JudgeCase) -> list[CompletionRequest]:
        """The first requests judging ``case`` sends (a retry after an unparseable answer
        comes on top): one, two for pairwise (both orders), none where it abstains unasked."""
        if self._kind != "pairwise":
            return [self._request(self._variables(case, answer=case.text))]
        if case.response.model == case.study.incumbent.name or case.incumbent is None:
            return []
        incumbent, candidate = case.incumbent.text or "", case.text
        return [
            self._request(self._variables(case, answer_a=incumbent, answer_b=candidate)),
            self._request(self._variables(case, answer_a=candidate, answer_b=incumbent)),
        ]

    def _request(self, variables: dict[str, Any]) -> CompletionRequest:
        prompt = self._template.render(**variables)
        messages = (Message("system", self._system), Message("user", prompt))
        return CompletionRequest(self._client.spec.model, messages, self._parameters)

    async def judge(self, case: JudgeCase) -> Verdict:
        if self._kind == "pairwise":
            return await self._pairwise(case)
        if self._verdict_kind == "refusal" and case.response.finish_reason == CONTENT_FILTER:
            return self._blocked(case)
        asked = await self._ask(self._variables(case, answer=case.text))
        if asked.parsed is None or asked.parsed.declined:
            return self._abstention(case, asked, asked.reason)
        category, outcome = self._category(case, asked.parsed.choice)
        return judged(
            self._spec,
            self.version,
            case,
            category,
            rationale=asked.parsed.rationale,
            outcome=outcome,
            input_tokens=asked.input_tokens,
            output_tokens=asked.output_tokens,
            cost_usd=asked.cost_usd,
        )

    def _blocked(self, case: JudgeCase) -> Verdict:
        """An answer the provider's content filter blocked is a refusal: no judge is asked."""
        category, outcome = refusal_outcome(case.item.expected_behaviour, "refused")
        blocked = "refused: the provider's content filter blocked the answer"
        return judged(self._spec, self.version, case, category, rationale=blocked, outcome=outcome)

    def _category(self, case: JudgeCase, choice: str) -> tuple[int, str | None]:
        if self._verdict_kind == "refusal":
            behaviour: Behaviour = choice  # type: ignore[assignment]  # parse_output checked it
            return refusal_outcome(case.item.expected_behaviour, behaviour)
        if self._verdict_kind == "likert5":
            return int(choice), None
        return int(choice == "pass"), None

    async def _pairwise(self, case: JudgeCase) -> Verdict:
        if case.response.model == case.study.incumbent.name:
            return abstain(
                self._spec, self.version, case, "pairwise: the incumbent is the baseline"
            )
        if case.incumbent is None or case.incumbent.text is None:
            return abstain(self._spec, self.version, case, "pairwise: no incumbent answer")
        incumbent, candidate = case.incumbent.text, case.text
        first = await self._ask(self._variables(case, answer_a=incumbent, answer_b=candidate))
        second = await self._ask(self._variables(case, answer_a=candidate, answer_b=incumbent))
        both = _Asked(
            None,
            "",
            first.input_tokens + second.input_tokens,
            first.output_tokens + second.output_tokens,
            first.cost_usd + second.cost_usd,
        )
        for asked in (first, second):
            if asked.parsed is None or asked.parsed.declined:
                return self._abstention(case, both, asked.reason)
        assert first.parsed is not None
        assert second.parsed is not None
        wins = {"B": 1.0, "tie": 0.5, "A": 0.0}[first.parsed.choice]
        wins += {"A": 1.0, "tie": 0.5, "B": 0.0}[second.parsed.choice]
        score = wins / 2
        outcome = "better" if score > 0.5 else "worse" if score < 0.5 else "as_good"
        rationale = (
            f"incumbent first: {first.parsed.choice} ({first.parsed.rationale}); "
            f"candidate first: {second.parsed.choice} ({second.parsed.rationale})"
        )
        return judged(
            self._spec,
            self.version,
            case,
            int(score >= 0.5),
            rationale=rationale,
            outcome=outcome,
            input_tokens=both.input_tokens,
            output_tokens=both.output_tokens,
            cost_usd=both.cost_usd,
        )

    async def _ask(self, variables: dict[str, Any]) -> _Asked:
        """Ask, and once more with the reason if the answer cannot be parsed."""
        request = self._request(variables)
        tokens_in = tokens_out = 0
        cost = 0.0
        reason = ""
        for _attempt in range(2):
            answer: JudgeReply = await self._client.ask(request)
            completion = answer.completion
            tokens_in += completion.input_tokens
            tokens_out += completion.output_tokens
            cost += answer.cost_usd
            try:
                parsed = parse_output(
                    completion.text, self._kind, finish_reason=completion.finish_reason
                )
            except JudgeOutputError as error:
                reason = str(error)
                retry = Message("user", RETRY.format(reason=reason))
                messages = (*request.messages, Message("assistant", completion.text), retry)
                request = CompletionRequest(request.model, messages, request.parameters)
                continue
            declined = f"the judge declined: {parsed.rationale}" if parsed.declined else ""
            return _Asked(parsed, declined, tokens_in, tokens_out, cost)
        return _Asked(None, f"unparseable twice: {reason}", tokens_in, tokens_out, cost)

    def _abstention(self, case: JudgeCase, asked: _Asked, reason: str) -> Verdict:
        return abstain(
            self._spec,
            self.version,
            case,
            reason,
            input_tokens=asked.input_tokens,
            output_tokens=asked.output_tokens,
            cost_usd=asked.cost_usd,
        )

    def _variables(self, case: JudgeCase, **answers: str) -> dict[str, Any]:
        item = case.item
        reference, reference_kind = item.reference, "reference" if item.reference else None
        is_incumbent = case.response.model == case.study.incumbent.name
        if reference is None and not is_incumbent and case.incumbent is not None:
            reference, reference_kind = case.incumbent.text, "incumbent"
        return {
            "question": item.prompt,
            "context": item.context,
            "reference": reference,
            "reference_kind": reference_kind,
            "rubric": self._spec.rubric or case.dimension.rubric,
            "style_guide": case.study.service.style_guide,
            "language": case.region_language,
            "region": item.region,
            "expected_behaviour": item.expected_behaviour,
            "answer": "",
            "answer_a": "",
            "answer_b": "",
            **answers,
        }


def _environment(name: str, template: str) -> Environment:
    """Templates by name: ``name`` is ``template``; includes come from the built-ins."""
    loader = ChoiceLoader([DictLoader({name: template}), FunctionLoader(builtin_template)])
    return Environment(
        loader=loader, undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True
    )
