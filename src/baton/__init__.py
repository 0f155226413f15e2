"""Baton: replace the LLM behind a product and know the replacement is at least as good."""

from __future__ import annotations

from baton._version import __version__
from baton.errors import BatonError
from baton.simulate import simulate_study
from baton.study import Study, load_study

__all__ = ["BatonError", "Study", "__version__", "load_study", "simulate_study"]
