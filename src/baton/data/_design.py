"""The sampling design, written once for every engine that draws it (DuckDB, Spark).

An engine only evaluates what this module says; so the engines cannot drift, and on the
same log they draw the same items.

- **Unit**: what is drawn. With ``dedup`` a distinct (region, strata, prompt, messages);
  without it a record. Its key is ``md5`` of those values joined by U+001F, a missing value
  written U+001E (``unit_key`` in Python, ``key_sql`` in SQL): both engines compute the same
  hex string from the same values.
- **Strata**: region, then the study's secondary strata. The region's size comes from the
  study's allocation over the logged traffic, spread over its strata in proportion to their
  traffic (``plan_draw``, from ``_allocation``).
- **Draw**: within a stratum of ``units`` units, the ``n`` with the smallest
  ``md5(seed U+001F unit key)`` (``rank_key`` / ``rank_sql``; ties, which only identical
  records make, by the unit key): a simple random sample without replacement, the same
  for the same seed whatever the engine, the threads or the order of the files. Each drawn
  unit's inclusion probability is ``n / units``; its frequency is its number of records,
  and its weight ``frequency / inclusion probability`` (records it stands for).
- **Representative**: a deduplicated unit's record is the one with the smallest record key
  (``md5`` of every field an item is made of), so its logged answer, segment and reference
  do not depend on the order the engine read the records in.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from baton.data._allocation import region_allocation, stratum_allocation
from baton.study import IngestSampling

__all__ = [
    "KEY_FIELDS",
    "RECORD_FIELDS",
    "DrawPlan",
    "StratumCount",
    "cutoff",
    "draw_units",
    "key_sql",
    "plan_draw",
    "rank_key",
    "rank_sql",
    "unit_fields",
    "unit_key",
]

SEP = "\x1f"
NULL = "\x1e"
KEY_FIELDS = ("region", "prompt", "messages")
"""The fields a deduplicated unit is made of (with the secondary strata, after region)."""
RECORD_FIELDS = ("segment", "answer", "reference", "expected", "id")
"""The other fields of an item: with ``KEY_FIELDS``, the record key; the unit key without
dedup."""

StratumKey = tuple[str | None, ...]


def unit_fields(strata: int, *, dedup: bool) -> list[str]:
    """The normalised columns a unit key hashes, in order (``s0``.. are the strata)."""
    key = ["region", *(f"s{i}" for i in range(strata)), *KEY_FIELDS[1:]]
    return key if dedup else [*key, *RECORD_FIELDS]


def key_sql(values: Sequence[str]) -> str:
    """SQL (DuckDB and Spark alike) for the key of text ``values``: ``unit_key`` in SQL."""
    parts = f", chr({ord(SEP)}), ".join(f"coalesce({value}, chr({ord(NULL)}))" for value in values)
    return f"md5(concat({parts}))"


def unit_key(values: Sequence[str | None]) -> str:
    """The key of ``values`` (text or missing), as ``key_sql`` computes it."""
    text = SEP.join(NULL if value is None else value for value in values)
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def rank_sql(seed: int, unit: str) -> str:
    """SQL: a unit's place in the draw for ``seed`` (smaller is drawn first)."""
    return f"md5(concat('{int(seed)}', chr({ord(SEP)}), {unit}))"


def rank_key(seed: int, unit: str) -> str:
    """A unit's place in the draw for ``seed``, as ``rank_sql`` computes it."""
    return hashlib.md5(f"{int(seed)}{SEP}{unit}".encode(), usedforsecurity=False).hexdigest()


def draw_units(units: Sequence[str], n: int, seed: int) -> list[str]:
    """The draw of one stratum in Python: the ``n`` unit keys of smallest rank for ``seed``
    (what the engines compute in SQL; the reference their tests hold them to)."""
    return sorted(units, key=lambda unit: (rank_key(seed, unit), unit))[:n]


def cutoff(n: int, units: int) -> str | None:
    """A rank below which a stratum's ``n`` smallest of ``units`` lie all but surely (more
    than 8 standard deviations of the count below it), as a hex string to compare ranks
    with; None when the whole stratum must be ranked. An engine that filters by it checks
    that at least ``n`` units passed, and ranks the whole stratum when not."""
    if n <= 0 or units <= 0:
        return None
    share = (n + 8 * math.sqrt(n) + 16) / units
    if share >= 1:
        return None
    return f"{math.ceil(share * 16**32):032x}"


@dataclass(frozen=True)
class StratumCount:
    """A stratum's distinct units and records (its traffic) in the logs."""

    units: int
    records: int


@dataclass(frozen=True)
class DrawPlan:
    """Items to draw per stratum (``sizes[(region, *strata)] = (n, units)``) and, per
    study region, the figures of the summary."""

    sizes: dict[tuple[str | None, ...], tuple[int, int]]
    regions: dict[str, dict[str, int]]

    def inclusion_prob(self, stratum: tuple[str | None, ...]) -> float:
        n, units = self.sizes[stratum]
        return n / units


def plan_draw(
    sampling: IngestSampling,
    regions: Sequence[str],
    counts: Mapping[tuple[str | None, ...], StratumCount],
) -> DrawPlan:
    """How many units each stratum gives: ``counts`` is keyed by (region, *strata)."""
    units: dict[str, dict[StratumKey, int]] = {r: {} for r in regions}
    traffic: dict[str, dict[StratumKey, int]] = {r: {} for r in regions}
    for (region, *strata), count in counts.items():
        if region in units:
            units[region][tuple(strata)] = count.units
            traffic[region][tuple(strata)] = count.records
    wanted = region_allocation(
        sampling, {r: sum(traffic[r].values()) for r in regions}, list(regions)
    )
    sizes: dict[tuple[str | None, ...], tuple[int, int]] = {}
    figures: dict[str, dict[str, int]] = {}
    for region in regions:
        size = min(wanted[region], sum(units[region].values()))
        for key, n in stratum_allocation(size, traffic[region], units[region]).items():
            if n:
                sizes[(region, *key)] = (n, units[region][key])
        figures[region] = {
            "records": sum(traffic[region].values()),
            "units": sum(units[region].values()),
            "allocated": wanted[region],
            "drawn": size,
        }
    return DrawPlan(sizes, figures)
