"""Counting case facts into day buckets. Plain Python: no nameko, no pymongo.

A bucket holds one community's counts for one local day and one category;
its id is composite (`<community>:<day>:<category>`) so the hot path
addresses it by `_id` (DESIGN.md rule 7).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

LOCAL_ZONE = ZoneInfo("Asia/Shanghai")

MEASURE_OF_EVENT = {
    "case.reported": "reported",
    "case.triaged": "triaged",
    "case.dispatched": "dispatched",
    "case.escalated": "escalated",
    "case.accepted": "accepted",
    "case.resolved": "resolved",
    "notification.delivered": "notified",
    "notification.failed": "notification_failures",
}
MEASURES = (*tuple(MEASURE_OF_EVENT.values()), "resolved_on_time")


@dataclass(frozen=True)
class Bucket:
    community_id: str
    day: date
    category: str
    counts: Mapping[str, int] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return bucket_id(self.community_id, self.day, self.category)


def bucket_id(community_id: str, day: date, category: str) -> str:
    return f"{community_id}:{day.isoformat()}:{category}"


def local_day(at: datetime) -> date:
    """Statistics follow the community's calendar day, not UTC's."""
    return at.astimezone(LOCAL_ZONE).date()


def count(bucket: Bucket, event_type: str, payload: Mapping) -> Bucket:
    """One more of the event's measure (a failed delivery counts once per failed attempt)."""
    counts = Counter(bucket.counts)
    counts[MEASURE_OF_EVENT[event_type]] += 1
    if event_type == "case.resolved" and payload.get("on_time"):
        counts["resolved_on_time"] += 1
    return Bucket(bucket.community_id, bucket.day, bucket.category, dict(counts))


def summarise(buckets: Iterable[Bucket]) -> dict:
    totals: Counter[str] = Counter({measure: 0 for measure in MEASURES})
    by_category: dict[str, Counter[str]] = {}
    for bucket in buckets:
        totals.update(bucket.counts)
        by_category.setdefault(bucket.category, Counter()).update(bucket.counts)
    return {
        "totals": dict(totals),
        "open": max(0, totals["reported"] - totals["resolved"]),
        "resolution_rate": _rate(totals["resolved"], totals["reported"]),
        "on_time_rate": _rate(totals["resolved_on_time"], totals["resolved"]),
        "by_category": {name: dict(counts) for name, counts in sorted(by_category.items())},
    }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
