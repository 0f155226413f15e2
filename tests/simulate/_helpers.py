from __future__ import annotations

import numpy as np

from baton.simulate import SimulatedStudy, StratumKey


def latent_share(world: SimulatedStudy, key: StratumKey) -> float:
    return float(np.mean(world._draws.latent[key]))


def judged_share(world: SimulatedStudy, key: StratumKey) -> tuple[float, float]:
    """Realised sensitivity and specificity of the judge in one stratum."""
    latent = world._draws.latent[key]
    says_pass = world._draws.judged[key] == 1
    return float(np.mean(says_pass[latent])), float(np.mean(~says_pass[~latent]))
