"""Speed of ``baton plan`` on the demo-sized study (target: ≤ 10 s), and its figures.

Run: ``python -m benchmarks.plan`` (``--study PATH`` to plan an existing study instead of a
fresh demo store; ``--simulate-reps N`` to time the simulated loop, ``baton plan
--simulate``, too). Times the Python verb ``baton.plan`` end to end (opening the store,
reading the judged responses, planning), best and median of ``--repeats`` runs, and prints
the plan's total labels and how many cells are not reached, by reason.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from pathlib import Path

from baton.decision import JudgePrior, LabelPlan
from baton.steps import DemoOptions, plan, run_demo


def _timed(study: Path, prior: JudgePrior, **options: object) -> tuple[float, LabelPlan]:
    started = time.perf_counter()
    result = plan(study, prior, **options)  # type: ignore[arg-type]
    return time.perf_counter() - started, result


def _reasons(result: LabelPlan) -> Counter[str]:
    return Counter(c.reason.removeprefix("95% ").split(":")[0] for c in result.cells if c.reason)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--study", type=Path, default=None, help="an existing study.yaml")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--judge", type=float, default=0.95, help="prior Se = Sp")
    parser.add_argument("--simulate-reps", type=int, default=0, help="also time --simulate")
    args = parser.parse_args()
    prior = JudgePrior(args.judge, args.judge)
    with tempfile.TemporaryDirectory() as out:
        study = args.study
        if study is None:
            started = time.perf_counter()
            run_demo(Path(out), options=DemoOptions())
            print(f"demo store built in {time.perf_counter() - started:.0f} s")
            study = Path(out) / "study.yaml"
        seconds, result = [], None
        for _ in range(args.repeats):
            took, result = _timed(study, prior)
            seconds.append(took)
        assert result is not None
        seconds.sort()
        print(
            f"baton plan (normal approximation, {result.replications} paths): best "
            f"{seconds[0]:.2f} s, median {seconds[len(seconds) // 2]:.2f} s over "
            f"{args.repeats} runs (target ≤ 10 s)"
        )
        print(
            f"  cells {len(result.cells)}, strata {len(result.strata)}; whole study with 80%: "
            f"{result.total_80 or 'not reached'}, 95%: {result.total_95 or 'not reached'}"
        )
        for reason, count in _reasons(result).most_common():
            print(f"  not reached ({reason}): {count} cells")
        if args.simulate_reps:
            took, simulated = _timed(study, prior, simulate=True, replications=args.simulate_reps)
            print(
                f"baton plan --simulate --replications {args.simulate_reps}: {took:.0f} s; "
                f"whole study with 80%: {simulated.total_80 or 'not reached'}"
            )


if __name__ == "__main__":
    main()
