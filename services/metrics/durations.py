"""Times to accept and to resolve, kept as histogram bucket counts.

A median cannot be summed, but bucket counts can: each case adds 1 to the bucket
its time falls in, so days, grids and redeliveries add up like any other cell,
and the median and 90th percentile of any period are read from the summed
buckets, interpolating within a bucket as Prometheus' histogram_quantile does.
The bounds follow the time limits the field works to: minutes for an accept,
hours to days for a resolution.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

# upper bounds in seconds: 5, 15, 30 min; 1, 2, 4, 8, 12 h; 1, 2, 3, 7, 14, 30 days; +Inf
BOUNDS_SECONDS: tuple[float, ...] = (
    300,
    900,
    1800,
    3600,
    7200,
    14400,
    28800,
    43200,
    86400,
    172800,
    259200,
    604800,
    1209600,
    2592000,
    math.inf,
)
KINDS = ("accept", "resolve")


def bucket_measure(kind: str, bound: float) -> str:
    return f"{kind}_le_{'inf' if math.isinf(bound) else int(bound)}"


def timing_measures(kind: str, seconds: float) -> dict[str, int]:
    """The cells one case's time adds: its bucket, the count and the sum (whole seconds)."""
    seconds = max(0.0, seconds)
    bound = next(bound for bound in BOUNDS_SECONDS if seconds <= bound)
    return {
        bucket_measure(kind, bound): 1,
        f"{kind}_count": 1,
        f"{kind}_seconds": round(seconds),
    }


def buckets(kind: str, measures: Mapping[str, int]) -> list[tuple[float, int]]:
    """(upper bound, count in that bucket) for every bound, from summed measures."""
    return [(bound, int(measures.get(bucket_measure(kind, bound), 0))) for bound in BOUNDS_SECONDS]


def quantile(q: float, counts: list[tuple[float, int]]) -> float | None:
    """The q-quantile in seconds, by linear interpolation inside its bucket; a quantile
    in the +Inf bucket is the highest finite bound (as Prometheus answers). None when
    there are no observations."""
    total = sum(count for _, count in counts)
    if total == 0:
        return None
    rank = q * total
    cumulative = 0
    lower = 0.0
    for bound, count in counts:
        if count and cumulative + count >= rank:
            if math.isinf(bound):
                return lower
            return round(lower + (bound - lower) * (rank - cumulative) / count, 1)
        cumulative += count
        if not math.isinf(bound):
            lower = bound
    return lower


def timing(kind: str, measures: Mapping[str, int]) -> dict[str, float | int | None]:
    """Median, 90th percentile and mean of one kind of time, in seconds."""
    counts = buckets(kind, measures)
    observed = int(measures.get(f"{kind}_count", 0))
    mean = round(measures.get(f"{kind}_seconds", 0) / observed, 1) if observed else None
    return {
        "count": observed,
        "median_seconds": quantile(0.5, counts),
        "p90_seconds": quantile(0.9, counts),
        "mean_seconds": mean,
    }
