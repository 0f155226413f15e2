"""Baton's PPI++ against ``ppi-python``'s, as a reference (issue 16). Benchmark only:
``ppi-python`` is no dependency of Baton (it needs numba, scikit-learn, statsmodels and
gdown, and silences warnings process-wide on import), so it runs in its own environment.

Run: ``python -m benchmarks.calibration_ppi_reference --python /path/to/venv/bin/python``
(an environment with ``pip install ppi-python``).

On simulated strata (binary labels, a judge score in {0, 1}, n labelled of N judged,
optionally unequal weights), it compares the textbook estimator
(``ppi_mean_estimate`` without pseudo-labels) with ``ppi_py.ppi_mean_pointestimate`` and
the 90% interval of ``ppi_py.ppi_mean_ci`` (λ tuned by both), and prints the largest
differences; then Baton's interval with its Jeffreys pseudo-labels where every label
agrees, where ppi-python's has zero width.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from baton.calibration._baselines import ppi_mean_estimate

Z90 = 1.6448536269514722
_REFERENCE = """
import json, sys
import numpy as np
from ppi_py import ppi_mean_ci, ppi_mean_pointestimate
data = np.load(sys.argv[1])
out = []
for i in range(int(data["count"])):
    y, f, fu = data[f"y{i}"], data[f"f{i}"], data[f"fu{i}"]
    w, wu = data[f"w{i}"], data[f"wu{i}"]
    est = ppi_mean_pointestimate(y, f, fu, w=w, w_unlabeled=wu)
    low, high = ppi_mean_ci(y, f, fu, alpha=0.1, w=w, w_unlabeled=wu)
    out.append([float(np.ravel(est)[0]), float(np.ravel(low)[0]), float(np.ravel(high)[0])])
print(json.dumps(out))
"""


def _strata(rng: np.random.Generator, count: int, weighted: bool) -> list[dict[str, np.ndarray]]:
    out = []
    for _ in range(count):
        theta = rng.uniform(0.6, 0.995)
        n, big_n = int(rng.integers(20, 200)), int(rng.integers(500, 3000))
        y_all = (rng.random(n + big_n) < theta).astype(float)
        f_all = np.where(y_all == 1, rng.random(n + big_n) < 0.9, rng.random(n + big_n) < 0.3)
        w_all = rng.uniform(0.2, 5.0, n + big_n) if weighted else np.ones(n + big_n)
        out.append(
            {
                "y": y_all[:n],
                "f": f_all[:n].astype(float),
                "fu": f_all[n:].astype(float),
                "w": w_all[:n],
                "wu": w_all[n:],
            }
        )
    return out


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", required=True, help="a Python with ppi-python installed")
    parser.add_argument("--strata", type=int, default=300)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(16)
    for weighted in (False, True):
        strata = _strata(rng, args.strata, weighted)
        with tempfile.TemporaryDirectory() as work:
            path = Path(work) / "strata.npz"
            arrays = {f"{k}{i}": v for i, s in enumerate(strata) for k, v in s.items()}
            np.savez(path, count=len(strata), **arrays)  # type: ignore[arg-type]
            done = subprocess.run(
                [args.python, "-c", _REFERENCE, str(path)],
                check=True,
                capture_output=True,
                text=True,
            )
        reference = json.loads(done.stdout.strip().splitlines()[-1])
        d_est, d_low, d_high = [], [], []
        for s, (est, low, high) in zip(strata, reference, strict=True):
            ours = ppi_mean_estimate(
                s["y"], s["f"], s["fu"], labelled_weights=s["w"], unlabelled_weights=s["wu"]
            )
            assert ours is not None
            d_est.append(abs(ours.estimate - est))
            d_low.append(abs(ours.estimate - Z90 * ours.se - low))
            d_high.append(abs(ours.estimate + Z90 * ours.se - high))
        kind = "unequal weights" if weighted else "equal weights"
        print(
            f"{kind}, {len(strata)} strata: largest |Δ estimate| {max(d_est):.2e}, "
            f"|Δ lower| {max(d_low):.2e}, |Δ upper| {max(d_high):.2e}; "
            f"median |Δ lower| {float(np.median(d_low)):.2e}"
        )
    labels = np.ones(20)
    agree = ppi_mean_estimate(labels, np.ones(20), np.ones(500), label_bounds=(0.0, 1.0))
    assert agree is not None
    print(
        "20 labels all passing, judge agreeing: ppi-python's interval has zero width; "
        f"Baton's se {agree.se:.4f} (Jeffreys pseudo-labels)"
    )


if __name__ == "__main__":
    main()
