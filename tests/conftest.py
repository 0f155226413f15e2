"""Fixtures shared across the suite."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests._local_llm import local_llm  # noqa: F401  (the real local model, one per session)


@pytest.fixture
def study_data() -> dict[str, Any]:
    """A small valid study document, as parsed from YAML."""
    return {
        "name": "unit",
        "service": {"system_prompt": "Be helpful.", "parameters": {"temperature": 0}},
        "incumbent": {"name": "old", "provider": "fake", "model": "m-old"},
        "candidates": [
            {"name": "new", "provider": "fake", "model": "m-new", "system_prompt": "Be brief."}
        ],
        "regions": [{"name": "eu", "traffic_share": 0.6}, {"name": "us", "traffic_share": 0.4}],
        "dimensions": [
            {
                "name": "correctness",
                "judge": {"name": "simulated"},
                "rubric": "Is it correct?",
                "margin": 0.05,
            }
        ],
        "labels": {"budget": 100},
    }


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One local Spark session for the whole test session (two cores, few partitions, no
    UI); ``baton ingest --engine spark`` draws on it as on a user's own session."""
    from pyspark.sql import SparkSession  # a JVM starts: only when a test asks for it

    session = (
        SparkSession.builder.master("local[2]")
        .appName("baton-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
