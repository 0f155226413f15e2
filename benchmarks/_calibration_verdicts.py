"""Issue 3's targets, checked against the benchmark's summary tables."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from ._calibration_speed import SpeedResult

__all__ = ["verdicts"]

COVERAGE_BAR = 0.88
ESS_BAR = 0.85
FALSE_ACCEPTANCE_BAR = 0.05
USELESS_TOLERANCE = 0.10
WARM_BAR_S, COLD_BAR_S = 3.0, 15.0


Cells = dict[tuple[str, int], float]


def _values(table: pd.DataFrame, method: str, column: str) -> Cells:
    """``column`` for one method, keyed by (family or judge, n); NaN cells left out."""
    rows = table[table["method"] == method]
    out: Cells = {}
    for source, n, value in zip(rows["source"], rows["n"], rows[column], strict=True):
        if not np.isnan(float(value)):
            out[(str(source), int(n))] = float(value)
    return out


def _of(cells: Cells, family: str) -> dict[int, float]:
    return {n: v for (s, n), v in cells.items() if s == family}


def _mark(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def _where(cells: Cells) -> str:
    return ", ".join(f"{s} n={n} {v:.3f}" for (s, n), v in cells.items()) or "none"


def _by_n(values: dict[int, float]) -> str:
    return ", ".join(f"n={n}: {v:.3f}" for n, v in sorted(values.items()))


def _coverage(table: pd.DataFrame, what: str, method: str = "bayes") -> Iterator[str]:
    for quantity in ("θ", "Δ"):
        cov = _values(table, method, f"{quantity} cov")
        counts = _values(table, method, f"{quantity} ints")
        if not cov:
            continue
        low = {k: v for k, v in cov.items() if v < COVERAGE_BAR}
        worst = min(cov, key=cov.__getitem__)
        se = float(np.sqrt(cov[worst] * (1 - cov[worst]) / counts[worst]))
        yield (
            f"{_mark(not low)} {what}: {method} {quantity} coverage ≥ {COVERAGE_BAR} in every "
            f"cell — lowest {cov[worst]:.3f} ({worst[0]} n={worst[1]}, MC s.e. {se:.3f}); "
            f"below the bar: {_where(low)}"
        )


def _width(table: pd.DataFrame) -> Iterator[str]:
    for quantity in ("θ", "Δ"):
        bayes = _values(table, "bayes", f"{quantity} width")
        ppi = _values(table, "ppi", f"{quantity} width")
        ppi_cov = _values(table, "ppi", f"{quantity} cov")
        fair = [k for k, v in ppi_cov.items() if v >= COVERAGE_BAR and k in bayes and k in ppi]
        ratio = {k: bayes[k] / ppi[k] for k in fair}
        if not ratio:
            continue
        wider = {k: v for k, v in ratio.items() if v > 1.0}
        yield (
            f"{_mark(not wider)} bayes {quantity} width ≤ PPI++ where PPI++ covers ≥ "
            f"{COVERAGE_BAR} ({len(ratio)} cells): width ratio bayes/ppi from "
            f"{min(ratio.values()):.3f} to {max(ratio.values()):.3f}; wider: {_where(wider)}"
        )


def _efficiency(table: pd.DataFrame) -> Iterator[str]:
    good = _of(_values(table, "bayes", "ESS/bound"), "good")
    if any(n >= 50 for n in good):  # the bar is for n ≥ 50 only: no such cell, no verdict
        ok = all(v >= ESS_BAR for n, v in good.items() if n >= 50)
        yield f"{_mark(ok)} good judge, n ≥ 50: bayes ESS ≥ {ESS_BAR} of the bound — {_by_n(good)}"


def _false_acceptance(table: pd.DataFrame) -> Iterator[str]:
    bayes, judge = _values(table, "bayes", "NI@−m"), _values(table, "judge", "NI@−m")
    for family in ("lenient", "incumbent-labels"):
        rate, naive = _of(bayes, family), _of(judge, family)
        if not naive:
            continue
        ok = all(v <= FALSE_ACCEPTANCE_BAR for v in rate.values())
        yield (
            f"{_mark(ok)} {family}: bayes false acceptance at Δ = −margin ≤ 5% — "
            f"{_by_n(rate) or 'never declared (no calibrated comparison)'}; "
            f"judge-only: {_by_n(naive)}"
        )


def _useless(table: pd.DataFrame) -> Iterator[str]:
    for quantity in ("θ", "Δ"):
        bayes = _of(_values(table, "bayes", f"{quantity} width"), "useless")
        human = _of(_values(table, "human", f"{quantity} width"), "useless")
        ratio = {n: bayes[n] / human[n] for n in bayes if n in human}
        if ratio:
            ok = all(abs(v - 1.0) <= USELESS_TOLERANCE for v in ratio.values())
            yield (
                f"{_mark(ok)} useless judge: bayes {quantity} width / human within 10% — "
                f"{_by_n(ratio)}"
            )


def _speed(speed: SpeedResult) -> Iterator[str]:
    yield f"{_mark(speed.warm_s <= WARM_BAR_S)} speed warm ≤ 3 s: {speed.warm_s:.2f} s"
    cold = max(speed.cold_python_s, speed.cold_cli_s)
    yield (
        f"{_mark(cold <= COLD_BAR_S)} speed cold ≤ 15 s: python {speed.cold_python_s:.2f} s, "
        f"CLI {speed.cold_cli_s:.2f} s"
    )


def _simulated(simulated: pd.DataFrame) -> list[str]:
    return [
        *_coverage(simulated, "simulated"),
        *(f"(diagnostic) {line}" for line in _coverage(simulated, "simulated", "bayes-central")),
        *_width(simulated),
        *_efficiency(simulated),
        *_false_acceptance(simulated),
        *_useless(simulated),
    ]


def verdicts(
    simulated: pd.DataFrame | None, real: pd.DataFrame | None, speed: SpeedResult | None
) -> list[str]:
    """One line per target: PASS or MISS, with the figures behind it."""
    lines = _simulated(simulated) if simulated is not None else []
    if real is not None:
        lines += list(_coverage(real, "NQ-301"))
        lines += [f"(diagnostic) {x}" for x in _coverage(real, "NQ-301", "bayes-central")]
    if speed is not None:
        lines += list(_speed(speed))
    return lines
