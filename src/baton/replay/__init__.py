"""Replay: items x models -> responses, resumable, batch by batch."""

from __future__ import annotations

from baton.replay._engine import ReplaySummary, build_request, completion_cost, replay_responses

__all__ = ["ReplaySummary", "build_request", "completion_cost", "replay_responses"]
