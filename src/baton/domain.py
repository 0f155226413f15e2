"""The nouns of Baton, as frozen dataclasses used inside the package.

Item (a production prompt), Response (a model's answer to an item), Verdict (an automated
judge's output on a response for one dimension), Label (a human judgment of a response for
one dimension), Stratum (model x region x dimension), Look (the label loop looking at a
region and dimension) and LookCall (a candidate's call made at a look, frozen from then).
Pydantic lives at the boundaries (``baton.study``, storage rows); these are the values the
stages pass to each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "ExpectedBehaviour",
    "Item",
    "Label",
    "Look",
    "LookCall",
    "Message",
    "Response",
    "ResponseSource",
    "Role",
    "Stratum",
    "Verdict",
]

Role = Literal["system", "user", "assistant"]
ExpectedBehaviour = Literal["answer", "refuse"]
ResponseSource = Literal["replayed", "logged"]


@dataclass(frozen=True)
class Message:
    """One turn of a conversation."""

    role: Role
    content: str


@dataclass(frozen=True)
class Item:
    """One production prompt with its metadata.

    ``weight`` is the traffic the item stands for (for a sample drawn from logs:
    ``frequency / inclusion_prob``, the number of logged interactions it represents);
    ``inclusion_prob`` is the probability with which it was drawn within its stratum, and
    ``frequency`` how many identical prompts it stands for after deduplication.
    """

    item_id: str
    region: str
    prompt: str
    context: tuple[Message, ...] = ()
    segment: str | None = None
    reference: str | None = None
    expected_behaviour: ExpectedBehaviour | None = None
    weight: float = 1.0
    inclusion_prob: float = 1.0
    frequency: int = 1


@dataclass(frozen=True)
class Response:
    """One model's answer to one item. ``error`` is set (and ``text`` is None) on failure,
    as ``"<cause>: <message>"``. ``finish_reason`` is the provider's reason for stopping
    (``stop``, ``length``, ...) when it says one. ``source`` says whether the answer was
    replayed by Baton or taken from the production logs (the incumbent's logged answer).
    ``request_key`` is the content address of the request that produced it (the replay
    cache's key: provider, base URL, model, parameters, messages), None for a logged answer
    or one stored before Baton kept it; a study whose request differs makes it stale."""

    item_id: str
    model: str
    text: str | None
    input_tokens: int = 0
    output_tokens: int = 0
    latency_s: float = 0.0
    cost_usd: float = 0.0
    error: str | None = None
    finish_reason: str | None = None
    source: ResponseSource = "replayed"
    request_key: str | None = None


@dataclass(frozen=True)
class Verdict:
    """An automated judge's output on one response for one dimension.

    ``category`` is the judge's output as a category (0/1 for binary judges, 1..5 for
    Likert). An abstention has ``category`` None and says why in ``abstention``; it is
    never turned into a score. ``outcome`` is a finer reading where the judge gives one
    (the refusal judge: ``appropriate_answer``, ``over_refusal``, ``under_refusal``,
    ``appropriate_refusal``, ``partial_refusal``); tokens and ``cost_usd`` are what judging
    this response cost (zero for deterministic checks and cached calls). ``case_key`` hashes
    what was judged (the answer, and the incumbent's it was read against): a verdict whose
    answers have since changed is stale (None: stored before Baton kept it).
    """

    item_id: str
    model: str
    dimension: str
    judge: str
    judge_version: str
    category: int | None
    rationale: str = ""
    abstention: str | None = None
    outcome: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    case_key: str | None = None

    def __post_init__(self) -> None:
        if (self.category is None) == (self.abstention is None):
            raise ValueError("a verdict has exactly one of a category or an abstention reason")


@dataclass(frozen=True)
class Label:
    """One human rater's judgment of one response for one dimension (1 pass, 0 fail).

    ``inclusion_prob`` is the probability with which the response was chosen for labelling
    within its stratum, so estimates stay unbiased under non-uniform selection.
    """

    item_id: str
    model: str
    dimension: str
    rater: str
    value: int
    inclusion_prob: float = 1.0
    note: str = ""


@dataclass(frozen=True, order=True)
class Stratum:
    """The unit of estimation: one model's answers in one region on one dimension."""

    dimension: str
    model: str
    region: str


@dataclass(frozen=True)
class Look:
    """One look of the label loop at a region and dimension: its labels then
    (``information``) and the share of the study's label budget spent (``time``)."""

    dimension: str
    region: str
    information: float
    time: float


@dataclass(frozen=True)
class LookCall:
    """A candidate's go or no-go on a dimension in a region, made at a look (with the
    P(Δ > −margin) it had and the threshold it needed) and frozen from then on."""

    candidate: str
    dimension: str
    region: str
    outcome: Literal["go", "no_go"]
    p_noninferior: float
    threshold: float
    information: float
