"""The calibration benchmark runs at toy size (the figures themselves come from the benchmark)."""

from __future__ import annotations

import pytest
from benchmarks._calibration_records import bound_width, condensed, summarise, to_markdown
from benchmarks._calibration_sim import METHODS, Task, run_task
from benchmarks._calibration_speed import SpeedResult
from benchmarks._calibration_verdicts import verdicts
from benchmarks.calibration import _speed_text


def test_one_replication_yields_an_interval_per_stratum_and_comparison() -> None:
    records = run_task(Task("uneven", n=20, rep=0, items=150, draws=200))
    bayes = [r for r in records if r.method == "bayes"]
    assert sum(r.kind == "theta" for r in bayes) == 2 * 4  # two models × four regions
    assert sum(r.kind == "delta" for r in bayes) == 4
    assert sum(r.at_margin for r in bayes) == 1  # eu: the candidate sits at −margin
    assert {r.method for r in records} == {"bayes", "bayes-central", "ppi", "human", "judge"}
    table = summarise(records, METHODS)
    assert set(table["method"]) == {"bayes", "bayes-central", "ppi", "human", "judge"}
    assert "| uneven | 20 |" in to_markdown(condensed(table))
    assert any(line.startswith(("PASS", "MISS")) for line in verdicts(table, None, None))


def test_unlabelled_strata_are_counted_as_uncalibrated() -> None:
    records = run_task(Task("incumbent-labels", n=20, rep=0, items=100, draws=200))
    candidate = [r for r in records if r.method == "bayes" and "candidate" in r.key]
    assert candidate
    assert not any(r.labelled or r.calibrated for r in candidate)


def test_likert_family_also_runs_the_thresholded_judge() -> None:
    records = run_task(Task("likert", n=20, rep=0, items=100, draws=200))
    assert "bayes-thr" in {r.method for r in records}


def test_bound_width_shrinks_with_a_better_judge() -> None:
    human_only = bound_width(0.8, 0.0, 50, 2000)
    assert human_only == pytest.approx(2 * 1.6448536 * (0.16 / 50) ** 0.5, rel=1e-6)
    assert bound_width(0.8, 0.6, 50, 2000) < human_only


def test_speed_alone_gets_its_verdicts() -> None:
    speed = SpeedResult(
        rows=180_000,
        warm_s=2.0,
        cold_python_s=9.0,
        cold_cli_s=16.0,
        import_s=3.0,
        load=(1.0, 1.0, 1.0),
        warm_cpu_s=1.5,
    )
    lines = verdicts(None, None, speed)
    assert [line[:4] for line in lines] == ["PASS", "MISS"]
    assert "(CPU 1.50 s)" in _speed_text(speed)


def test_the_boundary_benchmark_runs_every_prior_at_toy_size() -> None:
    import pandas as pd
    from benchmarks.calibration_boundary import PRIORS, _replication, summarise

    rows = _replication(("0.97–0.995", 5, 0, 60, PRIORS))
    assert {r["prior"] for r in rows} == set(PRIORS)
    assert sum(bool(r["pooled"]) for r in rows) == len(PRIORS)  # one pooled interval each
    assert "| 0.97–0.995 | 5 | shipped |" in summarise(pd.DataFrame(rows))


def test_the_sequential_benchmark_runs_every_user_at_toy_size() -> None:
    from benchmarks.calibration_sequential import USERS, Settings, _run_study

    settings = Settings(
        regions=2, items=60, batch=10, rounds=3, margin=0.05, confidence=0.95, draws=200
    )
    result = _run_study(1, settings)
    assert set(result) == set(USERS)
    assert all(len(calls) == 2 for calls in result.values())


def test_first_rep_moves_the_replications_and_keeps_the_default() -> None:
    # Fails if --first-rep is ignored (fresh runs would repeat seeds 0…) or shifts the default.
    from benchmarks.calibration import _parser, _sim_tasks

    default = _sim_tasks(_parser().parse_args(["--reps", "3", "--ns", "20"]))
    assert sorted({t.rep for t in default}) == [0, 1, 2]
    later = _sim_tasks(_parser().parse_args(["--reps", "3", "--ns", "20", "--first-rep", "300"]))
    assert sorted({t.rep for t in later}) == [300, 301, 302]


def test_the_tail_benchmark_refits_the_calibration_benchmarks_tables() -> None:
    # Same seeds as benchmarks.calibration: the bayes and human fits of a replication give
    # the same P(Δ > −margin) as its records (fails if the table, seed or fit drift apart).
    import pandas as pd
    from benchmarks.calibration_tail import FITS, replication, summarise

    rows = replication("lenient", 20, 0, 150, 200)
    assert [r["fit"] for r in rows] == list(FITS)
    records = run_task(Task("lenient", n=20, rep=0, items=150, draws=200))
    for fit in ("bayes", "human"):
        (record,) = [r for r in records if r.method == fit and r.kind == "delta"]
        (row,) = [r for r in rows if r["fit"] == fit]
        assert row["p_noninferior"] == pytest.approx(record.p_noninferior)
    assert all(int(r["a_only"]) + int(r["b_only"]) <= 20 for r in rows)  # type: ignore[call-overload]
    assert "| bayes | human |" in summarise(pd.DataFrame(rows))
