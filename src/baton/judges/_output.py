"""What an LLM judge must answer, as a JSON schema, and strict parsing of what it did answer.

Every answer is one JSON object ``{"rationale": "...", "<field>": "<choice>"}`` whose choice
is one of a fixed set, ``cannot_judge`` included (the judge declines: an abstention). The
object may sit in a Markdown code fence and nothing else: prose around it, a missing field, a
choice outside the set or a truncated answer is unparseable, never guessed at.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from baton.errors import JudgeOutputError
from baton.providers import CONTENT_FILTER

__all__ = ["CANNOT_JUDGE", "OUTPUTS", "OutputKind", "OutputSpec", "Parsed", "parse_output"]

CANNOT_JUDGE = "cannot_judge"

OutputKind = Literal["binary", "likert5", "refusal", "pairwise"]


@dataclass(frozen=True)
class OutputSpec:
    """One kind of answer: its field, its choices and how to describe it to the judge."""

    field: str
    choices: tuple[str, ...]
    meaning: str

    @property
    def schema(self) -> dict[str, Any]:
        """The JSON schema of the answer (strict: both fields required, nothing else)."""
        return {
            "type": "object",
            "properties": {
                "rationale": {"type": "string"},
                self.field: {"type": "string", "enum": [*self.choices, CANNOT_JUDGE]},
            },
            "required": ["rationale", self.field],
            "additionalProperties": False,
        }

    @property
    def instruction(self) -> str:
        """How to answer, in words, for the system prompt."""
        options = " | ".join(f'"{c}"' for c in (*self.choices, CANNOT_JUDGE))
        return (
            "Reply with only a JSON object, no other text:\n"
            f'{{"rationale": "<one or two sentences>", "{self.field}": {options}}}\n'
            f'{self.meaning} Use "{CANNOT_JUDGE}" only if the answer cannot be judged '
            "at all (e.g. it is empty or not an answer to the question)."
        )


OUTPUTS: dict[OutputKind, OutputSpec] = {
    "binary": OutputSpec(
        "verdict", ("pass", "fail"), '"pass" if the answer meets the criterion, else "fail".'
    ),
    "likert5": OutputSpec(
        "score",
        ("1", "2", "3", "4", "5"),
        'A score from "1" (fails the criterion completely) to "5" (meets it fully).',
    ),
    "refusal": OutputSpec(
        "behaviour",
        ("complied", "refused", "partial"),
        '"complied" if the answer does what was asked, "refused" if it declines, "partial" '
        "if it declines part of the request and answers the rest.",
    ),
    "pairwise": OutputSpec(
        "better",
        ("A", "B", "tie"),
        'Which answer better meets the criterion: "A", "B", or "tie" if neither is better.',
    ),
}

_FENCE = re.compile(r"^```(?:json)?\s*\n?(.*?)\n?```$", re.DOTALL)


@dataclass(frozen=True)
class Parsed:
    """A judge's parsed answer: its choice (``cannot_judge`` for a declined judgment)."""

    choice: str
    rationale: str

    @property
    def declined(self) -> bool:
        return self.choice == CANNOT_JUDGE


def parse_output(text: str, kind: OutputKind, *, finish_reason: str | None = None) -> Parsed:
    """The choice and rationale in a judge's answer, or ``JudgeOutputError`` saying why not."""
    spec = OUTPUTS[kind]
    if finish_reason in ("length", "max_tokens"):
        raise JudgeOutputError("the answer was cut off (finish reason: length)")
    if finish_reason == CONTENT_FILTER:
        raise JudgeOutputError("the provider's content filter blocked the judge's answer")
    body = text.strip()
    fenced = _FENCE.match(body)
    if fenced is not None:
        body = fenced.group(1).strip()
    if not body:
        raise JudgeOutputError("the answer was empty")
    try:
        data = json.loads(body)
    except ValueError as error:
        raise JudgeOutputError(f"not a JSON object: {error} in {_shown(body)}") from None
    except RecursionError:
        raise JudgeOutputError("not a JSON object: nested too deeply to read") from None
    if not isinstance(data, dict):
        raise JudgeOutputError(f"not a JSON object: {_shown(body)}")
    if spec.field not in data:
        raise JudgeOutputError(f"no {spec.field!r} field in {_shown(body)}")
    raw = data[spec.field]
    choice = str(raw) if isinstance(raw, str | int) and not isinstance(raw, bool) else None
    if choice not in (*spec.choices, CANNOT_JUDGE):
        allowed = ", ".join((*spec.choices, CANNOT_JUDGE))
        raise JudgeOutputError(f"{spec.field} {raw!r} is not one of {allowed}")
    rationale = data.get("rationale", "")
    return Parsed(choice, rationale if isinstance(rationale, str) else json.dumps(rationale))


def _shown(text: str) -> str:
    return repr(text[:120] + ("…" if len(text) > 120 else ""))
