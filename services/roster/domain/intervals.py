"""Half-open time intervals [start, end): the arithmetic of who is on duty when.

Shifts, leave, covers and check-ins are all intervals; on duty is what is left of
the scheduled intervals once leave is taken out and covers are moved across.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

Interval = tuple[datetime, datetime]


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, with overlapping or touching intervals joined; empty ones dropped."""
    merged: list[Interval] = []
    for start, end in sorted(interval for interval in intervals if interval[0] < interval[1]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def subtract(intervals: Iterable[Interval], holes: Iterable[Interval]) -> list[Interval]:
    """What of `intervals` lies outside every hole."""
    remaining = merge(intervals)
    for hole_start, hole_end in merge(holes):
        cut: list[Interval] = []
        for start, end in remaining:
            if end <= hole_start or start >= hole_end:
                cut.append((start, end))
                continue
            if start < hole_start:
                cut.append((start, hole_start))
            if end > hole_end:
                cut.append((hole_end, end))
        remaining = cut
    return remaining


def intersect(intervals: Iterable[Interval], window: Interval) -> list[Interval]:
    start, end = window
    return merge((max(a, start), min(b, end)) for a, b in intervals)


def contains(intervals: Iterable[Interval], at: datetime) -> bool:
    return any(start <= at < end for start, end in intervals)


def total(intervals: Iterable[Interval]) -> timedelta:
    return sum((end - start for start, end in merge(intervals)), timedelta())
