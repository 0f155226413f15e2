"""A dry run: what a replay would call and about what it would cost, calling nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from baton.domain import Item
from baton.replay._batching import calls_for, chunks, pending_pairs
from baton.replay._requests import batch_token_cost, estimated_tokens, token_cost
from baton.storage import Store
from baton.study import Study

__all__ = ["ModelPlan", "ReplayPlan", "plan_replay"]

_LOOKAHEAD = 2000


@dataclass(frozen=True)
class ModelPlan:
    """One model's share of a replay: ``pending`` pairs, of which ``cached`` need no call
    (the cache, or an identical request to another model, answers them), and the
    ``calls`` left, with their estimated tokens and cost (output at most ``max_tokens``);
    ``stale`` of the pending pairs hold a response to what the study asked before;
    ``batch_cost_usd`` what the calls would cost through the provider's batch API."""

    model: str
    pending: int
    cached: int
    calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: float
    stale: int = 0
    batch_cost_usd: float = 0.0


@dataclass(frozen=True)
class ReplayPlan:
    """What ``baton replay --dry-run`` shows."""

    models: tuple[ModelPlan, ...]

    @property
    def calls(self) -> int:
        return sum(m.calls for m in self.models)

    @property
    def cost_usd(self) -> float:
        return sum(m.cost_usd for m in self.models)

    @property
    def batch_cost_usd(self) -> float:
        return sum(m.batch_cost_usd for m in self.models)

    @property
    def stale(self) -> int:
        return sum(m.stale for m in self.models)


def plan_replay(
    study: Study, items: Sequence[Item], store: Store, *, cache: bool = True
) -> ReplayPlan:
    """The calls a replay of ``items`` would make now, per model, with estimated cost."""
    rows = {spec.name: [0, 0, 0, 0, 0] for spec in study.models}  # pending, cached, calls, in, out
    pending = pending_pairs(study, items, store)
    for chunk in chunks(pending.pairs, _LOOKAHEAD):
        calls = calls_for(study, chunk, share=cache)
        hits = store.cached(list(calls)) if cache else {}
        for key, call in calls.items():
            for _, spec in call.targets:
                rows[spec.name][0] += 1
                rows[spec.name][1] += 1
            if key in hits:
                continue
            row = rows[call.spec.name]
            row[1] -= 1
            row[2] += 1
            tokens_in, tokens_out = estimated_tokens(call.request)
            row[3] += tokens_in
            row[4] += tokens_out
    plans = []
    for spec in study.models:
        asked, cached, calls_left, tokens_in, tokens_out = rows[spec.name]
        cost = token_cost(spec, tokens_in, tokens_out)
        plans.append(
            ModelPlan(
                spec.name,
                asked,
                cached,
                calls_left,
                tokens_in,
                tokens_out,
                cost,
                stale=pending.stale[spec.name],
                batch_cost_usd=batch_token_cost(spec, tokens_in, tokens_out),
            )
        )
    return ReplayPlan(tuple(plans))
