"""Baton: replace the LLM behind a product and know the replacement is at least as good.

The public surface is what ``__all__`` names; everything else is private.
"""

from __future__ import annotations

from baton._version import __version__
from baton.errors import BatonError
from baton.estimate import Estimates, estimate
from baton.labelling import decide
from baton.simulate import simulate_study
from baton.study import Study, load_study

__all__ = [
    "BatonError",
    "Estimates",
    "Study",
    "__version__",
    "decide",
    "estimate",
    "load_study",
    "simulate_study",
]
