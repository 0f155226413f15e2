"""``--engine spark``: the same sample as DuckDB's on the same log, a valid stratified
random sample (inclusion frequencies over many seeds match the design), and errors that
stay one line naming the file and the field."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from baton.data import IngestOptions, IngestResult, read_logs
from baton.errors import InputError
from baton.study import Study
from tests.data.conftest import FORMATS, write_jsonl, write_log

StudyFactory = Callable[..., Study]
SEGMENTS = ("free", "pro", "enterprise")


def production_log(n: int = 1500, *, seed: int = 3) -> list[dict[str, Any]]:
    """Skewed regions and segments, prompts repeated with a heavy head, a month of times,
    one region outside the study."""
    rng = random.Random(seed)
    records = []
    for i in range(n):
        region = rng.choices(["eu", "us", "apac", "mars"], weights=[50, 30, 15, 5])[0]
        head = rng.random() < 0.4
        prompt = f"{region} question {int(rng.random() ** 3 * 40) if head else 1000 + i}"
        records.append(
            {
                "prompt": prompt,
                "region": region,
                "tier": rng.choice(SEGMENTS),
                "answer": f"answer {i} to {prompt}",
                "ts": f"2024-03-{1 + i % 28:02d}T{i % 24:02d}:00:00Z",
                "channel": "web" if i % 4 else "app",
            }
        )
    return records


def both(study: Study, log: str, spark: Any, **options: Any) -> tuple[IngestResult, IngestResult]:
    duck = read_logs(study, [log], options=IngestOptions(**options))
    on_spark = read_logs(
        study, [log], options=IngestOptions(engine="spark", spark_session=spark, **options)
    )
    return duck, on_spark


def items_of(result: IngestResult) -> list[tuple[Any, ...]]:
    return sorted(
        (i.item_id, i.region, i.prompt, i.segment, i.frequency, i.inclusion_prob, i.weight)
        for i in result.items
    )


def answers(result: IngestResult) -> list[tuple[str, str | None]]:
    return sorted((r.item_id, r.text) for r in result.responses)


def weights_by_region(result: IngestResult) -> dict[str, float]:
    totals: dict[str, float] = {}
    for item in result.items:
        totals[item.region] = totals.get(item.region, 0.0) + item.weight
    return totals


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_engines_draw_the_same_sample(
    tmp_path: Path, fmt: str, spark: Any, study_factory: StudyFactory
) -> None:
    study = study_factory(
        fields={"incumbent_answer": "answer", "timestamp": "ts"},
        sampling={"size": 120, "strata": ["tier"], "since": "2024-03-03", "seed": 11},
    )
    log = str(write_log(tmp_path, production_log(), fmt))
    duck, on_spark = both(study, log, spark)
    assert len(duck.items) == 120
    assert items_of(on_spark) == items_of(duck)
    assert answers(on_spark) == answers(duck)
    assert on_spark.summary.regions == duck.summary.regions
    assert weights_by_region(on_spark) == pytest.approx(weights_by_region(duck))
    for name in ("records", "duplicates", "outside_window", "outside_regions", "fields"):
        assert getattr(on_spark.summary, name) == getattr(duck.summary, name), name
    assert on_spark.summary.outside_regions["mars"] > 0


def test_without_dedup_both_weigh_each_region_to_its_records(
    tmp_path: Path, spark: Any, study_factory: StudyFactory
) -> None:
    study = study_factory(
        fields={"incumbent_answer": "answer"}, sampling={"size": 90, "dedup": False}
    )
    log = str(write_log(tmp_path, production_log(900), "parquet"))
    duck, on_spark = both(study, log, spark, where="channel = 'web'")
    assert items_of(on_spark) == items_of(duck)
    assert on_spark.summary.where_filtered == duck.summary.where_filtered > 0
    for result in (duck, on_spark):
        records = {name: r.records for name, r in result.summary.regions.items()}
        assert weights_by_region(result) == pytest.approx(records)


def test_equal_allocation_and_custom_seeds_agree(
    tmp_path: Path, spark: Any, study_factory: StudyFactory
) -> None:
    study = study_factory(sampling={"size": 60, "allocation": "equal"})
    log = str(write_log(tmp_path, production_log(), "parquet"))
    for seed in (1, 2, 3):
        duck, on_spark = both(study, log, spark, seed=seed)
        assert Counter(i.region for i in duck.items) == {"eu": 20, "us": 20, "apac": 20}
        assert items_of(on_spark) == items_of(duck)


def test_a_table_name_is_drawn_like_the_file(
    tmp_path: Path, spark: Any, study_factory: StudyFactory
) -> None:
    study = study_factory(sampling={"size": 50, "strata": ["tier"]})
    log = str(write_log(tmp_path, production_log(600), "parquet"))
    spark.read.parquet(log).createOrReplaceTempView("baton_logs")
    duck = read_logs(study, [log])
    on_spark = study_factory(sampling={"size": 50, "strata": ["tier"]}, engine="spark")
    from_table = read_logs(on_spark, ["table:baton_logs"])  # on the session already running
    assert items_of(from_table) == items_of(duck)
    assert from_table.summary.files[0].format == "table"


def test_invalid_records_are_rejected_by_file_and_field_and_skipped_alike(
    tmp_path: Path, spark: Any, study_factory: StudyFactory
) -> None:
    records = production_log(300)
    records[7]["prompt"] = "  "
    records[9]["ts"] = "not a time"
    log = str(write_jsonl(tmp_path / "logs.jsonl", records))
    study = study_factory(fields={"timestamp": "ts"}, sampling={"size": 30})
    with pytest.raises(InputError) as raised:
        read_logs(study, [log], options=IngestOptions(engine="spark", spark_session=spark))
    assert raised.value.source == log
    assert raised.value.field in {"prompt", "ts"}
    assert "\n" not in str(raised.value)
    rejects = tmp_path / "rejects.jsonl"
    duck, on_spark = both(study, log, spark, skip_invalid=True, rejects_path=rejects)
    assert on_spark.summary.rejected == duck.summary.rejected == 2
    assert sorted(line.count('"field"') for line in rejects.read_text().splitlines()) == [1, 1]
    assert items_of(on_spark) == items_of(duck)


def one_line_error(study: Study, logs: list[str], spark: Any, **options: Any) -> InputError:
    opts = IngestOptions(engine="spark", spark_session=spark, **options)
    with pytest.raises(InputError) as raised:
        read_logs(study, logs, options=opts)
    assert "\n" not in str(raised.value)
    return raised.value


def test_errors_name_the_file_and_the_field_in_one_line(
    tmp_path: Path, spark: Any, study_factory: StudyFactory
) -> None:
    log = str(write_log(tmp_path, production_log(50), "parquet"))
    missing = one_line_error(study_factory(fields={"prompt": "question"}), [log], spark)
    assert (missing.source, missing.field) == (log, "question")
    assert "no such column (the prompt)" in str(missing)
    absent = one_line_error(study_factory(), [str(tmp_path / "nope.parquet")], spark)
    assert "no such file" in str(absent)
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 this is not a parquet file at all")
    unreadable = one_line_error(study_factory(), [str(broken)], spark)
    assert unreadable.source == str(broken)
    where = one_line_error(study_factory(), [log], spark, where="no_such_column = 1")
    assert where.source == "--where"
    garbled = tmp_path / "garbled.jsonl"
    garbled.write_text('{"prompt": "hi", "region": "eu"}\n{"prompt": oops\n', encoding="utf-8")
    bad_line = one_line_error(study_factory(), [str(garbled)], spark)
    assert (bad_line.source, str(bad_line).count("not a JSON object")) == (str(garbled), 1)


def test_delta_without_its_connector_says_what_to_install(
    tmp_path: Path, spark: Any, study_factory: StudyFactory
) -> None:
    table = tmp_path / "events"
    (table / "_delta_log").mkdir(parents=True)
    error = one_line_error(study_factory(), [str(table)], spark)
    assert "delta-spark" in str(error)
    assert error.source == str(table)


def test_a_log_of_unknown_format_is_refused_before_spark_reads_it(
    tmp_path: Path, spark: Any, study_factory: StudyFactory
) -> None:
    log = tmp_path / "logs.txt"
    log.write_text("x", encoding="utf-8")
    error = one_line_error(study_factory(), [str(log)], spark)
    assert "parquet:" in str(error)


def test_without_pyspark_the_command_says_what_to_install(
    tmp_path: Path, study_data: dict[str, Any]
) -> None:
    study = tmp_path / "study.yaml"
    study.write_text(json.dumps(study_data), encoding="utf-8")
    log = write_log(tmp_path, production_log(20), "jsonl")
    code = (
        "import sys\n"
        "sys.modules['pyspark'] = None  # as if it were not installed\n"
        "from baton.cli.main import main\n"
        f"sys.exit(main(['ingest', {str(study)!r}, {str(log)!r}, '--engine', 'spark']))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert "pip install 'baton-migrate[spark]'" in done.stderr
