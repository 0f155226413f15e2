"""Allocation arithmetic: exact totals, proportions, capacities."""

from __future__ import annotations

import pytest

from baton.data._allocation import largest_remainder, region_allocation, stratum_allocation
from baton.study import IngestSampling


@pytest.mark.parametrize(
    ("total", "weights", "expected"),
    [
        (10, {"a": 1, "b": 1, "c": 1}, {"a": 4, "b": 3, "c": 3}),
        (50, {"eu": 600, "us": 300, "apac": 100}, {"eu": 30, "us": 15, "apac": 5}),
        (7, {"x": 0.5, "y": 0.3, "z": 0.2}, {"x": 4, "y": 2, "z": 1}),
        (0, {"a": 1}, {"a": 0}),
        (5, {"a": 0, "b": 0}, {"a": 0, "b": 0}),
    ],
)
def test_largest_remainder(total: int, weights: dict[str, float], expected: dict[str, int]) -> None:
    assert largest_remainder(total, weights) == expected


def test_largest_remainder_always_sums_to_the_total() -> None:
    weights = {f"r{i}": float(i * i + 1) for i in range(13)}
    for total in range(0, 200, 7):
        assert sum(largest_remainder(total, weights).values()) == total


def test_region_allocations() -> None:
    traffic = {"eu": 700, "us": 200, "apac": 100, "other": 5000}
    regions = ["eu", "us", "apac"]
    proportional = IngestSampling(size=100)
    assert region_allocation(proportional, traffic, regions) == {"eu": 70, "us": 20, "apac": 10}
    equal = IngestSampling(size=100, allocation="equal")
    assert region_allocation(equal, traffic, regions) == {"apac": 34, "eu": 33, "us": 33}
    custom = IngestSampling(allocation="custom", per_region={"eu": 5, "apac": 2})
    assert region_allocation(custom, traffic, regions) == {"eu": 5, "us": 0, "apac": 2}


def test_equal_allocation_skips_regions_without_traffic() -> None:
    equal = IngestSampling(size=10, allocation="equal")
    assert region_allocation(equal, {"eu": 5, "us": 9}, ["eu", "us", "apac"]) == {
        "eu": 5,
        "us": 5,
        "apac": 0,
    }


def test_strata_share_by_traffic_and_full_strata_pass_the_rest_on() -> None:
    traffic = {("free",): 750, ("pro",): 250}
    assert stratum_allocation(20, traffic, {("free",): 500, ("pro",): 100}) == {
        ("free",): 15,
        ("pro",): 5,
    }
    assert stratum_allocation(20, traffic, {("free",): 500, ("pro",): 2}) == {
        ("free",): 18,
        ("pro",): 2,
    }
    assert stratum_allocation(20, traffic, {("free",): 3, ("pro",): 2}) == {
        ("free",): 3,
        ("pro",): 2,
    }
