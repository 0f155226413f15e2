"""Baton: replace the LLM behind a product and know the replacement is at least as good."""

from __future__ import annotations

from baton.errors import BatonError
from baton.study import Study, load_study

__all__ = ["BatonError", "Study", "__version__", "load_study"]

__version__ = "0.1.0"
