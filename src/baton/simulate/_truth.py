"""The truth a simulated study exposes, so tests and benchmarks can score any estimate."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.polynomial.hermite_e import hermegauss
from scipy.optimize import brentq
from scipy.special import expit

from baton.calibration import ALL_REGIONS
from baton.simulate._scenario import StratumKey

__all__ = ["Truth", "logit_offset"]

_NODES, _WEIGHTS = hermegauss(64)
_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()


def _mean_pass(offset: float, difficulty_sd: float) -> float:
    return float(np.dot(_WEIGHTS, expit(offset + difficulty_sd * _NODES)))


def logit_offset(pass_rate: float, difficulty_sd: float) -> float:
    """The logit offset whose pass rate, averaged over prompt difficulty, is ``pass_rate``."""
    if not 0.0 < pass_rate < 1.0:
        return float(np.copysign(np.inf, pass_rate - 0.5))
    return float(brentq(lambda c: _mean_pass(c, difficulty_sd) - pass_rate, -40.0, 40.0))


@dataclass(frozen=True)
class Truth:
    """True pass rates per (dimension, model, region) and the differences they imply.

    ``latent`` is the rate of truly passing answers; ``human`` the rate at which human
    labels say pass (raters err, both ways) — the quantity Baton estimates.
    """

    latent: Mapping[StratumKey, float]
    mean_rater_error: float
    shares: Mapping[str, float]
    incumbent: str

    def human(self, dimension: str, model: str, region: str) -> float:
        """The expected human-label pass rate; ``region="ALL"`` pools by traffic share."""
        if region == ALL_REGIONS:
            return sum(s * self.human(dimension, model, r) for r, s in self.shares.items())
        theta = self.latent[(dimension, model, region)]
        eps = self.mean_rater_error
        return theta * (1.0 - eps) + (1.0 - theta) * eps

    def delta(self, dimension: str, candidate: str, region: str) -> float:
        """True candidate − incumbent human pass rate."""
        return self.human(dimension, candidate, region) - self.human(
            dimension, self.incumbent, region
        )

    def noninferior(self, dimension: str, candidate: str, region: str, margin: float) -> bool:
        return self.delta(dimension, candidate, region) > -margin
