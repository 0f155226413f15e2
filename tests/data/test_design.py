"""The sampling design both engines evaluate: its keys are the same in Python, DuckDB and
Spark; its draw is a simple random sample within each stratum (inclusion frequencies over
many seeds match the design); DuckDB's draw is the design's draw."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest
from scipy import stats

from baton.data import IngestOptions, read_logs
from baton.data._design import (
    cutoff,
    draw_units,
    key_sql,
    rank_key,
    rank_sql,
    unit_fields,
    unit_key,
)
from baton.study import Study
from tests.data.conftest import write_jsonl

StudyFactory = Callable[..., Study]
AWKWARD: list[list[str | None]] = [
    ["eu", "plain", None],
    ["eu", None, '[{"role":"user","content":"hi"}]'],
    ["", "\x1f", "\x1e"],
    ["apac", "Grüße, 東京 — ok? 🙂", "a'b\\c"],
]


def test_unit_keys_and_ranks_are_the_same_in_python_and_duckdb() -> None:
    connection = duckdb.connect()
    for values in AWKWARD:
        literals = ["NULL" if v is None else "'" + v.replace("'", "''") + "'" for v in values]
        sql = f"SELECT {key_sql(literals)}"
        (found,) = connection.execute(sql).fetchone() or ("",)
        assert found == unit_key(values)
        (rank,) = connection.execute(f"SELECT {rank_sql(7, repr(found))}").fetchone() or ("",)
        assert rank == rank_key(7, found)


def test_unit_keys_and_ranks_are_the_same_in_spark(spark: Any) -> None:
    from pyspark.sql import functions as F

    schema = "a string, b string, c string"
    frame = spark.createDataFrame([tuple(values) for values in AWKWARD], schema)
    rows = frame.select(F.expr(key_sql(["a", "b", "c"])).alias("k")).collect()
    keys = [row["k"] for row in rows]
    assert keys == [unit_key(values) for values in AWKWARD]
    ranks = frame.select(F.expr(rank_sql(7, key_sql(["a", "b", "c"]))).alias("r")).collect()
    assert [row["r"] for row in ranks] == [rank_key(7, key) for key in keys]


SEEDS = 4000


def test_each_unit_is_drawn_with_its_inclusion_probability() -> None:
    units = [unit_key(["eu", f"prompt {i}", None]) for i in range(12)]
    n = 3
    counts = Counter(u for seed in range(SEEDS) for u in draw_units(units, n, seed))
    expected = SEEDS * n / len(units)
    chi2 = sum((counts[u] - expected) ** 2 / expected for u in units)
    assert stats.chi2.sf(chi2, len(units) - 1) > 1e-3
    assert all(abs(counts[u] - expected) < 5 * math.sqrt(expected) for u in units)


def test_every_subset_of_a_stratum_is_equally_likely() -> None:
    units = [unit_key(["us", f"prompt {i}", None]) for i in range(7)]
    n = 5
    subsets = Counter(frozenset(draw_units(units, n, seed)) for seed in range(SEEDS))
    assert len(subsets) == math.comb(7, 5)
    observed = [subsets[frozenset(c)] for c in itertools.combinations(units, n)]
    assert stats.chisquare(observed).pvalue > 1e-3
    pairs = Counter(
        pair
        for s in range(SEEDS)
        for pair in itertools.combinations(sorted(draw_units(units, n, s)), 2)
    )
    both = SEEDS * n * (n - 1) / (7 * 6)  # a simple random sample's joint inclusion
    assert all(abs(count - both) < 5 * math.sqrt(both) for count in pairs.values())


def test_the_cutoff_keeps_a_stratums_draw_all_but_surely() -> None:
    units = [unit_key(["eu", f"p{i}", None]) for i in range(2000)]
    n = 20
    limit = cutoff(n, len(units))
    assert limit is not None
    for seed in range(50):
        below = [u for u in units if rank_key(seed, u) < limit]
        assert len(below) >= n
        assert draw_units(below, n, seed) == draw_units(units, n, seed)
    assert cutoff(20, 25) is None


@pytest.mark.parametrize("seed", [0, 1, 99])
def test_duckdb_draws_the_designs_sample(
    tmp_path: Path, seed: int, study_factory: StudyFactory
) -> None:
    records = [{"prompt": f"question {i}", "region": "eu"} for i in range(40)]
    records += records[:10]  # repeats fold into their unit
    log = str(write_jsonl(tmp_path / "l.jsonl", records))
    study = study_factory(sampling={"size": 6})
    result = read_logs(study, [log], options=IngestOptions(seed=seed))
    drawn = {unit_key(["eu", item.prompt, None]) for item in result.items}
    units = [unit_key(["eu", f"question {i}", None]) for i in range(40)]
    assert drawn == set(draw_units(units, 6, seed))


@pytest.mark.parametrize("dedup", [True, False])
def test_duckdb_draws_the_designs_sample_when_a_cutoff_leaves_a_stratum_short(
    tmp_path: Path, dedup: bool, study_factory: StudyFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from baton.data import _draw

    monkeypatch.setattr(_draw, "cutoff", lambda n, units: "0" * 32)  # no unit ranks below it
    records = [{"prompt": f"question {i}", "region": "eu"} for i in range(40)]
    log = str(write_jsonl(tmp_path / "l.jsonl", records + records[:10] if dedup else records))
    study = study_factory(sampling={"size": 6, "dedup": dedup})
    result = read_logs(study, [log], options=IngestOptions(seed=5))
    fields = [None] * (len(unit_fields(0, dedup=dedup)) - 2)
    drawn = {unit_key(["eu", item.prompt, *fields]) for item in result.items}
    units = [unit_key(["eu", f"question {i}", *fields]) for i in range(40)]
    assert len(result.items) == 6
    assert drawn == set(draw_units(units, 6, 5))
